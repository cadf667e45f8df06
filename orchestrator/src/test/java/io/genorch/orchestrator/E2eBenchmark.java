package io.genorch.orchestrator;

import static io.genorch.common.testing.BenchmarkReport.ms;
import static io.genorch.common.testing.BenchmarkReport.percentile;
import static io.genorch.common.testing.BenchmarkReport.seconds;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.genorch.common.testing.Await;
import io.genorch.common.testing.BenchmarkReport;
import io.genorch.common.testing.TestDatabase;
import io.genorch.simulator.ProviderSimulator;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The whole service as a user runs it ({@code java -jar target/genorch.jar}, a separate process, on a fresh database
 * of the local PostgreSQL), driven over loopback HTTP by this JVM with {@value #CONCURRENCY} requests in flight:
 * <ol>
 *   <li>client API accepts with every provider disabled (no provider key, no demo): accepted generations a second
 *       and their latency;</li>
 *   <li>in demo mode (the simulator in the service's process, request budgets lifted): generations a second from
 *       POST to {@code submitted} (the provider accepted the job), and how long after its {@code occurredAt} each
 *       lifecycle event is visible to a reader paging {@code GET /v1/events};</li>
 *   <li>throughout both, the service's resident memory (VmRSS sampled every 100 ms, VmHWM at the end).</li>
 * </ol>
 * Bounded in count and in time ({@link #TIME_LIMIT}). Not part of the test suite (tag "benchmark"); run it with
 * {@code bench/run.sh e2e}, which builds the jar first. The report goes to {@code target/benchmarks/e2e.txt}.
 */
@Tag("benchmark")
class E2eBenchmark {

  static final int WARMUP = 2_000;
  /**
   * Accepts before (a) is measured: with only {@link #WARMUP} the JIT compiler was still busy through the whole
   * measured phase (about a second of compile time per second), so (a) measured warm-up, not a running service.
   */
  static final int ACCEPTS_WARMUP = 20_000;
  static final int ACCEPTS = 20_000;
  static final int SENDS = 10_000;
  static final int CONCURRENCY = 64;
  static final Duration TIME_LIMIT = Duration.ofSeconds(180);
  static final String KEY = "bench";
  /** JVM options for the service's process (as an operator passes them to java -jar); none: the JVM's defaults. */
  static final String JVM_OPTIONS = System.getenv().getOrDefault("GENORCH_BENCH_JVM_OPTIONS", "").trim();

  @Test
  void wholeServiceUnderLoad() throws Exception {
    Vertx vertx = Vertx.vertx();
    WebClient http = WebClient.create(vertx, new WebClientOptions().setKeepAlive(true).setPipelining(false),
        new PoolOptions().setHttp1MaxSize(CONCURRENCY + 1));
    BenchmarkReport report = BenchmarkReport.start("e2e", "whole service benchmark (E2eBenchmark)")
        .line("setup", "java -jar target/genorch.jar as its own process on a fresh database of the local PostgreSQL\n"
            + "(ORCH_PG_URL, pool 16); load from a second JVM over loopback HTTP/1.1 keep-alive,\n"
            + CONCURRENCY + " requests in flight, each POST with an Idempotency-Key")
        .line("service jvm", JVM_OPTIONS.isEmpty() ? "the JVM's defaults (GENORCH_BENCH_JVM_OPTIONS unset)"
            : JVM_OPTIONS + " (GENORCH_BENCH_JVM_OPTIONS, passed as JDK_JAVA_OPTIONS)");
    try {
      acceptsWithProvidersDisabled(http, report);
      sentToTheSimulator(vertx, http, report);
    } finally {
      Await.result(vertx.close());
      // whatever was measured is reported, also when a phase failed
      report.line("rerun", "bench/run.sh e2e").write();
    }
  }

  private void acceptsWithProvidersDisabled(WebClient http, BenchmarkReport report) throws Exception {
    try (TestDatabase db = TestDatabase.create(); Service service = Service.start(db, false, Map.of())) {
      drive(http, service.port, "warm", ACCEPTS_WARMUP);
      long started = System.nanoTime();
      long[] latencies = drive(http, service.port, "accept", ACCEPTS);
      long elapsed = System.nanoTime() - started;
      long[] sorted = Arrays.stream(latencies).filter(l -> l >= 0).sorted().toArray();
      long queued = db.count("SELECT count(*) FROM generations WHERE status = 'queued' AND prompt LIKE 'accept %'");
      report.line("(a) accepts", "providers disabled (no provider key, no --demo): " + ACCEPTS + " POST /v1/generations"
              + " after " + ACCEPTS_WARMUP + " warm-up")
          .rate("  throughput", sorted.length / seconds(elapsed), "generations accepted",
              String.format("(%d x 202 in %.2f s; target >= 3000/s)", sorted.length, seconds(elapsed)))
          .line("  latency", latencyLine(sorted))
          .line("  check", queued + "/" + ACCEPTS + " stored as queued")
          .line("  memory", service.memory.line());
      assertEquals(ACCEPTS, sorted.length, "every request was accepted with 202");
    }
  }

  private void sentToTheSimulator(Vertx vertx, WebClient http, BenchmarkReport report) throws Exception {
    Map<String, String> unlimited = new HashMap<>();
    for (String provider : ProviderSimulator.PROVIDERS) {
      unlimited.put("ORCH_PROVIDER_" + provider.toUpperCase().replace('-', '_') + "_MAX_RPM", "1000000");
    }
    try (TestDatabase db = TestDatabase.create(); Service service = Service.start(db, true, unlimited)) {
      drive(http, service.port, "warm", WARMUP);
      awaitSent(db, "warm %", WARMUP);
      EventReader reader = new EventReader(vertx, http, service.port);
      reader.start();
      long started = System.nanoTime();
      long[] latencies = drive(http, service.port, "send", SENDS);
      long accepted = System.nanoTime() - started;
      // what sending still had to do when accepting was over: the submitter's own rate, apart from the accepts'
      long backlog = db.count("SELECT count(*) FROM generations WHERE submitted_at IS NULL AND prompt LIKE 'send %'");
      long sent = awaitSent(db, "send %", SENDS);
      long allSent = System.nanoTime() - started;
      // the reader catches up with every event sequenced so far, then stops
      long lastSeq = db.count("SELECT coalesce(max(seq), 0) FROM lifecycle_positions");
      Await.until("the events reader reaches seq " + lastSeq, Duration.ofSeconds(60), reader::after, seen -> seen >= lastSeq);
      reader.stop();
      long[] sorted = Arrays.stream(latencies).filter(l -> l >= 0).sorted().toArray();
      long[] toSubmitted = millisToSubmitted(db, "send %");
      long[] lags = reader.lagsMillis();
      report.line("(b) sent", "demo (--demo, simulator in-process), every provider's MAX_RPM 1000000, other settings default:\n"
              + SENDS + " POST /v1/generations over the 5 providers after " + WARMUP + " warm-up ones were sent")
          .rate("  accepted", sorted.length / seconds(accepted), "generations",
              String.format("(%d x 202 in %.2f s)", sorted.length, seconds(accepted)))
          .line("  accept latency", latencyLine(sorted))
          .rate("  POST->submitted", sent / seconds(allSent), "generations",
              String.format("(%d submitted %.2f s after the first POST%s; target >= 1500/s)", sent, seconds(allSent),
                  sent < SENDS ? ", NOT all within the time limit" : ""))
          .line("  backlog", String.format("%d not yet submitted when the last POST was answered, drained %.2f s later%s",
              backlog, seconds(allSent - accepted), backlog == 0 ? "" : String.format(" (%.0f/s)",
                  backlog / seconds(allSent - accepted))))
          .line("  per generation", String.format("created_at to submitted_at: p50 %d ms, p99 %d ms, max %d ms",
              percentile(toSubmitted, 50), percentile(toSubmitted, 99), toSubmitted.length == 0 ? 0 : toSubmitted[toSubmitted.length - 1]))
          .line("(c) /v1/events", String.format("one reader paging ?after=seq&limit=1000 (10 ms pause when empty): %d events read,\n"
              + "seen after occurredAt p50 %d ms, p99 %d ms, max %d ms (target p99 <= 200 ms)",
              lags.length, percentile(lags, 50), percentile(lags, 99), lags.length == 0 ? 0 : lags[lags.length - 1]))
          .line("  memory", service.memory.line());
      assertEquals(SENDS, sorted.length, "every request was accepted with 202");
    }
  }

  private static String latencyLine(long[] sorted) {
    return String.format("p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms", ms(percentile(sorted, 50)),
        ms(percentile(sorted, 90)), ms(percentile(sorted, 99)), ms(sorted.length == 0 ? 0 : sorted[sorted.length - 1]));
  }

  /**
   * Posts {@code count} generations (prompt {@code "<prefix> <i>"}, providers in turn), {@value #CONCURRENCY} in
   * flight; returns each one's latency in ns, -1 for anything but a 202.
   */
  private static long[] drive(WebClient http, int port, String prefix, int count) {
    long[] latencies = new long[count];
    Arrays.fill(latencies, -1);
    AtomicInteger next = new AtomicInteger();
    AtomicLong failures = new AtomicLong();
    Instant until = Instant.now().plus(TIME_LIMIT);
    List<Future<Void>> lanes = new ArrayList<>();
    for (int i = 0; i < CONCURRENCY; i++) {
      Promise<Void> done = Promise.promise();
      lane(http, port, prefix, count, until, latencies, next, failures, done);
      lanes.add(done.future());
    }
    Await.result(Future.all(lanes), TIME_LIMIT.plusSeconds(10));
    if (failures.get() > 0) {
      System.out.println(prefix + ": non-202 answers or errors: " + failures.get());
    }
    return latencies;
  }

  private static void lane(WebClient http, int port, String prefix, int count, Instant until, long[] latencies,
      AtomicInteger next, AtomicLong failures, Promise<Void> done) {
    int k = next.getAndIncrement();
    if (k >= count || Instant.now().isAfter(until)) {
      done.tryComplete();
      return;
    }
    String provider = ProviderSimulator.PROVIDERS.get(k % ProviderSimulator.PROVIDERS.size());
    long start = System.nanoTime();
    http.post(port, "127.0.0.1", "/v1/generations")
        .putHeader("Authorization", "Bearer " + KEY)
        .putHeader("Idempotency-Key", prefix + "-" + k)
        .sendJsonObject(new JsonObject().put("provider", provider).put("prompt", prefix + " " + k))
        .onComplete(ar -> {
          if (ar.succeeded() && ar.result().statusCode() == 202) {
            latencies[k] = System.nanoTime() - start;
          } else {
            failures.incrementAndGet();
            if (failures.get() <= 3) {
              System.out.println(ar.succeeded() ? ar.result().statusCode() + " " + ar.result().bodyAsString() : ar.cause().toString());
            }
          }
          lane(http, port, prefix, count, until, latencies, next, failures, done);
        });
  }

  /** How many of the generations whose prompt is LIKE {@code pattern} reached {@code submitted}, waiting up to the time limit. */
  private static long awaitSent(TestDatabase db, String pattern, int expected) throws InterruptedException {
    String sql = "SELECT count(*) FROM generations WHERE submitted_at IS NOT NULL AND prompt LIKE '" + pattern + "'";
    Instant until = Instant.now().plus(TIME_LIMIT);
    long sent;
    while ((sent = db.count(sql)) < expected && Instant.now().isBefore(until)) {
      Thread.sleep(20);
    }
    return sent;
  }

  private static long[] millisToSubmitted(TestDatabase db, String pattern) throws Exception {
    List<Long> millis = new ArrayList<>();
    try (var c = db.connect(); var st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT (extract(epoch FROM submitted_at - created_at) * 1000)::bigint"
            + " FROM generations WHERE submitted_at IS NOT NULL AND prompt LIKE '" + pattern + "'")) {
      while (rs.next()) {
        millis.add(rs.getLong(1));
      }
    }
    return millis.stream().mapToLong(Long::longValue).sorted().toArray();
  }

  /** Pages {@code GET /v1/events} from the current end onwards and notes how long after its occurredAt each event was seen. */
  static final class EventReader {
    private final Vertx vertx;
    private final WebClient http;
    private final int port;
    private final List<Long> lags = new ArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Promise<Void> stopped = Promise.promise();
    private volatile long after;

    EventReader(Vertx vertx, WebClient http, int port) {
      this.vertx = vertx;
      this.http = http;
      this.port = port;
    }

    void start() {
      // skip what is there already (the warm-up's events): only the measured load's lag counts
      JsonArray existing;
      do {
        JsonObject page = Await.result(fetch());
        existing = page.getJsonArray("data", new JsonArray());
        if (!existing.isEmpty()) {
          after = existing.getJsonObject(existing.size() - 1).getLong("seq");
        }
      } while (!existing.isEmpty());
      poll();
    }

    private Future<JsonObject> fetch() {
      return http.get(port, "127.0.0.1", "/v1/events?limit=1000&after=" + after)
          .putHeader("Authorization", "Bearer " + KEY)
          .send()
          .map(r -> r.statusCode() == 200 ? r.bodyAsJsonObject() : new JsonObject());
    }

    private void poll() {
      if (!running.get()) {
        stopped.tryComplete();
        return;
      }
      fetch().onComplete(ar -> {
        long now = System.currentTimeMillis();
        JsonArray events = ar.succeeded() ? ar.result().getJsonArray("data", new JsonArray()) : new JsonArray();
        synchronized (lags) {
          for (int i = 0; i < events.size(); i++) {
            JsonObject event = events.getJsonObject(i);
            after = event.getLong("seq");
            lags.add(now - Instant.parse(event.getString("occurredAt")).toEpochMilli());
          }
        }
        if (events.isEmpty()) {
          vertx.setTimer(10, id -> poll());
        } else {
          poll();
        }
      });
    }

    long after() {
      return after;
    }

    void stop() {
      running.set(false);
      Await.result(stopped.future());
    }

    long[] lagsMillis() {
      synchronized (lags) {
        return lags.stream().mapToLong(Long::longValue).sorted().toArray();
      }
    }
  }

  /** The jar running as its own process, with its resident memory sampled every 100 ms. */
  static final class Service implements AutoCloseable {
    final Process process;
    final int port;
    final MemorySampler memory;

    private Service(Process process, int port) {
      this.process = process;
      this.port = port;
      this.memory = new MemorySampler(process.pid());
    }

    static Service start(TestDatabase db, boolean demo, Map<String, String> extra) throws IOException {
      Map<String, String> env = new HashMap<>(extra);
      int port = TestOrchestrators.freePort();
      env.put("ORCH_PG_URL", db.url());
      env.put("ORCH_HTTP_PORT", String.valueOf(port));
      env.put("ORCH_WEBHOOK_PORT", String.valueOf(TestOrchestrators.freePort()));
      env.put("ORCH_API_KEYS", KEY);
      env.put("ORCH_DATA_DIR", Files.createTempDirectory("genorch-e2e").toString());
      if (!JVM_OPTIONS.isEmpty()) {
        env.put("JDK_JAVA_OPTIONS", JVM_OPTIONS);
      }
      Path log = Path.of("target", "benchmarks", "e2e-service-" + (demo ? "demo" : "accepts") + ".log");
      Files.createDirectories(log.getParent());
      Files.deleteIfExists(log);
      Process process = FatJarKillRestartIT.launch(env, log, demo ? List.of("--demo") : List.of());
      Service service = new Service(process, port);
      try {
        FatJarKillRestartIT.awaitReady(new ApiClient(port, KEY), process, log);
      } catch (RuntimeException | Error e) {
        service.close();
        throw e;
      }
      return service;
    }

    @Override
    public void close() {
      memory.stop();
      process.destroy();
      try {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
    }
  }

  /** VmRSS of a process every 100 ms (the largest seen), and its VmHWM (peak resident) when asked. */
  static final class MemorySampler {
    private final Path status;
    private final Thread thread;
    private volatile long maxRssKiB;
    private volatile long samples;

    MemorySampler(long pid) {
      this.status = Path.of("/proc", String.valueOf(pid), "status");
      this.thread = new Thread(this::sample, "rss-sampler-" + pid);
      thread.setDaemon(true);
      thread.start();
    }

    private void sample() {
      while (!Thread.currentThread().isInterrupted()) {
        long rss = read("VmRSS:");
        if (rss > maxRssKiB) {
          maxRssKiB = rss;
        }
        samples++;
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    private long read(String field) {
      try {
        return Files.readAllLines(status).stream().filter(l -> l.startsWith(field))
            .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElse(-1);
      } catch (IOException | RuntimeException e) {
        return -1;
      }
    }

    String line() {
      return String.format("service process resident: largest of %d VmRSS samples %d MiB, VmHWM %d MiB,"
          + " now %d MiB (target <= 300 MB)", samples, maxRssKiB / 1024, read("VmHWM:") / 1024, read("VmRSS:") / 1024);
    }

    void stop() {
      thread.interrupt();
    }
  }
}
