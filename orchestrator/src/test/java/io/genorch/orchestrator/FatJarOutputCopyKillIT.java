package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.testing.Await;
import io.genorch.common.testing.SimulatedProviders;
import io.genorch.common.testing.TestDatabase;
import io.genorch.simulator.ProviderSimulator;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The packaged service killed with {@code kill -9} half way through copying an output (docs/API.md section 7):
 * after a restart on the same database and data directory the copy is made again, whole, with the source's
 * sha256; the half-written file was never shown as the object and is gone.
 */
class FatJarOutputCopyKillIT {

  /** Slow ({@code 64 KiB every 50 ms}, about 1.3 MB/s): the copy takes about 6 s, time enough to kill it. */
  private static final long SIZE = 8_000_000;

  @Test
  void aCopyCutOffByKillDashNineIsMadeWholeAfterTheRestart() throws Exception {
    try (TestDatabase db = TestDatabase.create();
        SimulatedProviders providers = new SimulatedProviders(0.01, Duration.ofSeconds(5))) {
      Path dataDir = Files.createTempDirectory("genorch-it-copy");
      Path storage = dataDir.resolve("outputs");
      Path log = dataDir.resolve("service.log");
      int port = TestOrchestrators.freePort();
      int webhookPort = TestOrchestrators.freePort();
      Map<String, String> env = new HashMap<>(providers.enable("vidgo"));
      env.put("ORCH_PG_URL", db.url());
      env.put("ORCH_DATA_DIR", dataDir.toString());
      env.put("ORCH_HTTP_PORT", String.valueOf(port));
      env.put("ORCH_WEBHOOK_PORT", String.valueOf(webhookPort));
      env.put("ORCH_PUBLIC_WEBHOOK_BASE_URL", "http://127.0.0.1:" + webhookPort);
      env.put("ORCH_PUBLIC_API_BASE_URL", "http://127.0.0.1:" + port);
      env.put("ORCH_API_KEYS", TestOrchestrators.API_KEY);
      env.put("ORCH_CALLBACK_ALLOW_PRIVATE", "true"); // the simulator is on loopback
      env.put("ORCH_STORAGE_LEASE_MS", "2000"); // the killed instance's claim runs out 2 s after its last renewal
      ApiClient api = new ApiClient(port, TestOrchestrators.API_KEY);

      Process first = FatJarKillRestartIT.launch(env, log);
      String id;
      Path partial;
      try {
        FatJarKillRestartIT.awaitReady(api, first, log);
        ApiClient.Response created = api.createGeneration(new JsonObject().put("provider", "vidgo")
            .put("prompt", "kill me mid-copy [sim:output-fault=slow] [sim:output-bytes=" + SIZE + "]"));
        assertEquals(202, created.status(), created.body());
        id = created.json().getString("id");
        Path dir = storage.resolve(id);
        partial = Await.until("a partly written copy (log: " + log + ")", Duration.ofSeconds(60),
            () -> temporaryFiles(dir).stream().filter(f -> size(f) > 1_000_000).findFirst().orElse(null),
            f -> f != null);
        assertFalse(Files.exists(dir.resolve("0")), "the object is not there while its copy is written");
        ApiClient.Response notYet = api.get("/v1/generations/" + id + "/outputs/0");
        assertEquals(409, notYet.status(), "a half-written copy is never served");
      } finally {
        first.destroyForcibly(); // SIGKILL, mid-copy: no shutdown hook, no clean-up
        first.waitFor(30, TimeUnit.SECONDS);
      }
      assertTrue(size(partial) < SIZE, "killed before the copy was whole");
      assertEquals(1, db.count("SELECT count(*) FROM output_copies WHERE generation_id = '" + id
          + "' AND status = 'pending'"), "the copy is still to do");

      Process second = FatJarKillRestartIT.launch(env, log);
      try {
        FatJarKillRestartIT.awaitReady(api, second, log);
        JsonObject output = Await.until("the copy made after the restart (log: " + log + ")", Duration.ofSeconds(90),
            () -> api.get("/v1/generations/" + id).json().getJsonArray("outputs").getJsonObject(0),
            o -> o.getString("storedAt") != null);
        String link = OutputsKeptTest.path(output.getString("sourceUrl"));
        String expected = ProviderSimulator.mediaSha256(link, SIZE);
        assertEquals(expected, output.getString("sha256"));
        assertEquals(SIZE, output.getLong("bytes"));
        HttpResponse<byte[]> kept = new OutputBytes().get(output.getString("url"), null);
        assertEquals(200, kept.statusCode());
        assertEquals(SIZE, kept.body().length);
        assertEquals(expected, OutputsKeptTest.sha256(kept.body()), "the stored object is the source's bytes");
        assertEquals(2, providers.simulator.mediaRequests(link), "cut off once by the kill, then copied whole");
        assertEquals(1, providers.simulator.maxConcurrentDownloadsOfOneLink(), "never two copies at once");
        assertEquals(List.of(), temporaryFiles(storage.resolve(id)), "the killed attempt's file was removed");
        List<JsonObject> timeline = OutputsKeptTest.timeline(api, id);
        assertEquals(1, timeline.stream().filter(e -> e.getString("type").equals("output_stored")).count());
        assertNull(timeline.stream().filter(e -> e.getString("type").equals("output_store_failed"))
            .findFirst().orElse(null), "the kill is no failed attempt: the copy was taken again, not retried");
      } finally {
        second.destroy();
        if (!second.waitFor(60, TimeUnit.SECONDS)) {
          second.destroyForcibly();
        }
      }
    }
  }

  private static List<Path> temporaryFiles(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".part")).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      return -1; // renamed or deleted meanwhile
    }
  }
}
