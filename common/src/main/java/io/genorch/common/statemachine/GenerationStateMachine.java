package io.genorch.common.statemachine;

import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.domain.ResolvedBy;

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
