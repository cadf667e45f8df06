package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.testing.TestDatabase;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** What the packaged service logs when it starts: no warning on a normal start, and JSON lines when asked. */
class FatJarStartLogIT {

  /** Logback's level column, and java.util.logging's "WARNING:"/"SEVERE:" for any library that bypasses SLF4J. */
  private static final Pattern WARNING = Pattern.compile("\\b(WARN|ERROR)\\b|^(WARNING|SEVERE):");

  @Test
  void aNormalStartOnTheEmbeddedDatabaseLogsNoWarning() throws Exception {
    Path dataDir = Files.createTempDirectory("genorch-it-start");
    Map<String, String> env = new HashMap<>();
    env.put("ORCH_DATA_DIR", dataDir.toString());
    env.put("ORCH_CALLBACK_SECRET", "whsec_dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0dGVzdA==");
    List<String> lines = startAndStop(env, dataDir.resolve("service.log"));

    List<String> warnings = lines.stream().filter(l -> WARNING.matcher(l).find()).toList();
    assertEquals(List.of(), warnings, String.join("\n", lines));
  }

  @Test
  void withJsonFormatEveryLineIsAJsonObject() throws Exception {
    try (TestDatabase db = TestDatabase.create()) {
      Map<String, String> env = new HashMap<>();
      env.put("ORCH_PG_URL", db.url());
      env.put("ORCH_LOG_FORMAT", "json");
      List<String> lines = startAndStop(env, Files.createTempFile("genorch-it-json", ".log"));

      for (String line : lines) {
        try {
          new JsonObject(line);
        } catch (DecodeException e) {
          throw new AssertionError("not a JSON object: " + line, e);
        }
      }
      assertTrue(lines.stream().map(JsonObject::new)
              .anyMatch(o -> o.getString("formattedMessage", "").startsWith("Client API listening on port")),
          String.join("\n", lines));
    }
  }

  /** Starts the jar, waits until it is ready, stops it with SIGTERM; the non-blank lines it logged. */
  private static List<String> startAndStop(Map<String, String> env, Path log) throws Exception {
    int port = TestOrchestrators.freePort();
    env.put("ORCH_HTTP_PORT", String.valueOf(port));
    env.put("ORCH_WEBHOOK_PORT", String.valueOf(TestOrchestrators.freePort()));
    env.put("ORCH_API_KEYS", "it-key");
    Process service = FatJarKillRestartIT.launch(env, log);
    try {
      FatJarKillRestartIT.awaitReady(new ApiClient(port, "it-key"), service, log);
    } finally {
      service.destroy();
      if (!service.waitFor(60, TimeUnit.SECONDS)) {
        service.destroyForcibly();
      }
    }
    return Files.readAllLines(log).stream().filter(l -> !l.isBlank()).toList();
  }
}
