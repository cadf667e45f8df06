package io.genorch.webhook;

import io.genorch.common.ServiceContext;
import io.genorch.common.config.ProviderSettings;
import io.genorch.common.domain.WebhookTokens;
import io.genorch.common.net.SourceAllowlist;
import io.genorch.common.provider.InvalidPayloadException;
import io.genorch.common.provider.ProviderAdapter;
import io.genorch.common.provider.ProviderOutcome;
import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request path of a provider webhook (docs/API.md section 2), checked in this order: provider known → source
 * address allowed (403) → body at most 1 MiB (413, by the body handler) → a JSON object (400) → token bound to a
 * generation of this provider (404) → the provider's webhook shape (400) → no other task than the one bound (409)
 * → stored → 200. Nothing slow happens before the answer: no provider call, no state machine; one database round
 * trip stores the delivery (shared with the deliveries arriving meanwhile, {@link IngestBatcher}), and
 * {@code onStored} hands it to processing. Any fault of ours is 503, never a 4xx.
 */
final class WebhookIngest {

  private static final Logger LOG = LoggerFactory.getLogger(WebhookIngest.class);

  static final int MAX_BODY_BYTES = 1024 * 1024;
  /**
   * Deliveries stored in one statement at most, and such statements under way at once ({@link IngestBatcher}):
   * enough in flight that one slow commit does not stall the port, few enough that concurrent requests share them.
   */
  static final int INGEST_BATCH = 128;
  static final int INGESTS_IN_FLIGHT = 4;
  /** Our tokens are 43 characters; anything much longer is not one of them and is not worth hashing. */
  static final int MAX_TOKEN_LENGTH = 256;
  private static final int MAX_HEADER_VALUE = 1024;
  /** Headers kept with a delivery: how it was sent and through what; never credentials or cookies. */
  private static final Set<String> KEPT_HEADERS = Set.of(
      "content-type", "content-length", "content-encoding", "user-agent", "x-forwarded-for", "x-forwarded-proto",
      "x-real-ip", "forwarded", "via", "x-request-id", "idempotency-key");
  private static final Buffer RECEIVED = new JsonObject().put("received", true).toBuffer();
  private static final String ADAPTER = "genorch.webhook.adapter";
  private static final String SOURCE = "genorch.webhook.source";

  private final ServiceContext ctx;
  private final Pool pool;
  private final Map<String, SourceAllowlist> allowlists;
  private final Runnable onStored;
  private final boolean trustForwarded;
  private final IngestBatcher ingests;

  /**
   * @param onStored called after each delivery was stored and acknowledged
   */
  WebhookIngest(ServiceContext ctx, Context context, Runnable onStored, boolean trustForwarded) {
    this.trustForwarded = trustForwarded;
    this.ingests = new IngestBatcher(context, ctx.pool(), INGEST_BATCH, INGESTS_IN_FLIGHT);
    this.ctx = ctx;
    this.pool = ctx.pool();
    this.onStored = onStored;
    Map<String, SourceAllowlist> lists = new HashMap<>();
    for (ProviderSettings settings : ctx.providerSettings().values()) {
      lists.put(settings.id(), settings.allowedSources());
    }
    this.allowlists = Map.copyOf(lists);
  }

  /** The source allowlist in force for a provider ("any" when unset). */
  SourceAllowlist allowlist(String providerId) {
    return allowlists.getOrDefault(providerId, SourceAllowlist.any());
  }

  /** Before the body is read: the provider exists and serves this path, and the source may send to it. */
  void admit(RoutingContext rc) {
    String providerId = rc.pathParam("provider");
    ProviderAdapter adapter = ctx.providers().find(providerId).orElse(null);
    if (adapter == null) {
      throw WebhookRefusal.notFound("no such provider");
    }
    if (rc.request().path().endsWith("/callback") && !adapter.spec().appendsCallbackSegment()) {
      throw WebhookRefusal.notFound("no such resource");
    }
    String source = sourceAddress(rc);
    if (!allowlist(providerId).allows(source)) {
      LOG.warn("Webhook for {} from {} refused: outside ALLOWED_CIDRS {}", providerId, source, allowlist(providerId));
      throw WebhookRefusal.forbidden("this address may not deliver webhooks for " + providerId);
    }
    rc.put(ADAPTER, adapter);
    rc.put(SOURCE, source);
    rc.next();
  }

  /** After the body handler: checks the delivery, stores it, answers 200, hands it on. */
  void accept(RoutingContext rc) {
    ProviderAdapter adapter = rc.get(ADAPTER);
    String token = rc.pathParam("token");
    if (token == null || token.isEmpty() || token.length() > MAX_TOKEN_LENGTH) {
      WebhookPayload.jsonObject(rc.body().buffer()); // a body that is not JSON is 400 whatever the token
      throw WebhookRefusal.notFound("unknown webhook token");
    }
    WebhookPayload.Prepared payload = WebhookPayload.prepare(rc.body().buffer(), token);
    JsonObject json = payload.json();
    Buffer tokenHash = Buffer.buffer(WebhookTokens.hash(token));
    ProviderOutcome outcome;
    try {
      outcome = adapter.parseWebhook(json);
    } catch (InvalidPayloadException e) {
      refuseUnreadable(rc, adapter, tokenHash, e);
      return;
    }
    String taskId = outcome.providerTaskId();
    IngestBatcher.Ingest ingest = new IngestBatcher.Ingest(tokenHash, adapter.id(), taskId, rc.get(SOURCE),
        keptHeaders(rc.request().headers(), token), payload.stored(),
        Buffer.buffer(WebhookTokens.sha256(payload.stored().getBytes())));
    ingests.store(ingest).onComplete(ar -> {
      if (ar.failed()) {
        LOG.warn("Webhook for {} not stored, answered 503 so that the provider retries: {}", adapter.id(), ar.cause().toString());
        rc.fail(WebhookRefusal.unavailable());
        return;
      }
      if (ar.result().isEmpty()) {
        rc.fail(WebhookRefusal.notFound("unknown webhook token"));
        return;
      }
      IngestBatcher.Stored row = ar.result().get();
      if (!adapter.id().equals(row.provider())) {
        LOG.warn("Webhook on the {} route carried the token of a {} generation {}", adapter.id(), row.provider(), row.generationId());
        rc.fail(WebhookRefusal.notFound("unknown webhook token"));
        return;
      }
      Long deliveryId = row.deliveryId();
      if (deliveryId == null) {
        LOG.warn("Webhook for generation {} names task {}, which is not the task bound to it ({}) or belongs to another"
            + " generation", row.generationId(), taskId, row.providerTaskId());
        rc.fail(WebhookRefusal.taskMismatch("the payload names another task than the one this URL was issued for"));
        return;
      }
      LOG.debug("Webhook delivery {} for generation {} stored ({} {})", deliveryId, row.generationId(), adapter.id(), outcome.rawStatus());
      rc.response().setStatusCode(200).putHeader("Content-Type", "application/json").end(RECEIVED);
      ctx.metrics().webhookRequest(adapter.id(), "stored");
      onStored.run();
    });
  }

  /** A JSON body the adapter does not take: 400 for the holder of a valid token, 404 for anyone else. */
  private void refuseUnreadable(RoutingContext rc, ProviderAdapter adapter, Buffer tokenHash, InvalidPayloadException e) {
    pool.preparedQuery(WebhookSql.PROVIDER_OF_TOKEN).execute(Tuple.of(tokenHash)).onComplete(ar -> {
      if (ar.failed()) {
        LOG.warn("Webhook for {} could not be checked, answered 503: {}", adapter.id(), ar.cause().toString());
        rc.fail(WebhookRefusal.unavailable());
      } else if (ar.result().size() == 0 || !adapter.id().equals(ar.result().iterator().next().getString("provider"))) {
        rc.fail(WebhookRefusal.notFound("unknown webhook token"));
      } else {
        LOG.warn("Webhook for {} is not its documented JSON: {}", adapter.id(), e.getMessage());
        rc.fail(WebhookRefusal.invalid("not a " + adapter.id() + " webhook: " + e.getMessage()));
      }
    });
  }

  /** Answers every refusal and fault in the error shape; anything unexpected is 503, so the provider retries. */
  void failure(RoutingContext rc) {
    WebhookRefusal refusal;
    if (rc.failure() instanceof WebhookRefusal r) {
      refusal = r;
    } else if (rc.failure() == null && rc.statusCode() == 413) {
      refusal = WebhookRefusal.tooLarge();
    } else if (rc.failure() == null && rc.statusCode() == 404) {
      refusal = WebhookRefusal.notFound("no such resource");
    } else if (rc.failure() == null && rc.statusCode() == 405) {
      refusal = WebhookRefusal.methodNotAllowed();
    } else if (rc.failure() == null && rc.statusCode() == 400) {
      refusal = WebhookRefusal.invalid("malformed request");
    } else {
      // the path holds the token, a secret: only the provider is logged
      LOG.error("Webhook request for {} failed (status {}), answered 503", rc.pathParam("provider"), rc.statusCode(), rc.failure());
      refusal = WebhookRefusal.unavailable();
    }
    if (rc.response().ended()) {
      return;
    }
    String provider = rc.pathParam("provider");
    ctx.metrics().webhookRequest(provider != null && ctx.providers().find(provider).isPresent() ? provider : "unknown",
        refusal.status() == 503 ? "unavailable" : "refused_" + refusal.status());
    rc.response()
        .setStatusCode(refusal.status())
        .putHeader("Content-Type", "application/json")
        .end(refusal.toJson().toBuffer());
  }

  /**
   * The socket address; behind a trusted proxy, the last X-Forwarded-For entry, which is the one that proxy appended
   * (the entries before it, and any Forwarded header, are whatever the client sent and prove nothing).
   */
  private String sourceAddress(RoutingContext rc) {
    if (trustForwarded) {
      List<String> forwarded = rc.request().headers().getAll("X-Forwarded-For");
      if (!forwarded.isEmpty()) {
        String[] hops = forwarded.get(forwarded.size() - 1).split(",");
        String last = hops[hops.length - 1].trim();
        if (!last.isEmpty()) {
          return last;
        }
      }
    }
    SocketAddress remote = rc.request().remoteAddress();
    if (remote == null) {
      return null;
    }
    return remote.hostAddress() != null ? remote.hostAddress() : remote.host();
  }


  /**
   * The headers worth keeping: transport, proxies, and anything that looks like a signature, should one appear; the
   * callback token redacted from their values.
   */
  static JsonObject keptHeaders(MultiMap headers, String token) {
    JsonObject kept = new JsonObject();
    for (String name : headers.names()) {
      String lower = name.toLowerCase(Locale.ROOT);
      if (KEPT_HEADERS.contains(lower) || lower.startsWith("webhook-") || lower.contains("signature")) {
        List<String> values = headers.getAll(name);
        String value = WebhookPayload.storable(String.join(", ", values), token);
        kept.put(lower, value.length() > MAX_HEADER_VALUE ? value.substring(0, MAX_HEADER_VALUE) : value);
      }
    }
    return kept;
  }
}
