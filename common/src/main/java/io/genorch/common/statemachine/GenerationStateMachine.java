package io.genorch.common.statemachine;

import io.genorch.common.domain.Attempt;
import io.genorch.common.domain.Generation;
import io.genorch.common.domain.GenerationError;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.domain.Output;
import io.genorch.common.domain.ResolvedBy;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The rules of docs/API.md for a generation's status. A generation only moves forward through
 * queued → submitted → processing → succeeded | failed | timed_out, may skip steps (a webhook can bring the end
 * before the submit answer is stored), and never leaves a terminal status.
 */
public final class GenerationStateMachine {

  private GenerationStateMachine() {}

  public static Verdict decide(GenerationStatus current, GenerationStatus proposed) {
    if (current.isTerminal()) {
      return current == proposed ? Verdict.DUPLICATE : Verdict.REJECT;
    }
    if (proposed == GenerationStatus.QUEUED || proposed.rank() <= current.rank()) {
      return Verdict.STAY;
    }
    return Verdict.ADVANCE;
  }

  /** Without a limit from configuration: every attempt's failure is final (ORCH_MAX_ATTEMPTS=1). */
  public static final int NO_RERUNS = 1;

  /**
   * Failures that are retryable for a client but never re-run here: the provider lost track of the task, which it
   * may still be running, so another run could pay twice.
   */
  private static final Set<String> NOT_RERUN = Set.of("PROVIDER_TASK_NOT_FOUND");

  public static Transition transition(Generation before, Schedule schedule, Change change, Instant now) {
    return transition(before, schedule, change, now, NO_RERUNS);
  }

  /**
   * Every rule of one change, as a pure function: what {@code change}, proposed at {@code now}, makes of a
   * generation that is {@code before} with {@code schedule}, when a generation may run at most {@code maxAttempts}
   * jobs (ORCH_MAX_ATTEMPTS). The caller only reads, asks and writes.
   *
   * <p>Attempts (docs/API.md section 8): a report names the attempt it is about ({@link Change#attempt()}); one about
   * an attempt the generation no longer follows is only recorded ({@link Verdict#SUPERSEDED}). A job failing with a
   * retryable reason while attempts and time are left sends the generation back to queued ({@link Verdict#RERUN}).
   * The submitter's changes record each send as an attempt, and may requeue the generation at the same or another
   * route ({@link Change#requeue()}).
   */
  public static Transition transition(Generation before, Schedule schedule, Change change, Instant now, int maxAttempts) {
    if (change.sent() != null && sendIsOver(before, change.sent())) {
      return recordSendOnly(before, schedule, change, now);
    }
    if (change.requeue() != null) {
      return requeue(before, schedule, change, now);
    }
    if (change.sent() == null && superseded(before, change.attempt())) {
      return supersededReport(before, schedule, change);
    }
    Verdict verdict = decide(before.status(), change.proposed());
    List<Transition.Entry> timeline = new ArrayList<>();
    if (verdict == Verdict.DUPLICATE || verdict == Verdict.REJECT) {
      addCause(timeline, change, verdict);
      return new Transition(verdict, before, schedule, false, timeline, false, false);
    }
    boolean advance = verdict == Verdict.ADVANCE;
    List<Attempt> attempts = change.sent() != null
        ? withSent(before, change.sent())
        : withReport(before, change, advance ? change.proposed() : null, now);
    if (advance && rerunAllowed(change, schedule, attempts, now, maxAttempts)) {
      return rerun(before, schedule, change, attempts, now, maxAttempts);
    }
    addCause(timeline, change, verdict);
    GenerationStatus status = advance ? change.proposed() : before.status();
    boolean terminal = status.isTerminal();
    List<Output> outputs = status == GenerationStatus.SUCCEEDED ? change.outputs() : before.outputs();
    GenerationError error = terminal && status != GenerationStatus.SUCCEEDED ? change.error() : before.error();
    Generation after = copy(before, status, before.provider(), before.model(),
        before.providerTaskId() != null ? before.providerTaskId() : change.providerTaskId(),
        progress(before, change, status),
        outputs,
        error,
        advance && terminal ? resolvedBy(change.source()) : before.resolvedBy(),
        before.submittedAt() == null && status != GenerationStatus.QUEUED ? now : before.submittedAt(),
        advance && terminal ? now : before.completedAt(),
        now,
        attempts);
    Schedule next = schedule(schedule, change, status);
    if (!advance) {
      return new Transition(verdict, after, next, true, timeline, false, false);
    }
    JsonObject statusDetail = new JsonObject().put("resolvedBy", after.resolvedBy() == null ? null : after.resolvedBy().wire());
    if (after.providerTaskId() != null) {
      statusDetail.put("providerTaskId", after.providerTaskId());
    }
    if (after.error() != null && terminal) {
      statusDetail.put("error", after.error().toJson());
    }
    if (!after.attempts().isEmpty()) {
      statusDetail.put("attempt", after.latestAttempt().attempt());
    }
    timeline.add(new Transition.Entry(statusEventType(status), statusDetail));
    return new Transition(verdict, after, next, true, timeline, true, terminal && after.callbackUrl() != null);
  }

  private static void addCause(List<Transition.Entry> timeline, Change change, Verdict verdict) {
    String causeType = causeEventType(change.source(), verdict);
    if (causeType != null) {
      JsonObject detail = change.detail().copy()
          .put("verdict", verdict.name().toLowerCase())
          .put("reportedStatus", change.proposed().wire());
      if (change.attempt() != null) {
        detail.put("attempt", change.attempt());
      }
      timeline.add(new Transition.Entry(causeType, detail));
    }
  }

  /**
   * Whether a report about attempt {@code attempt} comes too late to count: a later attempt was sent, or the
   * generation left this one behind (refused, or re-run after its job failed) and waits for the next. A report about
   * a send not recorded yet (it beat the submit answer) is about the attempt in flight, which counts.
   */
  static boolean superseded(Generation before, Integer attempt) {
    Attempt latest = before.latestAttempt();
    if (attempt == null || latest == null) {
      return false;
    }
    if (attempt < latest.attempt()) {
      return true;
    }
    return attempt == latest.attempt() && latest.ended() && !before.status().isTerminal();
  }

  /** The attempt the generation follows now: the latest if it is still running, else the next to be sent. */
  static int currentAttempt(Generation before) {
    Attempt latest = before.latestAttempt();
    if (latest == null) {
      return 1;
    }
    return latest.ended() && !before.status().isTerminal() ? latest.attempt() + 1 : latest.attempt();
  }

  private static Transition supersededReport(Generation before, Schedule schedule, Change change) {
    List<Transition.Entry> timeline = new ArrayList<>();
    addCause(timeline, change, Verdict.SUPERSEDED);
    if (!timeline.isEmpty()) {
      int current = currentAttempt(before);
      timeline.get(0).detail().put("currentAttempt", current)
          .put("reason", "about attempt " + change.attempt() + "; the generation follows attempt " + current);
    }
    return new Transition(Verdict.SUPERSEDED, before, schedule, false, timeline, false, false);
  }

  /**
   * A send the generation already left behind: a callback reported its job's end before the submit answer was
   * stored, or a later attempt exists. Only the attempt's record is completed; status and schedule stay.
   */
  private static boolean sendIsOver(Generation before, Attempt sent) {
    Attempt latest = before.latestAttempt();
    if (latest == null) {
      return false;
    }
    if (sent.attempt() < latest.attempt()) {
      return true;
    }
    return sent.attempt() == latest.attempt() && latest.ended();
  }

  private static Transition recordSendOnly(Generation before, Schedule schedule, Change change, Instant now) {
    Generation after = copy(before, before.status(), before.provider(), before.model(), before.providerTaskId(),
        before.progress(), before.outputs(), before.error(), before.resolvedBy(), before.submittedAt(),
        before.completedAt(), now, withSent(before, change.sent()));
    return new Transition(Verdict.SUPERSEDED, after, schedule, true, List.of(), false, false);
  }

  /**
   * The submitter's requeue: the send (if one was made) is recorded as refused, and the generation waits, still
   * queued, for the next send at {@code requeue}'s route and time; a change of route is a {@code failover} entry. A
   * generation a callback already moved on (it beat the refusal) only gets the attempt recorded.
   */
  private static Transition requeue(Generation before, Schedule schedule, Change change, Instant now) {
    Change.Requeue requeue = change.requeue();
    List<Attempt> attempts = change.sent() == null ? before.attempts() : withSent(before, change.sent());
    if (before.status() != GenerationStatus.QUEUED) {
      Generation after = copy(before, before.status(), before.provider(), before.model(), before.providerTaskId(),
          before.progress(), before.outputs(), before.error(), before.resolvedBy(), before.submittedAt(),
          before.completedAt(), now, attempts);
      return new Transition(Verdict.STAY, after, schedule, true, List.of(), false, false);
    }
    List<Transition.Entry> timeline = new ArrayList<>();
    if (requeue.failover() != null) {
      timeline.add(new Transition.Entry("failover", requeue.failover().copy()));
    }
    Generation after = copy(before, GenerationStatus.QUEUED, requeue.provider(), requeue.model(), null, null,
        before.outputs(), null, null, before.submittedAt(), null, now, attempts);
    Schedule next = new Schedule(null, schedule.deadlineAt(), "pending", requeue.at(), schedule.routed());
    return new Transition(Verdict.STAY, after, next, true, timeline, false, false);
  }

  private static boolean rerunAllowed(Change change, Schedule schedule, List<Attempt> attempts, Instant now,
      int maxAttempts) {
    if (!schedule.routed() || change.proposed() != GenerationStatus.FAILED || change.error() == null
        || !change.error().retryable()
        || NOT_RERUN.contains(change.error().code())
        || (change.source() != Source.WEBHOOK && change.source() != Source.POLL)) {
      return false;
    }
    // a generation sent before attempts were recorded ran at least the job that failed
    long runs = Math.max(1, attempts.stream().filter(a -> !a.refused()).count());
    return runs < maxAttempts && (schedule.deadlineAt() == null || now.isBefore(schedule.deadlineAt()));
  }

  /**
   * The job of a routed generation failed for the provider's own reasons and another may succeed: back to queued, to be sent again at the
   * same route (the submitter moves it on when that route's circuit is open), due at once. The deadline stays: it
   * bounds the generation as a whole.
   */
  private static Transition rerun(Generation before, Schedule schedule, Change change, List<Attempt> attempts,
      Instant now, int maxAttempts) {
    List<Transition.Entry> timeline = new ArrayList<>();
    addCause(timeline, change, Verdict.RERUN);
    long runs = Math.max(1, attempts.stream().filter(a -> !a.refused()).count());
    timeline.add(new Transition.Entry("rerun", new JsonObject()
        .put("attempt", attempts.isEmpty() ? change.attempt() : attempts.get(attempts.size() - 1).attempt())
        .put("provider", before.provider())
        .put("model", before.model())
        .put("error", change.error().toJson())
        .put("run", runs + 1)
        .put("maxAttempts", maxAttempts)));
    Generation after = copy(before, GenerationStatus.QUEUED, before.provider(), before.model(), null, null,
        before.outputs(), null, null, before.submittedAt(), null, now, attempts);
    Schedule next = new Schedule(null, schedule.deadlineAt(), "pending", now, schedule.routed());
    return new Transition(Verdict.RERUN, after, next, true, timeline, false, false);
  }

  /** The attempts with the submitter's record of a send: appended, or merged into what a callback already told. */
  static List<Attempt> withSent(Generation before, Attempt sent) {
    List<Attempt> attempts = new ArrayList<>(before.attempts());
    for (int i = 0; i < attempts.size(); i++) {
      Attempt known = attempts.get(i);
      if (known.attempt() == sent.attempt()) {
        boolean reportFirst = known.ended() || rank(known.status()) >= rank(sent.status());
        attempts.set(i, new Attempt(known.attempt(), known.provider(), known.model(),
            known.providerTaskId() != null ? known.providerTaskId() : sent.providerTaskId(),
            reportFirst ? known.status() : sent.status(), reportFirst ? known.error() : sent.error(),
            sent.startedAt(), reportFirst ? known.endedAt() : sent.endedAt()));
        return attempts;
      }
    }
    attempts.add(sent);
    return attempts;
  }

  /**
   * The attempts after a report about one of them ({@code reached}: the status it moves the generation to, or null
   * when it does not move it): the attempt's task id, status and end are filled in. A report about the send in flight
   * (it beat the submit answer) starts that attempt's record; a report about none in particular concerns the latest.
   */
  private static List<Attempt> withReport(Generation before, Change change, GenerationStatus reached, Instant now) {
    List<Attempt> attempts = new ArrayList<>(before.attempts());
    Attempt latest = before.latestAttempt();
    Integer number = change.attempt() != null ? change.attempt() : latest == null ? null : latest.attempt();
    if (number == null) {
      return attempts;
    }
    GenerationStatus proposed = change.proposed();
    for (int i = 0; i < attempts.size(); i++) {
      Attempt known = attempts.get(i);
      if (known.attempt() == number) {
        if (known.ended()) {
          return attempts;
        }
        boolean moves = rank(proposed.wire()) > rank(known.status());
        boolean ends = moves && proposed.isTerminal();
        attempts.set(i, known.with(
            known.providerTaskId() != null ? known.providerTaskId() : change.providerTaskId(),
            moves ? proposed.wire() : known.status(),
            ends && proposed != GenerationStatus.SUCCEEDED ? change.error() : known.error(),
            ends ? now : known.endedAt()));
        return attempts;
      }
    }
    if (latest == null || number > latest.attempt()) {
      boolean ends = proposed.isTerminal();
      attempts.add(new Attempt(number, before.provider(), before.model(), change.providerTaskId(), proposed.wire(),
          ends && proposed != GenerationStatus.SUCCEEDED ? change.error() : null, null, ends ? now : null));
    }
    return attempts;
  }

  private static int rank(String status) {
    return GenerationStatus.fromWire(status).map(GenerationStatus::rank).orElse(-1);
  }

  private static Generation copy(Generation g, GenerationStatus status, String provider, String model,
      String providerTaskId, Integer progress, List<Output> outputs, GenerationError error, ResolvedBy resolvedBy,
      Instant submittedAt, Instant completedAt, Instant updatedAt, List<Attempt> attempts) {
    return new Generation(g.id(), provider, model, status, g.prompt(), g.imageUrl(), g.aspectRatio(),
        g.durationSeconds(), g.options(), g.metadata(), g.callbackUrl(), providerTaskId, progress, outputs, error,
        resolvedBy, g.createdAt(), submittedAt, completedAt, updatedAt, attempts);
  }

  /** Progress only rises while running, and a success is 100. */
  private static Integer progress(Generation before, Change change, GenerationStatus status) {
    if (status == GenerationStatus.SUCCEEDED) {
      return 100;
    }
    if (change.progress() == null) {
      return before.progress();
    }
    return before.progress() == null ? change.progress() : Math.max(before.progress(), change.progress());
  }

  /**
   * The submitter and the poller set the check schedule; a webhook only fills in one that is missing (it beat the
   * submit answer), so callbacks never push the safety-net check away. A deadline, once set, stays. Leaving queued
   * ends the submission bookkeeping; a terminal generation is no longer checked.
   */
  private static Schedule schedule(Schedule stored, Change change, GenerationStatus status) {
    boolean keepStored = change.source() == Source.WEBHOOK && stored.nextCheckAt() != null;
    Instant nextCheck = status.isTerminal() ? null
        : keepStored || change.nextCheckAt() == null ? stored.nextCheckAt() : change.nextCheckAt();
    Instant deadline = stored.deadlineAt() != null ? stored.deadlineAt() : change.deadlineAt();
    boolean queued = status == GenerationStatus.QUEUED;
    return new Schedule(nextCheck, deadline, queued ? stored.submitState() : "done", queued ? stored.nextSubmitAt() : null,
        stored.routed());
  }

  /**
   * The timeline entry that records why a change was asked for, written before any status entry it causes (types
   * of docs/API.md section 1); null where the status entry says it all (submission, deadline).
   */
  public static String causeEventType(Source source, Verdict verdict) {
    return switch (source) {
      case WEBHOOK -> switch (verdict) {
        case DUPLICATE -> "webhook_duplicate";
        case REJECT, SUPERSEDED -> "webhook_rejected";
        default -> "webhook_received";
      };
      case POLL -> "polled";
      case SUBMIT, TIMEOUT -> null;
    };
  }

  public static ResolvedBy resolvedBy(Source source) {
    return switch (source) {
      case SUBMIT -> ResolvedBy.SUBMIT;
      case WEBHOOK -> ResolvedBy.WEBHOOK;
      case POLL -> ResolvedBy.POLL;
      case TIMEOUT -> ResolvedBy.TIMEOUT;
    };
  }

  /** The timeline entry for reaching a status. */
  public static String statusEventType(GenerationStatus status) {
    return status.wire();
  }

  /** The lifecycle event (docs/API.md section 5) for reaching a status; none for queued. */
  public static String lifecycleEventType(GenerationStatus status) {
    if (status == GenerationStatus.QUEUED) {
      throw new IllegalArgumentException("queued has no lifecycle event");
    }
    return "generation." + status.wire();
  }
}
