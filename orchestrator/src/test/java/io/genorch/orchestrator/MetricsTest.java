package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.sun.net.httpserver.HttpServer;
import io.genorch.common.metrics.GenerationEndLog;
import io.genorch.common.testing.Await;
import io.genorch.common.testing.SimulatedProviders;
import io.genorch.common.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * GET /metrics serves Prometheus text without a key when metrics are on (the default), with the service's own
 * meters, and each generation's end is logged. The only test class that runs the service with metrics on: the
 * registry Vert.x serves is one per JVM, so the counts below are this class's alone.
 */
class MetricsTest {

  @Test
  void prometheusMetricsAreServedWithoutAKey() {
    try (TestDatabase db = TestDatabase.create()) {
      Map<String, String> env = TestOrchestrators.baseConfig(db);
      env.put("ORCH_METRICS_ENABLED", "true");
      Orchestrator service = TestOrchestrators.start(env);
      try {
        ApiClient anonymous = new ApiClient(service.httpPort(), null);
        anonymous.get("/health/live");
        ApiClient.Response metrics = anonymous.get("/metrics");
        assertEquals(200, metrics.status());
        assertTrue(metrics.body().contains("vertx_http_server_requests_total"), metrics.body().lines().limit(20).toList().toString());
        assertTrue(metrics.body().contains("genorch_lifecycle_visibility_lag_seconds"), "the event stream's lag is watched");
      } finally {
        TestOrchestrators.stop(service);
      }
    }
  }

  @Test
  void theServicesOwnMetersCountWebhookPollAndCallbackPathsAndEachEndIsLogged() throws Exception {
    ListAppender<ILoggingEvent> endLines = new ListAppender<>();
    endLines.start();
    Logger endLog = (Logger) LoggerFactory.getLogger(GenerationEndLog.class);
    endLog.addAppender(endLines);
    AtomicInteger callbacks = new AtomicInteger();
    HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/hook", exchange -> {
      exchange.getRequestBody().readAllBytes();
      callbacks.incrementAndGet();
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    });
    receiver.start();
    Orchestrator service = null;
    try (TestDatabase db = TestDatabase.create(); SimulatedProviders providers = new SimulatedProviders(0.01, Duration.ofSeconds(5))) {
      try {
        Map<String, String> env = TestOrchestrators.baseConfig(db);
        env.put("ORCH_METRICS_ENABLED", "true");
        int httpPort = TestOrchestrators.freePort();
        env.put("ORCH_HTTP_PORT", String.valueOf(httpPort));
        env.putAll(providers.enable("vidgo"));
        env.put("ORCH_SUBMIT_SWEEP_MS", "100");
        env.put("ORCH_POLL_INTERVAL_MS", "100");
        env.put("ORCH_PROVIDER_VIDGO_CALLBACK_GRACE_S", "1");
        env.put("ORCH_CALLBACK_ALLOW_PRIVATE", "true");
        env.put("ORCH_CALLBACK_SWEEP_MS", "100");
        service = TestOrchestrators.start(env);
        ApiClient api = new ApiClient(service.httpPort(), TestOrchestrators.API_KEY);

        String byWebhook = create(api, new JsonObject().put("provider", "vidgo").put("prompt", "a kite")
            .put("callbackUrl", "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook"));
        String byPoll = create(api, new JsonObject().put("provider", "vidgo").put("prompt", "a boat [sim:no-callback]"));
        create(api, new JsonObject().put("provider", "apimart").put("prompt", "waits: apimart is not enabled"));
        ApiClient.Response refused = new ApiClient(service.webhookPort(), null).post("/webhooks/vidgo/not-a-token", "{}");
        assertEquals(404, refused.status(), refused.body());

        for (String id : List.of(byWebhook, byPoll)) {
          Await.until(id + " to succeed", Duration.ofSeconds(30),
              () -> api.get("/v1/generations/" + id).json().getString("status"), "succeeded"::equals);
        }
        Await.until("the client callback", Duration.ofSeconds(20), callbacks::get, n -> n >= 1);
        ApiClient anonymous = new ApiClient(service.httpPort(), null);
        String metrics = Await.until("the backlog gauges and the callback count", Duration.ofSeconds(20),
            () -> anonymous.get("/metrics").body(),
            body -> value(body, "genorch_generations_queued") == 1
                && value(body, "genorch_client_callbacks_total", "outcome=\"delivered\"") == 1
                && value(body, "genorch_work_due", "loop=\"submission\"") == 0);

        assertEquals(2, value(metrics, "genorch_generation_transitions_total", "provider=\"vidgo\"", "status=\"succeeded\""));
        assertEquals(2, value(metrics, "genorch_generation_transitions_total", "provider=\"vidgo\"", "status=\"submitted\""));
        assertEquals(2, value(metrics, "genorch_generation_time_to_terminal_seconds_count", "provider=\"vidgo\"", "status=\"succeeded\""));
        assertTrue(value(metrics, "genorch_generation_time_to_terminal_seconds_bucket", "provider=\"vidgo\"", "status=\"succeeded\"", "le=\"600.0\"") == 2,
            "histogram buckets: " + metrics.lines().filter(l -> l.contains("time_to_terminal")).toList());
        assertTrue(value(metrics, "genorch_webhook_requests_total", "provider=\"vidgo\"", "outcome=\"stored\"") >= 1);
        assertEquals(1, value(metrics, "genorch_webhook_requests_total", "provider=\"vidgo\"", "outcome=\"refused_404\""));
        assertTrue(value(metrics, "genorch_webhook_deliveries_total", "provider=\"vidgo\"", "outcome=\"advanced\"") >= 1);
        assertEquals(1, value(metrics, "genorch_status_calls_total", "provider=\"vidgo\"", "result=\"terminal\""));
        assertEquals(0, value(metrics, "genorch_generations_overdue"));
        assertEquals(0, value(metrics, "genorch_webhook_deliveries_due"));
        assertEquals(0, value(metrics, "genorch_client_callbacks_due"));
        // the work loops' own counts: the submission loop claimed and sent the two vidgo generations; the apimart one
        // waits queued (above) but is not due for this instance's loop, whose providers are the enabled ones
        assertEquals(2, value(metrics, "genorch_work_items_total", "loop=\"submission\"", "outcome=\"claimed\""));
        assertEquals(2, value(metrics, "genorch_work_items_total", "loop=\"submission\"", "outcome=\"done\""));
        assertEquals(0, value(metrics, "genorch_work_items_total", "loop=\"submission\"", "outcome=\"failed\""));
        assertEquals(0, value(metrics, "genorch_work_due", "loop=\"submission\""));
        assertEquals(0, value(metrics, "genorch_work_items_total", "loop=\"submission-abandoned\"", "outcome=\"claimed\""));
        assertTrue(value(metrics, "genorch_work_items_total", "loop=\"poller\"", "outcome=\"done\"") >= 1,
            "the poller checked the generation whose callback never came");
        // the route label is the chain of route templates that matched: the /v1 key check, then the endpoint
        List<String> http = metrics.lines().filter(l -> l.startsWith("vertx_http_server_requests_total")).toList();
        assertEquals(3, value(metrics, "vertx_http_server_requests_total", "route=\"/v1/>/v1/generations\"",
            "method=\"POST\"", "code=\"202\"", "local=\"0.0.0.0:" + httpPort + "\""), http.toString());
        assertEquals(1, value(metrics, "vertx_http_server_requests_total", "route=\"/webhooks/", "code=\"404\"",
            "local=\"0.0.0.0:" + service.webhookPort() + "\""), http.toString());
        assertTrue(http.stream().noneMatch(l -> l.contains("not-a-token")), "paths with tokens never become labels: " + http);

        List<String> lines = endLines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("Generation " + byWebhook + " ended succeeded: provider vidgo, resolved by webhook, ")), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("Generation " + byPoll + " ended succeeded: provider vidgo, resolved by poll, ")), lines.toString());
      } finally {
        TestOrchestrators.stop(service); // before its database goes
      }
    } finally {
      receiver.stop(0);
      endLog.detachAppender(endLines);
    }
  }

  private static String create(ApiClient api, JsonObject body) {
    ApiClient.Response r = api.createGeneration(body);
    assertEquals(202, r.status(), r.body());
    return r.json().getString("id");
  }

  /** The value of the one sample of {@code name} carrying all these labels; -1 when there is none. */
  private static double value(String scrape, String name, String... labels) {
    List<String> samples = scrape.lines()
        .filter(l -> l.startsWith(name + "{") || l.startsWith(name + " "))
        .filter(l -> Arrays.stream(labels).allMatch(l::contains))
        .toList();
    if (samples.isEmpty()) {
      return -1;
    }
    assertEquals(1, samples.size(), "one series of " + name + " with " + Arrays.toString(labels) + ": " + samples);
    String line = samples.get(0);
    return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
  }
}
