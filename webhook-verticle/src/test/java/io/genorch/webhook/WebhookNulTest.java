package io.genorch.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.genorch.common.domain.Generation;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.persistence.GenerationStore.TimelineEntry;
import io.genorch.common.testing.TestDatabase;
import io.genorch.webhook.WebhookHarness.Arranged;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * JSON strings carrying a NUL escape (a character PostgreSQL refuses in text and json) wherever an adapter reads:
 * each such delivery is acknowledged only if it can be processed, and then it is, with NUL written as its escape in
 * what is extracted; the body is kept byte for byte.
 */
@ExtendWith(VertxExtension.class)
class WebhookNulTest {

  /** The six characters of a JSON NUL escape, as they appear in a body on the wire and in what is stored. */
  private static final String NUL_ESCAPE = "\\" + "u0000";

  @RegisterExtension
  static final TestDatabase db = TestDatabase.emptiedBeforeEach();
  private WebhookHarness h;

  @BeforeEach
  void start(Vertx vertx) {
    h = WebhookHarness.start(vertx, db, Map.of());
  }

  private static String heo365(String taskId, String status, String extra) {
    return "{\"taskId\":\"" + taskId + "\",\"status\":\"" + status + "\",\"statusCode\":200" + extra + "}";
  }

  /** Posts, expects the ack, and checks the stored body is exactly what was sent. */
  private void deliverAcknowledged(Arranged gen, String body) {
    HttpResponse<Buffer> response = h.deliver(gen, body);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals(List.of(body), storedBodies(gen.id()), "the body is kept byte for byte");
  }

  @Test
  void nulInTheErrorMessageStillFailsTheGenerationWithThatMessage() {
    Arranged gen = h.arrangeSubmitted("heo365-sora2", "task_err");
    deliverAcknowledged(gen, heo365("task_err", "failed", ",\"errorMessage\":\"bad" + NUL_ESCAPE + "thing\""));

    assertEquals(List.of(DeliveryProcessor.ADVANCED), h.awaitProcessed(gen.id()));
    Generation failed = h.awaitStatus(gen.id(), GenerationStatus.FAILED);
    assertEquals("bad" + NUL_ESCAPE + "thing", failed.error().message());
    assertEquals("webhook", failed.resolvedBy().wire());
  }

  @Test
  void nulInAnOutputUrlStillSucceedsTheGeneration() {
    Arranged gen = h.arrangeSubmitted("runblob-sora", "task-url");
    String url = "https://cdn.runblob.io/videos/v.mp4" + NUL_ESCAPE;
    deliverAcknowledged(gen, "{\"generation_id\":\"task-url\",\"status\":\"completed\",\"video_url\":\"" + url + "\"}");

    assertEquals(List.of(DeliveryProcessor.ADVANCED), h.awaitProcessed(gen.id()));
    Generation done = h.awaitStatus(gen.id(), GenerationStatus.SUCCEEDED);
    assertEquals(url, done.outputs().get(0).url());
  }

  @Test
  void aStatusWordWithNulIsAnUnknownWordAndNeverSuccess() {
    Arranged gen = h.arrangeSubmitted("heo365-sora2", "task_word");
    String word = "success" + NUL_ESCAPE;
    deliverAcknowledged(gen, heo365("task_word", word, ",\"resultUrl\":\"https://cdn.heo365.com/v.mp4\""));

    assertEquals(List.of(DeliveryProcessor.STAYED), h.awaitProcessed(gen.id()));
    assertEquals(GenerationStatus.SUBMITTED, h.generation(gen.id()).status(), "an unknown word is still running");
    TimelineEntry received = h.timeline(gen.id()).stream().filter(e -> e.type().equals("webhook_received")).findFirst()
        .orElseThrow();
    assertEquals(word, received.detail().getString("providerStatus"));
    assertEquals(true, received.detail().getBoolean("unknownStatus"));
  }

  @Test
  void aTaskIdStartingWithNulIsBoundAndApplied() {
    Arranged gen = h.arrange("heo365-sora2");
    String taskId = NUL_ESCAPE + "task_nul";
    deliverAcknowledged(gen, heo365(taskId, "success", ",\"resultUrl\":\"https://cdn.heo365.com/v.mp4\""));

    assertEquals(List.of(DeliveryProcessor.ADVANCED), h.awaitProcessed(gen.id()));
    Generation done = h.awaitStatus(gen.id(), GenerationStatus.SUCCEEDED);
    assertEquals(taskId, done.providerTaskId());
  }

  @Test
  void aTaskIdThatDiffersFromTheBoundOneOnlyByNulIsAnotherTask() {
    Arranged gen = h.arrangeSubmitted("heo365-sora2", "task_same");
    HttpResponse<Buffer> response = h.deliver(gen, heo365(NUL_ESCAPE + "task_same", "failed", ""));

    assertEquals(409, response.statusCode(), response.bodyAsString());
    assertEquals("task_mismatch", WebhookHarness.json(response).getJsonObject("error").getString("code"));
    assertEquals(0, h.deliveries(gen.id()), "nothing is stored for a refused delivery");
    assertEquals(GenerationStatus.SUBMITTED, h.generation(gen.id()).status());
  }

  @Test
  void nulAsAKeyAndInFieldsNobodyReadsIsStoredAndApplied() {
    Arranged gen = h.arrangeSubmitted("runblob-sora", "task-keys");
    String body = "{\"generation_id\":\"task-keys\",\"status\":\"completed\",\"video_url\":\"https://cdn/v.mp4\","
        + "\"" + NUL_ESCAPE + "\":[\"" + NUL_ESCAPE + "\",{\"prompt\":\"a" + NUL_ESCAPE + "b\"}]}";
    deliverAcknowledged(gen, body);

    assertEquals(List.of(DeliveryProcessor.ADVANCED), h.awaitProcessed(gen.id()));
    h.awaitStatus(gen.id(), GenerationStatus.SUCCEEDED);
  }

  private List<String> storedBodies(String generationId) {
    return storedBodyBytes(generationId).stream().map(b -> new String(b, StandardCharsets.UTF_8)).toList();
  }

  private List<byte[]> storedBodyBytes(String generationId) {
    try (var c = db.connect(); var st = c.prepareStatement("SELECT body FROM webhook_deliveries WHERE generation_id = ? ORDER BY id")) {
      st.setString(1, generationId);
      try (var rs = st.executeQuery()) {
        java.util.ArrayList<byte[]> bodies = new java.util.ArrayList<>();
        while (rs.next()) {
          bodies.add(rs.getBytes(1));
        }
        return bodies;
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
