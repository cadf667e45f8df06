package io.genorch.poller;

import static io.genorch.poller.PollerHarness.PROVIDERS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.config.ProviderSettings;
import io.genorch.common.testing.Await;
import io.genorch.common.work.LeasedWorkLoop;
import io.genorch.poller.PollerHarness.Instance;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Stopping a poller drains its loop without waiting for providers that do not answer. */
class PollerStopTest {

  @Test
  void stopGivesUpHangingCallsAndCompletesOnceNothingOfTheRoundIsInFlight() {
    String provider = "runblob-sora";
    try (PollerHarness h = new PollerHarness(Map.of())) {
      List<String> taskIds = h.createJobs(provider, "a slow glacier [sim:no-callback]", 20);
      h.awaitJobsFinished(provider, taskIds);
      h.insertOverdue("stop", Map.of(provider, taskIds));

      // the poller reaches its providers through a black hole: its checks hang for the whole provider timeout
      Vertx holeVertx = Vertx.vertx();
      AtomicInteger swallowed = new AtomicInteger();
      HttpServer hole = Await.result(holeVertx.createHttpServer().requestHandler(req -> swallowed.incrementAndGet())
          .listen(0, "127.0.0.1"));
      Map<String, String> viaHole = new HashMap<>();
      for (String p : PROVIDERS) {
        viaHole.put("ORCH_PROVIDER_" + ProviderSettings.envId(p) + "_BASE_URL",
            "http://127.0.0.1:" + hole.actualPort() + "/" + p);
      }
      viaHole.put("ORCH_PROVIDER_TIMEOUT_MS", "120000");
      viaHole.put("ORCH_POLL_LEASE_MS", "180000"); // a check starts only while its claim outlasts the provider timeout
      Instance a = h.startInstance(viaHole);
      try {
        Await.until("checks hanging at the provider", () -> swallowed.get(), n -> n > 0);

        long started = System.nanoTime();
        Await.result(a.vertx().undeploy(a.deploymentId()), Duration.ofSeconds(60));
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertTrue(took.compareTo(Duration.ofSeconds(30)) < 0, "stop waited for the providers: " + took);
        LeasedWorkLoop.Stats stats = a.verticle().loopStats();
        assertTrue(stats.claimed() > 0, stats.toString());
        assertEquals(stats.claimed(), stats.done() + stats.failed() + stats.skipped(),
            "stop completed with nothing of the round still running: " + stats);
        assertEquals(0, a.ctx().gate().inFlight(provider), "every permit of a call in flight was given back");
        assertEquals(0, h.scalar("SELECT count(*) FROM generation_events e JOIN generations g ON g.id = e.generation_id"
            + " WHERE g.id LIKE 'gen_stop_%' AND e.type = 'polled'"), "nothing written for the answers given up");
        assertEquals(20, h.scalar("SELECT count(*) FROM generations WHERE id LIKE 'gen_stop_%' AND status = 'submitted'"));
      } finally {
        Await.result(a.vertx().close());
        Await.result(holeVertx.close());
      }
    }
  }
}
