package io.genorch.poller;

import static io.genorch.poller.PollerHarness.PROVIDERS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.config.ProviderSettings;
import io.genorch.common.domain.Generation;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.domain.Output;
import io.genorch.common.domain.ResolvedBy;
import io.genorch.common.persistence.GenerationStore.TimelineEntry;
import io.genorch.common.statemachine.Change;
import io.genorch.common.statemachine.Source;
import io.genorch.common.testing.Await;
import io.genorch.poller.PollerHarness.Instance;
import io.genorch.poller.PollerHarness.Submitted;
import io.genorch.simulator.SimJob;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One poller against the simulator, every provider in its own dialect. Callbacks are always lost
 * ([sim:no-callback]) so whatever happens is the poller's doing. Every provider's callback is overdue at once
 * (grace 0) and its deadline is 4 s after submission; the poller checks every 50 ms with a backoff of 200 ms
 * doubling to 1 s.
 */
class PollerReconcileTest {

  static final Duration DEADLINE = Duration.ofSeconds(4);
  static final PollBackoff BACKOFF = new PollBackoff(Duration.ofMillis(200), Duration.ofMillis(1000));
  static final Duration GATE_RETRY = Duration.ofMillis(300);

  private static PollerHarness h;
  private Instance poller;

  @BeforeAll
  static void start() {
    Map<String, String> env = new HashMap<>();
    for (String provider : PROVIDERS) {
      String prefix = "ORCH_PROVIDER_" + ProviderSettings.envId(provider) + "_";
      env.put(prefix + "CALLBACK_GRACE_S", "0");
      env.put(prefix + "DEADLINE_S", String.valueOf(DEADLINE.toSeconds()));
    }
    env.put("ORCH_POLL_BACKOFF_MS", String.valueOf(BACKOFF.base().toMillis()));
    env.put("ORCH_POLL_BACKOFF_CAP_MS", String.valueOf(BACKOFF.cap().toMillis()));
    env.put("ORCH_POLL_GATE_RETRY_MS", String.valueOf(GATE_RETRY.toMillis()));
    h = new PollerHarness(env);
  }

  @AfterAll
  static void stop() {
    h.close();
  }

  @BeforeEach
  void deploy() {
    poller = h.startInstance(Map.of());
  }

  @AfterEach
  void undeploy() {
    poller.close();
  }

  @Test
  void lostCallbacksAreReplacedByPollingWithTheProvidersTrueOutcome() {
    List<Submitted> successes = PROVIDERS.stream().map(p -> h.submit(p, "a lighthouse at dusk [sim:no-callback]")).toList();
    List<Submitted> failures = PROVIDERS.stream()
        .map(p -> h.submit(p, "a lighthouse at dusk [sim:no-callback] [sim:fail=CONTENT_POLICY_VIOLATION]")).toList();

    for (Submitted s : successes) {
      Generation g = h.awaitTerminal(s.id(), Duration.ofSeconds(10));
      assertEquals(GenerationStatus.SUCCEEDED, g.status(), s.provider());
      assertEquals(ResolvedBy.POLL, g.resolvedBy(), s.provider());
      SimJob job = h.sim.job(s.provider(), s.taskId()).orElseThrow();
      assertEquals(List.of(job.resultUrl()), g.outputs().stream().map(Output::url).toList(), s.provider());
      assertTrue(h.timelineTypes(s.id()).contains("polled"), s.provider() + ": " + h.timelineTypes(s.id()));
      assertTrue(h.sim.webhookAttempts(s.provider(), s.taskId()).isEmpty(), "no callback was involved");
    }
    for (Submitted s : failures) {
      Generation g = h.awaitTerminal(s.id(), Duration.ofSeconds(10));
      assertEquals(GenerationStatus.FAILED, g.status(), s.provider());
      assertEquals(ResolvedBy.POLL, g.resolvedBy(), s.provider());
      assertNotNull(g.error(), s.provider());
      assertNotEquals("PROVIDER_TASK_NOT_FOUND", g.error().code(), s.provider());
      assertNotEquals("DEADLINE_EXCEEDED", g.error().code(), s.provider());
      assertTrue(g.outputs().isEmpty(), s.provider());
    }
  }

  @Test
  void aJobThatEndedUnseenIsRecordedAsItEndedWhenItsDeadlineComes() {
    poller.close(); // nobody looks until the deadline
    Submitted s = h.submit("vidgo", "a quiet harbour [sim:no-callback]");
    h.sim.finishNow("vidgo", s.taskId(), true, null);
    h.db.execute("UPDATE generations SET deadline_at = now() - interval '1 second', next_check_at = now()"
        + " WHERE id = '" + s.id() + "'");
    poller = h.startInstance(Map.of());

    Generation g = h.awaitTerminal(s.id(), Duration.ofSeconds(10));
    assertEquals(GenerationStatus.SUCCEEDED, g.status(), "asked once more at the deadline instead of timed out");
    assertEquals(ResolvedBy.POLL, g.resolvedBy());
    TimelineEntry polled = h.timeline(s.id()).stream().filter(e -> e.type().equals("polled")).findFirst().orElseThrow();
    assertEquals(Boolean.TRUE, polled.detail().getBoolean("atDeadline"), polled.detail().encode());
  }

  @Test
  void generationsThatNeverFinishTimeOutAtTheirDeadline() {
    List<Submitted> subs = PROVIDERS.stream().map(p -> h.submit(p, "an endless river [sim:no-callback] [sim:never-finish]")).toList();

    for (Submitted s : subs) {
      Generation g = h.awaitTerminal(s.id(), DEADLINE.plusSeconds(10));
      assertEquals(GenerationStatus.TIMED_OUT, g.status(), s.provider());
      assertEquals(ResolvedBy.TIMEOUT, g.resolvedBy(), s.provider());
      assertEquals("DEADLINE_EXCEEDED", g.error().code(), s.provider());
      assertFalse(g.completedAt().isBefore(deadlineOf(s.id())), "not before its deadline: " + g);
      // it was asked about meanwhile, and found running
      assertTrue(h.sim.statusCalls(s.provider(), s.taskId()) >= 1, s.provider());
      List<String> types = h.timelineTypes(s.id());
      assertTrue(types.contains("polled"), types.toString());
      assertEquals("timed_out", types.get(types.size() - 1), types.toString());
      assertFalse(types.contains("failed") || types.contains("succeeded"), types.toString());
    }
  }

  @Test
  void aTaskTheProviderDoesNotKnowFailsTheGeneration() {
    List<Submitted> subs = PROVIDERS.stream().map(p -> h.submit(p, "a paper boat [sim:no-callback] [sim:status-404]")).toList();

    for (Submitted s : subs) {
      Generation g = h.awaitTerminal(s.id(), Duration.ofSeconds(10));
      assertEquals(GenerationStatus.FAILED, g.status(), s.provider());
      assertEquals(ResolvedBy.POLL, g.resolvedBy(), s.provider());
      assertEquals("PROVIDER_TASK_NOT_FOUND", g.error().code(), s.provider());
      assertEquals(1, h.sim.statusCalls(s.provider(), s.taskId()), s.provider());
    }
  }

  @Test
  void anUnavailableProviderIsAskedAgainWithGrowingIntervalsUntilTheDeadline() {
    List<Submitted> subs = PROVIDERS.stream().map(p -> h.submit(p, "a storm at sea [sim:no-callback] [sim:status-error=503]")).toList();

    // well before the deadline: asked several times, every answer a 503, and still running
    for (Submitted s : subs) {
      Await.until(s.provider() + " asked three times", () -> h.sim.statusCalls(s.provider(), s.taskId()), n -> n >= 3);
      Generation g = h.generation(s.id());
      assertFalse(g.status().isTerminal(), s.provider() + " is still running after 503s: " + g.status());
    }
    for (Submitted s : subs) {
      Generation g = h.awaitTerminal(s.id(), DEADLINE.plusSeconds(10));
      assertEquals(GenerationStatus.TIMED_OUT, g.status(), s.provider() + ": a provider that cannot answer fails nothing");
      assertFalse(g.completedAt().isBefore(deadlineOf(s.id())));

      List<TimelineEntry> polls = h.timeline(s.id()).stream().filter(e -> e.type().equals("polled")).toList();
      assertTrue(polls.size() >= 3, s.provider() + ": " + polls.size() + " checks");
      assertEquals(h.sim.statusCalls(s.provider(), s.taskId()), polls.size(), "one polled entry per status call");
      polls.forEach(p -> assertEquals("unavailable", p.detail().getString("result"), p.detail().encode()));
      assertEquals(Boolean.TRUE, polls.get(polls.size() - 1).detail().getBoolean("atDeadline"), "a last look at the deadline");
      for (int i = 1; i < polls.size() - 1; i++) { // the last look comes at the deadline, whatever the backoff says
        long gap = Duration.between(polls.get(i - 1).at(), polls.get(i).at()).toMillis();
        long planned = Math.min(200L << (i - 1), 1000); // 200 ms doubling to 1 s, written out rather than computed by the code under test
        assertTrue(gap >= planned - 25, s.provider() + ": check " + (i + 1) + " came " + gap + " ms after the one before, planned " + planned);
      }
      long first = Duration.between(polls.get(0).at(), polls.get(1).at()).toMillis();
      long second = Duration.between(polls.get(1).at(), polls.get(2).at()).toMillis();
      assertTrue(second > first, s.provider() + ": the wait grows (" + first + " ms, then " + second + " ms)");
    }
  }

  @Test
  void anAmbiguousSubmitWaitsForItsDeadlineWithoutAskingTheProvider() {
    // as the submitter leaves a submit that got no answer: submitted without a task id; here due at once
    String id = Await.result(h.ctx.store().create(h.request("runblob-sora", "a kite [sim:no-callback]"), null)).generation().id();
    Instant now = Instant.now();
    Await.result(h.ctx.store().apply(id, new Change(Source.SUBMIT, GenerationStatus.SUBMITTED, null, null, null, null, null,
        now, now.plus(DEADLINE))));

    Await.until("the poller put it off until its deadline",
        () -> h.scalar("SELECT count(*) FROM generations WHERE id = '" + id + "' AND next_check_at = deadline_at"), n -> n == 1);
    assertEquals(0, h.scalar("SELECT poll_attempts FROM generations WHERE id = '" + id + "'"), "no check was counted");

    Generation g = h.awaitTerminal(id, DEADLINE.plusSeconds(10));
    assertEquals(GenerationStatus.TIMED_OUT, g.status());
    assertEquals(ResolvedBy.TIMEOUT, g.resolvedBy());
    assertFalse(h.timelineTypes(id).contains("polled"), h.timelineTypes(id).toString());
  }

  @Test
  void aUsedUpRequestBudgetDefersChecksWithoutCountingThem() {
    String provider = "vidgo";
    // the fleet has used the whole budget (1,000,000 in the harness) just now: its last slot exists, and every
    // slot looks used a few minutes ahead, so the gate refuses
    h.db.execute("INSERT INTO provider_permit_slots (provider, slot) VALUES ('" + provider + "', 999999)"
        + " ON CONFLICT (provider, slot) DO NOTHING");
    h.db.execute("UPDATE provider_permit_slots SET used_at = now() + interval '3 minutes' WHERE provider = '" + provider + "'");
    List<Submitted> subs;
    try {
      subs = List.of(h.submit(provider, "a quiet lake [sim:no-callback]"), h.submit(provider, "a quiet lake [sim:no-callback]"),
          h.submit(provider, "a quiet lake [sim:no-callback]"));
      // what is tested is the refusal, not the deadline: on a slow machine the class's 4 s passed before the budget
      // came back, and the generations timed out instead of being checked
      h.db.execute("UPDATE generations SET deadline_at = now() + interval '2 minutes' WHERE id IN ("
          + String.join(", ", subs.stream().map(s -> "'" + s.id() + "'").toList()) + ")");
      h.awaitJobsFinished(provider, subs.stream().map(Submitted::taskId).toList());
      for (Submitted s : subs) {
        awaitHandedBackTwice(s.id());
      }

      for (Submitted s : subs) {
        assertEquals(0, h.sim.statusCalls(provider, s.taskId()), "no request without a permit");
        assertEquals(GenerationStatus.SUBMITTED, h.generation(s.id()).status());
        assertFalse(h.timelineTypes(s.id()).contains("polled"));
        assertEquals(0, h.scalar("SELECT poll_attempts FROM generations WHERE id = '" + s.id() + "'"), "refusals are not checks");
        Await.until("retried shortly, not at the deadline", () -> h.scalar("SELECT count(*) FROM generations WHERE id = '" + s.id()
            + "' AND next_check_at <= now() + interval '" + GATE_RETRY.toMillis() + " milliseconds'"), n -> n == 1);
      }
    } finally {
      h.db.execute("DELETE FROM provider_permit_slots WHERE provider = '" + provider + "'"); // a fresh budget
    }

    for (Submitted s : subs) {
      Generation g = h.awaitTerminal(s.id(), Duration.ofSeconds(10));
      assertEquals(GenerationStatus.SUCCEEDED, g.status());
      assertEquals(ResolvedBy.POLL, g.resolvedBy());
      assertEquals(1, h.sim.statusCalls(provider, s.taskId()), "checked once the budget allowed, and once was enough");
    }
  }

  private static Instant deadlineOf(String id) {
    return Instant.ofEpochMilli(h.scalar(
        "SELECT (extract(epoch FROM deadline_at) * 1000)::bigint FROM generations WHERE id = '" + id + "'"));
  }

  /**
   * Each claim and each hand-back moves a generation's next check: four moves seen are two rounds that claimed it
   * and gave it back (moves between two looks are missed, which only makes the wait longer, never shorter).
   */
  private void awaitHandedBackTwice(String id) {
    List<Long> seen = new ArrayList<>();
    Await.until(id + " claimed and handed back twice", () -> {
      long nextCheck = h.scalar("SELECT coalesce((extract(epoch FROM next_check_at) * 1000000)::bigint, 0) FROM generations"
          + " WHERE id = '" + id + "'");
      if (seen.isEmpty() || seen.get(seen.size() - 1) != nextCheck) {
        seen.add(nextCheck);
      }
      return seen.size() - 1;
    }, moves -> moves >= 4);
  }
}
