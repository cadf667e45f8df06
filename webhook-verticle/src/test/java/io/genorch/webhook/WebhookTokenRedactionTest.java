package io.genorch.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.genorch.common.domain.Generation;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.testing.Await;
import io.genorch.common.testing.SimulatedProviders;
import io.genorch.common.testing.TestDatabase;
import io.genorch.simulator.WebhookAttempt;
import io.genorch.webhook.WebhookHarness.Arranged;
import io.genorch.webhook.WebhookHarness.Submitted;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * heo365 echoes its callback URL, our token in it, inside the payload: the token is never stored in clear (body,
 * headers, timeline, lifecycle events) nor logged, and the delivery is still applied.
 */
@ExtendWith(VertxExtension.class)
class WebhookTokenRedactionTest {

  @RegisterExtension
  static final TestDatabase db = TestDatabase.emptiedBeforeEach();
  @RegisterExtension
  static final SimulatedProviders providers = new SimulatedProviders(0.01, Duration.ofSeconds(10));
  private WebhookHarness h;
  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

  @BeforeEach
  void verticle(Vertx vertx) {
    logged.start();
    root().addAppender(logged);
    h = WebhookHarness.start(vertx, db, WebhookHarness.env(providers));
  }

  @AfterEach
  void stopCapture() {
    root().detachAppender(logged);
  }

  private static Logger root() {
    return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }

  @Test
  void heo365sEchoOfTheCallbackUrlIsStoredWithoutTheToken() {
    Submitted sub = h.submit("heo365-sora2", "a lighthouse at dusk");
    String token = sub.generation().token();

    Generation done = h.awaitStatus(sub.id(), GenerationStatus.SUCCEEDED);
    assertEquals("webhook", done.resolvedBy().wire());
    List<WebhookAttempt> sent = providers.simulator.webhookAttempts("heo365-sora2", sub.taskId());
    assertTrue(sent.get(0).body().encode().contains(token), "the simulated heo365 echoes the URL with the token");
    assertEquals(List.of(DeliveryProcessor.ADVANCED), h.awaitProcessed(sub.id()));

    String body = stored(sub.id(), "convert_from(body, 'UTF8')").get(0);
    assertTrue(body.contains("/webhooks/heo365-sora2/" + WebhookPayload.REDACTED), body);
    assertTokenStoredNowhere(token);
  }

  @Test
  void theTokenIsRedactedFromHeadersAndFromEscapedSpellingsInTheBody() {
    Arranged gen = h.arrangeSubmitted("heo365-sora2", "task_escaped");
    String token = gen.token();
    // the same token, first character written as a JSON escape: only the parsed body shows it
    String escaped = String.format("\\u%04x", (int) token.charAt(0)) + token.substring(1);
    String body = "{\"taskId\":\"task_escaped\",\"status\":\"success\",\"resultUrl\":\"https://cdn.heo365.com/v.mp4\","
        + "\"requestParams\":{\"callbackUrl\":\"" + h.url("heo365-sora2", escaped) + "\"}}";
    HttpResponse<Buffer> response = Await.result(h.http.post(h.port(), "127.0.0.1", "/webhooks/heo365-sora2/" + token)
        .putHeader("Content-Type", "application/json")
        .putHeader("Webhook-Source", h.url("heo365-sora2", token))
        .sendBuffer(Buffer.buffer(body)));

    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals(List.of(DeliveryProcessor.ADVANCED), h.awaitProcessed(gen.id()));
    h.awaitStatus(gen.id(), GenerationStatus.SUCCEEDED);
    JsonObject stored = new JsonObject(stored(gen.id(), "convert_from(body, 'UTF8')").get(0));
    JsonObject headers = new JsonObject(stored(gen.id(), "headers::text").get(0));
    assertEquals(h.url("heo365-sora2", WebhookPayload.REDACTED), headers.getString("webhook-source"));
    assertEquals(h.url("heo365-sora2", WebhookPayload.REDACTED), stored.getJsonObject("requestParams").getString("callbackUrl"));
    assertTokenStoredNowhere(token);
  }

  /** Neither the token nor anything that decodes to it, in any table the webhook path writes, nor in the log. */
  private void assertTokenStoredNowhere(String token) {
    assertEquals(0, db.count("SELECT count(*) FROM webhook_deliveries WHERE position(convert_to('" + token
        + "', 'UTF8') IN body) > 0 OR convert_from(body, 'UTF8')::jsonb::text LIKE '%" + token + "%'"
        + " OR headers::text LIKE '%" + token + "%' OR coalesce(last_error, '') LIKE '%" + token + "%'"),
        "bodies and headers");
    assertEquals(0, db.count("SELECT count(*) FROM generation_events WHERE detail::text LIKE '%" + token + "%'"), "timeline");
    assertEquals(0, db.count("SELECT count(*) FROM lifecycle_events WHERE payload::text LIKE '%" + token + "%'"), "lifecycle");
    assertEquals(0, db.count("SELECT count(*) FROM generations WHERE row_to_json(generations)::text LIKE '%" + token + "%'"),
        "generations");
    // the service's own log lines (the simulator, standing in for the provider, may log the URL it calls)
    List<String> leaks = logged.list.stream().filter(e -> !e.getLoggerName().startsWith("io.genorch.simulator"))
        .map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains(token)).toList();
    assertFalse(leaks.stream().findAny().isPresent(), "logged: " + leaks);
  }

  private List<String> stored(String generationId, String column) {
    try (var c = db.connect(); var st = c.prepareStatement(
        "SELECT " + column + " FROM webhook_deliveries WHERE generation_id = ? ORDER BY id")) {
      st.setString(1, generationId);
      try (var rs = st.executeQuery()) {
        java.util.ArrayList<String> values = new java.util.ArrayList<>();
        while (rs.next()) {
          values.add(rs.getString(1));
        }
        return values;
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
