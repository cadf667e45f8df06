package io.genorch.webhook;

import io.genorch.common.ServiceContext;
import io.genorch.common.config.ProviderSettings;
import io.genorch.common.persistence.ProviderGate.Permit;
import io.genorch.common.provider.ProviderAdapter;
import io.genorch.common.provider.ProviderOutcome;
import io.genorch.common.provider.StatusResult;
import io.genorch.common.statemachine.Change;
import io.genorch.common.statemachine.Source;
import io.genorch.common.statemachine.Verdict;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies one stored delivery to its generation, after the provider had its 200:
 * <ol>
 *   <li>an identical body already processed for the same generation is a redelivery: recorded as
 *       {@code webhook_duplicate}, nothing else;</li>
 *   <li>with ORCH_PROVIDER_&lt;ID&gt;_CONFIRM_WEBHOOKS the provider's status API is asked and its answer is used
 *       instead of the payload (a task it does not know is recorded as {@code webhook_rejected}); when it cannot be
 *       asked now the delivery waits and is tried again, and the generation is never failed for it;</li>
 *   <li>otherwise the payload's outcome goes through {@code GenerationStore.apply}, whose state machine makes
 *       repeats {@code webhook_duplicate}, contradictions of a terminal status {@code webhook_rejected}, progress
 *       a change within the running states, and a first terminal report the transition.</li>
 * </ol>
 * The delivery is then marked processed with what became of it (the constants below). Application is at least once:
 * if the process dies between applying and marking, the delivery is applied again later and the state machine
 * makes the repeat harmless.
 */
final class DeliveryProcessor {

  private static final Logger LOG = LoggerFactory.getLogger(DeliveryProcessor.class);

  /** What a processed delivery's {@code outcome} column can say. */
  static final String ADVANCED = "advanced";
  static final String STAYED = "stayed";
  static final String DUPLICATE = "duplicate";
  static final String REJECTED = "rejected";
  static final String UNCONFIRMED = "unconfirmed";
  static final String INVALID = "invalid";
  static final String ABANDONED = "abandoned";
  /** Not stored: the delivery stays unprocessed and is due again later. */
  static final String RETRY_LATER = "retry_later";

  /** Confirm mode: how often a terminal report is re-checked while the provider still says "running". */
  static final int CONFIRM_DISAGREEMENT_ATTEMPTS = 3;

  private final ServiceContext ctx;
  private final Pool pool;
  private final WebhookOptions options;

  DeliveryProcessor(ServiceContext ctx, WebhookOptions options) {
    this.ctx = ctx;
    this.pool = ctx.pool();
    this.options = options;
  }

  /**
   * Processes one claimed delivery. The future holds the outcome (or {@link #RETRY_LATER}); it fails only when the
   * database failed, and then the claim's lease brings the delivery back.
   */
  Future<String> process(Delivery d) {
    return settle(d).onSuccess(outcome -> ctx.metrics().webhookDelivery(d.provider(), outcome));
  }

  private Future<String> settle(Delivery d) {
    if (d.attempts() > options.maxAttempts()) {
      LOG.error("Webhook delivery {} for {} was claimed {} times without being settled; giving it up (the poller still"
          + " reconciles the generation)", d.id(), d.generationId(), d.attempts() - 1);
      return markProcessed(d, ABANDONED, "claimed " + (d.attempts() - 1) + " times without being settled");
    }
    ProviderAdapter adapter = ctx.providers().find(d.provider()).orElse(null);
    if (adapter == null) {
      return markProcessed(d, INVALID, "unknown provider " + d.provider());
    }
    ProviderOutcome reported;
    try {
      reported = adapter.parseWebhook(WebhookPayload.read(d.body()));
    } catch (RuntimeException e) {
      // it was read at ingest; only a changed adapter gets here
      LOG.error("Stored webhook delivery {} no longer parses for {}: {}", d.id(), d.provider(), e.toString());
      return markProcessed(d, INVALID, String.valueOf(e.getMessage()));
    }
    return pool.preparedQuery(WebhookSql.PROCESSED_TWIN)
        .execute(Tuple.of(d.generationId(), Buffer.buffer(d.bodySha256()), d.id()))
        .compose(twins -> {
          if (twins.size() > 0) {
            return recordRedelivery(d, reported, twins.iterator().next().getLong("id"));
          }
          if (aboutAnotherTask(d, reported)) {
            return recordOtherTask(d, reported);
          }
          ProviderSettings settings = ctx.settings(d.provider());
          return settings.confirmWebhooks()
              ? confirmThenApply(d, adapter, settings, reported)
              : apply(d, reported, detail(d, reported), null);
        });
  }

  private Future<String> recordRedelivery(Delivery d, ProviderOutcome reported, long twinId) {
    JsonObject detail = detail(d, reported).put("duplicateOf", twinId).put("reportedStatus", reported.status().wire());
    return ctx.store().recordEvent(d.generationId(), "webhook_duplicate", detail)
        .compose(v -> markProcessed(d, DUPLICATE, null));
  }

  /** The generation follows another task: this one came from another submit attempt (e.g. one answered 5xx). */
  private static boolean aboutAnotherTask(Delivery d, ProviderOutcome reported) {
    return d.boundTaskId() != null && reported.providerTaskId() != null
        && !d.boundTaskId().equals(reported.providerTaskId());
  }

  /**
   * Recorded, not applied: the job of an earlier attempt (the provider created it although the attempt failed) must
   * not fail or complete a generation that follows the job of a later attempt. The timeline shows the extra job.
   */
  private Future<String> recordOtherTask(Delivery d, ProviderOutcome reported) {
    LOG.warn("Webhook delivery {} for {} reports task {} (submit attempt {}), but the generation follows task {}:"
        + " recorded, not applied", d.id(), d.generationId(), reported.providerTaskId(), d.tokenAttempt(), d.boundTaskId());
    JsonObject detail = detail(d, reported)
        .put("reportedStatus", reported.status().wire())
        .put("providerTaskId", reported.providerTaskId())
        .put("reason", "reports task " + reported.providerTaskId() + ", created by another submit attempt; this"
            + " generation follows task " + d.boundTaskId());
    return ctx.store().recordEvent(d.generationId(), "webhook_rejected", detail)
        .compose(v -> markProcessed(d, REJECTED, null));
  }

  private Future<String> confirmThenApply(Delivery d, ProviderAdapter adapter, ProviderSettings settings, ProviderOutcome reported) {
    if (!settings.enabled()) {
      return retryLater(d, "confirmation needs ORCH_PROVIDER_" + ProviderSettings.envId(d.provider()) + "_API_KEY");
    }
    return ctx.store().find(d.generationId()).compose(generation -> {
      if (generation.isPresent() && generation.get().status().isTerminal()) {
        // nothing can change it any more: the state machine only records the delivery, no status call is spent
        return apply(d, reported, detail(d, reported).put("confirmed", false).put("generationTerminal", true), null);
      }
      return ctx.gate().tryAcquire(d.provider()).compose(permit -> permit.isEmpty()
          ? retryLater(d, "no request permit for " + d.provider() + " now (MAX_RPM / MAX_IN_FLIGHT)")
          : askProvider(adapter, settings, reported.providerTaskId(), permit.get())
              .compose(result -> settleConfirmation(d, reported, result)));
    });
  }

  private Future<StatusResult> askProvider(ProviderAdapter adapter, ProviderSettings settings, String taskId, Permit permit) {
    return ctx.providerClient().status(adapter, settings, taskId)
        .recover(err -> Future.succeededFuture(new StatusResult.Transient(String.valueOf(err.getMessage()), null)))
        .eventually(() -> {
          permit.release();
          return Future.succeededFuture();
        });
  }

  private Future<String> settleConfirmation(Delivery d, ProviderOutcome reported, StatusResult result) {
    if (result instanceof StatusResult.Known known) {
      ProviderOutcome confirmed = known.outcome();
      JsonObject detail = detail(d, confirmed)
          .put("confirmedByStatusCall", true)
          .put("webhookStatus", reported.rawStatus());
      if (reported.isTerminal() && !confirmed.isTerminal()) {
        // the provider may not have caught up with its own callback yet, or the delivery is not genuine
        if (d.attempts() < CONFIRM_DISAGREEMENT_ATTEMPTS) {
          return retryLater(d, "webhook says " + reported.rawStatus() + ", provider status says " + confirmed.rawStatus());
        }
        LOG.warn("Webhook delivery {} for {} says {} but {} still says {}: applying the provider's status", d.id(),
            d.generationId(), reported.rawStatus(), d.provider(), confirmed.rawStatus());
        return apply(d, confirmed, detail.put("confirmed", false), UNCONFIRMED);
      }
      return apply(d, confirmed, detail.put("confirmed", true), null);
    }
    if (result instanceof StatusResult.NotFound notFound) {
      LOG.warn("Webhook delivery {} for {} names task {}, which {} does not know: recorded as rejected", d.id(),
          d.generationId(), reported.providerTaskId(), d.provider());
      JsonObject detail = detail(d, reported)
          .put("reportedStatus", reported.status().wire())
          .put("reason", "the provider does not know task " + reported.providerTaskId())
          .put("providerAnswer", notFound.detail());
      return ctx.store().recordEvent(d.generationId(), "webhook_rejected", detail)
          .compose(v -> markProcessed(d, UNCONFIRMED, "provider does not know the task"));
    }
    StatusResult.Transient transientResult = (StatusResult.Transient) result;
    return retryLater(d, "provider status unavailable: " + transientResult.reason());
  }

  /** @param label the outcome to store, or null for what the state machine made of it */
  private Future<String> apply(Delivery d, ProviderOutcome outcome, JsonObject detail, String label) {
    if (outcome.unknownStatus()) {
      LOG.warn("Webhook delivery {} for {}: unknown {} status '{}', treated as still running", d.id(), d.generationId(),
          d.provider(), outcome.rawStatus());
    }
    // a running report that beats the submit answer must still leave the generation a check time and a deadline;
    // the store keeps any schedule already set and only fills in a missing one from a webhook
    ProviderSettings settings = ctx.settings(d.provider());
    Instant now = Instant.now();
    Change change = Change.fromOutcome(Source.WEBHOOK, outcome, detail)
        .withSchedule(now.plus(settings.callbackGrace()), now.plus(settings.deadline()));
    return ctx.store().apply(d.generationId(), change)
        .compose(applied -> markProcessed(d, label != null ? label : word(applied.verdict()), null));
  }

  private Future<String> retryLater(Delivery d, String reason) {
    Duration delay = options.retryDelay(d.attempts());
    LOG.info("Webhook delivery {} for {} waits {} ms: {}", d.id(), d.generationId(), delay.toMillis(), reason);
    return pool.preparedQuery(WebhookSql.RESCHEDULE)
        .execute(Tuple.of(d.id(), delay.toMillis() / 1000.0, reason))
        .map(RETRY_LATER);
  }

  private Future<String> markProcessed(Delivery d, String outcome, String error) {
    return pool.preparedQuery(WebhookSql.MARK_PROCESSED).execute(Tuple.of(d.id(), outcome, error)).map(outcome);
  }

  private static JsonObject detail(Delivery d, ProviderOutcome outcome) {
    JsonObject detail = new JsonObject().put("deliveryId", d.id()).put("providerStatus", outcome.rawStatus());
    if (d.tokenAttempt() != null) {
      detail.put("submitAttempt", d.tokenAttempt());
    }
    if (outcome.unknownStatus()) {
      detail.put("unknownStatus", true);
    }
    return detail;
  }

  private static String word(Verdict verdict) {
    return switch (verdict) {
      case ADVANCE -> ADVANCED;
      case STAY -> STAYED;
      case DUPLICATE -> DUPLICATE;
      case REJECT -> REJECTED;
    };
  }
}
