package io.genorch.common.statemachine;

import static io.genorch.common.domain.GenerationStatus.FAILED;
import static io.genorch.common.domain.GenerationStatus.PROCESSING;
import static io.genorch.common.domain.GenerationStatus.QUEUED;
import static io.genorch.common.domain.GenerationStatus.SUBMITTED;
import static io.genorch.common.domain.GenerationStatus.SUCCEEDED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.domain.Attempt;
import io.genorch.common.domain.Generation;
import io.genorch.common.domain.GenerationError;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.domain.Output;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The attempt rules of {@link GenerationStateMachine#transition}: superseded reports, re-runs, requeues. No database. */
class AttemptRulesTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Instant NOW = Instant.parse("2026-01-01T00:05:00Z");
  private static final Instant DEADLINE = Instant.parse("2026-01-01T01:00:00Z");
  private static final Schedule RUNNING = new Schedule(NOW, DEADLINE, "done", null, true);
  private static final GenerationError TASK_FAILED = new GenerationError("TASK_FAILED", "failed at the provider", true);
  private static final GenerationError CONTENT = new GenerationError("CONTENT_POLICY_VIOLATION", "no", false);

  private static Attempt attempt(int n, String provider, String task, String status, GenerationError error) {
    boolean ended = status.equals(Attempt.REFUSED) || GenerationStatus.fromWire(status).orElseThrow().isTerminal();
    return new Attempt(n, provider, "m", task, status, error, T0, ended ? T0 : null);
  }

  private static Generation generation(GenerationStatus status, String provider, String task, Attempt... attempts) {
    return new Generation("gen_1", provider, "m", status, "p", null, "9:16", 10, new JsonObject(), new JsonObject(),
        null, task, null, List.of(), null, null, T0, status == QUEUED ? null : T0, null, T0, List.of(attempts));
  }

  private static Change webhook(GenerationStatus proposed, String task, GenerationError error, int attempt) {
    List<Output> outputs = proposed == SUCCEEDED ? List.of(Output.video("https://cdn.example/" + task + ".mp4")) : null;
    return new Change(Source.WEBHOOK, proposed, task, null, outputs, error, new JsonObject().put("deliveryId", 1), null, null)
        .withAttempt(attempt);
  }

  @Test
  void aRetryableFailureWithAttemptsLeftGoesBackToQueued() {
    Generation running = generation(PROCESSING, "kling", "t1", attempt(1, "kling", "t1", "processing", null));
    Transition t = GenerationStateMachine.transition(running, RUNNING, webhook(FAILED, "t1", TASK_FAILED, 1), NOW, 3);

    assertEquals(Verdict.RERUN, t.verdict());
    assertEquals(QUEUED, t.after().status());
    assertNull(t.after().providerTaskId(), "the next attempt brings its own task");
    assertNull(t.after().error());
    assertEquals(new Schedule(null, DEADLINE, "pending", NOW, true), t.schedule(), "due at once, the deadline kept");
    Attempt first = t.after().attempts().get(0);
    assertEquals("failed", first.status());
    assertEquals(TASK_FAILED, first.error());
    assertEquals(NOW, first.endedAt());
    assertEquals(List.of("webhook_received", "rerun"), t.timeline().stream().map(Transition.Entry::type).toList());
    assertEquals("rerun", t.timeline().get(0).detail().getString("verdict"));
    assertEquals(2, t.timeline().get(1).detail().getInteger("run"));
    assertFalse(t.lifecycleEvent(), "queued has no lifecycle event");
  }

  @Test
  void noRerunWithoutAttemptsOrTimeLeftNorForAFinalReason() {
    Generation running = generation(PROCESSING, "kling", "t1", attempt(1, "kling", "t1", "processing", null));
    assertEquals(FAILED, GenerationStateMachine.transition(running, RUNNING, webhook(FAILED, "t1", TASK_FAILED, 1), NOW, 1)
        .after().status(), "ORCH_MAX_ATTEMPTS=1");
    assertEquals(FAILED, GenerationStateMachine.transition(running, RUNNING, webhook(FAILED, "t1", CONTENT, 1), NOW, 3)
        .after().status(), "content policy is final");
    Schedule late = new Schedule(NOW, NOW.minusSeconds(1), "done", null, true);
    assertEquals(FAILED, GenerationStateMachine.transition(running, new Schedule(NOW, DEADLINE, "done", null, false),
        webhook(FAILED, "t1", TASK_FAILED, 1), NOW, 3).after().status(), "the client named the provider");
    assertEquals(FAILED, GenerationStateMachine.transition(running, late, webhook(FAILED, "t1", TASK_FAILED, 1), NOW, 3)
        .after().status(), "past the deadline");
    Generation thirdRun = generation(PROCESSING, "kling", "t3", attempt(1, "kling", "t1", "failed", TASK_FAILED),
        attempt(2, "a", null, Attempt.REFUSED, null), attempt(3, "kling", "t2", "failed", TASK_FAILED),
        attempt(4, "kling", "t3", "processing", null));
    Transition last = GenerationStateMachine.transition(thirdRun, RUNNING, webhook(FAILED, "t3", TASK_FAILED, 4), NOW, 3);
    assertEquals(FAILED, last.after().status(), "three jobs ran; a refused submission is not one");
    assertEquals(TASK_FAILED, last.after().error());
    assertEquals("failed", last.after().attempts().get(3).status());
  }

  @Test
  void aReportOfAnEarlierAttemptIsRecordedAndChangesNothing() {
    Generation succeeded = generation(SUCCEEDED, "kling", "t2", attempt(1, "kling", "t1", "failed", TASK_FAILED),
        attempt(2, "kling", "t2", "succeeded", null));
    Transition late = GenerationStateMachine.transition(succeeded, RUNNING, webhook(SUCCEEDED, "t1", null, 1), NOW, 3);
    assertEquals(Verdict.SUPERSEDED, late.verdict());
    assertSame(succeeded, late.after());
    assertFalse(late.updatesGeneration());
    assertEquals("webhook_rejected", late.timeline().get(0).type());
    assertEquals(1, late.timeline().get(0).detail().getInteger("attempt"));
    assertEquals(2, late.timeline().get(0).detail().getInteger("currentAttempt"));

    Generation rerunning = generation(SUBMITTED, "kling", "t2", attempt(1, "kling", "t1", "failed", TASK_FAILED),
        attempt(2, "kling", "t2", "submitted", null));
    Transition failureOfFirst = GenerationStateMachine.transition(rerunning, RUNNING, webhook(FAILED, "t1", TASK_FAILED, 1), NOW, 3);
    assertEquals(Verdict.SUPERSEDED, failureOfFirst.verdict());
    assertFalse(failureOfFirst.updatesGeneration());

    Generation requeued = generation(QUEUED, "kling", null, attempt(1, "kling", "t1", "failed", TASK_FAILED));
    Change pollOfFirst = new Change(Source.POLL, PROCESSING, "t1", 50, null, null, null, null, null).withAttempt(1);
    Transition poll = GenerationStateMachine.transition(requeued, RUNNING, pollOfFirst, NOW, 3);
    assertEquals(Verdict.SUPERSEDED, poll.verdict(), "attempt 1 was re-run: the generation follows attempt 2");
    assertEquals("polled", poll.timeline().get(0).type());
  }

  @Test
  void aCallbackOfTheSendInFlightCountsAndTheSubmitAnswerCompletesItsRecord() {
    Generation queued = generation(QUEUED, "vidgo", null, attempt(1, "sora", null, Attempt.REFUSED, null));
    Transition early = GenerationStateMachine.transition(queued, new Schedule(null, null, "sending", NOW),
        webhook(SUCCEEDED, "t2", null, 2), NOW, 3);
    assertEquals(SUCCEEDED, early.after().status());
    Attempt second = early.after().attempts().get(1);
    assertEquals(2, second.attempt());
    assertEquals("vidgo", second.provider());
    assertEquals("succeeded", second.status());
    assertNull(second.startedAt());

    Attempt sent = new Attempt(2, "vidgo", "m", "t2", "submitted", null, T0, null);
    Change answer = new Change(Source.SUBMIT, SUBMITTED, "t2", null, null, null, null, null, null).withSent(sent);
    Transition late = GenerationStateMachine.transition(early.after(), early.schedule(), answer, NOW, 3);
    assertEquals(SUCCEEDED, late.after().status(), "the answer never undoes what the callback said");
    assertEquals(2, late.after().attempts().size());
    assertEquals("succeeded", late.after().attempts().get(1).status());
    assertEquals(T0, late.after().attempts().get(1).startedAt());
  }

  @Test
  void aRequeueRecordsTheRefusedSendAndMovesToTheNewRoute() {
    Generation queued = generation(QUEUED, "runblob-sora", null);
    Attempt refused = new Attempt(1, "runblob-sora", "m", null, Attempt.REFUSED,
        new GenerationError("PROVIDER_UNAVAILABLE", "maintenance", true), T0, NOW);
    JsonObject failover = new JsonObject().put("reason", "maintenance");
    Transition t = GenerationStateMachine.transition(queued, new Schedule(null, null, "sending", NOW),
        Change.requeued(refused, new Change.Requeue("vidgo", "sora-2", NOW, failover), null), NOW, 3);
    assertEquals(QUEUED, t.after().status());
    assertEquals("vidgo", t.after().provider());
    assertEquals("sora-2", t.after().model());
    assertEquals(List.of(refused), t.after().attempts());
    assertEquals(new Schedule(null, null, "pending", NOW), t.schedule());
    assertEquals(List.of("failover"), t.timeline().stream().map(Transition.Entry::type).toList());
    assertFalse(t.lifecycleEvent());

    Transition sameRoute = GenerationStateMachine.transition(queued, new Schedule(null, null, "sending", NOW),
        Change.requeued(refused, new Change.Requeue("runblob-sora", "m", DEADLINE, null), null), NOW, 3);
    assertTrue(sameRoute.timeline().isEmpty(), "a retry at the same route is no failover");
    assertEquals(DEADLINE, sameRoute.schedule().nextSubmitAt());
  }
}
