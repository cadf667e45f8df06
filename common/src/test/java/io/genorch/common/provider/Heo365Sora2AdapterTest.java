package io.genorch.common.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.domain.GenerationRequest;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.domain.Output;
import io.genorch.common.testing.Seeds;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

class Heo365Sora2AdapterTest {

  private final Heo365Sora2Adapter adapter = new Heo365Sora2Adapter();

  private static GenerationRequest request(String imageUrl) {
    return new GenerationRequest("heo365-sora2", "sora-2", "a fox", imageUrl, "16:9", 15,
        new JsonObject().put("remixTargetId", "task_prev"), null, null);
  }

  @Test
  void textToVideoSubmitUsesTheAssumedPathAndCamelCaseFields() {
    ProviderCall call = adapter.submitCall(request(null), "https://hooks.example/webhooks/heo365-sora2/t");
    assertEquals("/api/v1/tasks", call.path());
    assertEquals(new JsonObject()
        .put("projectName", "sora2").put("modelName", "sora2_text_to_video").put("prompt", "a fox")
        .put("imageUrl", "").put("aspectRatio", "16:9").put("duration", 15)
        .put("callbackUrl", "https://hooks.example/webhooks/heo365-sora2/t").put("remixTargetId", "task_prev"),
        call.body());
  }

  @Test
  void anImageMakesItImageToVideo() {
    JsonObject body = adapter.submitCall(request("https://img.example/a.png"), "https://h/x").body();
    assertEquals("sora2_image_to_video", body.getString("modelName"));
    assertEquals("https://img.example/a.png", body.getString("imageUrl"));
  }

  @Test
  void acceptedSubmitNamesTheTask() {
    SubmitResult result = adapter.parseSubmitResponse(ProviderResponse.of(200,
        "{\"success\":true,\"data\":{\"taskId\":\"task_abc123\",\"status\":\"pending\",\"createdAt\":\"2024-10-24T10:00:00Z\"}}"));
    ProviderOutcome outcome = assertInstanceOf(SubmitResult.Accepted.class, result).outcome();
    assertEquals("task_abc123", outcome.providerTaskId());
    assertEquals(GenerationStatus.SUBMITTED, outcome.status());
  }

  @Test
  void anErrorInsideA200IsStillARefusal() {
    SubmitResult result = adapter.parseSubmitResponse(ProviderResponse.of(200,
        "{\"success\":false,\"code\":402,\"message\":\"INSUFFICIENT_CREDITS\"}"));
    assertEquals("INSUFFICIENT_CREDITS", assertInstanceOf(SubmitResult.Refused.class, result).error().code());
  }

  @Test
  void queryAnswerIsTheWebhookPayloadInASuccessWrapper() {
    JsonObject answer = new JsonObject().put("success", true).put("data", Seeds.json("heo365-sora2-success.json"));
    StatusResult result = adapter.parseStatusResponse("task_abc123", ProviderResponse.of(200, answer.encode()));
    ProviderOutcome outcome = assertInstanceOf(StatusResult.Known.class, result).outcome();
    assertEquals(GenerationStatus.SUCCEEDED, outcome.status());
    assertEquals(List.of(Output.video("https://cdn.heo365.com/sora2/video.mp4")), outcome.outputs());
    assertEquals("/api/v1/tasks/task_abc123", adapter.statusCall("task_abc123").path());
  }

  @Test
  void seedWebhooksParse() {
    ProviderOutcome success = adapter.parseWebhook(Seeds.json("heo365-sora2-success-image.json"));
    assertEquals("task_abc123", success.providerTaskId());
    assertEquals(GenerationStatus.SUCCEEDED, success.status());
    assertEquals(100, success.progress());

    ProviderOutcome failed = adapter.parseWebhook(Seeds.json("heo365-sora2-failed.json"));
    assertEquals(GenerationStatus.FAILED, failed.status());
    assertEquals("GENERATION_FAILED", failed.error().code());
    assertEquals("Failed to generate, system error please try again", failed.error().message());
    assertTrue(failed.error().retryable());
  }

  @Test
  void undocumentedWordsMeanStillRunning() {
    ProviderOutcome outcome = adapter.parseWebhook(new JsonObject().put("taskId", "t").put("status", "rendering"));
    assertEquals(GenerationStatus.SUBMITTED, outcome.status());
    assertTrue(outcome.unknownStatus());
  }

  @Test
  void aBodyWithoutTaskIdIsNotAHeo365Webhook() {
    assertThrows(InvalidPayloadException.class, () -> adapter.parseWebhook(new JsonObject().put("status", "success")));
  }

}
