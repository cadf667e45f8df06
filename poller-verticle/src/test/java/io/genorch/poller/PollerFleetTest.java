package io.genorch.poller;

import static io.genorch.poller.PollerHarness.PROVIDERS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.config.ProviderSettings;
import io.genorch.common.testing.Await;
import io.genorch.poller.PollerHarness.Instance;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Several poller instances on one database, as several service processes would be. */
class PollerFleetTest {

  private static PollerHarness h;

  @BeforeAll
  static void start() {
    h = new PollerHarness(Map.of());
  }

  @AfterAll
  static void stop() {
    h.close();
  }

  @Test
  void twoInstancesShareTheOverdueGenerationsAndCheckEachExactlyOnce() {
    int perProvider = 200;
    Map<String, List<String>> tasks = new LinkedHashMap<>();
    for (String provider : PROVIDERS) {
      tasks.put(provider, h.createJobs(provider, "a field of sunflowers [sim:no-callback]", perProvider));
    }
    tasks.forEach(h::awaitJobsFinished);

    Instance a = h.startInstance(Map.of());
    Instance b = h.startInstance(Map.of());
    try {
      // both are running before anything is due: all 1000 become due in the same instant
      List<String> ids = h.insertOverdue("fleet", tasks);
      assertEquals(1000, ids.size());

      Await.until("all 1000 resolved", Duration.ofSeconds(60), () -> h.scalar("SELECT count(*) FROM generations WHERE id LIKE 'gen_fleet_%'"
          + " AND status = 'succeeded' AND resolved_by = 'poll'"), n -> n == 1000);

      List<String> checkedTwiceOrNever = new ArrayList<>();
      tasks.forEach((provider, taskIds) -> taskIds.forEach(t -> {
        int calls = h.sim.statusCalls(provider, t);
        if (calls != 1) {
          checkedTwiceOrNever.add(provider + "/" + t + ": " + calls);
        }
      }));
      assertEquals(List.of(), checkedTwiceOrNever, "the simulator saw exactly one status call per generation");
      long checksA = a.verticle().statusChecks();
      long checksB = b.verticle().statusChecks();
      assertEquals(1000, checksA + checksB);
      assertTrue(checksA > 0 && checksB > 0, "both instances took part: " + checksA + " / " + checksB);
      assertEquals(1000, h.scalar("SELECT count(*) FROM generation_events WHERE generation_id LIKE 'gen_fleet_%' AND type = 'polled'"));
      assertEquals(0, h.scalar("SELECT count(*) FROM generations WHERE id LIKE 'gen_fleet_%' AND next_check_at IS NOT NULL"));
    } finally {
      a.close();
      b.close();
    }
  }

  @Test
  void whatAStoppedInstanceClaimedIsCheckedByAnotherOnceItsLeaseRunsOut() {
    Duration lease = Duration.ofSeconds(3);
    String provider = "runblob-sora";
    List<String> taskIds = h.createJobs(provider, "a slow glacier [sim:no-callback]", 40);
    h.awaitJobsFinished(provider, taskIds);
    List<String> ids = h.insertOverdue("lease", Map.of(provider, taskIds));

    // instance A reaches its providers through a black hole: its checks hang until it is stopped
    Vertx holeVertx = Vertx.vertx();
    AtomicInteger swallowed = new AtomicInteger();
    HttpServer hole = Await.result(holeVertx.createHttpServer().requestHandler(req -> swallowed.incrementAndGet()).listen(0, "127.0.0.1"));
    Map<String, String> viaHole = new HashMap<>();
    for (String p : PROVIDERS) {
      viaHole.put("ORCH_PROVIDER_" + ProviderSettings.envId(p) + "_BASE_URL", "http://127.0.0.1:" + hole.actualPort() + "/" + p);
    }
    // a check starts only while the claim outlasts the provider timeout, and A is stopped long before its checks time out
    viaHole.put("ORCH_PROVIDER_TIMEOUT_MS", "2000");
    viaHole.put("ORCH_POLL_LEASE_MS", String.valueOf(lease.toMillis()));
    Instance a = h.startInstance(viaHole);
    try {
      Await.until("A claimed all 40 and is stuck checking them", () -> swallowed.get() > 0
          && h.scalar("SELECT count(*) FROM generations WHERE id LIKE 'gen_lease_%' AND poll_attempts = 1 AND next_check_at > now()") == 40,
          done -> done);
    } finally {
      a.close(); // mid-batch: some checks in flight, the rest claimed and not started
    }
    Instant leaseEnd = Instant.ofEpochMilli(h.scalar(
        "SELECT (extract(epoch FROM min(next_check_at)) * 1000)::bigint FROM generations WHERE id LIKE 'gen_lease_%'"));

    Instance b = h.startInstance(Map.of("ORCH_POLL_LEASE_MS", String.valueOf(lease.toMillis()), "ORCH_PROVIDER_TIMEOUT_MS", "2000"));
    try {
      // until A's lease runs out, B leaves them alone
      Await.until("A's lease to run out, B checking nothing meanwhile", Duration.ofSeconds(60), () -> {
        assertEquals(0, h.scalar("SELECT count(*) FROM generations WHERE id LIKE 'gen_lease_%' AND status = 'succeeded'"));
        assertEquals(0, taskIds.stream().mapToInt(t -> h.sim.statusCalls(provider, t)).sum());
        return Instant.now();
      }, now -> !now.isBefore(leaseEnd.minusMillis(300)));
      Await.until("B resolved all 40", () -> h.scalar("SELECT count(*) FROM generations WHERE id LIKE 'gen_lease_%'"
          + " AND status = 'succeeded' AND resolved_by = 'poll'"), n -> n == 40);
      taskIds.forEach(t -> assertEquals(1, h.sim.statusCalls(provider, t), t));
      assertEquals(0, h.scalar("SELECT count(*) FROM generations WHERE id LIKE 'gen_lease_%' AND completed_at < to_timestamp("
          + leaseEnd.toEpochMilli() / 1000.0 + ")"), "none before A's lease ran out");
      assertEquals(40, ids.size());
    } finally {
      b.close();
      Await.result(holeVertx.close());
    }
  }

  @Test
  void aCheckWhoseCallCouldOutliveTheClaimIsNotStartedButHandedBack() {
    // one check at a time through a provider that never answers: the first call takes the whole 2 s timeout, after
    // which the 3 s claim has about 1 s left, too little for another call, so the other nine are handed back unasked
    String provider = "vidgo";
    List<String> taskIds = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      taskIds.add("outlive-task-" + i);
    }
    h.insertOverdue("outlive", Map.of(provider, taskIds));
    Vertx holeVertx = Vertx.vertx();
    AtomicInteger swallowed = new AtomicInteger();
    HttpServer hole = Await.result(holeVertx.createHttpServer().requestHandler(req -> swallowed.incrementAndGet()).listen(0, "127.0.0.1"));
    Instance poller = h.startInstance(Map.of(
        "ORCH_PROVIDER_" + ProviderSettings.envId(provider) + "_BASE_URL", "http://127.0.0.1:" + hole.actualPort() + "/" + provider,
        "ORCH_PROVIDER_TIMEOUT_MS", "2000",
        "ORCH_POLL_LEASE_MS", "3000",
        "ORCH_POLL_CONCURRENCY", "1",
        "ORCH_POLL_BATCH_SIZE", "20",
        "ORCH_POLL_INTERVAL_MS", "600000"));
    try {
      Await.until("nine handed back unasked, due again and not counted as checks", Duration.ofSeconds(20), () -> h.scalar(
          "SELECT count(*) FROM generations WHERE id LIKE 'gen_outlive_%' AND poll_attempts = 0 AND next_check_at <= now()"),
          n -> n == 9);
      Await.until("the one asked recorded as unanswered", () -> h.scalar("SELECT count(*) FROM generation_events"
          + " WHERE generation_id LIKE 'gen_outlive_%' AND type = 'polled'"), n -> n == 1);
      assertEquals(1, swallowed.get(), "only the call that fit in the claim was made");
    } finally {
      poller.close();
      Await.result(holeVertx.close());
    }
  }
  @Test
  void aProviderThatDoesNotAnswerHoldsOnlyItsOwnCallSlots() {
    // vidgo never answers (a black hole) and its two generations come first in due order; with one call slot for the
    // whole instance they would hold it for the provider timeout each, and runblob-sora's checks would wait behind
    String silent = "vidgo";
    String answering = "runblob-sora";
    List<String> answeringTasks = h.createJobs(answering, "a lighthouse at dusk [sim:no-callback]", 3);
    h.awaitJobsFinished(answering, answeringTasks);
    h.insertOverdue("slots", Map.of(silent, List.of("silent-task-0", "silent-task-1"), answering, answeringTasks));
    h.db.execute("UPDATE generations SET next_check_at = now() - interval '1 minute' WHERE id LIKE 'gen_slots_" + silent + "_%'");
    Vertx holeVertx = Vertx.vertx();
    AtomicInteger swallowed = new AtomicInteger();
    HttpServer hole = Await.result(holeVertx.createHttpServer().requestHandler(req -> swallowed.incrementAndGet()).listen(0, "127.0.0.1"));
    Instance poller = h.startInstance(Map.of(
        "ORCH_PROVIDER_" + ProviderSettings.envId(silent) + "_BASE_URL", "http://127.0.0.1:" + hole.actualPort() + "/" + silent,
        "ORCH_PROVIDER_TIMEOUT_MS", "10000",
        "ORCH_POLL_CONCURRENCY", "1"));
    try {
      Await.until(silent + "'s first call sent", swallowed::get, n -> n == 1);
      Await.until(answering + "'s three resolved", () -> h.scalar("SELECT count(*) FROM generations WHERE id LIKE 'gen_slots_"
          + answering + "_%' AND status = 'succeeded' AND resolved_by = 'poll'"), n -> n == 3);
      assertEquals(1, swallowed.get(), silent + "'s one slot holds its first call; its second waits for that slot");
      assertEquals(0, h.scalar("SELECT count(*) FROM generation_events WHERE generation_id LIKE 'gen_slots_" + silent + "_%'"),
          silent + "'s call is still unanswered");
    } finally {
      poller.close();
      Await.result(holeVertx.close());
    }
  }
}
