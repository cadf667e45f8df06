package io.genorch.webhook;

import static io.genorch.common.testing.Await.result;
import static io.genorch.common.testing.BenchmarkReport.ms;
import static io.genorch.common.testing.BenchmarkReport.percentile;
import static io.genorch.common.testing.BenchmarkReport.seconds;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.genorch.common.config.OrchConfig;
import io.genorch.common.testing.BenchmarkReport;
import io.genorch.common.testing.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Acknowledgement throughput and latency of the webhook verticle on this machine, over loopback HTTP with a real
 * PostgreSQL: {@value #GENERATIONS} generations each get their terminal callback twice (a first delivery and a
 * redelivery), {@value #CONCURRENCY} requests in flight, after {@value #WARMUP} warm-up deliveries and
 * {@value #SOLO} deliveries sent one at a time (the latency when nothing queues). The
 * verticle processes while it acknowledges, as in production. Two more phases: applying alone ({@value #BACKLOG}
 * terminal deliveries stored by an ingest-only verticle, then a processing verticle started and timed until the
 * backlog is drained), and acknowledgements at a fixed offered rate of {@value #FIXED_RATE}/s (open loop: each
 * delivery is sent at its scheduled time whether or not earlier ones were answered, and its latency counts from
 * that time). Bounded in count and in time
 * ({@link #TIME_LIMIT}). Not part of the test suite (tag "benchmark"); run it with {@code bench/run.sh webhook}.
 * The report goes to {@code target/benchmarks/webhook.txt}.
 */
@Tag("benchmark")
class WebhookBenchmark {

  static final int GENERATIONS = 5_000;
  static final int WARMUP = 1_000;
  static final int CONCURRENCY = 64;
  static final int SOLO = 1_000;
  /** Generations whose one terminal delivery is stored while nothing applies, then applied as a backlog. */
  static final int BACKLOG = 10_000;
  /** The offered rate of the fixed-rate phase, and how many generations (x 2 deliveries) it covers. */
  static final int FIXED_RATE = 2_000;
  static final int FIXED_RATE_GENERATIONS = 5_000;
  static final Duration TIME_LIMIT = Duration.ofSeconds(120);

  @Test
  void acknowledgementThroughputAndLatency() throws Exception {
    try (TestDatabase db = TestDatabase.create()) {
      Vertx server = Vertx.vertx();
      Vertx client = Vertx.vertx();
      try {
        run(db, server, client);
      } finally {
        result(client.close());
        result(server.close());
      }
    }
  }

  private void run(TestDatabase db, Vertx server, Vertx client) throws IOException {
    OrchConfig config = OrchConfig.of(Map.of());
    WebhookHarness h = WebhookHarness.start(server, db, config, WebhookOptions.from(config));
    int warmupGenerations = WARMUP;
    arrange(db, "warm", warmupGenerations);
    arrange(db, "solo", SOLO);
    arrange(db, "bench", GENERATIONS);

    WebClient http = WebClient.create(client, new WebClientOptions().setKeepAlive(true).setPipelining(false),
        new PoolOptions().setHttp1MaxSize(CONCURRENCY));
    // warm-up: JIT, prepared statements, connection pools
    drive(http, h.port(), "warm", warmupGenerations, warmupGenerations, CONCURRENCY, Instant.now().plus(TIME_LIMIT));
    waitProcessed(db, Instant.now().plus(TIME_LIMIT));

    // one at a time: the latency of an acknowledgement when nothing queues
    long[] single = drive(http, h.port(), "solo", SOLO, SOLO, 1, Instant.now().plus(TIME_LIMIT));
    waitProcessed(db, Instant.now().plus(TIME_LIMIT));
    long[] soloSorted = Arrays.stream(single).filter(l -> l >= 0).sorted().toArray();

    // applying alone: the processing verticle goes, an ingest-only one stores the backlog, then a processing one
    // (which from then on also takes the acknowledgements) drains it
    arrange(db, "drain", BACKLOG);
    arrange(db, "rate", FIXED_RATE_GENERATIONS);
    result(server.undeploy(h.verticle.deploymentID()));
    WebhookVerticle ingestOnly = new WebhookVerticle(h.ctx, 0, WebhookOptions.from(config).withProcessing(false));
    String ingestOnlyId = result(server.deployVerticle(ingestOnly));
    long walBeforeFill = walPosition(db);
    long fillStart = System.nanoTime();
    long[] filled = drive(http, ingestOnly.actualPort(), "drain", BACKLOG, BACKLOG, CONCURRENCY, Instant.now().plus(TIME_LIMIT));
    long fillNanos = System.nanoTime() - fillStart;
    long[] filledSorted = Arrays.stream(filled).filter(l -> l >= 0).sorted().toArray();
    long stored = filledSorted.length;
    long walAfterFill = walPosition(db);
    WebhookVerticle processing = new WebhookVerticle(h.ctx, 0, WebhookOptions.from(config));
    long drainStart = System.nanoTime();
    result(server.deployVerticle(processing));
    long drainNanos = waitProcessed(db, Instant.now().plus(TIME_LIMIT));
    long walAfterDrain = walPosition(db);
    long drainedTransitions = db.count("SELECT count(*) FROM generations WHERE id LIKE 'gen_drain_%' AND status = 'succeeded'");
    if (drainNanos >= 0) {
      drainNanos = System.nanoTime() - drainStart;
    }
    // read now, while the phases' WAL is surely still on disk
    String walByRelation = "WAL of the acks alone, by relation:\n" + walBreakdown(db, walBeforeFill, walAfterFill, stored, "delivery")
        + "WAL of the backlog applied, by relation:\n" + walBreakdown(db, walAfterFill, walAfterDrain, drainedTransitions, "transition");
    result(server.undeploy(ingestOnlyId));
    int port = processing.actualPort();

    int count = GENERATIONS * 2;
    // how long the oldest event of the latest sequencer pass waited from its transition to its seq, sampled
    List<Double> lifecycleLags = Collections.synchronizedList(new ArrayList<>());
    long lagSampler = server.setPeriodic(10, id -> lifecycleLags.add(h.ctx.store().sequencer().lagSeconds()));
    long started = System.nanoTime();
    long[] latencies = drive(http, port, "bench", GENERATIONS, count, CONCURRENCY, Instant.now().plus(TIME_LIMIT));
    long ackedNanos = System.nanoTime() - started;
    long processedWait = waitProcessed(db, Instant.now().plus(TIME_LIMIT));
    long allAppliedNanos = System.nanoTime() - started;
    server.cancelTimer(lagSampler);

    // a fixed offered rate, as a provider fleet sends: the ack latency when the service keeps up
    int rateCount = FIXED_RATE_GENERATIONS * 2;
    long rateStart = System.nanoTime();
    long[] rateLatencies = driveAtRate(client, http, port, "rate", FIXED_RATE_GENERATIONS, rateCount, FIXED_RATE);
    long rateNanos = System.nanoTime() - rateStart;
    long rateProcessedWait = waitProcessed(db, Instant.now().plus(TIME_LIMIT));
    long[] rateSorted = Arrays.stream(rateLatencies).filter(l -> l >= 0).sorted().toArray();
    double[] lags;
    synchronized (lifecycleLags) {
      lags = lifecycleLags.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    }

    long sent = latencies.length;
    long[] sorted = Arrays.stream(latencies).filter(l -> l >= 0).sorted().toArray();
    long ok = db.count("SELECT count(*) FROM webhook_deliveries d JOIN generations g ON g.id = d.generation_id WHERE g.id LIKE 'gen_bench_%'");
    long succeeded = db.count("SELECT count(*) FROM generations WHERE id LIKE 'gen_bench_%' AND status = 'succeeded'");
    long duplicates = db.count("SELECT count(*) FROM webhook_deliveries WHERE generation_id LIKE 'gen_bench_%' AND outcome = 'duplicate'");
    String version = versionOf(db);

    double ackRate = sorted.length / seconds(ackedNanos);
    double appliedRate = sorted.length / seconds(allAppliedNanos);
    BenchmarkReport report = BenchmarkReport.start("webhook", "webhook-verticle benchmark (WebhookBenchmark)")
        .line("database", "PostgreSQL " + version + " via TestDatabase (" + db.url().replaceAll("//[^@]*@", "//") + "), pool 16")
        .line("setup", "client and server in one JVM over loopback HTTP/1.1 keep-alive; the verticle\n"
            + "processes (state machine, timeline, lifecycle event) while it acknowledges")
        .line("deliveries", count + " (" + GENERATIONS + " generations x 2: terminal callback + redelivery), after " + WARMUP + " warm-up")
        .line("concurrency", CONCURRENCY + " requests in flight")
        .line("acknowledged", sorted.length + " x 200 of " + sent + " sent")
        .rate("throughput", ackRate, "deliveries", String.format("acknowledged (%.2f s)", seconds(ackedNanos)))
        .line("ack latency", String.format("p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms",
            ms(percentile(sorted, 50)), ms(percentile(sorted, 90)), ms(percentile(sorted, 99)), ms(sorted.length == 0 ? 0 : sorted[sorted.length - 1])))
        .line("applying alone", String.format("%d terminal deliveries stored by an ingest-only verticle (%d x 200), then"
            + " one processing verticle started:", BACKLOG, stored))
        .rate("acks alone", stored / seconds(fillNanos), "deliveries", String.format("acknowledged by the ingest-only"
            + " verticle, %d in flight; latency p50 %.2f ms, p99 %.2f ms", CONCURRENCY, ms(percentile(filledSorted, 50)),
            ms(percentile(filledSorted, 99))))
        .rate("backlog applied", drainNanos < 0 ? 0 : drainedTransitions / seconds(drainNanos), "transitions",
            drainNanos < 0 ? "NOT drained within the time limit" : String.format("(%d generations succeeded, backlog"
                + " drained in %.2f s from the deploy)", drainedTransitions, seconds(drainNanos)))
        .line("WAL written", String.format("%.0f bytes per stored delivery (acks alone), %.0f bytes per applied"
            + " transition (backlog applied); the whole server's WAL over each phase", (walAfterFill - walBeforeFill)
            / (double) Math.max(1, stored), (walAfterDrain - walAfterFill) / (double) Math.max(1, drainedTransitions)))
        .raw(walByRelation)
        .line("fixed rate", String.format("%d deliveries offered at %d/s (open loop, %.2f s; latency from each one's"
            + " scheduled send): %d x 200", rateCount, FIXED_RATE, seconds(rateNanos), rateSorted.length))
        .line("fixed-rate ack latency", String.format("p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms; %s",
            ms(percentile(rateSorted, 50)), ms(percentile(rateSorted, 90)), ms(percentile(rateSorted, 99)),
            ms(rateSorted.length == 0 ? 0 : rateSorted[rateSorted.length - 1]),
            rateProcessedWait < 0 ? "NOT all processed within the time limit"
                : String.format("all processed %.2f s after the last ack", seconds(rateProcessedWait))))
        .line("unloaded", String.format("%d deliveries one at a time: ack latency p50 %.2f ms, p99 %.2f ms, max %.2f ms",
            soloSorted.length, ms(percentile(soloSorted, 50)), ms(percentile(soloSorted, 99)),
            ms(soloSorted.length == 0 ? 0 : soloSorted[soloSorted.length - 1])))
        .rate("all applied", appliedRate, "deliveries", String.format("end to end, %.2f s after the first request (%s)",
            seconds(allAppliedNanos), processedWait < 0 ? "NOT all processed within the time limit"
                : "backlog drained " + String.format("%.2f s", seconds(processedWait)) + " after the last ack"))
        .line("/v1/events lag", String.format("transition to seq, oldest event per sequencer pass, sampled every 10 ms:"
            + " p50 %.0f ms, p99 %.0f ms, max %.0f ms", 1000 * lags[lags.length / 2],
            1000 * lags[(int) (lags.length * 0.99)], 1000 * lags[lags.length - 1]))
        .line("check", succeeded + "/" + GENERATIONS + " generations succeeded, " + ok + " deliveries stored, "
            + duplicates + " recorded as duplicates")
        .raw(io.genorch.common.testing.MemoryReport.line())
        .line("rerun", "bench/run.sh webhook");
    report.write();
    assertEquals(count, sorted.length, "every delivery was acknowledged with 200");
    assertEquals(GENERATIONS, succeeded);
    assertEquals(BACKLOG, drainedTransitions, "the stored backlog was applied");
    assertEquals(rateCount, rateSorted.length, "every fixed-rate delivery was acknowledged with 200");
  }

  /** Generations bound to tokens {@code <prefix>-<i>} and submitted as task {@code <prefix>-task-<i>}, in one statement. */
  private static void arrange(TestDatabase db, String prefix, int n) {
    db.execute("INSERT INTO generations (id, provider, model, status, prompt, aspect_ratio, duration_seconds,"
        + " provider_task_id, created_at, submitted_at, updated_at, submit_state)"
        + " SELECT 'gen_" + prefix + "_' || lpad(i::text, 6, '0'), 'runblob-sora', 'sora-2', 'submitted', 'benchmark', '9:16', 10,"
        + " '" + prefix + "-task-' || i, now(), now(), now(), 'done'"
        + " FROM generate_series(0, " + (n - 1) + ") AS i");
    db.execute("INSERT INTO webhook_tokens (token_hash, generation_id, attempt)"
        + " SELECT sha256(convert_to('" + prefix + "-' || i, 'UTF8')), 'gen_" + prefix + "_' || lpad(i::text, 6, '0'), 0"
        + " FROM generate_series(0, " + (n - 1) + ") AS i");
  }

  private static Buffer body(String prefix, int i) {
    return new JsonObject()
        .put("generation_id", prefix + "-task-" + i)
        .put("status", "completed")
        .put("prompt", "benchmark")
        .put("video_url", "https://cdn.runblob.io/videos/2025/11/" + prefix + "-" + i + ".mp4")
        .put("created_at", "2025-11-24T10:00:00.000000")
        .put("completed_at", "2025-11-24T10:05:30.000000")
        .toBuffer();
  }

  /**
   * Sends {@code count} deliveries, delivery k to generation {@code k % generations}, keeping {@code concurrency}
   * in flight; returns each one's ack latency in ns (-1 for anything but a 200). Stops early at {@code until}.
   */
  private static long[] drive(WebClient http, int port, String prefix, int generations, int count, int concurrency, Instant until) {
    long[] latencies = new long[count];
    Arrays.fill(latencies, -1);
    AtomicInteger next = new AtomicInteger();
    AtomicLong failures = new AtomicLong();
    List<Future<Void>> lanes = new ArrayList<>();
    for (int i = 0; i < concurrency; i++) {
      Promise<Void> done = Promise.promise();
      lane(http, port, prefix, generations, count, until, latencies, next, failures, done);
      lanes.add(done.future());
    }
    result(Future.all(lanes), TIME_LIMIT);
    if (failures.get() > 0) {
      System.out.println("non-200 answers or errors: " + failures.get());
    }
    return latencies;
  }

  private static void lane(WebClient http, int port, String prefix, int generations, int count, Instant until,
      long[] latencies, AtomicInteger next, AtomicLong failures, Promise<Void> done) {
    int k = next.getAndIncrement();
    if (k >= count || Instant.now().isAfter(until)) {
      done.tryComplete();
      return;
    }
    int i = k % generations;
    long start = System.nanoTime();
    http.post(port, "127.0.0.1", "/webhooks/runblob-sora/" + prefix + "-" + i)
        .putHeader("Content-Type", "application/json")
        .sendBuffer(body(prefix, i))
        .onComplete(ar -> {
          if (ar.succeeded() && ar.result().statusCode() == 200) {
            latencies[k] = System.nanoTime() - start;
          } else {
            failures.incrementAndGet();
          }
          lane(http, port, prefix, generations, count, until, latencies, next, failures, done);
        });
  }

  /**
   * Sends delivery k at {@code start + k / rate} whatever became of the earlier ones (open loop); returns each one's
   * latency in ns from its scheduled time (-1 for anything but a 200). A tick every millisecond sends what is due.
   */
  private static long[] driveAtRate(Vertx client, WebClient http, int port, String prefix, int generations, int count, int rate) {
    long[] latencies = new long[count];
    Arrays.fill(latencies, -1);
    AtomicInteger answered = new AtomicInteger();
    AtomicLong failures = new AtomicLong();
    Promise<Void> done = Promise.promise();
    long start = System.nanoTime();
    int[] next = {0};
    long[] timer = {-1};
    timer[0] = client.setPeriodic(1, id -> {
      long due = Math.min(count, (System.nanoTime() - start) * rate / 1_000_000_000L + 1);
      while (next[0] < due) {
        int k = next[0]++;
        int i = k % generations;
        long scheduled = start + k * 1_000_000_000L / rate;
        http.post(port, "127.0.0.1", "/webhooks/runblob-sora/" + prefix + "-" + i)
            .putHeader("Content-Type", "application/json")
            .sendBuffer(body(prefix, i))
            .onComplete(ar -> {
              if (ar.succeeded() && ar.result().statusCode() == 200) {
                latencies[k] = System.nanoTime() - scheduled;
              } else {
                failures.incrementAndGet();
              }
              if (answered.incrementAndGet() == count) {
                done.tryComplete();
              }
            });
      }
      if (next[0] >= count) {
        client.cancelTimer(timer[0]);
      }
    });
    result(done.future(), TIME_LIMIT);
    if (failures.get() > 0) {
      System.out.println("fixed rate: non-200 answers or errors: " + failures.get());
    }
    return latencies;
  }

  /**
   * Nanoseconds until no delivery is left unprocessed, or -1 when {@code until} passed first. One connection for
   * the whole wait: a new one every 20 ms would cost the server a backend start each time, beside what is measured.
   */
  private static long waitProcessed(TestDatabase db, Instant until) {
    long start = System.nanoTime();
    try (var c = db.connect(); var st = c.prepareStatement("SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NULL")) {
      while (true) {
        try (var rs = st.executeQuery()) {
          rs.next();
          if (rs.getLong(1) == 0) {
            return System.nanoTime() - start;
          }
        }
        if (Instant.now().isAfter(until)) {
          return -1;
        }
        Thread.sleep(20);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The server's WAL insert position in bytes: its difference over a phase is the WAL that phase wrote. */
  private static long walPosition(TestDatabase db) {
    return db.count("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint");
  }

  /**
   * The WAL of this database between two positions, by relation and record type (pg_walinspect, records attributed
   * to the relation of their first block; other databases of the server left out), per {@code per} unit, largest
   * first: where the bytes of a phase go. Commit records name no relation: they are the rest of the phase's total.
   */
  static String walBreakdown(TestDatabase db, long from, long to, long per, String unit) {
    String sql = "WITH r AS (SELECT resource_manager || '/' || split_part(record_type, '+', 1) AS kind, record_length,"
        + " regexp_match(block_ref, 'rel [0-9]+/([0-9]+)/([0-9]+)') AS rel"
        + " FROM pg_get_wal_records_info(('0/0'::pg_lsn + " + from + "::numeric), ('0/0'::pg_lsn + " + to + "::numeric)))"
        + " SELECT coalesce(c.relname, 'filenode ' || r.rel[2]) AS relation, r.kind, count(*) AS n, sum(record_length) AS bytes"
        + " FROM r LEFT JOIN pg_class c ON c.relfilenode = r.rel[2]::oid"
        + " WHERE r.rel[1]::oid = (SELECT oid FROM pg_database WHERE datname = current_database())"
        + " GROUP BY 1, 2 ORDER BY 4 DESC LIMIT 16";
    StringBuilder out = new StringBuilder();
    try (var c = db.connect(); var st = c.createStatement()) {
      st.execute("CREATE EXTENSION IF NOT EXISTS pg_walinspect");
      try (var rs = st.executeQuery(sql)) {
        while (rs.next()) {
          out.append(String.format("    %-36s %-22s %6.2f records %7.0f bytes per %s%n", rs.getString(1), rs.getString(2),
              rs.getLong(3) / (double) Math.max(1, per), rs.getLong(4) / (double) Math.max(1, per), unit));
        }
      }
    } catch (Exception e) {
      return "    (no breakdown: " + e + ")\n";
    }
    return out.toString();
  }

  private static String versionOf(TestDatabase db) {
    try (var c = db.connect(); var st = c.createStatement(); var rs = st.executeQuery("SHOW server_version")) {
      rs.next();
      return rs.getString(1);
    } catch (Exception e) {
      return "unknown";
    }
  }
}
