package io.genorch.common.statemachine;

import static io.genorch.common.domain.GenerationStatus.FAILED;
import static io.genorch.common.domain.GenerationStatus.PROCESSING;
import static io.genorch.common.domain.GenerationStatus.QUEUED;
import static io.genorch.common.domain.GenerationStatus.SUBMITTED;
import static io.genorch.common.domain.GenerationStatus.SUCCEEDED;
import static io.genorch.common.domain.GenerationStatus.TIMED_OUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.genorch.common.domain.GenerationStatus;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

class GenerationStateMachineTest {

  @Test
  void everyForwardMoveFromARunningStatusIsAllowed() {
    assertEquals(Verdict.ADVANCE, GenerationStateMachine.decide(QUEUED, SUBMITTED));
    assertEquals(Verdict.ADVANCE, GenerationStateMachine.decide(QUEUED, PROCESSING));
    assertEquals(Verdict.ADVANCE, GenerationStateMachine.decide(QUEUED, SUCCEEDED));
    assertEquals(Verdict.ADVANCE, GenerationStateMachine.decide(QUEUED, FAILED));
    assertEquals(Verdict.ADVANCE, GenerationStateMachine.decide(QUEUED, TIMED_OUT));
    assertEquals(Verdict.ADVANCE, GenerationStateMachine.decide(SUBMITTED, PROCESSING));
    assertEquals(Verdict.ADVANCE, GenerationStateMachine.decide(SUBMITTED, SUCCEEDED));
    assertEquals(Verdict.ADVANCE, GenerationStateMachine.decide(SUBMITTED, FAILED));
    assertEquals(Verdict.ADVANCE, GenerationStateMachine.decide(SUBMITTED, TIMED_OUT));
    assertEquals(Verdict.ADVANCE, GenerationStateMachine.decide(PROCESSING, SUCCEEDED));
    assertEquals(Verdict.ADVANCE, GenerationStateMachine.decide(PROCESSING, FAILED));
    assertEquals(Verdict.ADVANCE, GenerationStateMachine.decide(PROCESSING, TIMED_OUT));
  }

  @Test
  void aRunningGenerationNeverMovesBackward() {
    assertEquals(Verdict.STAY, GenerationStateMachine.decide(PROCESSING, SUBMITTED));
    assertEquals(Verdict.STAY, GenerationStateMachine.decide(PROCESSING, QUEUED));
    assertEquals(Verdict.STAY, GenerationStateMachine.decide(SUBMITTED, QUEUED));
  }

  @Test
  void theSameRunningStatusStaysSoProgressCanBeUpdated() {
    assertEquals(Verdict.STAY, GenerationStateMachine.decide(QUEUED, QUEUED));
    assertEquals(Verdict.STAY, GenerationStateMachine.decide(SUBMITTED, SUBMITTED));
    assertEquals(Verdict.STAY, GenerationStateMachine.decide(PROCESSING, PROCESSING));
  }

  @Test
  void aTerminalStatusNeverChanges() {
    for (GenerationStatus terminal : EnumSet.of(SUCCEEDED, FAILED, TIMED_OUT)) {
      for (GenerationStatus proposed : GenerationStatus.values()) {
        Verdict expected = proposed == terminal ? Verdict.DUPLICATE : Verdict.REJECT;
        assertEquals(expected, GenerationStateMachine.decide(terminal, proposed), terminal + " -> " + proposed);
      }
    }
  }

  @Test
  void webhookCausesAreRecordedAsReceivedDuplicateOrRejected() {
    assertEquals("webhook_received", GenerationStateMachine.causeEventType(Source.WEBHOOK, Verdict.ADVANCE));
    assertEquals("webhook_received", GenerationStateMachine.causeEventType(Source.WEBHOOK, Verdict.STAY));
    assertEquals("webhook_duplicate", GenerationStateMachine.causeEventType(Source.WEBHOOK, Verdict.DUPLICATE));
    assertEquals("webhook_rejected", GenerationStateMachine.causeEventType(Source.WEBHOOK, Verdict.REJECT));
    assertEquals("polled", GenerationStateMachine.causeEventType(Source.POLL, Verdict.STAY));
    assertNull(GenerationStateMachine.causeEventType(Source.SUBMIT, Verdict.ADVANCE));
  }

  @Test
  void lifecycleEventsNameTheStatusReached() {
    assertEquals("generation.succeeded", GenerationStateMachine.lifecycleEventType(SUCCEEDED));
    assertEquals("generation.timed_out", GenerationStateMachine.lifecycleEventType(TIMED_OUT));
    assertThrows(IllegalArgumentException.class, () -> GenerationStateMachine.lifecycleEventType(QUEUED));
  }
}
