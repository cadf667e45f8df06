package io.genorch.orchestrator.submission;

import io.genorch.common.ServiceContext;
import io.genorch.common.config.ProviderSettings;
import io.genorch.common.domain.Attempt;
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
import io.genorch.common.persistence.GenerationStore.Applied;
import io.genorch.common.persistence.GenerationStore.ChangeOf;
import io.genorch.common.persistence.ProviderGate;
import io.genorch.common.persistence.ProviderGate.Admission;
import io.genorch.common.persistence.ProviderHealth;
import io.genorch.common.persistence.GenerationStore.SubmitClaim;
import io.genorch.common.work.Coalescer;
import io.genorch.common.work.LeasedWorkLoop;
import io.genorch.common.work.LeasedWorkLoop.Round;
import io.genorch.common.work.LeasedWorkLoop.Work;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends queued generations to their providers: the submission loop's {@link Work} on a {@link LeasedWorkLoop}, which
 * owns when to claim (woken after each accept, coalesced, plus a periodic sweep), how many sends run at once, the
 * lease, and stop. One statement claims a batch of due generations for this instance (several instances never send
 * the same one) and binds each one's fresh callback token, so a callback that races the answer still finds it. Then
 * comes the request permit ({@link io.genorch.common.persistence.ProviderGate}), and the generation is marked
 * 'sending' in the same statement (one commit, just before the request is written): a claim that never got that far
 * (no permit, the statement failed, the instance stopped) is still 'claimed', goes back to pending and is never taken
 * for ambiguous. A provider refused a permit is not asked again for the rest of the round ({@link Round}) nor claimed
 * for in the next second. Every send is recorded as an attempt of the generation (docs/API.md section 8). What lanes
 * ask for at the same moment shares one statement or transaction ({@link Coalescer}): the permits and marks of one
 * provider ({@link ProviderGate#tryAcquireFor}), and the outcomes' state changes
 * ({@link io.genorch.common.persistence.GenerationStore#applyAll}); what is refused or fails is still decided per
 * generation. Outcomes of a send:
 * <ul>
 *   <li>accepted: submitted, with the poller's first check and the deadline scheduled;</li>
 *   <li>refused (4xx) because of the request (its input, content policy): failed at once with the provider's reason,
 *       {@code resolvedBy: submit};</li>
 *   <li>refused for the provider's own reasons (insufficient balance, model unavailable, our key refused,
 *       maintenance): a routed generation fails over to its next route; otherwise failed as above;</li>
 *   <li>transient (connection refused, 5xx, 429): retried with backoff at the same route, then a routed generation
 *       fails over and any other fails; a provider in maintenance is failed over from at once;</li>
 *   <li>ambiguous (sent, no answer; or the process stopped mid-request): never sent again, since that could pay
 *       twice. The generation is marked submitted without a task id: the bound token still maps a late callback,
 *       and the deadline times it out otherwise.</li>
 * </ul>
 * What a stopped instance left (claims never sent, sends never answered) is the work of a second loop,
 * {@link #abandoned}.
 */
public final class Submitter implements Work<Submitter.Claim> {

  private static final Logger LOG = LoggerFactory.getLogger(Submitter.class);

  /** How soon a generation that found the request budget spent is looked at again. */
  private static final Duration BUDGET_RETRY = Duration.ofSeconds(1);

  private final ServiceContext ctx;
  private final SubmitBackoff backoff;
  private final Duration sendLease;
  private final String webhookBaseUrl;
  private final ProviderHealth health;
  /**
   * Providers refused a permit lately, until when (System.nanoTime): not claimed for meanwhile, so that a spent
   * budget is asked about once a {@link #BUDGET_RETRY}, not once per claimed row. Only this instance's.
   */
  private final Map<String, Long> refusedUntil = new ConcurrentHashMap<>();

  /**
   * Admissions (permit and 'sending' mark) and state changes gathered into batches: requests made while this many
   * (admissions: one) are under way wait for the next, which takes up to {@link #BATCH} of them in one statement or
   * transaction.
   */
  static final int BATCH = 128;
  static final int IN_FLIGHT = 2;

  /**
   * Made on the loop's context at the first claim (null until then, or off a Vert.x context: no batching). One
   * admission statement at a time per instance: concurrent ones of a provider would race to add the same new permit
   * slots (on a fresh table every permit adds one) and lose and ask again; the batch grows instead.
   */
  private Coalescer<Claim, Admission> admissions;
  private Coalescer<ChangeOf, Applied> changes;
  /** Acceptances told to the circuit: one statement per provider in a batch (the write is the same for each). */
  private Coalescer<String, Void> successes;

  /**
   * A generation this instance claimed for sending.
   *
   * @param token the plain callback token whose hash the claim bound to this attempt
   * @param lane  sends of one provider run in at most its ORCH_PROVIDER_&lt;ID&gt;_MAX_IN_FLIGHT lanes, so that the
   *     batch does not run into this instance's own in-flight bound and read that as a refusal
   */
  public record Claim(Generation generation, int attempt, String token, String lane, JsonArray routes) {
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
    this.health = new ProviderHealth(ctx.pool(), ctx.config().circuitFailures(), ctx.config().circuitOpenFor());
  }

  /** Claims up to {@code batchSize} due generations of the enabled providers not refused lately. */
  @Override
  public Future<List<Claim>> claim(int batchSize, Duration lease) {
    batchOn(Vertx.currentContext());
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
        claims.add(new Claim(c.generation(), c.attempt(), tokens[c.token()], provider + "#" + (n % lanes), c.routes()));
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
    return routeChoice(generation, claim.routes()).compose(routes -> routes == ROUTE_MOVED
        ? Future.succeededFuture(false)
        : send(claim, settings, round, routes));
  }

  private Future<Boolean> send(Claim claim, ProviderSettings settings, Round round, JsonArray routes) {
    Generation generation = claim.generation();
    String id = generation.id();
    ProviderAdapter adapter = ctx.adapter(generation.provider());
    String callbackUrl = webhookBaseUrl + "/webhooks/" + generation.provider() + "/" + claim.token();
    return admit(claim)
        .compose(admission -> {
          if (admission.refused()) {
            round.refused(generation.provider());
            refusedUntil.put(generation.provider(), System.nanoTime() + BUDGET_RETRY.toNanos());
            return releaseClaim(id);
          }
          if (!admission.admitted()) {
            return Future.succeededFuture(false); // the claim ran out meanwhile and went back to pending
          }
          Instant sentAt = Instant.now();
          Future<Boolean> sent;
          try {
            sent = ctx.providerClient().submit(adapter, settings, requestOf(generation), callbackUrl)
                .compose(result -> {
                  // the provider answered: the request is no longer in flight, and recording the outcome needs
                  // neither the permit nor the lane, so the lane's next send starts while this one is recorded
                  admission.permit().release();
                  round.yieldLane(claim);
                  return settle(generation, settings, claim.attempt(), sentAt, result, routes);
                })
                .map(true);
          } catch (RuntimeException e) {
            sent = Future.failedFuture(e);
          }
          return sent.eventually(() -> {
            admission.permit().release();
            return Future.succeededFuture();
          });
        })
        .recover(err -> {
          // most likely the admission statement failed: then it did nothing (no slot, no mark) and the claim goes
          // back to pending. Once marked 'sending' the release is a no-op and the send's lease settles it; if the
          // release fails, the claim's lease brings it back
          return releaseClaim(id).transform(released -> Future.failedFuture(err));
        });
  }

  private synchronized void batchOn(Context context) {
    if (admissions == null && context != null) {
      // gathered per event-loop run: the lanes a claim starts at once ask together, not the first alone
      admissions = Coalescer.gatheringEachTurn(context, BATCH, 1, this::admitAll, null);
      changes = new Coalescer<>(context, BATCH, IN_FLIGHT, ctx.store()::applyAll, ChangeOf::id);
      successes = new Coalescer<>(context, BATCH, IN_FLIGHT, batch -> {
        Map<String, Future<Void>> once = new HashMap<>();
        return batch.stream().map(p -> once.computeIfAbsent(p, health::recordSuccess)).toList();
      }, null);
    }
  }

  /**
   * Permits and 'sending' marks of claims, one statement per provider in the batch
   * ({@link ProviderGate#tryAcquireFor} with {@link io.genorch.common.persistence.GenerationStore#takePermitsAndMarkSending}):
   * a claim is marked only together with its permit, in one commit. One answer per claim, in the order given.
   */
  private List<Future<Admission>> admitAll(List<Claim> claims) {
    Map<String, List<Integer>> byProvider = new LinkedHashMap<>();
    for (int i = 0; i < claims.size(); i++) {
      byProvider.computeIfAbsent(claims.get(i).generation().provider(), p -> new ArrayList<>()).add(i);
    }
    List<Promise<Admission>> answers = new ArrayList<>(claims.size());
    for (int i = 0; i < claims.size(); i++) {
      answers.add(Promise.promise());
    }
    byProvider.forEach((provider, asking) -> {
      List<String> ids = asking.stream().map(i -> claims.get(i).generation().id()).toList();
      ctx.gate().tryAcquireFor(provider, ids,
              (budget, some) -> ctx.store().takePermitsAndMarkSending(provider, budget, some, sendLease))
          .onComplete(ar -> {
            for (int k = 0; k < asking.size(); k++) {
              Promise<Admission> answer = answers.get(asking.get(k));
              if (ar.failed()) {
                answer.fail(ar.cause());
              } else {
                answer.complete(ar.result().get(k));
              }
            }
          });
    });
    return answers.stream().map(Promise::future).toList();
  }

  private Future<Admission> admit(Claim claim) {
    Coalescer<Claim, Admission> batched = admissions;
    return batched == null ? admitAll(List.of(claim)).get(0) : batched.submit(claim);
  }

  private Future<Void> recordSuccess(String provider) {
    Coalescer<String, Void> batched = successes;
    return batched == null ? health.recordSuccess(provider) : batched.submit(provider);
  }

  private Future<Applied> apply(String id, Change change) {
    Coalescer<ChangeOf, Applied> batched = changes;
    return batched == null ? ctx.store().apply(id, change) : batched.submit(new ChangeOf(id, change));
  }

  /** Marker of {@link #routeChoice}: the generation was moved to another route (or left waiting), nothing is sent. */
  private static final JsonArray ROUTE_MOVED = new JsonArray();

  /**
   * Before a claimed generation is sent: a routed one (docs/API.md section 8) asks its provider's circuit. Closed, or
   * this caller gets the one probe of an open circuit whose wait is over: it is sent (answers its candidate routes,
   * for a failover after the answer). Otherwise the claim is given back unsent and the generation moves to its next
   * route ({@code failover}, reason circuit_open), or waits if it has none. A generation whose client named the
   * provider is always sent, as before routing (answers null).
   */
  private Future<JsonArray> routeChoice(Generation generation, JsonArray routes) {
    if (routes == null) {
      return Future.succeededFuture(null);
    }
    return health.allowRequest(generation.provider()).compose(allowed -> allowed
        ? Future.succeededFuture(routes)
        : releaseClaim(generation.id())
            .compose(v -> nextRoute(generation, routes))
            .compose(next -> next == null
                ? Future.succeededFuture(ROUTE_MOVED)
                : failover(generation, null, next, "circuit_open", new JsonObject()
                    .put("message", generation.provider() + "'s circuit is open after provider-side failures in a row"))
                    .map(ROUTE_MOVED)))
        .recover(err -> {
          LOG.warn("Choosing the route of {} failed: {}; its claim goes back to pending", generation.id(), err.toString());
          return releaseClaim(generation.id()).map(ROUTE_MOVED);
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
        return ctx.store().find(abandoned.id()).compose(g -> g.isEmpty()
            ? Future.succeededFuture()
            : markAmbiguous(g.get(), ctx.settings(abandoned.provider()),
                "the instance sending it stopped before the provider answered", abandoned.attempt(), null));
      }
    };
  }

  /**
   * What a provider's answer does. Every send becomes an attempt of the generation. The circuit of the provider
   * learns from it: an acceptance is a success, a provider-side refusal or a transient failure a failure; a refusal
   * about the request and an ambiguous send tell nothing about the provider. A routed generation ({@code routes} not
   * null) that a provider refuses for reasons of its own moves to its next route; see the class comment for the rest.
   */
  private Future<Void> settle(Generation generation, ProviderSettings settings, int attempt, Instant sentAt,
      SubmitResult result, JsonArray routes) {
    String id = generation.id();
    String provider = generation.provider();
    Instant now = Instant.now();
    if (result instanceof SubmitResult.Accepted accepted) {
      ctx.metrics().submit(provider, "accepted");
      Attempt sent = new Attempt(attempt, provider, generation.model(), accepted.outcome().providerTaskId(),
          GenerationStatus.SUBMITTED.wire(), null, sentAt, null);
      Change change = Change.fromOutcome(Source.SUBMIT, accepted.outcome(), new JsonObject().put("attempt", attempt))
          .withSchedule(now.plus(settings.callbackGrace()), now.plus(settings.deadline()))
          .withSent(sent);
      return circuit(recordSuccess(provider), provider).compose(v -> apply(id, change)).mapEmpty();
    }
    if (result instanceof SubmitResult.Ambiguous ambiguous) {
      ctx.metrics().submit(provider, "ambiguous");
      return markAmbiguous(generation, settings, ambiguous.reason(), attempt, sentAt);
    }
    if (result instanceof SubmitResult.Refused refused) {
      GenerationError error = refused.error();
      ctx.metrics().submit(provider, refused.providerSide() ? "refused_provider" : "refused");
      Attempt sent = refusedAttempt(generation, attempt, sentAt, error);
      JsonObject detail = failureDetail(attempt, error.code(), error.message()).put("retryable", false);
      if (!refused.providerSide()) {
        return ctx.store().recordEvent(id, "submit_failed", detail)
            .compose(v -> apply(id, failed(error).withSent(sent)))
            .mapEmpty();
      }
      return circuit(health.recordFailure(provider).mapEmpty(), provider)
          .compose(v -> ctx.store().recordEvent(id, "submit_failed", detail.put("providerSide", true)))
          .compose(v -> failoverOr(generation, routes, sent, saysMaintenance(error) ? "maintenance" : "refused",
              error, () -> apply(id, failed(error).withSent(sent)).mapEmpty()));
    }
    SubmitResult.Transient transientFailure = (SubmitResult.Transient) result;
    ctx.metrics().submit(provider, "transient");
    JsonObject detail = failureDetail(attempt, "PROVIDER_UNAVAILABLE", transientFailure.reason());
    GenerationError unavailable = new GenerationError("PROVIDER_UNAVAILABLE", transientFailure.reason(), true);
    Attempt sent = refusedAttempt(generation, attempt, sentAt, unavailable);
    int tries = triesOnRoute(generation);
    Future<Void> counted = circuit(health.recordFailure(provider).mapEmpty(), provider);
    if (transientFailure.maintenance()) {
      // retrying a provider in maintenance soon is pointless: another route, at once, if there is one
      return counted.compose(v -> failoverOr(generation, routes, sent, "maintenance", unavailable,
          () -> retryOrFail(generation, attempt, tries, transientFailure, detail, sent)));
    }
    if (backoff.attemptsLeft(tries)) {
      return counted.compose(v -> retryOrFail(generation, attempt, tries, transientFailure, detail, sent));
    }
    return counted.compose(v -> failoverOr(generation, routes, sent, "unavailable",
        new GenerationError("PROVIDER_UNAVAILABLE", "the provider did not accept the generation after " + tries
            + " attempts: " + transientFailure.reason(), true),
        () -> retryOrFail(generation, attempt, tries, transientFailure, detail, sent)));
  }

  /** The same route again after the backoff, or, with no tries left there, failed PROVIDER_UNAVAILABLE as before routing. */
  private Future<Void> retryOrFail(Generation generation, int attempt, int tries, SubmitResult.Transient transientFailure,
      JsonObject detail, Attempt sent) {
    String id = generation.id();
    if (!backoff.attemptsLeft(tries)) {
      return ctx.store().recordEvent(id, "submit_failed", detail.copy().put("retryable", false).put("attemptsExhausted", true))
          .compose(v -> apply(id, failed(new GenerationError("PROVIDER_UNAVAILABLE",
              "the provider did not accept the generation after " + tries + " attempts: " + transientFailure.reason(), true))
              .withSent(sent)))
          .mapEmpty();
    }
    Duration wait = backoff.delayAfter(tries, transientFailure.retryAfter());
    return ctx.store().recordEvent(id, "submit_failed", detail.copy().put("retryable", true).put("retryInMs", wait.toMillis()))
        .compose(v -> apply(id, Change.requeued(sent,
            new Change.Requeue(generation.provider(), generation.model(), Instant.now().plus(wait), null), null)))
        .mapEmpty();
  }

  /**
   * A provider-side refusal of a routed generation: the next route takes it ({@code failover} entry, still queued,
   * due at once). Without one (the client named the provider, or every other route is disabled, open or already
   * refused it), {@code otherwise}.
   */
  private Future<Void> failoverOr(Generation generation, JsonArray routes, Attempt sent, String reason,
      GenerationError error, java.util.function.Supplier<Future<Void>> otherwise) {
    if (routes == null) {
      return otherwise.get();
    }
    return nextRoute(generation, routes).compose(next -> next == null
        ? otherwise.get()
        : failover(generation, sent, next, reason, new JsonObject().put("code", error.code()).put("message", error.message())));
  }

  private Future<Void> failover(Generation generation, Attempt sent, JsonObject next, String reason, JsonObject why) {
    JsonObject detail = why.copy()
        .put("reason", reason)
        .put("from", new JsonObject().put("provider", generation.provider()).put("model", generation.model()))
        .put("to", next.copy());
    if (sent != null) {
      detail.put("attempt", sent.attempt());
    }
    ctx.metrics().failover(generation.provider(), reason);
    return apply(generation.id(), Change.requeued(sent,
            new Change.Requeue(next.getString("provider"), next.getString("model"), Instant.now(), detail), null))
        .mapEmpty(); // due at once: the next sweep sends it to its new route
  }

  /**
   * The route after the generation's current one in routing order (wrapping around), skipping its own provider,
   * providers not enabled here, open circuits still waiting, and providers that refused this generation for reasons
   * of their own since its last job ran. Null when none is left. Answers {@code {provider, model}}.
   */
  private Future<JsonObject> nextRoute(Generation generation, JsonArray routes) {
    Set<String> refusedBy = new HashSet<>();
    refusedBy.add(generation.provider());
    List<Attempt> attempts = generation.attempts();
    for (int i = attempts.size() - 1; i >= 0 && attempts.get(i).refused(); i--) {
      refusedBy.add(attempts.get(i).provider());
    }
    int current = -1;
    for (int i = 0; i < routes.size(); i++) {
      JsonObject r = routes.getJsonObject(i);
      if (r.getString("provider").equals(generation.provider()) && r.getString("providerModel").equals(generation.model())) {
        current = i;
      }
    }
    int from = current;
    return health.circuits().map(circuits -> {
      for (int step = 1; step <= routes.size(); step++) {
        JsonObject r = routes.getJsonObject(Math.floorMod(from + step, routes.size()));
        String provider = r.getString("provider");
        ProviderSettings settings = ctx.providerSettings().get(provider);
        ProviderHealth.Circuit circuit = circuits.get(provider);
        if (refusedBy.contains(provider) || settings == null || !settings.enabled()
            || (circuit != null && circuit.skipped())) {
          continue;
        }
        return new JsonObject().put("provider", provider).put("model", r.getString("providerModel"));
      }
      return null;
    });
  }

  /** Sends in a row to the generation's current route that it refused, this one included (the backoff's count). */
  private static int triesOnRoute(Generation generation) {
    int tries = 1;
    List<Attempt> attempts = generation.attempts();
    for (int i = attempts.size() - 1; i >= 0; i--) {
      Attempt a = attempts.get(i);
      if (!a.refused() || !a.provider().equals(generation.provider()) || !a.model().equals(generation.model())) {
        break;
      }
      tries++;
    }
    return tries;
  }

  private static boolean saysMaintenance(GenerationError error) {
    return error.message() != null && error.message().toLowerCase(java.util.Locale.ROOT).contains("maintenance");
  }

  private static Attempt refusedAttempt(Generation generation, int attempt, Instant sentAt, GenerationError error) {
    return new Attempt(attempt, generation.provider(), generation.model(), null, Attempt.REFUSED, error, sentAt,
        Instant.now());
  }

  /** A circuit write that fails is logged, never the submission's failure: the answer must still be settled. */
  private static Future<Void> circuit(Future<Void> write, String provider) {
    return write.recover(err -> {
      LOG.warn("Recording the submit outcome in {}'s circuit failed: {}", provider, err.toString());
      return Future.succeededFuture();
    });
  }

  /** The provider may hold the job: wait for its callback until the deadline, never send it again. */
  private Future<Void> markAmbiguous(Generation generation, ProviderSettings settings, String reason, int attempt,
      Instant sentAt) {
    String id = generation.id();
    Instant now = Instant.now();
    Instant deadline = now.plus(settings.deadline());
    JsonObject detail = failureDetail(attempt, "SUBMIT_OUTCOME_UNKNOWN", reason)
        .put("ambiguous", true)
        .put("note", "the request may have reached the provider; it is not sent again. A callback still completes it;"
            + " otherwise it times out at its deadline");
    Attempt sent = new Attempt(attempt, generation.provider(), generation.model(), null,
        GenerationStatus.SUBMITTED.wire(), null, sentAt, null);
    return ctx.store().recordEvent(id, "submit_failed", detail)
        .compose(v -> apply(id, new Change(Source.SUBMIT, GenerationStatus.SUBMITTED, null, null, null, null,
            new JsonObject().put("ambiguous", true), deadline, deadline).withSent(sent)))
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
