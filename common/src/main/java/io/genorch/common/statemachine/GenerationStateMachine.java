package io.genorch.common.statemachine;

import io.genorch.common.domain.Generation;
import io.genorch.common.domain.GenerationError;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.domain.Output;
import io.genorch.common.domain.ResolvedBy;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The rules of CONTRACT.md for a generation's status. A generation only moves forward through
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

  /**
   * Every rule of one change, as a pure function: what {@code change}, proposed at {@code now}, makes of a
   * generation that is {@code before} with {@code schedule}. The caller only reads, asks and writes.
   */
  public static Transition transition(Generation before, Schedule schedule, Change change, Instant now) {
    Verdict verdict = decide(before.status(), change.proposed());
    List<Transition.Entry> timeline = new ArrayList<>();
    String causeType = causeEventType(change.source(), verdict);
    if (causeType != null) {
      timeline.add(new Transition.Entry(causeType, change.detail().copy()
          .put("verdict", verdict.name().toLowerCase())
          .put("reportedStatus", change.proposed().wire())));
    }
    if (verdict == Verdict.DUPLICATE || verdict == Verdict.REJECT) {
      return new Transition(verdict, before, schedule, false, timeline, false, false);
    }
    boolean advance = verdict == Verdict.ADVANCE;
    GenerationStatus status = advance ? change.proposed() : before.status();
    boolean terminal = status.isTerminal();
    List<Output> outputs = status == GenerationStatus.SUCCEEDED ? change.outputs() : before.outputs();
    GenerationError error = terminal && status != GenerationStatus.SUCCEEDED ? change.error() : before.error();
    Generation after = new Generation(
        before.id(), before.provider(), before.model(), status, before.prompt(), before.imageUrl(),
        before.aspectRatio(), before.durationSeconds(), before.options(), before.metadata(), before.callbackUrl(),
        before.providerTaskId() != null ? before.providerTaskId() : change.providerTaskId(),
        progress(before, change, status),
        outputs,
        error,
        advance && terminal ? resolvedBy(change.source()) : before.resolvedBy(),
        before.createdAt(),
        before.submittedAt() == null && status != GenerationStatus.QUEUED ? now : before.submittedAt(),
        advance && terminal ? now : before.completedAt(),
        now);
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
    timeline.add(new Transition.Entry(statusEventType(status), statusDetail));
    return new Transition(verdict, after, next, true, timeline, true, terminal && after.callbackUrl() != null);
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
    return new Schedule(nextCheck, deadline, queued ? stored.submitState() : "done", queued ? stored.nextSubmitAt() : null);
  }

  /**
   * The timeline entry that records why a change was asked for, written before any status entry it causes (types
   * of CONTRACT.md section 1); null where the status entry says it all (submission, deadline).
   */
  public static String causeEventType(Source source, Verdict verdict) {
    return switch (source) {
      case WEBHOOK -> switch (verdict) {
        case DUPLICATE -> "webhook_duplicate";
        case REJECT -> "webhook_rejected";
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

  /** The lifecycle event (CONTRACT.md section 5) for reaching a status; none for queued. */
  public static String lifecycleEventType(GenerationStatus status) {
    if (status == GenerationStatus.QUEUED) {
      throw new IllegalArgumentException("queued has no lifecycle event");
    }
    return "generation." + status.wire();
  }
}
