package io.genorch.orchestrator.submission;

import io.genorch.common.ServiceContext;
import io.genorch.common.config.ProviderSettings;
import io.genorch.common.domain.Generation;
import io.genorch.common.domain.GenerationError;
import io.genorch.common.domain.GenerationRequest;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.domain.WebhookTokens;
import io.genorch.common.provider.ProviderAdapter;
import io.genorch.common.provider.SubmitResult;
import io.genorch.common.statemachine.Change;
import io.genorch.common.statemachine.Source;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends queued generations to their providers. A generation is claimed by one conditional update, so several
 * instances never send the same one; its callback token is bound before the request leaves, so a callback that
 * races the answer still finds it. Then comes the request permit ({@link io.genorch.common.persistence.ProviderGate}),
 * and only with it is the generation marked 'sending', just before the request is written: a claim that never got
 * that far (no permit, the gate's database call failed, the instance stopped) goes back to pending and is never
 * taken for ambiguous. Outcomes of a send:
 * <ul>
 *   <li>accepted: submitted, with the poller's first check and the deadline scheduled;</li>
 *   <li>refused (4xx): failed at once with the provider's reason, {@code resolvedBy: submit};</li>
 *   <li>transient (connection refused, 5xx, 429): retried with backoff, then failed;</li>
 *   <li>ambiguous (sent, no answer; or the process stopped mid-request): never sent again, since that could pay
 *       twice. The generation is marked submitted without a task id: the bound token still maps a late callback,
 *       and the deadline times it out otherwise.</li>
 * </ul>
 */
public final class Submitter {

  private static final Logger LOG = LoggerFactory.getLogger(Submitter.class);
  /** How soon a generation that found the request budget spent is looked at again. */
  private static final Duration BUDGET_RETRY = Duration.ofSeconds(1);

  private final ServiceContext ctx;
  private final SubmitBackoff backoff;
  private final Duration sendLease;
  private final String webhookBaseUrl;

  public Submitter(ServiceContext ctx, SubmitBackoff backoff, Duration sendLease) {
    this.ctx = ctx;
    this.backoff = backoff;
    this.sendLease = sendLease;
    this.webhookBaseUrl = ctx.config().publicWebhookBaseUrl();
  }

  /**
   * One pass: returns abandoned claims, settles abandoned sends, then submits the due generations it can get a
   * permit for, {@code concurrency} at a time. A provider refused a permit once is not asked again in this pass.
   */
  public Future<Integer> sweep(int batchSize, int concurrency) {
    String[] providers = enabledProviders();
    if (providers.length == 0) {
      return Future.succeededFuture(0);
    }
    return ctx.store().returnAbandonedSubmitClaims(providers, batchSize)
        .compose(v -> settleAbandoned(providers, batchSize))
        .compose(v -> ctx.pool().preparedQuery(SubmissionSql.DUE_FOR_SUBMISSION).execute(Tuple.of(providers, batchSize)))
        .compose(rows -> {
          Iterator<Row> due = rows.iterator();
          Set<String> refused = new HashSet<>();
          AtomicInteger sent = new AtomicInteger();
          List<Future<Void>> lanes = new ArrayList<>();
          for (int i = 0; i < Math.min(concurrency, rows.size()); i++) {
            lanes.add(lane(due, refused, sent));
          }
          return Future.join(lanes).map(v -> sent.get());
        });
  }

  private Future<Void> lane(Iterator<Row> due, Set<String> refused, AtomicInteger sent) {
    if (!due.hasNext()) {
      return Future.succeededFuture();
    }
    return submit(due.next().getString("id"), refused).compose(wasSent -> {
      if (wasSent) {
        sent.incrementAndGet();
      }
      return lane(due, refused, sent);
    });
  }

  /** {@link #submit(String, Set)} on its own, as when the API wakes the submitter for a new generation. */
  public Future<Boolean> submit(String id) {
    return submit(id, new HashSet<>());
  }

  /**
   * Submits one generation if it is due and a permit is free; true when a request was sent. Never fails: problems
   * are logged and the generation stays due for the next sweep. The claim comes before the permit, so that
   * instances racing for the same row do not spend the fleet-wide request budget on rows they then lose.
   *
   * @param refused providers that were refused a permit earlier in the same pass: not asked again, and then nothing
   *     is written for the generation, which stays due
   */
  Future<Boolean> submit(String id, Set<String> refused) {
    return ctx.store().find(id).compose(found -> {
      if (found.isEmpty() || found.get().status() != GenerationStatus.QUEUED) {
        return Future.succeededFuture(false);
      }
      Generation generation = found.get();
      ProviderSettings settings = ctx.settings(generation.provider());
      if (!settings.enabled() || refused.contains(generation.provider())) {
        return Future.succeededFuture(false);
      }
      return claimAndSend(generation, settings, refused);
    }).recover(err -> {
      LOG.warn("Submitting {} failed; it stays queued for the next sweep", id, err);
      return Future.succeededFuture(false);
    });
  }

  private Future<Boolean> claimAndSend(Generation generation, ProviderSettings settings, Set<String> refused) {
    String id = generation.id();
    String token = WebhookTokens.newToken();
    return ctx.store().claimForSending(id, WebhookTokens.hash(token), sendLease).compose(claimed -> {
      if (claimed.isEmpty()) {
        return Future.succeededFuture(false); // another instance took it, or it is not due
      }
      int attempt = claimed.get();
      ProviderAdapter adapter = ctx.adapter(generation.provider());
      String callbackUrl = webhookBaseUrl + "/webhooks/" + generation.provider() + "/" + token;
      return ctx.gate().withPermit(generation.provider(),
          () -> ctx.store().markSending(id, sendLease)
              .compose(marked -> !marked
                  ? Future.succeededFuture(false) // the claim ran out meanwhile and went back to pending
                  : ctx.providerClient().submit(adapter, settings, requestOf(generation), callbackUrl)
                      .compose(result -> settle(generation, settings, attempt, result))
                      .map(true)),
          () -> {
            refused.add(generation.provider());
            return releaseClaim(id);
          })
          .recover(err -> {
            // most likely the gate's database call: then nothing was sent and the claim goes back to pending. After
            // MARK_SENDING the release is a no-op and the send's lease settles it; if the release fails, the
            // claim's lease brings it back
            LOG.warn("Submitting {} failed: {}; a claim not yet sent goes back to pending", id, err.toString());
            return releaseClaim(id);
          });
    });
  }

  private Future<Boolean> releaseClaim(String id) {
    return ctx.store().releaseSubmitClaim(id, BUDGET_RETRY).map(false);
  }

  private Future<Void> settle(Generation generation, ProviderSettings settings, int attempt, SubmitResult result) {
    String id = generation.id();
    Instant now = Instant.now();
    if (result instanceof SubmitResult.Accepted accepted) {
      Change change = Change.fromOutcome(Source.SUBMIT, accepted.outcome(), new JsonObject().put("attempt", attempt))
          .withSchedule(now.plus(settings.callbackGrace()), now.plus(settings.deadline()));
      return ctx.store().apply(id, change).mapEmpty();
    }
    if (result instanceof SubmitResult.Refused refused) {
      return ctx.store().recordEvent(id, "submit_failed", failureDetail(attempt, refused.error().code(), refused.error().message())
              .put("retryable", false))
          .compose(v -> ctx.store().apply(id, failed(refused.error())))
          .mapEmpty();
    }
    if (result instanceof SubmitResult.Transient transientFailure) {
      JsonObject detail = failureDetail(attempt, "PROVIDER_UNAVAILABLE", transientFailure.reason());
      if (!backoff.attemptsLeft(attempt)) {
        return ctx.store().recordEvent(id, "submit_failed", detail.put("retryable", false).put("attemptsExhausted", true))
            .compose(v -> ctx.store().apply(id, failed(new GenerationError("PROVIDER_UNAVAILABLE",
                "the provider did not accept the generation after " + attempt + " attempts: " + transientFailure.reason(), true))))
            .mapEmpty();
      }
      Duration wait = backoff.delayAfter(attempt, transientFailure.retryAfter());
      return ctx.store().recordEvent(id, "submit_failed", detail.put("retryable", true).put("retryInMs", wait.toMillis()))
          .compose(v -> ctx.store().retrySubmitLater(id, wait))
          .mapEmpty();
    }
    SubmitResult.Ambiguous ambiguous = (SubmitResult.Ambiguous) result;
    return markAmbiguous(id, settings, ambiguous.reason(), attempt);
  }

  /** The provider may hold the job: wait for its callback until the deadline, never send it again. */
  private Future<Void> markAmbiguous(String id, ProviderSettings settings, String reason, int attempt) {
    Instant now = Instant.now();
    Instant deadline = now.plus(settings.deadline());
    JsonObject detail = failureDetail(attempt, "SUBMIT_OUTCOME_UNKNOWN", reason)
        .put("ambiguous", true)
        .put("note", "the request may have reached the provider; it is not sent again. A callback still completes it;"
            + " otherwise it times out at its deadline");
    return ctx.store().recordEvent(id, "submit_failed", detail)
        .compose(v -> ctx.store().apply(id, new Change(Source.SUBMIT, GenerationStatus.SUBMITTED, null, null, null, null,
            new JsonObject().put("ambiguous", true), deadline, deadline)))
        .mapEmpty();
  }

  private Future<Void> settleAbandoned(String[] providers, int batchSize) {
    return ctx.pool().preparedQuery(SubmissionSql.ABANDONED_SENDS).execute(Tuple.of(providers, batchSize))
        .compose(rows -> {
          List<Future<Void>> settled = new ArrayList<>();
          for (Row row : rows) {
            String id = row.getString("id");
            settled.add(ctx.store().takeAbandonedSend(id, sendLease)
                .compose(taken -> !taken
                    ? Future.<Void>succeededFuture()
                    : ctx.store().find(id).compose(g -> markAmbiguous(id, ctx.settings(g.orElseThrow().provider()),
                        "the instance sending it stopped before the provider answered", 0))));
          }
          return Future.join(settled).mapEmpty();
        });
  }

  private static Change failed(GenerationError error) {
    return new Change(Source.SUBMIT, GenerationStatus.FAILED, null, null, null, error, null, null, null);
  }

  private static JsonObject failureDetail(int attempt, String code, String message) {
    return new JsonObject().put("attempt", attempt).put("code", code).put("message", message);
  }

  private String[] enabledProviders() {
    return ctx.providerSettings().values().stream().filter(ProviderSettings::enabled).map(ProviderSettings::id).toArray(String[]::new);
  }

  static GenerationRequest requestOf(Generation g) {
    return new GenerationRequest(g.provider(), g.model(), g.prompt(), g.imageUrl(), g.aspectRatio(), g.durationSeconds(),
        g.options(), g.callbackUrl(), g.metadata());
  }

}
