package io.genorch.common.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.domain.GenerationRequest;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.domain.Output;
import io.genorch.common.testing.Seeds;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunblobSoraAdapterTest {

  private static final String ID = "550e8400-e29b-41d4-a716-446655440000";
  private final RunblobSoraAdapter adapter = new RunblobSoraAdapter();

  @Test
  void submitMapsAspectRatioToOrientation() {
    GenerationRequest request = new GenerationRequest("runblob-sora", "sora-2", "a fox", "https://img.example/a.png",
        "16:9", 15, null, null, null);
    ProviderCall call = adapter.submitCall(request, "https://h/webhooks/runblob-sora/t");
    assertEquals("/v1/sora/generate", call.path());
    assertEquals(new JsonObject().put("prompt", "a fox").put("orientation", "16:9").put("duration", 15)
        .put("callback_url", "https://h/webhooks/runblob-sora/t").put("image_url", "https://img.example/a.png"), call.body());
  }

  @Test
  void created201NamesTheGeneration() {
    SubmitResult result = adapter.parseSubmitResponse(ProviderResponse.of(201,
        "{\"generation_id\":\"" + ID + "\",\"status\":\"pending\",\"price\":\"0.1200\"}"));
    assertEquals(ID, assertInstanceOf(SubmitResult.Accepted.class, result).outcome().providerTaskId());
  }

  @Test
  void fastApiErrorsAreRefusalsOrRetries() {
    SubmitResult credits = adapter.parseSubmitResponse(ProviderResponse.of(402, "{\"detail\":\"INSUFFICIENT_CREDITS\"}"));
    assertEquals("INSUFFICIENT_CREDITS", assertInstanceOf(SubmitResult.Refused.class, credits).error().code());

    SubmitResult invalid = adapter.parseSubmitResponse(ProviderResponse.of(422,
        "{\"detail\":[{\"type\":\"string_too_long\",\"loc\":[\"body\",\"prompt\"],\"msg\":\"String should have at most 4000 characters\",\"input\":\"x\"}]}"));
    SubmitResult.Refused refused = assertInstanceOf(SubmitResult.Refused.class, invalid);
    assertEquals("PROVIDER_REJECTED_REQUEST", refused.error().code());
    assertEquals("prompt: String should have at most 4000 characters", refused.error().message());

    SubmitResult busy = adapter.parseSubmitResponse(new ProviderResponse(503, Buffer.buffer("{\"detail\":\"busy\"}"), "7"));
    assertEquals(Duration.ofSeconds(7), assertInstanceOf(SubmitResult.Transient.class, busy).retryAfter());
  }

  @Test
  void statusUsesTheTrailingSlashAndReadsProgress() {
    assertEquals("/v1/sora/generations/" + ID + "/", adapter.statusCall(ID).path());
    StatusResult result = adapter.parseStatusResponse(ID, ProviderResponse.of(200, new JsonObject()
        .put("generation_id", ID).put("status", "processing").put("progress_pct", 42)
        .put("created_at", "2025-11-24T10:00:00.000000").encode()));
    ProviderOutcome outcome = assertInstanceOf(StatusResult.Known.class, result).outcome();
    assertEquals(GenerationStatus.PROCESSING, outcome.status());
    assertEquals(42, outcome.progress());
  }

  @Test
  void unknownGenerationIsNotFound() {
    StatusResult result = adapter.parseStatusResponse(ID, ProviderResponse.of(404, "{\"detail\":\"Generation not found\"}"));
    assertEquals("Generation not found", assertInstanceOf(StatusResult.NotFound.class, result).detail());
  }

  @Test
  void seedWebhooksParse() {
    ProviderOutcome success = adapter.parseWebhook(Seeds.json("runblob-sora-success.json"));
    assertEquals(List.of(Output.video("https://cdn.runblob.io/videos/2025/11/550e8400.mp4")), success.outputs());
    assertNull(success.error());

    ProviderOutcome failed = adapter.parseWebhook(Seeds.json("runblob-sora-failed.json"));
    assertEquals(GenerationStatus.FAILED, failed.status());
    assertEquals("GENERATION_FAILED", failed.error().code());
    assertEquals("Generation failed", failed.error().message());
  }

}
