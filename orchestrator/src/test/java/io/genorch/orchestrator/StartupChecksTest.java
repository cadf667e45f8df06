package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.config.InvalidSettingsException;
import io.genorch.common.config.OrchConfig;
import io.genorch.common.config.Settings;
import io.vertx.core.Future;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What stops a start before the database: a wrong value, a port that is taken. The database URL points where
 * nothing listens, so reaching the database would fail differently (and slowly) than these checks do.
 */
class StartupChecksTest {

  private static Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put("ORCH_PG_URL", "postgresql://postgres@127.0.0.1:" + TestOrchestrators.freePort() + "/nowhere");
    env.put("ORCH_HTTP_PORT", "0");
    env.put("ORCH_WEBHOOK_PORT", "0");
    env.put("ORCH_API_KEYS", "k");
    return env;
  }

  private static InvalidSettingsException refused(Map<String, String> env) {
    return assertThrows(InvalidSettingsException.class, () -> Orchestrator.start(OrchConfig.of(env)));
  }

  @Test
  void aWrongValueStopsTheStartNamingTheVariableAndWhatItAccepts() {
    Map<String, String> env = env();
    env.put("ORCH_HTTP_PORT", "abc");
    env.put("ORCH_DEMO", "yes");
    assertEquals(List.of(
        "ORCH_HTTP_PORT=abc is not valid: expected a port number 0..65535 (0: any free port)",
        "ORCH_DEMO=yes is not valid: expected true or false"), refused(env).problems());
    env = env();
    env.put("ORCH_WEBHOOK_PORT", "70000");
    assertTrue(refused(env).getMessage().startsWith("ORCH_WEBHOOK_PORT=70000 is not valid"));
  }

  @Test
  void aMalformedWebhookAllowlistStopsTheStartBeforeTheDatabaseNamingTheVariable() {
    Map<String, String> env = env();
    env.put("ORCH_PROVIDER_APIMART_ALLOWED_CIDRS", "10.0.0.0/8,api.example.com");
    List<String> problems = refused(env).problems();
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).startsWith("ORCH_PROVIDER_APIMART_ALLOWED_CIDRS=10.0.0.0/8,api.example.com is not valid"),
        problems.get(0));
    assertTrue(problems.get(0).contains("'api.example.com' is not an IP address or CIDR block"), problems.get(0));
  }

  @Test
  void s3StorageWithoutABucketStopsTheStart() {
    Map<String, String> env = env();
    env.put("ORCH_STORAGE", "s3");
    assertEquals(List.of("ORCH_STORAGE=s3 needs ORCH_S3_BUCKET"), refused(env).problems());
    env.put("ORCH_STORAGE", "tape");
    assertTrue(refused(env).getMessage().startsWith("ORCH_STORAGE=tape is not valid: expected fs, s3 or off"));
  }

  @Test
  void aPortInUseSaysWhichVariableAndPort() throws IOException {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(0));
      int port = taken.getLocalPort();
      Map<String, String> env = env();
      env.put("ORCH_HTTP_PORT", String.valueOf(port));
      assertTrue(refused(env).getMessage().startsWith("ORCH_HTTP_PORT=" + port + " is already in use"));
      env = env();
      env.put("ORCH_WEBHOOK_PORT", String.valueOf(port));
      assertTrue(refused(env).getMessage().startsWith("ORCH_WEBHOOK_PORT=" + port + " is already in use"));
    }
  }

  @Test
  void aListenThatFailsBecauseThePortWasTakenMeanwhileSaysWhichVariableAndPort() {
    Future<String> failed = Ports.explainBindFailure(
        Future.failedFuture(new IllegalStateException(new BindException("Address already in use"))), Settings.WEBHOOK_PORT, 8081);
    assertTrue(failed.cause().getMessage().startsWith("ORCH_WEBHOOK_PORT=8081 is already in use"), failed.cause().getMessage());
    Future<String> other = Ports.explainBindFailure(Future.failedFuture(new IllegalStateException("boom")), Settings.WEBHOOK_PORT, 8081);
    assertEquals("boom", other.cause().getMessage());
  }

  @Test
  void theReadyLineListsEveryUrl() {
    assertEquals("genorch ready: API http://localhost:8080/v1, webhooks http://localhost:8081/webhooks/{provider}/{token}"
            + " (given to providers as https://hooks.example/webhooks/…), health http://localhost:8080/health/ready,"
            + " metrics http://localhost:8080/metrics, OpenAPI http://localhost:8080/openapi.json",
        Orchestrator.readyLine(8080, 8081, "https://hooks.example", true));
    assertTrue(Orchestrator.readyLine(8080, 8081, "https://hooks.example", false).contains("metrics off"));
  }
}
