package io.genorch.orchestrator;

import static io.genorch.common.testing.BenchmarkReport.seconds;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.genorch.common.ServiceContext;
import io.genorch.common.config.OrchConfig;
import io.genorch.common.config.ProviderSettings;
import io.genorch.common.provider.ProviderSpec;
import io.genorch.common.testing.Await;
import io.genorch.common.testing.BenchmarkReport;
import io.genorch.common.testing.SimulatedProviders;
import io.genorch.common.testing.TestDatabase;
import io.genorch.orchestrator.submission.SubmissionVerticle;
import io.genorch.simulator.ProviderSimulator;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The submission loop alone: a queued backlog (no accepts competing, jobs that outlast the run so no callbacks or
 * output copies follow) sent to the in-process simulator by one SubmissionVerticle with default settings. Once with
 * the permit table empty, as on a fresh database (every permit adds a slot, and concurrent permits of one provider
 * race to add the same one), once with free slots made beforehand (every permit reuses one).
 */
@Tag("benchmark")
class SubmissionBenchmark {

  static final int BACKLOG = 10_000;

  @Test
  void sendingABacklog() throws Exception {
    BenchmarkReport report = BenchmarkReport.start("submission", "the submission loop alone (SubmissionBenchmark)")
        .line("setup", BACKLOG + " queued generations over the 5 providers, one SubmissionVerticle (batch "
            + "ORCH_SUBMIT_BATCH_SIZE, lanes ORCH_SUBMIT_CONCURRENCY: defaults), simulator in-process (same JVM),\n"
            + "every MAX_RPM 1000000, pool 16; jobs run for an hour: no callbacks, polls or copies during the run");
    try {
      run(report, "(a) fresh permit table", false);
      run(report, "(b) free slots made first", true);
    } finally {
      report.line("rerun", "bench/run.sh submit").write();
    }
  }

  private void run(BenchmarkReport report, String label, boolean slotsFirst) {
    try (TestDatabase db = TestDatabase.create();
        SimulatedProviders providers = new SimulatedProviders(0.01, Duration.ofHours(100))) {
      Map<String, String> env = new HashMap<>(providers.enableAll());
      for (String provider : ProviderSimulator.PROVIDERS) {
        env.put("ORCH_PROVIDER_" + ProviderSettings.envId(provider) + "_MAX_RPM", "1000000");
      }
      env.put("ORCH_PUBLIC_WEBHOOK_BASE_URL", "http://127.0.0.1:9");
      Vertx vertx = Vertx.vertx();
      try {
        ServiceContext ctx = ServiceContext.create(vertx, db.open(), OrchConfig.of(env));
        for (String provider : ProviderSimulator.PROVIDERS) {
          ProviderSpec spec = ctx.adapter(provider).spec();
          db.execute("INSERT INTO generations (id, provider, model, status, prompt, aspect_ratio, duration_seconds,"
              + " created_at, updated_at, submit_state, next_submit_at)"
              + " SELECT 'gen_bench_" + provider + "_' || i, '" + provider + "', '" + spec.defaultModel() + "', 'queued',"
              + " 'backlog ' || i || ' [sim:no-callback]', '9:16', " + spec.defaultDuration() + ", now(), now(), 'pending', now()"
              + " FROM generate_series(1, " + BACKLOG / ProviderSimulator.PROVIDERS.size() + ") i");
          if (slotsFirst) {
            db.execute("INSERT INTO provider_permit_slots (provider, slot) SELECT '" + provider + "', s"
                + " FROM generate_series(0, " + (BACKLOG - 1) + ") s");
          }
        }
        // only what was filled, as on a database in use: a table analyzed while empty (lifecycle_events, the fresh
        // permit table of (a)) gets its prepared statements' generic plan for an empty table after a few runs, a seq
        // scan per row, which the growing table then makes quadratic (a 5,000-event sequencer pass took 44 s)
        db.execute(slotsFirst ? "ANALYZE generations, provider_permit_slots" : "ANALYZE generations");
        long started = System.nanoTime();
        Await.result(vertx.deployVerticle(new SubmissionVerticle(ctx)));
        long sent = waitSent(db, started + Duration.ofSeconds(300).toNanos());
        long elapsed = System.nanoTime() - started;
        long calls = ProviderSimulator.PROVIDERS.stream().mapToLong(providers.simulator::submitCalls).sum();
        report.rate(label, sent / seconds(elapsed), "generations sent",
            String.format("(%d submitted in %.2f s; %d submit requests)", sent, seconds(elapsed), calls));
        assertEquals(BACKLOG, sent, "the whole backlog was sent");
      } finally {
        Await.result(vertx.close(), Duration.ofSeconds(60));
      }
    }
  }

  /**
   * Generations sent once all are, or at {@code deadlineNanos}. One connection, a count every 100 ms: a new
   * connection every 20 ms, and a count over the whole table that often, cost the server a backend start and a scan
   * each time beside what is measured.
   */
  private static long waitSent(TestDatabase db, long deadlineNanos) {
    try (var c = db.connect(); var st = c.prepareStatement("SELECT count(*) FROM generations WHERE submitted_at IS NOT NULL")) {
      while (true) {
        long sent;
        try (var rs = st.executeQuery()) {
          rs.next();
          sent = rs.getLong(1);
        }
        if (sent >= BACKLOG || System.nanoTime() - deadlineNanos > 0) {
          return sent;
        }
        Thread.sleep(100);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
