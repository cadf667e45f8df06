package io.genorch.poller;

import io.genorch.common.ServiceContext;
import io.genorch.common.config.ProviderSettings;
import io.genorch.common.domain.GenerationError;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.persistence.GenerationStore.Applied;
import io.genorch.common.persistence.GenerationStore.ChangeOf;
import io.genorch.common.persistence.GenerationStore.ClaimedCheck;
import io.genorch.common.persistence.ProviderGate;
import io.genorch.common.persistence.ProviderGate.Permit;
import io.genorch.common.provider.ProviderAdapter;
import io.genorch.common.provider.ProviderOutcome;
import io.genorch.common.provider.StatusResult;
import io.genorch.common.statemachine.Change;
import io.genorch.common.statemachine.Source;
import io.genorch.common.work.Coalescer;
import io.genorch.common.work.LeasedWorkLoop;
import io.genorch.common.work.LeasedWorkLoop.Round;
import io.genorch.common.work.LeasedWorkLoop.Work;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One round of reconciliation: claims the generations whose check is due and settles each one.
 * <ul>
 *   <li>past its deadline: {@code timed_out} (DEADLINE_EXCEEDED, {@code resolvedBy: timeout});</li>
 *   <li>no provider task id (the submit answer never came): nothing to ask the provider about, so it waits for a
 *       late callback until the deadline;</li>
 *   <li>otherwise the provider's status, within its request budget ({@link io.genorch.common.persistence.ProviderGate},
 *       shared with submission across the fleet): a known status goes through the state machine
 *       ({@code resolvedBy: poll} when terminal); a task the provider does not know fails the generation
 *       (PROVIDER_TASK_NOT_FOUND); an answer that did not come is recorded and asked again later. Only the deadline
 *       ends a generation whose provider keeps failing to answer.</li>
 * </ul>
 * It is the poller's {@link Work} on a {@link LeasedWorkLoop}, which owns claiming again, lanes, the lease and stop;
 * a provider refused a permit is remembered for the rest of the round ({@link Round}). A status call is started only
 * while the claim holds for longer than the provider timeout (otherwise the generation is handed back to be claimed
 * afresh), so an answer never arrives after another instance may have claimed the generation. Permits and state
 * changes that lanes ask for at the same moment share one statement or transaction ({@link Coalescer}).
 */
final class Reconciler implements Work<ClaimedCheck> {

  private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

  /**
   * Permit requests and state changes gathered into batches ({@link Coalescer}): requests made while this many
   * are under way wait for the next, which takes up to {@link #BATCH} of them in one statement or transaction.
   */
  static final int BATCH = 64;
  static final int IN_FLIGHT = 2;

  private final ServiceContext ctx;
  private final PollerOptions options;
  private final Duration callTimeout;
  private final Coalescer<String, Optional<Permit>> permits;
  private final Coalescer<ChangeOf, Applied> changes;
  /**
   * ORCH_POLL_CONCURRENCY call slots per provider, made on first use: a provider that answers slowly (or not at all,
   * until the provider timeout) holds only its own slots, never the checks of the others, and a provider's calls stay
   * within its MAX_IN_FLIGHT when the setting does.
   */
  private final Map<String, CallSlots> calls = new ConcurrentHashMap<>();
  private final AtomicLong statusChecks = new AtomicLong();
  /** Answers still awaited from providers: given up on stop, so that stopping waits for writes, not for providers. */
  private final Set<Promise<StatusResult>> awaited = ConcurrentHashMap.newKeySet();
  private volatile boolean stopped;

  /** @param context where permit requests and changes are gathered into batches (the verticle's) */
  Reconciler(ServiceContext ctx, PollerOptions options, Context context) {
    this.ctx = ctx;
    this.options = options;
    this.callTimeout = ctx.config().providerTimeout();
    this.permits = new Coalescer<>(context, BATCH, IN_FLIGHT, ctx.gate()::tryAcquireEach, null);
    this.changes = new Coalescer<>(context, BATCH, IN_FLIGHT, ctx.store()::applyAll, ChangeOf::id);
  }

  /**
   * From now on nothing more is written for an answer still to come: what this instance claimed and did not settle
   * is due again when its lease runs out, for whichever instance claims it then.
   */
  void stop() {
    stopped = true;
    awaited.forEach(answer -> answer.tryComplete(GIVEN_UP));
  }

  /** What an answer given up on stop is taken for: nothing is written for it (every caller checks stopped first). */
  private static final StatusResult GIVEN_UP = new StatusResult.Transient("the poller stopped", null);

  /** Status calls made to providers by this instance. */
  long statusChecks() {
    return statusChecks.get();
  }

  @Override
  public Future<List<ClaimedCheck>> claim(int batchSize, Duration lease) {
    return ctx.store().claimDueChecks(batchSize, lease);
  }

  @Override
  public Future<?> process(ClaimedCheck claimed, Round round) {
    return settle(claimed, round);
  }

  private Future<Void> settle(ClaimedCheck c, Round round) {
    Instant now = Instant.now();
    ProviderSettings settings = ctx.providerSettings().get(c.provider());
    Instant deadline = deadlineOf(c, settings);
    ProviderAdapter adapter = ctx.providers().find(c.provider()).orElse(null);
    boolean askable = c.providerTaskId() != null && adapter != null && settings != null && settings.enabled();
    if (askable && round.leaseLeft().compareTo(callTimeout) < 0) {
      // the answer could come after the claim ran out, when another instance may be asking too: due again now, to
      // be claimed afresh
      return handBack(c, now);
    }
    if (deadline != null && !deadline.isAfter(now)) {
      return askable ? lastLookThenTimeOut(c, adapter, settings, deadline, round) : timeOut(c, deadline);
    }
    if (c.providerTaskId() == null) {
      // an ambiguous submit: the provider may hold the job, but we cannot ask about it. A late callback still
      // completes it (its token is bound); otherwise the next look is the one that times it out
      return handBack(c, deadline != null ? deadline : now.plus(options.backoff().cap()));
    }
    if (!askable) {
      LOG.warn("{} is overdue but provider {} is not enabled in this instance; looking again later", c.id(), c.provider());
      return handBack(c, notAfter(now.plus(options.backoff().cap()), deadline));
    }
    return ask(c, adapter, settings, round).compose(asked -> {
      if (asked instanceof Asked.Answered answered) {
        return record(c, answered.result(), deadline);
      }
      if (asked == Asked.REFUSED) {
        return handBack(c, notAfter(Instant.now().plus(options.gateRetry()), deadline));
      }
      return asked == Asked.TOO_LATE ? handBack(c, Instant.now()) : Future.succeededFuture();
    });
  }

  /** What came of asking a provider about a generation. */
  private sealed interface Asked {
    /** The gate refused a permit (now or a moment ago in this round). */
    Asked REFUSED = new Other();
    /** Too little of the claim was left when its turn came for a call to fit in it. */
    Asked TOO_LATE = new Other();
    /** The poller stopped: nothing is written. */
    Asked STOPPED = new Other();

    record Answered(StatusResult result) implements Asked {}

    final class Other implements Asked {}
  }

  /**
   * Asks the provider about {@code c} once one of this instance's {@code ORCH_POLL_CONCURRENCY} call slots for its
   * provider is free
   * and the gate grants a permit (asked for together with other checks'). The slot and the permit are held only
   * until the provider answered, not while the answer is stored: they bound calls to providers, and storing shares a
   * transaction with other answers. The claim is checked when the turn comes, since waiting for a slot takes time.
   */
  private Future<Asked> ask(ClaimedCheck c, ProviderAdapter adapter, ProviderSettings settings, Round round) {
    CallSlots slots = calls.computeIfAbsent(c.provider(), provider -> new CallSlots(options.concurrency()));
    return slots.acquire().compose(slot -> {
      Future<Asked> asked;
      if (stopped) {
        asked = Future.succeededFuture(Asked.STOPPED); // its client may be closed already
      } else if (round.leaseLeft().compareTo(callTimeout) < 0) {
        // the answer could come after the claim ran out, when another instance may be asking too: due again now,
        // to be claimed afresh
        asked = Future.succeededFuture(Asked.TOO_LATE);
      } else if (round.wasRefused(c.provider())) {
        // the gate said no to this provider a moment ago in this round: no need to ask it again for every generation
        asked = Future.succeededFuture(Asked.REFUSED);
      } else {
        asked = ProviderGate.underPermit(permits.submit(c.provider()),
            () -> askStatus(c, adapter, settings).map(result -> stopped ? Asked.STOPPED : new Asked.Answered(result)),
            () -> {
              round.refused(c.provider());
              return Future.succeededFuture(Asked.REFUSED);
            });
      }
      return asked.eventually(() -> {
        slots.release();
        return Future.succeededFuture();
      });
    });
  }

  /** Stores what a check learned (see stop(): nothing once stopped, the answer is asked for again after the lease). */
  private Future<Void> record(ClaimedCheck c, StatusResult result, Instant deadline) {
    JsonObject detail = new JsonObject().put("attempt", c.checks());
    Instant now = Instant.now();
    if (result instanceof StatusResult.Known known) {
      ProviderOutcome outcome = known.outcome();
      detail.put("result", "known").put("providerStatus", outcome.rawStatus());
      if (outcome.unknownStatus()) {
        detail.put("unknownStatus", true);
      }
      // the schedule only matters if it is still running afterwards; a terminal status clears it
      Instant next = options.backoff().nextCheck(now, c.checks(), null, deadline);
      return apply(c, Change.fromOutcome(Source.POLL, outcome, detail).withSchedule(next, deadline));
    }
    if (result instanceof StatusResult.NotFound notFound) {
      detail.put("result", "not_found").put("providerDetail", notFound.detail());
      GenerationError error = new GenerationError("PROVIDER_TASK_NOT_FOUND",
          c.provider() + " does not know task " + c.providerTaskId() + " any more", true);
      return apply(c, new Change(Source.POLL, GenerationStatus.FAILED, null, null, null, error, detail, null, null));
    }
    StatusResult.Transient unavailable = (StatusResult.Transient) result;
    Instant next = options.backoff().nextCheck(now, c.checks(), unavailable.retryAfter(), deadline);
    detail.put("result", "unavailable").put("reason", unavailable.reason()).put("nextCheckAt", next.toString());
    return ctx.store().polledLater(c.id(), next, detail);
  }

  /**
   * At the deadline the provider is asked once more, within its budget: a job that finished while its callback was
   * lost is recorded as it ended rather than as timed out. Anything short of a terminal answer times it out.
   */
  private Future<Void> lastLookThenTimeOut(ClaimedCheck c, ProviderAdapter adapter, ProviderSettings settings, Instant deadline,
      Round round) {
    return ask(c, adapter, settings, round).compose(asked -> {
      if (asked == Asked.REFUSED) {
        return timeOut(c, deadline);
      }
      if (!(asked instanceof Asked.Answered answered)) {
        return asked == Asked.TOO_LATE ? handBack(c, Instant.now()) : Future.succeededFuture();
      }
      JsonObject detail = new JsonObject().put("attempt", c.checks()).put("atDeadline", true);
      if (!(answered.result() instanceof StatusResult.Known known)) {
        detail.put("result", "unavailable");
        return ctx.store().recordEvent(c.id(), "polled", detail).compose(v -> timeOut(c, deadline));
      }
      detail.put("result", "known").put("providerStatus", known.outcome().rawStatus());
      return known.outcome().isTerminal()
          ? apply(c, Change.fromOutcome(Source.POLL, known.outcome(), detail))
          : ctx.store().recordEvent(c.id(), "polled", detail).compose(v -> timeOut(c, deadline));
    });
  }

  /** One status call, counted here and in the metrics by what it brought. */
  private Future<StatusResult> askStatus(ClaimedCheck c, ProviderAdapter adapter, ProviderSettings settings) {
    statusChecks.incrementAndGet();
    Promise<StatusResult> answer = Promise.promise();
    awaited.add(answer);
    ctx.providerClient().status(adapter, settings, c.providerTaskId())
        .onComplete(ar -> ctx.metrics().statusCall(c.provider(), ar.failed() ? "error" : resultWord(ar.result())))
        .onComplete(ar -> {
          awaited.remove(answer);
          if (ar.succeeded()) {
            answer.tryComplete(ar.result());
          } else {
            answer.tryFail(ar.cause());
          }
        });
    if (stopped) {
      answer.tryComplete(GIVEN_UP); // stopped while the call was being made
    }
    return answer.future();
  }

  private static String resultWord(StatusResult result) {
    if (result instanceof StatusResult.Known known) {
      return known.outcome().isTerminal() ? "terminal" : "running";
    }
    return result instanceof StatusResult.NotFound ? "not_found" : "transient";
  }

  private Future<Void> timeOut(ClaimedCheck c, Instant deadline) {
    GenerationError error = new GenerationError("DEADLINE_EXCEEDED",
        "no final status from " + c.provider() + " by the deadline " + deadline, true);
    JsonObject detail = new JsonObject().put("deadlineAt", deadline.toString());
    return apply(c, new Change(Source.TIMEOUT, GenerationStatus.TIMED_OUT, null, null, null, error, detail, null, deadline));
  }

  /**
   * Through the store in a transaction shared with the other changes ready at the same moment. A poll's answer is
   * about the attempt whose task was asked about: should the generation have moved on to another attempt meanwhile
   * (a callback re-ran it), the state machine only records it.
   */
  private Future<Void> apply(ClaimedCheck c, Change change) {
    Change about = change.source() == Source.POLL && c.attempt() > 0 ? change.withAttempt(c.attempt()) : change;
    return changes.submit(new ChangeOf(c.id(), about)).map(applied -> {
      if (applied.event() != null && applied.after().status().isTerminal()) {
        LOG.debug("{} is {} ({})", c.id(), applied.after().status(), change.source());
      }
      return null;
    });
  }

  /** Due again at {@code at}, the claim not counted as a check. */
  private Future<Void> handBack(ClaimedCheck c, Instant at) {
    return ctx.store().handBackCheck(c.id(), at);
  }

  /**
   * The stored deadline; for a row stored without one (the submitter always sets it, so only hand-made rows), the
   * provider's configured deadline after submission. Null for an unknown provider without a stored deadline.
   */
  private static Instant deadlineOf(ClaimedCheck c, ProviderSettings settings) {
    if (c.deadlineAt() != null) {
      return c.deadlineAt();
    }
    if (settings == null) {
      return null;
    }
    return (c.submittedAt() != null ? c.submittedAt() : Instant.now()).plus(settings.deadline());
  }

  private static Instant notAfter(Instant at, Instant deadline) {
    return deadline != null && at.isAfter(deadline) ? deadline : at;
  }


}
