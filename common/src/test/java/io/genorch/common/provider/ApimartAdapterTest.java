package io.genorch.common.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.domain.GenerationRequest;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.domain.Output;
import io.genorch.common.testing.Seeds;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ApimartAdapterTest {

  private static final String TASK = "task_01K8SGYNNNVBQTXNR4MM964S7K";
  private final ApimartAdapter adapter = new ApimartAdapter();

  @Test
  void submitSendsTheWebhookBaseAndImagesAsAList() {
    GenerationRequest request = new GenerationRequest("apimart", "sora-2", "a fox", "https://img.example/a.png",
        "9:16", 10, null, null, null);
    ProviderCall call = adapter.submitCall(request, "https://h/webhooks/apimart/t");
    assertEquals("/v1/videos/generations", call.path());
    assertEquals("https://h/webhooks/apimart/t", call.body().getString("webhook"));
    assertEquals(new JsonArray().add("https://img.example/a.png"), call.body().getJsonArray("image_urls"));
    assertTrue(adapter.spec().appendsCallbackSegment(), "apimart posts to the webhook base plus /callback");
  }

  @Test
  void submitAnswerDataIsAnArray() {
    SubmitResult result = adapter.parseSubmitResponse(ProviderResponse.of(200,
        "{\"code\":200,\"data\":[{\"status\":\"submitted\",\"task_id\":\"" + TASK + "\"}]}"));
    assertEquals(TASK, assertInstanceOf(SubmitResult.Accepted.class, result).outcome().providerTaskId());
  }

  @Test
  void errorObjectIsRead() {
    SubmitResult result = adapter.parseSubmitResponse(ProviderResponse.of(402,
        "{\"error\":{\"code\":402,\"message\":\"Insufficient balance\",\"type\":\"insufficient_quota\"}}"));
    SubmitResult.Refused refused = assertInstanceOf(SubmitResult.Refused.class, result);
    assertEquals("INSUFFICIENT_CREDITS", refused.error().code());
    assertEquals("Insufficient balance", refused.error().message());
  }

  @Test
  void seedCallbacksParseWithExpiringLinks() {
    ProviderOutcome done = adapter.parseWebhook(Seeds.json("apimart-completed.json"));
    assertEquals(List.of(new Output("video",
        "https://upload.apimart.ai/f/video/9998234598745610-6a3e-4b53-be0b-7a1c8f4d2e90-video.mp4",
        Instant.ofEpochSecond(1761897600))), done.outputs());

    ProviderOutcome failed = adapter.parseWebhook(Seeds.json("apimart-failed.json"));
    assertEquals("CONTENT_POLICY_VIOLATION", failed.error().code());
    assertEquals("The prompt was rejected by the content policy", failed.error().message());
  }

  @Test
  void urlMayBeAStringAndImagesAndAudiosAreOutputsToo() {
    JsonObject body = new JsonObject().put("code", 200).put("data", new JsonObject()
        .put("id", TASK).put("status", "completed").put("result", new JsonObject()
            .put("images", new JsonArray().add(new JsonObject().put("url", new JsonArray().add("https://a/1.png").add("https://a/2.png"))))
            .put("audios", new JsonArray().add(new JsonObject().put("url", "https://a/s.mp3")))
            .put("expires_at", 1761897600)));
    StatusResult result = adapter.parseStatusResponse(TASK, ProviderResponse.of(200, body.encode()));
    List<Output> outputs = assertInstanceOf(StatusResult.Known.class, result).outcome().outputs();
    Instant expiry = Instant.ofEpochSecond(1761897600);
    assertEquals(List.of(new Output("image", "https://a/1.png", expiry), new Output("image", "https://a/2.png", expiry),
        new Output("audio", "https://a/s.mp3", expiry)), outputs);
  }

  @Test
  void cancelledIsAFailure() {
    ProviderOutcome outcome = adapter.parseWebhook(new JsonObject().put("data",
        new JsonObject().put("id", TASK).put("status", "cancelled")));
    assertEquals(GenerationStatus.FAILED, outcome.status());
    assertEquals("CANCELLED", outcome.error().code());
  }
}
