package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.testing.Await;
import io.genorch.common.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The packaged service, as a user runs it: {@code java -jar orchestrator/target/genorch.jar}. An accepted
 * generation survives {@code kill -9} and a restart, on the embedded database and on a real server.
 */
class FatJarKillRestartIT {

  private static final Path JAR = Path.of("target", "genorch.jar");

  @Test
  void aGenerationSurvivesKillDashNineOnTheEmbeddedDatabase() throws Exception {
    Path dataDir = Files.createTempDirectory("genorch-it-data");
    Map<String, String> env = new HashMap<>();
    env.put("ORCH_DATA_DIR", dataDir.toString());
    survivesKillAndRestart(env, dataDir.resolve("service.log"));
    assertTrue(Files.exists(dataDir.resolve("postgres").resolve("PG_VERSION")), "the embedded data lives under ORCH_DATA_DIR");
  }

  @Test
  void aGenerationSurvivesKillDashNineOnARealServer() throws Exception {
    try (TestDatabase db = TestDatabase.create()) {
      Map<String, String> env = new HashMap<>();
      env.put("ORCH_PG_URL", db.url());
      survivesKillAndRestart(env, Files.createTempFile("genorch-it", ".log"));
    }
  }

  private static void survivesKillAndRestart(Map<String, String> env, Path log) throws Exception {
    assertTrue(Files.exists(JAR), "run after package: " + JAR.toAbsolutePath());
    int port = TestOrchestrators.freePort();
    env.put("ORCH_HTTP_PORT", String.valueOf(port));
    env.put("ORCH_WEBHOOK_PORT", String.valueOf(TestOrchestrators.freePort()));
    env.put("ORCH_API_KEYS", "it-key");
    ApiClient api = new ApiClient(port, "it-key");

    Process first = launch(env, log);
    String id;
    try {
      awaitReady(api, first, log);
      ApiClient.Response created = api.createGeneration(new JsonObject().put("provider", "runblob-sora").put("prompt", "keep me"));
      assertEquals(202, created.status(), created.body());
      id = created.json().getString("id");
      assertEquals("/v1/generations/" + id, created.raw().headers().firstValue("Location").orElseThrow());
    } finally {
      first.destroyForcibly(); // SIGKILL: no shutdown hook runs
      first.waitFor(30, TimeUnit.SECONDS);
    }

    Process second = launch(env, log);
    try {
      awaitReady(api, second, log);
      ApiClient.Response fetched = api.get("/v1/generations/" + id);
      assertEquals(200, fetched.status(), fetched.body());
      assertEquals("keep me", fetched.json().getString("prompt"));
      assertEquals("queued", fetched.json().getString("status"), "no provider is enabled, so it waits");
    } finally {
      second.destroy(); // SIGTERM: a clean stop, which also stops the embedded database
      if (!second.waitFor(60, TimeUnit.SECONDS)) {
        second.destroyForcibly();
      }
    }
  }

  static Process launch(Map<String, String> env, Path log) throws IOException {
    return launch(env, log, List.of());
  }

  static Process launch(Map<String, String> env, Path log, List<String> args) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new java.util.ArrayList<>(List.of(java, "-jar", JAR.toAbsolutePath().toString()));
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .directory(new File("."));
    builder.environment().keySet().removeIf(k -> k.startsWith("ORCH_"));
    builder.environment().putAll(env);
    return builder.start();
  }

  static void awaitReady(ApiClient api, Process process, Path log) {
    Await.until("the service to become ready (log: " + log + ")", Duration.ofSeconds(90), () -> {
      if (!process.isAlive()) {
        throw new AssertionError("the service exited: " + readLog(log));
      }
      try {
        return api.get("/health/ready").status();
      } catch (IllegalStateException notYetListening) {
        return 0;
      }
    }, status -> status == 200);
  }

  private static String readLog(Path log) {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }
}
