package io.genorch.orchestrator.callbacks;

import io.genorch.common.ServiceContext;
import io.genorch.common.bus.Addresses;
import io.genorch.common.config.OrchConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers client callbacks (CONTRACT.md section 3). The rows are written with the terminal change itself, so this
 * sender only has to work through {@code client_callbacks}: at once when this instance publishes a terminal event,
 * and on a periodic sweep that also picks up retries and what a stopped instance left. Each attempt is recorded
 * in the generation's timeline ({@code callback_delivered} / {@code callback_failed}). Delivery is at least once:
 * clients dedupe by {@code webhook-id}.
 */
public final class ClientCallbackVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(ClientCallbackVerticle.class);

  private final ServiceContext ctx;
  private final CallbackSigner signer;
  private final boolean allowPrivate;
  private final Duration sweepInterval;
  private final Duration timeout;
  private final Duration retryBase;
  private final Duration retryCap;
  private final Duration retryFor;
  private final int batchSize;
  private WebClient client;
  private boolean sweeping;
  private boolean sweepAgain;

  public ClientCallbackVerticle(ServiceContext ctx) {
    this.ctx = ctx;
    OrchConfig config = ctx.config();
    this.signer = new CallbackSigner(config.get("ORCH_CALLBACK_SECRET").orElseThrow(
        () -> new IllegalStateException("ORCH_CALLBACK_SECRET is generated at start when unset")));
    this.allowPrivate = config.getBoolean("ORCH_CALLBACK_ALLOW_PRIVATE", false);
    this.sweepInterval = Duration.ofMillis(config.getLong("ORCH_CALLBACK_SWEEP_MS", 1_000));
    this.timeout = Duration.ofMillis(config.getLong("ORCH_CALLBACK_TIMEOUT_MS", 10_000));
    this.retryBase = Duration.ofMillis(config.getLong("ORCH_CALLBACK_RETRY_BASE_MS", 5_000));
    this.retryCap = Duration.ofMillis(config.getLong("ORCH_CALLBACK_RETRY_CAP_MS", 3_600_000));
    // the contract asks for at least 24 h of retries
    this.retryFor = Duration.ofSeconds(config.getLong("ORCH_CALLBACK_RETRY_FOR_S", 25 * 3600));
    this.batchSize = config.getInt("ORCH_CALLBACK_BATCH_SIZE", 50);
  }

  @Override
  public Future<?> start() {
    client = WebClient.create(vertx, new WebClientOptions().setUserAgent("genorch-callbacks").setFollowRedirects(false));
    vertx.setPeriodic(sweepInterval.toMillis(), t -> sweep());
    return vertx.eventBus().<JsonObject>localConsumer(Addresses.EVENTS, m -> {
      JsonObject generation = m.body().getJsonObject("generation", new JsonObject());
      if (generation.getString("callbackUrl") != null && isTerminal(m.body().getString("type"))) {
        sweep();
      }
    }).completion();
  }

  private static boolean isTerminal(String eventType) {
    return List.of("generation.succeeded", "generation.failed", "generation.timed_out").contains(eventType);
  }

  private void sweep() {
    if (sweeping) {
      sweepAgain = true;
      return;
    }
    sweeping = true;
    sweepAgain = false;
    Duration lease = timeout.plusSeconds(50);
    ctx.pool().preparedQuery(ClientCallbackSql.CLAIM_DUE)
        .execute(Tuple.of(batchSize, lease.toSeconds()))
        .compose(rows -> {
          List<Future<Void>> deliveries = new ArrayList<>();
          rows.forEach(row -> deliveries.add(deliver(row)));
          return Future.join(deliveries).map(rows.size());
        })
        .onComplete(ar -> {
          sweeping = false;
          if (ar.failed()) {
            LOG.warn("Client callback sweep failed: {}", ar.cause().toString());
          } else if (sweepAgain || ar.result() == batchSize) {
            sweep();
          }
        });
  }

  private Future<Void> deliver(Row row) {
    String eventId = row.getString("event_id");
    String generationId = row.getString("generation_id");
    String url = row.getString("url");
    int attempt = row.getInteger("attempts");
    OffsetDateTime createdAt = row.getOffsetDateTime("created_at");
    String body = row.getString("payload");
    return checkDestination(url)
        .compose(refusal -> {
          if (refusal != null) {
            return giveUp(eventId, generationId, attempt, null, refusal);
          }
          long timestamp = System.currentTimeMillis() / 1000;
          return client.postAbs(url)
              .putHeader("content-type", "application/json")
              .putHeader("webhook-id", eventId)
              .putHeader("webhook-timestamp", Long.toString(timestamp))
              .putHeader("webhook-signature", signer.signature(eventId, timestamp, body))
              .timeout(timeout.toMillis())
              .sendBuffer(Buffer.buffer(body))
              .transform(ar -> settle(eventId, generationId, attempt, createdAt, ar.succeeded() ? ar.result() : null,
                  ar.failed() ? ar.cause().toString() : null));
        })
        .recover(failure -> {
          LOG.warn("Client callback {} for {} not settled: {}", eventId, generationId, failure.toString());
          return Future.succeededFuture(); // its lease brings it back
        });
  }

  /** Null when the URL may be called; else why not. Names are resolved off the event loop. */
  private Future<String> checkDestination(String url) {
    if (allowPrivate) {
      return Future.succeededFuture(null);
    }
    String host = URI.create(url).getHost();
    if (host == null) {
      return Future.succeededFuture("callbackUrl has no host");
    }
    if (CallbackAddresses.isPrivateHost(host)) {
      return Future.succeededFuture("callbackUrl host " + host + " is a private address");
    }
    return vertx.executeBlocking(() -> {
      for (InetAddress address : InetAddress.getAllByName(host)) {
        if (CallbackAddresses.isPrivate(address)) {
          return "callbackUrl host " + host + " resolves to private address " + address.getHostAddress();
        }
      }
      return null;
    }, false).recover(e -> Future.succeededFuture((String) null)); // unresolvable now: the POST fails and is retried
  }

  private Future<Void> settle(String eventId, String generationId, int attempt, OffsetDateTime createdAt,
      HttpResponse<Buffer> response, String error) {
    Integer status = response == null ? null : response.statusCode();
    if (status != null && status >= 200 && status < 300) {
      return ctx.pool().preparedQuery(ClientCallbackSql.MARK_DELIVERED).execute(Tuple.of(eventId, status))
          .compose(v -> ctx.store().recordEvent(generationId, "callback_delivered",
              new JsonObject().put("eventId", eventId).put("attempt", attempt).put("status", status)));
    }
    String reason = status != null ? "HTTP " + status : error;
    boolean expired = createdAt.toInstant().plus(retryFor).isBefore(java.time.Instant.now());
    if (expired) {
      return giveUp(eventId, generationId, attempt, status, reason);
    }
    Duration wait = backoff(attempt);
    return ctx.pool().preparedQuery(ClientCallbackSql.RESCHEDULE)
        .execute(Tuple.of(eventId, wait.toMillis() / 1000.0, status, reason))
        .compose(v -> ctx.store().recordEvent(generationId, "callback_failed", new JsonObject()
            .put("eventId", eventId).put("attempt", attempt).put("status", status).put("error", reason)
            .put("retryInMs", wait.toMillis())));
  }

  private Future<Void> giveUp(String eventId, String generationId, int attempt, Integer status, String reason) {
    LOG.warn("Client callback {} for {} given up after attempt {}: {}", eventId, generationId, attempt, reason);
    return ctx.pool().preparedQuery(ClientCallbackSql.GIVE_UP).execute(Tuple.of(eventId, status, reason))
        .compose(v -> ctx.store().recordEvent(generationId, "callback_failed", new JsonObject()
            .put("eventId", eventId).put("attempt", attempt).put("status", status).put("error", reason)
            .put("gaveUp", true)));
  }

  /** Exponential from the base, capped, with up to 20 % jitter so a recovering client is not hit in lockstep. */
  private Duration backoff(int attempt) {
    long base = retryBase.toMillis() << Math.min(attempt - 1, 20);
    long capped = Math.min(base, retryCap.toMillis());
    return Duration.ofMillis(capped + ThreadLocalRandom.current().nextLong(capped / 5 + 1));
  }

  @Override
  public Future<?> stop() {
    client.close();
    return Future.succeededFuture();
  }
}
