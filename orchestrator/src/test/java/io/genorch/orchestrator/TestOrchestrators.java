package io.genorch.orchestrator;

import io.genorch.common.config.OrchConfig;
import io.genorch.common.testing.Await;
import io.genorch.common.testing.TestDatabase;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** Starts the whole service in the test JVM on free ports over a test database. */
final class TestOrchestrators {

  static final String API_KEY = "test-key-1";

  private TestOrchestrators() {}

  static Map<String, String> baseConfig(TestDatabase db) {
    int webhookPort = freePort();
    Map<String, String> env = new HashMap<>();
    env.put("ORCH_PG_URL", db.url());
    env.put("ORCH_HTTP_PORT", "0");
    env.put("ORCH_WEBHOOK_PORT", String.valueOf(webhookPort));
    env.put("ORCH_PUBLIC_WEBHOOK_BASE_URL", "http://127.0.0.1:" + webhookPort);
    env.put("ORCH_API_KEYS", API_KEY + ",second-key");
    env.put("ORCH_METRICS_ENABLED", "false");
    env.put("ORCH_PG_POOL_SIZE", "8");
    env.put("ORCH_STORAGE", "off"); // the tests of outputs kept turn it on (OutputsKeptTest)
    return env;
  }

  static Orchestrator start(Map<String, String> env) {
    return Await.result(Orchestrator.start(OrchConfig.of(env)), Duration.ofSeconds(60));
  }

  static void stop(Orchestrator orchestrator) {
    if (orchestrator != null) {
      Await.result(orchestrator.close(), Duration.ofSeconds(30));
    }
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
