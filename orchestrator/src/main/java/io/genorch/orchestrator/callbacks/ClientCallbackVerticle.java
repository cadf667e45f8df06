package io.genorch.orchestrator.callbacks;

import io.genorch.common.ServiceContext;
import io.genorch.common.bus.Addresses;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.net.PublicAddresses;
import io.genorch.common.work.LeasedWorkLoop;
import io.genorch.common.work.LeasedWorkLoop.Round;
import io.genorch.common.work.LeasedWorkLoop.Work;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.codec.BodyCodec;
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
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers client callbacks (docs/API.md section 3). The rows are written with the terminal change itself, so this
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
  private CallbackAddresses addresses;
  private LeasedWorkLoop<Row> loop;

  public ClientCallbackVerticle(ServiceContext ctx, CallbackOptions options) {
    this.ctx = ctx;
    this.signer = new CallbackSigner(options.secret());
    this.allowPrivate = options.allowPrivate();
    this.sweepInterval = options.sweepInterval();
    this.timeout = options.timeout();
    this.retryBase = options.retryBase();
    this.retryCap = options.retryCap();
    this.retryFor = options.retryFor();
    this.batchSize = options.batchSize();
  }

  @Override
  public Future<?> start() {
    addresses = new CallbackAddresses(vertx, allowPrivate);
    client = WebClient.create(vertx, new WebClientOptions().setUserAgent("genorch-callbacks").setFollowRedirects(false));
    // a claim outlives one delivery attempt by a wide margin: all of a batch is attempted at once
    Duration lease = timeout.plusSeconds(50);
    loop = new LeasedWorkLoop<>(vertx, new LeasedWorkLoop.Options("client-callbacks", batchSize, batchSize, lease,
        sweepInterval), new Work<>() {
          @Override
          public Future<List<Row>> claim(int limit, Duration claimLease) {
            return ctx.pool().preparedQuery(ClientCallbackSql.CLAIM_DUE).execute(Tuple.of(limit, claimLease.toSeconds()))
                .map(rows -> {
                  List<Row> claimed = new ArrayList<>(rows.size());
                  rows.forEach(claimed::add);
                  return claimed;
                });
          }

          @Override
          public Future<?> process(Row row, Round round) {
            return deliver(row);
          }
        });
    ctx.metrics().workLoop(loop);
    loop.start();
    return vertx.eventBus().<JsonObject>localConsumer(Addresses.EVENTS, m -> {
      JsonObject generation = m.body().getJsonObject("generation", new JsonObject());
      boolean terminal = GenerationStatus.fromWire(generation.getString("status")).map(GenerationStatus::isTerminal).orElse(false);
      if (terminal && generation.getString("callbackUrl") != null) {
        loop.wake();
      }
    }).completion();
  }

  private Future<Void> deliver(Row row) {
    String eventId = row.getString("event_id");
    String generationId = row.getString("generation_id");
    String url = row.getString("url");
    int attempt = row.getInteger("attempts");
    OffsetDateTime createdAt = row.getOffsetDateTime("created_at");
    return currentOutputs(row.getString("payload"), generationId)
        .compose(body -> deliver(eventId, generationId, url, attempt, createdAt, body));
  }

  /**
   * The event as stored, except that a succeeded generation is shown as it is now: its outputs were kept after the
   * event was written, and the callback carries the service's links, which last, not the provider's.
   */
  private Future<String> currentOutputs(String payload, String generationId) {
    JsonObject event = new JsonObject(payload);
    if (!"generation.succeeded".equals(event.getString("type"))) {
      return Future.succeededFuture(payload);
    }
    return ctx.store().find(generationId).map(current -> current
        .map(g -> event.put("generation", g.toJson()).encode())
        .orElse(payload));
  }

  private Future<Void> deliver(String eventId, String generationId, String url, int attempt, OffsetDateTime createdAt,
      String body) {
    return destination(url)
        .compose(target -> {
          if (target.refusal() != null) {
            return giveUp(eventId, generationId, attempt, null, target.refusal());
          }
          long timestamp = System.currentTimeMillis() / 1000;
          HttpRequest<Buffer> request = client.postAbs(target.url())
              .putHeader("content-type", "application/json")
              .putHeader("webhook-id", eventId)
              .putHeader("webhook-timestamp", Long.toString(timestamp))
              .putHeader("webhook-signature", signer.signature(eventId, timestamp, body))
              .timeout(timeout.toMillis());
          if (target.virtualHost() != null) {
            request.virtualHost(target.virtualHost());
          }
          // the answer's body is not read, and the whole exchange is bounded: a client that trickles bytes
          // cannot hold the sender
          return request.as(BodyCodec.none())
              .sendBuffer(Buffer.buffer(body))
              .timeout(timeout.toMillis() + 1_000, TimeUnit.MILLISECONDS)
              .transform(ar -> settle(eventId, generationId, attempt, createdAt,
                  ar.succeeded() ? ar.result().statusCode() : null, ar.failed() ? ar.cause().toString() : null));
        }, unresolved -> settle(eventId, generationId, attempt, createdAt, null, unresolved.getMessage()))
        .recover(failure -> {
          LOG.warn("Client callback {} for {} not settled: {}", eventId, generationId, failure.toString());
          return Future.succeededFuture(); // its lease brings it back
        });
  }

  /**
   * Where to send: the URL as given, or with private destinations refused, the address that was checked, with the
   * name kept for the Host header and TLS, so the name cannot resolve elsewhere between the check and the request.
   * @param refusal why the callback must not be sent at all, or null
   */
  private record Target(String url, String virtualHost, String refusal) {}

  private Future<Target> destination(String url) {
    if (allowPrivate) {
      return Future.succeededFuture(new Target(url, null, null));
    }
    URI uri = URI.create(url);
    String host = uri.getHost();
    if (host == null) {
      return Future.succeededFuture(new Target(url, null, "callbackUrl has no host"));
    }
    // a failed lookup fails this future: counted as a failed attempt and retried, nothing sent
    return addresses.resolve(host)
        .map(resolved -> new Target(pinnedUrl(uri, resolved.get(0)), host, null))
        .recover(err -> err instanceof PublicAddresses.NotPublicException
            ? Future.succeededFuture(new Target(url, null, "callbackUrl refused: " + err.getMessage()))
            : Future.failedFuture(err));
  }

  /**
   * The URL with its host replaced by the checked address. Built from the raw components, so the client's
   * percent-encoding (signed paths, tokens in the query) reaches it unchanged.
   */
  static String pinnedUrl(URI uri, InetAddress address) {
    String literal = address instanceof java.net.Inet6Address ? "[" + address.getHostAddress() + "]" : address.getHostAddress();
    return uri.getScheme() + "://" + (uri.getRawUserInfo() == null ? "" : uri.getRawUserInfo() + "@") + literal
        + (uri.getPort() == -1 ? "" : ":" + uri.getPort()) + (uri.getRawPath() == null ? "" : uri.getRawPath())
        + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
  }

  private Future<Void> settle(String eventId, String generationId, int attempt, OffsetDateTime createdAt,
      Integer status, String error) {
    if (status != null && status / 100 == 2) {
      ctx.metrics().clientCallback("delivered");
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
    ctx.metrics().clientCallback("failed");
    return ctx.pool().preparedQuery(ClientCallbackSql.RESCHEDULE)
        .execute(Tuple.of(eventId, wait.toMillis() / 1000.0, status, reason))
        .compose(v -> ctx.store().recordEvent(generationId, "callback_failed",
            failureDetail(eventId, attempt, status, reason).put("retryInMs", wait.toMillis())));
  }

  private Future<Void> giveUp(String eventId, String generationId, int attempt, Integer status, String reason) {
    LOG.warn("Client callback {} for {} given up after attempt {}: {}", eventId, generationId, attempt, reason);
    ctx.metrics().clientCallback("gave_up");
    return ctx.pool().preparedQuery(ClientCallbackSql.GIVE_UP).execute(Tuple.of(eventId, status, reason))
        .compose(v -> ctx.store().recordEvent(generationId, "callback_failed",
            failureDetail(eventId, attempt, status, reason).put("gaveUp", true)));
  }

  private static JsonObject failureDetail(String eventId, int attempt, Integer status, String reason) {
    return new JsonObject().put("eventId", eventId).put("attempt", attempt).put("status", status).put("error", reason);
  }

  /** Exponential from the base, capped, with up to 20 % jitter so a recovering client is not hit in lockstep. */
  private Duration backoff(int attempt) {
    long base = retryBase.toMillis() << Math.min(attempt - 1, 20);
    long capped = Math.min(base, retryCap.toMillis());
    return Duration.ofMillis(capped + ThreadLocalRandom.current().nextLong(capped / 5 + 1));
  }

  /** Waits for the attempts in flight (each bounded by the callback timeout), then closes the client. */
  @Override
  public Future<?> stop() {
    return loop.stop().andThen(ar -> client.close());
  }
}
