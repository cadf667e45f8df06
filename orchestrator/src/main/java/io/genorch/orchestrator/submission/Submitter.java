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
import io.genorch.common.persistence.GenerationStore.AbandonedSubmission;
import io.genorch.common.persistence.GenerationStore.SubmitClaim;
import io.genorch.common.work.LeasedWorkLoop;
import io.genorch.common.work.LeasedWorkLoop.Round;
import io.genorch.common.work.LeasedWorkLoop.Work;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sends queued generations to their providers: the submission loop's {@link Work} on a {@link LeasedWorkLoop}, which
 * owns when to claim (woken after each accept, coalesced, plus a periodic sweep), how many sends run at once, the
 * lease, and stop. One statement claims a batch of due generations for this instance (several instances never send
 * the same one) and binds each one's fresh callback token, so a callback that races the answer still finds it. Then
 * comes the request permit ({@link io.genorch.common.persistence.ProviderGate}), and only with it is the generation
 * marked 'sending', just before the request is written: a claim that never got that far (no permit, the gate's
 * database call failed, the instance stopped) goes back to pending and is never taken for ambiguous. A provider
 * refused a permit is not asked again for the rest of the round ({@link Round}) nor claimed for in the next second.
 * Outcomes of a send:
 * <ul>
 *   <li>accepted: submitted, with the poller's first check and the deadline scheduled;</li>
 *   <li>refused (4xx): failed at once with the provider's reason, {@code resolvedBy: submit};</li>
 *   <li>transient (connection refused, 5xx, 429): retried with backoff, then failed;</li>
 *   <li>ambiguous (sent, no answer; or the process stopped mid-request): never sent again, since that could pay
 *       twice. The generation is marked submitted without a task id: the bound token still maps a late callback,
 *       and the deadline times it out otherwise.</li>
 * </ul>
 * What a stopped instance left (claims never sent, sends never answered) is the work of a second loop,
 * {@link #abandoned}.
 */
public final class Submitter implements Work<Submitter.Claim> {

  /** How soon a generation that found the request budget spent is looked at again. */
  private static final Duration BUDGET_RETRY = Duration.ofSeconds(1);

  private final ServiceContext ctx;
  private final SubmitBackoff backoff;
  private final Duration sendLease;
  private final String webhookBaseUrl;
  /**
   * Providers refused a permit lately, until when (System.nanoTime): not claimed for meanwhile, so that a spent
   * budget is asked about once a {@link #BUDGET_RETRY}, not once per claimed row. Only this instance's.
   */
  private final Map<String, Long> refusedUntil = new ConcurrentHashMap<>();

  /**
   * A generation this instance claimed for sending.
   *
   * @param token the plain callback token whose hash the claim bound to this attempt
   * @param lane  sends of one provider run in at most its ORCH_PROVIDER_&lt;ID&gt;_MAX_IN_FLIGHT lanes, so that the
   *     batch does not run into this instance's own in-flight bound and read that as a refusal
   */
  public record Claim(Generation generation, int attempt, String token, String lane) {
    @Override
    public String toString() {
      return generation.id() + " (attempt " + attempt + ")";
    }
  }

  public Submitter(ServiceContext ctx, SubmitBackoff backoff, Duration sendLease) {
    this.ctx = ctx;
    this.backoff = backoff;
    this.sendLease = sendLease;
    this.webhookBaseUrl = ctx.config().publicWebhookBaseUrl();
  }

  /** Claims up to {@code batchSize} due generations of the enabled providers not refused lately. */
  @Override
  public Future<List<Claim>> claim(int batchSize, Duration lease) {
    String[] providers = claimableProviders();
    if (providers.length == 0) {
      return Future.succeededFuture(List.of());
    }
    String[] tokens = new String[batchSize];
    List<byte[]> hashes = new ArrayList<>(batchSize);
    for (int i = 0; i < batchSize; i++) {
      tokens[i] = WebhookTokens.newToken();
      hashes.add(WebhookTokens.hash(tokens[i]));
    }
    return ctx.store().claimForSending(providers, hashes, lease).map(claimed -> {
      Map<String, Integer> perProvider = new HashMap<>();
      List<Claim> claims = new ArrayList<>(claimed.size());
      for (SubmitClaim c : claimed) {
        String provider = c.generation().provider();
        int n = perProvider.merge(provider, 1, Integer::sum);
        int lanes = Math.max(1, ctx.settings(provider).maxInFlight());
        claims.add(new Claim(c.generation(), c.attempt(), tokens[c.token()], provider + "#" + (n % lanes)));
      }
      return claims;
    });
  }

  @Override
  public Object laneKey(Claim claim) {
    return claim.lane();
  }

  /** Due generations of the enabled providers, for the backlog metric. */
  @Override
  public Future<Long> countDue() {
    return ctx.pool().preparedQuery(SubmissionSql.COUNT_DUE).execute(Tuple.of((Object) enabledProviders()))
        .map(rows -> rows.iterator().next().getLong(0));
  }

  /**
   * Sends one claimed generation if a permit is free. A failure (most likely the gate's database call) gives a claim
   * not yet sent back to pending; the loop counts and logs it.
   */
  @Override
  public Future<?> process(Claim claim, Round round) {
    Generation generation = claim.generation();
    String id = generation.id();
    ProviderSettings settings = ctx.settings(generation.provider());
    if (!settings.enabled() || round.wasRefused(generation.provider())) {
      return releaseClaim(id); // refused a moment ago in this round: not asked again
    }
    ProviderAdapter adapter = ctx.adapter(generation.provider());
    String callbackUrl = webhookBaseUrl + "/webhooks/" + generation.provider() + "/" + claim.token();
    return ctx.gate().withPermit(generation.provider(),
        () -> ctx.store().markSending(id, sendLease)
            .compose(marked -> !marked
                ? Future.succeededFuture(false) // the claim ran out meanwhile and went back to pending
                : ctx.providerClient().submit(adapter, settings, requestOf(generation), callbackUrl)
                    .compose(result -> settle(generation, settings, claim.attempt(), result))
                    .map(true)),
        () -> {
          round.refused(generation.provider());
          refusedUntil.put(generation.provider(), System.nanoTime() + BUDGET_RETRY.toNanos());
          return releaseClaim(id);
        })
        .recover(err -> {
          // most likely the gate's database call: then nothing was sent and the claim goes back to pending. After
          // MARK_SENDING the release is a no-op and the send's lease settles it; if the release fails, the
          // claim's lease brings it back
          return releaseClaim(id).transform(released -> Future.failedFuture(err));
        });
  }

  private Future<Boolean> releaseClaim(String id) {
    return ctx.store().releaseSubmitClaim(id, BUDGET_RETRY).map(false);
  }

  /**
   * The second loop's work: claims whose holder stopped before sending go back to pending (then {@code onReturned}
   * runs, to wake the sending loop), and sends whose holder stopped before the answer are settled as ambiguous.
   * Claimed in one statement per round, for the enabled providers.
   */
  public Work<AbandonedSubmission> abandoned(Runnable onReturned) {
    return new Work<>() {
      @Override
      public Future<List<AbandonedSubmission>> claim(int batchSize, Duration lease) {
        String[] providers = enabledProviders();
        return providers.length == 0
            ? Future.succeededFuture(List.of())
            : ctx.store().claimAbandonedSubmissions(providers, batchSize, lease);
      }

      @Override
      public Future<?> process(AbandonedSubmission abandoned, Round round) {
        if (!abandoned.sent()) {
          onReturned.run(); // pending again: the claim statement did the work
          return Future.succeededFuture();
        }
        return markAmbiguous(abandoned.id(), ctx.settings(abandoned.provider()),
            "the instance sending it stopped before the provider answered", 0);
      }
    };
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

  private static Change failed(GenerationError error) {
    return new Change(Source.SUBMIT, GenerationStatus.FAILED, null, null, null, error, null, null, null);
  }

  private static JsonObject failureDetail(int attempt, String code, String message) {
    return new JsonObject().put("attempt", attempt).put("code", code).put("message", message);
  }

  private String[] enabledProviders() {
    return ctx.providerSettings().values().stream().filter(ProviderSettings::enabled).map(ProviderSettings::id).toArray(String[]::new);
  }

  private String[] claimableProviders() {
    long now = System.nanoTime();
    refusedUntil.values().removeIf(until -> now - until >= 0);
    return Arrays.stream(enabledProviders()).filter(p -> !refusedUntil.containsKey(p)).toArray(String[]::new);
  }

  static GenerationRequest requestOf(Generation g) {
    return new GenerationRequest(g.provider(), g.model(), g.prompt(), g.imageUrl(), g.aspectRatio(), g.durationSeconds(),
        g.options(), g.callbackUrl(), g.metadata());
  }

}
