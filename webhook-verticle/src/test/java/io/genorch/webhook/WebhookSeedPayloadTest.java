package io.genorch.webhook;

import static io.genorch.webhook.WebhookHarness.seed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.domain.Generation;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.domain.Output;
import io.genorch.common.domain.ResolvedBy;
import io.genorch.common.testing.TestDatabase;
import io.genorch.webhook.WebhookHarness.Arranged;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The example payloads of the seed documents (src/test/resources/seeds), posted to a real token: each provider's
 * success ends succeeded with its outputs, each failure failed with its error code.
 */
@ExtendWith(VertxExtension.class)
class WebhookSeedPayloadTest {

  private static final String HEO_TASK = "task_abc123";
  private static final String RUNBLOB_TASK = "550e8400-e29b-41d4-a716-446655440000";
  private static final String VIDGO_TASK = "task-unified-1757165031-uyujaw3d";
  private static final String APIMART_TASK = "task_01K8SGYNNNVBQTXNR4MM964S7K";

  /** Each test starts from empty tables: several bind the seeds' task ids, which a task id may belong to only once. */
  @RegisterExtension
  static final TestDatabase db = TestDatabase.emptiedBeforeEach();
  private WebhookHarness h;

  @BeforeEach
  void start(Vertx vertx) {
    h = WebhookHarness.start(vertx, db, Map.of());
  }

  static Stream<Arguments> successes() {
    return Stream.of(
        Arguments.of("heo365-sora2", "heo365-sora2-success.json", HEO_TASK,
            List.of(new Output("video", "https://cdn.heo365.com/sora2/video.mp4", null))),
        Arguments.of("heo365-sora2", "heo365-sora2-success-image.json", HEO_TASK,
            List.of(new Output("video", "https://cdn.heo365.com/sora2/video.mp4", null))),
        Arguments.of("runblob-sora", "runblob-sora-success.json", RUNBLOB_TASK,
            List.of(new Output("video", "https://cdn.runblob.io/videos/2025/11/550e8400.mp4", null))),
        Arguments.of("vidgo", "vidgo-finished.json", VIDGO_TASK,
            List.of(new Output("image", "https://storage.vidgo.ai/generated/image-abc123.jpg", null))),
        Arguments.of("apimart", "apimart-completed.json", APIMART_TASK,
            List.of(new Output("video", "https://upload.apimart.ai/f/video/9998234598745610-6a3e-4b53-be0b-7a1c8f4d2e90-video.mp4",
                Instant.ofEpochSecond(1761897600)))),
        Arguments.of("runblob-kling-o3", "runblob-kling-o3-completed.json", RUNBLOB_TASK,
            List.of(new Output("video", "https://cdn.example.com/videos/550e8400.mp4", null))));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("successes")
  void seedSuccessPayloadSucceedsWithItsOutputs(String provider, String seedFile, String taskId, List<Output> outputs) {
    Arranged gen = h.arrangeSubmitted(provider, taskId);
    String path = "/webhooks/" + provider + "/" + gen.token() + (provider.equals("apimart") ? "/callback" : "");

    assertEquals(200, h.post(path, seed(seedFile)).statusCode());

    Generation done = h.awaitStatus(gen.id(), GenerationStatus.SUCCEEDED);
    assertEquals(outputs, done.outputs());
    assertNull(done.error());
    assertEquals(ResolvedBy.WEBHOOK, done.resolvedBy());
    assertEquals(100, done.progress());
    assertEquals(List.of(DeliveryProcessor.ADVANCED), h.awaitProcessed(gen.id()));
    assertEquals(List.of("accepted", "submitted", "webhook_received", "succeeded"), h.timelineTypes(gen.id()));
  }

  static Stream<Arguments> failures() {
    return Stream.of(
        Arguments.of("heo365-sora2", "heo365-sora2-failed.json", HEO_TASK, "GENERATION_FAILED",
            "Failed to generate, system error please try again"),
        Arguments.of("runblob-sora", "runblob-sora-failed.json", RUNBLOB_TASK, "GENERATION_FAILED", "Generation failed"),
        Arguments.of("vidgo", "vidgo-failed.json", VIDGO_TASK, "GENERATION_FAILED", "The prompt violates our content policy"),
        Arguments.of("apimart", "apimart-failed.json", APIMART_TASK, "CONTENT_POLICY_VIOLATION",
            "The prompt was rejected by the content policy"),
        Arguments.of("runblob-kling-o3", "runblob-kling-o3-failed.json", RUNBLOB_TASK, "CONTENT_POLICY_VIOLATION", null),
        Arguments.of("runblob-kling-o3", "runblob-kling-o3-timeout.json", RUNBLOB_TASK, "TIMEOUT", null));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("failures")
  void seedFailurePayloadFailsWithItsErrorCode(String provider, String seedFile, String taskId, String code, String message) {
    Arranged gen = h.arrangeSubmitted(provider, taskId);
    String path = "/webhooks/" + provider + "/" + gen.token() + (provider.equals("apimart") ? "/callback" : "");

    assertEquals(200, h.post(path, seed(seedFile)).statusCode());

    Generation failed = h.awaitStatus(gen.id(), GenerationStatus.FAILED);
    assertEquals(code, failed.error().code(), failed.error().toString());
    if (message != null) {
      assertTrue(failed.error().message().contains(message), failed.error().toString());
    }
    assertTrue(failed.outputs().isEmpty());
    assertEquals(ResolvedBy.WEBHOOK, failed.resolvedBy());
    assertEquals(List.of("accepted", "submitted", "webhook_received", "failed"), h.timelineTypes(gen.id()));
  }

  @Test
  void webhookBeforeTheSubmitAnswerWasStoredIsAppliedAndBindsTheTask() {
    Arranged gen = h.arrange("runblob-sora"); // queued, token bound, no task id yet
    // a task of its own: other tests of this class bind the seed's task id to their generations
    String task = java.util.UUID.randomUUID().toString();

    assertEquals(200, h.deliver(gen, seed("runblob-sora-success.json").replace(RUNBLOB_TASK, task)).statusCode());

    Generation done = h.awaitStatus(gen.id(), GenerationStatus.SUCCEEDED);
    assertEquals(task, done.providerTaskId());
    assertEquals(1, done.outputs().size());
    // the submit answer that arrives afterwards changes nothing
    h.bindTask(gen.id(), task);
    assertEquals(GenerationStatus.SUCCEEDED, h.generation(gen.id()).status());
  }

  @Test
  void aRunningReportBeforeTheSubmitAnswerLeavesAScheduleForThePoller() {
    Arranged gen = h.arrange("vidgo"); // queued, token bound, no task id, no schedule yet

    assertEquals(200, h.deliver(gen, seed("vidgo-running.json")).statusCode());

    h.awaitGeneration(gen.id(), g -> g.status() == GenerationStatus.PROCESSING);
    assertEquals(1, db.count("SELECT count(*) FROM generations WHERE id = '" + gen.id() + "'"
        + " AND next_check_at > now() AND deadline_at > next_check_at"),
        "if the submit answer never comes, the poller still looks and the deadline still applies");
  }

  @Test
  void progressDeliveryUpdatesProgressWithoutLeavingTheRunningStates() {
    Arranged gen = h.arrangeSubmitted("vidgo", VIDGO_TASK);

    assertEquals(200, h.deliver(gen, seed("vidgo-running.json")).statusCode());
    Generation running = h.awaitGeneration(gen.id(), g -> Integer.valueOf(40).equals(g.progress()));
    assertEquals(GenerationStatus.PROCESSING, running.status());
    assertNull(running.completedAt());

    assertEquals(200, h.deliver(gen, seed("vidgo-running.json").replace("\"progress\": 40", "\"progress\": 70")).statusCode());
    assertEquals(70, h.awaitGeneration(gen.id(), g -> Integer.valueOf(70).equals(g.progress())).progress());
    assertEquals(GenerationStatus.PROCESSING, h.generation(gen.id()).status());

    assertEquals(200, h.deliver(gen, seed("vidgo-finished.json")).statusCode());
    assertEquals(100, h.awaitStatus(gen.id(), GenerationStatus.SUCCEEDED).progress());
    assertEquals(List.of(DeliveryProcessor.ADVANCED, DeliveryProcessor.STAYED, DeliveryProcessor.ADVANCED), h.awaitProcessed(gen.id()));
  }

  @Test
  void unknownStatusWordIsTreatedAsStillRunning() {
    Arranged gen = h.arrangeSubmitted("vidgo", VIDGO_TASK);

    assertEquals(200, h.deliver(gen, seed("vidgo-running.json").replace("\"running\"", "\"rendering_upscale\"")).statusCode());

    h.awaitProcessed(gen.id());
    Generation after = h.generation(gen.id());
    assertTrue(!after.status().isTerminal(), after.status().wire());
    var received = h.timeline(gen.id()).stream().filter(e -> e.type().equals("webhook_received")).findFirst().orElseThrow();
    assertEquals(Boolean.TRUE, received.detail().getBoolean("unknownStatus"), received.detail().encode());
    assertEquals("rendering_upscale", received.detail().getString("providerStatus"));
  }
}
