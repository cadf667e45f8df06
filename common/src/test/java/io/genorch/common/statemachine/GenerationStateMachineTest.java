package io.genorch.common.statemachine;

import static io.genorch.common.domain.GenerationStatus.FAILED;
import static io.genorch.common.domain.GenerationStatus.PROCESSING;
import static io.genorch.common.domain.GenerationStatus.QUEUED;
import static io.genorch.common.domain.GenerationStatus.SUBMITTED;
import static io.genorch.common.domain.GenerationStatus.SUCCEEDED;
import static io.genorch.common.domain.GenerationStatus.TIMED_OUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.genorch.common.domain.Generation;
import io.genorch.common.domain.GenerationError;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.domain.Output;
import io.genorch.common.domain.ResolvedBy;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
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

  // the whole transition, (before, change, now) -> after, without a database

  private static final Instant CREATED = Instant.parse("2026-01-01T00:00:00Z");
  private static final Instant NOW = Instant.parse("2026-01-01T00:05:00Z");
  private static final Instant LATER = Instant.parse("2026-01-01T00:10:00Z");
  private static final Schedule PENDING = new Schedule(null, null, "pending", CREATED);

  private static Generation generation(GenerationStatus status, String taskId, Integer progress, String callbackUrl) {
    return new Generation("gen_1", "apimart", "sora-2", status, "a fox", null, "16:9", 10, new JsonObject(),
        new JsonObject().put("k", "v"), callbackUrl, taskId, progress, List.of(), null, null, CREATED,
        status == QUEUED ? null : CREATED, null, CREATED);
  }

  private static Change change(Source source, GenerationStatus proposed, String taskId, Integer progress) {
    return new Change(source, proposed, taskId, progress, null, null, new JsonObject().put("deliveryId", 7), null, null);
  }

  @Test
  void aSuccessByWebhookCompletesTheGenerationAndQueuesItsEventAndCallback() {
    Change success = new Change(Source.WEBHOOK, SUCCEEDED, "task-from-webhook", 40,
        List.of(Output.video("https://cdn.example/v.mp4")), null, new JsonObject().put("deliveryId", 7), LATER, LATER);
    Transition t = GenerationStateMachine.transition(
        generation(QUEUED, null, null, "https://client.example/cb"), PENDING, success, NOW);

    assertEquals(Verdict.ADVANCE, t.verdict());
    Generation after = t.after();
    assertEquals(SUCCEEDED, after.status());
    assertEquals(100, after.progress());
    assertEquals("task-from-webhook", after.providerTaskId(), "a missing task id is filled in");
    assertEquals("https://cdn.example/v.mp4", after.outputs().get(0).url());
    assertEquals(ResolvedBy.WEBHOOK, after.resolvedBy());
    assertEquals(NOW, after.submittedAt());
    assertEquals(NOW, after.completedAt());
    assertEquals(NOW, after.updatedAt());
    assertEquals("v", after.metadata().getString("k"));
    assertEquals(new Schedule(null, LATER, "done", null), t.schedule(), "terminal: no check, submission done");
    assertEquals(List.of("webhook_received", "succeeded"), t.timeline().stream().map(Transition.Entry::type).toList());
    assertEquals(new JsonObject().put("deliveryId", 7).put("verdict", "advance").put("reportedStatus", "succeeded"),
        t.timeline().get(0).detail());
    assertEquals(new JsonObject().put("resolvedBy", "webhook").put("providerTaskId", "task-from-webhook"),
        t.timeline().get(1).detail());
    assertTrue(t.updatesGeneration());
    assertTrue(t.lifecycleEvent());
    assertTrue(t.clientCallback());
  }

  @Test
  void aFailureKeepsItsErrorAndWithoutACallbackUrlQueuesNoCallback() {
    GenerationError error = new GenerationError("provider_error", "content policy", false);
    Change failure = new Change(Source.POLL, FAILED, null, null, null, error, null, null, null);
    Transition t = GenerationStateMachine.transition(generation(PROCESSING, "task-1", 30, null), PENDING, failure, NOW);

    assertEquals(FAILED, t.after().status());
    assertEquals(error, t.after().error());
    assertEquals(30, t.after().progress());
    assertEquals(ResolvedBy.POLL, t.after().resolvedBy());
    assertEquals(List.of("polled", "failed"), t.timeline().stream().map(Transition.Entry::type).toList());
    assertEquals(error.toJson(), t.timeline().get(1).detail().getJsonObject("error"));
    assertTrue(t.lifecycleEvent());
    assertFalse(t.clientCallback());
  }

  @Test
  void whileTheStatusStaysProgressOnlyRisesAndTheTaskIdIsKept() {
    Transition lower = GenerationStateMachine.transition(
        generation(PROCESSING, "task-1", 50, null), PENDING, change(Source.POLL, PROCESSING, "other-task", 20), NOW);
    assertEquals(Verdict.STAY, lower.verdict());
    assertEquals(50, lower.after().progress());
    assertEquals("task-1", lower.after().providerTaskId(), "a known task id is never replaced");
    assertEquals(NOW, lower.after().updatedAt());
    assertNull(lower.after().completedAt());
    assertEquals(List.of("polled"), lower.timeline().stream().map(Transition.Entry::type).toList());
    assertTrue(lower.updatesGeneration());
    assertFalse(lower.lifecycleEvent());

    Transition higher = GenerationStateMachine.transition(
        generation(PROCESSING, "task-1", 50, null), PENDING, change(Source.POLL, PROCESSING, null, 70), NOW);
    assertEquals(70, higher.after().progress());
  }

  @Test
  void aRepeatOrContradictionOfATerminalStatusOnlyAddsItsCause() {
    Generation done = generation(SUCCEEDED, "task-1", 100, "https://client.example/cb");
    Transition repeat = GenerationStateMachine.transition(done, PENDING, change(Source.WEBHOOK, SUCCEEDED, null, null), NOW);
    assertEquals(Verdict.DUPLICATE, repeat.verdict());
    assertSame(done, repeat.after());
    assertFalse(repeat.updatesGeneration());
    assertFalse(repeat.lifecycleEvent());
    assertEquals(List.of("webhook_duplicate"), repeat.timeline().stream().map(Transition.Entry::type).toList());

    Transition contradiction = GenerationStateMachine.transition(done, PENDING, change(Source.WEBHOOK, FAILED, null, null), NOW);
    assertEquals(Verdict.REJECT, contradiction.verdict());
    assertFalse(contradiction.updatesGeneration());
    assertEquals("failed", contradiction.timeline().get(0).detail().getString("reportedStatus"));
  }

  @Test
  void aWebhookNeverPushesAStoredCheckAwayButFillsAMissingOne() {
    Schedule checked = new Schedule(NOW, LATER, "done", null);
    Change webhook = change(Source.WEBHOOK, PROCESSING, null, null).withSchedule(LATER.plusSeconds(60), LATER.plusSeconds(60));
    Transition kept = GenerationStateMachine.transition(generation(SUBMITTED, "task-1", null, null), checked, webhook, NOW);
    assertEquals(checked, kept.schedule(), "the check and the deadline stay");

    Schedule unchecked = new Schedule(null, null, "done", null);
    Transition filled = GenerationStateMachine.transition(generation(SUBMITTED, "task-1", null, null), unchecked, webhook, NOW);
    assertEquals(new Schedule(LATER.plusSeconds(60), LATER.plusSeconds(60), "done", null), filled.schedule());

    Change poll = change(Source.POLL, PROCESSING, null, null).withSchedule(LATER.plusSeconds(30), LATER.plusSeconds(90));
    Transition moved = GenerationStateMachine.transition(generation(SUBMITTED, "task-1", null, null), checked, poll, NOW);
    assertEquals(new Schedule(LATER.plusSeconds(30), LATER, "done", null), moved.schedule(),
        "the poller moves the check; a deadline once set stays");
  }

  @Test
  void aGenerationStillQueuedKeepsItsSubmissionSchedule() {
    Schedule sending = new Schedule(null, null, "sending", LATER);
    Transition t = GenerationStateMachine.transition(generation(QUEUED, null, null, null), sending,
        change(Source.SUBMIT, QUEUED, null, null), NOW);
    assertEquals(Verdict.STAY, t.verdict());
    assertEquals(sending, t.schedule());
    assertNull(t.after().submittedAt());
  }
}
