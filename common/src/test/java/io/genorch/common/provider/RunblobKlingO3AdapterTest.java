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
import java.util.List;
import org.junit.jupiter.api.Test;

class RunblobKlingO3AdapterTest {

  private static final String ID = "550e8400-e29b-41d4-a716-446655440000";
  private final RunblobKlingO3Adapter adapter = new RunblobKlingO3Adapter();

  @Test
  void modeProBecomesTheProModelAndDurationIsAString() {
    GenerationRequest request = new GenerationRequest("runblob-kling-o3", "kling_o3", "a fox", "https://img.example/a.png",
        "1:1", 10, new JsonObject().put("mode", "pro"), null, null);
    JsonObject body = adapter.submitCall(request, "https://h/webhooks/runblob-kling-o3/t").body();
    assertEquals("kling_o3_pro", body.getString("model"));
    assertEquals("10", body.getString("duration"));
    assertEquals("1:1", body.getString("aspect_ratio"));
    assertEquals(new JsonArray().add("https://img.example/a.png"), body.getJsonArray("images_url"));
  }

  @Test
  void unknownModeIsRefusedAtTheApi() {
    GenerationRequest request = new GenerationRequest("runblob-kling-o3", "kling_o3", "p", null, "1:1", 5,
        new JsonObject().put("mode", "ultra"), null, null);
    assertEquals("options.mode", adapter.validate(request).orElseThrow().field());
  }

  @Test
  void seedWebhooksCarryTheFailureCodeInMessage() {
    ProviderOutcome done = adapter.parseWebhook(Seeds.json("runblob-kling-o3-completed.json"));
    assertEquals(List.of(Output.video("https://cdn.example.com/videos/550e8400.mp4")), done.outputs());

    ProviderOutcome policy = adapter.parseWebhook(Seeds.json("runblob-kling-o3-failed.json"));
    assertEquals("CONTENT_POLICY_VIOLATION", policy.error().code());
    assertTrue(!policy.error().retryable());

    ProviderOutcome timeout = adapter.parseWebhook(Seeds.json("runblob-kling-o3-timeout.json"));
    assertEquals("TIMEOUT", timeout.error().code());
    assertTrue(timeout.error().retryable(), "a provider timeout is worth trying again");
  }

  @Test
  void aFailureLearnedByPollingIsTaskFailed() {
    assertEquals("/v1/kling/o3-video/generations/" + ID, adapter.statusCall(ID).path());
    StatusResult result = adapter.parseStatusResponse(ID, ProviderResponse.of(200, new JsonObject()
        .put("generation_id", ID).put("status", "failed").put("prompt", "p").put("video_url", null)
        .put("model", "kling-o3-video-5s").encode()));
    ProviderOutcome outcome = assertInstanceOf(StatusResult.Known.class, result).outcome();
    assertEquals(GenerationStatus.FAILED, outcome.status());
    assertEquals("TASK_FAILED", outcome.error().code());
  }
}
