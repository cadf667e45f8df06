package io.genorch.webhook;

import io.genorch.common.ServiceContext;
import io.genorch.common.config.ProviderSettings;
import io.genorch.common.persistence.TransactionScope;
import io.genorch.common.persistence.GenerationStore.WebhookDecision;
import io.genorch.common.persistence.GenerationStore.WebhookDelivery;
import io.genorch.common.persistence.GenerationStore.WebhookSettled;
import io.genorch.common.persistence.GenerationStore.WebhookSettlement;
import io.genorch.common.persistence.ProviderGate.Permit;
import io.genorch.common.provider.ProviderAdapter;
import io.genorch.common.provider.ProviderOutcome;
import io.genorch.common.provider.StatusResult;
import io.genorch.common.statemachine.Change;
import io.genorch.common.statemachine.Source;
import io.genorch.common.statemachine.Verdict;
import io.genorch.common.work.Coalescer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
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
 *   <li>otherwise the payload's outcome goes through {@code GenerationStore.settleWebhook}, whose state machine
 *       makes repeats {@code webhook_duplicate}, contradictions of a terminal status {@code webhook_rejected},
 *       progress a change within the running states, and a first terminal report the transition.</li>
 * </ol>
 * Timeline entries and state are written only by the store ({@code settleWebhook}, {@code recordWebhookEntry}),
 * which marks the delivery processed with what became of it (the constants below) in the same transaction: the
 * redelivery lookup rides on the statement that locks the generation, and a delivery is never applied without being
 * marked.
 * A delivery that settles nothing (given up, unreadable, waiting for a retry) is marked here.
 */
final class DeliveryProcessor {

  private static final Logger LOG = LoggerFactory.getLogger(DeliveryProcessor.class);

  /** What a processed delivery's {@code outcome} column can say. */
  static final String ADVANCED = "advanced";
  static final String STAYED = "stayed";
  static final String DUPLICATE = "duplicate";
  static final String REJECTED = "rejected";
  /** Its job failed with a retryable reason and the generation went back to queued for another attempt. */
  static final String RERUN = "rerun";
  /** About an attempt the generation no longer follows: recorded, changed nothing. */
  static final String SUPERSEDED = "superseded";
  static final String UNCONFIRMED = "unconfirmed";
  static final String INVALID = "invalid";
  static final String ABANDONED = "abandoned";
  /** Not stored: the delivery stays unprocessed and is due again later. */
  static final String RETRY_LATER = "retry_later";

  /** Confirm mode: how often a terminal report is re-checked while the provider still says "running". */
  static final int CONFIRM_DISAGREEMENT_ATTEMPTS = 3;

  /**
   * Deliveries settled in one statement pair at most. The settlements of a round are savepoints of its one
   * transaction, so they run one after the other: while one batch is in the database, the lanes that ask meanwhile
   * gather into the next.
   */
  static final int SETTLEMENT_BATCH = 64;
  static final int SETTLEMENTS_IN_FLIGHT = 1;

  private final ServiceContext ctx;
  private final WebhookOptions options;

  /**
   * Gathers the settlements the lanes ask for into {@link io.genorch.common.persistence.GenerationStore#settleWebhooks}
   * batches, so concurrent deliveries share one transaction and one commit; never two of one generation in a batch.
   */
  private final Coalescer<Pending, WebhookSettled> settlements;

  /** A settlement and the round (transaction) it belongs to: all of one batch belong to the round under way. */
  private record Pending(WebhookSettlement settlement, TransactionScope scope) {}

  /** @param context where the settlements are gathered into batches (the verticle's) */
  DeliveryProcessor(ServiceContext ctx, WebhookOptions options, Context context) {
    this.ctx = ctx;
    this.options = options;
    // the lanes start a claimed batch in one callback: gathered, its settlements share one transaction
    this.settlements = Coalescer.gatheringEachTurn(context, settlementBatch(options.concurrency()),
        SETTLEMENTS_IN_FLIGHT, this::settleBatch, pending -> pending.settlement().delivery().generationId());
  }

  /** The deliveries of {@code concurrency} lanes in {@link #SETTLEMENTS_IN_FLIGHT} batches, at most {@link #SETTLEMENT_BATCH}. */
  static int settlementBatch(int concurrency) {
    return Math.min(SETTLEMENT_BATCH, Math.max(1, (concurrency + SETTLEMENTS_IN_FLIGHT - 1) / SETTLEMENTS_IN_FLIGHT));
  }

  private List<Future<WebhookSettled>> settleBatch(List<Pending> batch) {
    return ctx.store().settleWebhooks(batch.stream().map(Pending::settlement).toList(), batch.get(0).scope());
  }

  /**
   * Processes one claimed delivery, writing only in {@code round} (the transaction that holds its claim). The
   * future holds the outcome (or {@link #RETRY_LATER}); it fails only when the database failed (then see
   * {@link #failed}). The outcome is counted once the round commits.
   */
  Future<String> process(Delivery d, TransactionScope round) {
    return new Attempt(d, round).settle()
        .onSuccess(outcome -> round.afterCommit(() -> ctx.metrics().webhookDelivery(d.provider(), outcome)));
  }

  /**
   * A delivery whose processing failed ({@code error}, its writes undone): due again after the retry backoff, in the
   * same round, so a delivery that cannot be applied is not claimed again at once and is given up after
   * ORCH_WEBHOOK_MAX_ATTEMPTS tries.
   */
  Future<String> failed(Delivery d, TransactionScope round, Throwable error) {
    return new Attempt(d, round).retryLater(d, "processing failed: " + error);
  }

  /** One try of one delivery, its writes in {@code round}. */
  private final class Attempt {
    private final Delivery d;
    private final TransactionScope round;

    Attempt(Delivery d, TransactionScope round) {
      this.d = d;
      this.round = round;
    }

    private Future<String> settle() {
      if (d.attempts() > options.maxAttempts()) {
        LOG.error("Webhook delivery {} for {} was tried {} times without being settled; giving it up (the poller still"
            + " reconciles the generation)", d.id(), d.generationId(), d.attempts() - 1);
        return markProcessed(d, ABANDONED, "tried " + (d.attempts() - 1) + " times without being settled");
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
      if (!ctx.settings(d.provider()).confirmWebhooks()) {
        return settleWith(d, reported, reported, detail(d, reported), null);
      }
      // a redelivery, or a report about another task, is recorded without spending a status call
      // in the round: a twin settled earlier in it is seen before a status call is spent
      return round.run(conn -> conn.preparedQuery(WebhookSql.PROCESSED_TWIN)
          .execute(Tuple.of(d.generationId(), Buffer.buffer(d.bodySha256()), d.id())))
          .compose(twins -> twins.size() > 0 || aboutAnotherTask(d, reported)
              ? settleWith(d, reported, reported, detail(d, reported), null)
              : confirmThenApply(d, adapter, ctx.settings(d.provider()), reported));
    }

    /**
     * Settles the delivery in a transaction of the store (shared with the settlements of other lanes), which locks the generation first: an identical body
     * already applied makes it a redelivery, a report about another task is recorded, and anything else applies
     * {@code outcome} with {@code detail}.
     *
     * @param label the outcome to store, or null for what the state machine made of it
     */
    private Future<String> settleWith(Delivery d, ProviderOutcome reported, ProviderOutcome outcome, JsonObject detail,
        String label) {
      WebhookDelivery delivery = new WebhookDelivery(d.id(), d.generationId(), d.bodySha256());
      return settlements.submit(new Pending(new WebhookSettlement(delivery, (generation, twinId) -> {
        if (twinId != null) {
          return redelivery(d, reported, twinId);
        }
        if (aboutAnotherTask(d, reported)) {
          return otherTask(d, reported);
        }
        return new WebhookDecision.Apply(change(d, outcome, detail), verdict -> label != null ? label : word(verdict));
      }), round)).map(WebhookSettled::outcome);
    }

    private static WebhookDecision redelivery(Delivery d, ProviderOutcome reported, long twinId) {
      JsonObject detail = detail(d, reported).put("duplicateOf", twinId).put("reportedStatus", reported.status().wire());
      return new WebhookDecision.Record("webhook_duplicate", detail, DUPLICATE);
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
    private static WebhookDecision otherTask(Delivery d, ProviderOutcome reported) {
      LOG.warn("Webhook delivery {} for {} reports task {} (submit attempt {}), but the generation follows task {}:"
          + " recorded, not applied", d.id(), d.generationId(), reported.providerTaskId(), d.tokenAttempt(), d.boundTaskId());
      JsonObject detail = detail(d, reported)
          .put("reportedStatus", reported.status().wire())
          .put("providerTaskId", reported.providerTaskId())
          .put("reason", "reports task " + reported.providerTaskId() + ", created by another submit attempt; this"
              + " generation follows task " + d.boundTaskId());
      return new WebhookDecision.Record("webhook_rejected", detail, REJECTED);
    }

    private Future<String> confirmThenApply(Delivery d, ProviderAdapter adapter, ProviderSettings settings, ProviderOutcome reported) {
      if (!settings.enabled()) {
        return retryLater(d, "confirmation needs ORCH_PROVIDER_" + ProviderSettings.envId(d.provider()) + "_API_KEY");
      }
      return ctx.store().find(d.generationId()).compose(generation -> {
        if (generation.isPresent() && generation.get().status().isTerminal()) {
          // nothing can change it any more: the state machine only records the delivery, no status call is spent
          return settleWith(d, reported, reported,
              detail(d, reported).put("confirmed", false).put("generationTerminal", true), null);
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
          return settleWith(d, reported, confirmed, detail.put("confirmed", false), UNCONFIRMED);
        }
        return settleWith(d, reported, confirmed, detail.put("confirmed", true), null);
      }
      if (result instanceof StatusResult.NotFound notFound) {
        LOG.warn("Webhook delivery {} for {} names task {}, which {} does not know: recorded as rejected", d.id(),
            d.generationId(), reported.providerTaskId(), d.provider());
        JsonObject detail = detail(d, reported)
            .put("reportedStatus", reported.status().wire())
            .put("reason", "the provider does not know task " + reported.providerTaskId())
            .put("providerAnswer", notFound.detail());
        return ctx.store().recordWebhookEntry(d.id(), "webhook_rejected", detail, UNCONFIRMED,
            "provider does not know the task", round).map(UNCONFIRMED);
      }
      StatusResult.Transient transientResult = (StatusResult.Transient) result;
      return retryLater(d, "provider status unavailable: " + transientResult.reason());
    }

    private Change change(Delivery d, ProviderOutcome outcome, JsonObject detail) {
      if (outcome.unknownStatus()) {
        LOG.warn("Webhook delivery {} for {}: unknown {} status '{}', treated as still running", d.id(), d.generationId(),
            d.provider(), outcome.rawStatus());
      }
      // a running report that beats the submit answer must still leave the generation a check time and a deadline;
      // the store keeps any schedule already set and only fills in a missing one from a webhook
      ProviderSettings settings = ctx.settings(d.provider());
      Instant now = Instant.now();
      return Change.fromOutcome(Source.WEBHOOK, outcome, detail)
          .withSchedule(now.plus(settings.callbackGrace()), now.plus(settings.deadline()))
          .withAttempt(d.tokenAttempt());
    }

    private Future<String> retryLater(Delivery d, String reason) {
      Duration delay = options.retryDelay(d.attempts());
      LOG.info("Webhook delivery {} for {} waits {} ms: {}", d.id(), d.generationId(), delay.toMillis(), reason);
      return round.run(conn -> conn.preparedQuery(WebhookSql.RESCHEDULE)
          .execute(Tuple.of(d.id(), delay.toMillis() / 1000.0, reason)))
          .map(RETRY_LATER);
    }

    private Future<String> markProcessed(Delivery d, String outcome, String error) {
      return round.run(conn -> conn.preparedQuery(WebhookSql.MARK_PROCESSED).execute(Tuple.of(d.id(), outcome, error)))
          .map(outcome);
    }
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
      case RERUN -> RERUN;
      case SUPERSEDED -> SUPERSEDED;
    };
  }
}
