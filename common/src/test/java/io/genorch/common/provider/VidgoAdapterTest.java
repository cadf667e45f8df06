package io.genorch.common.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.domain.GenerationRequest;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.domain.Output;
import io.genorch.common.testing.Seeds;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

class VidgoAdapterTest {

  private static final String TASK = "task-unified-1757165031-uyujaw3d";
  private final VidgoAdapter adapter = new VidgoAdapter();

  @Test
  void submitNestsTheGenerationUnderInput() {
    GenerationRequest request = new GenerationRequest("vidgo", "sora-2-pro", "a fox", null, "16:9", 25, null, null, null);
    ProviderCall call = adapter.submitCall(request, "https://h/webhooks/vidgo/t");
    assertEquals("/api/generate/submit", call.path());
    assertEquals(new JsonObject().put("model", "sora-2-pro").put("callback_url", "https://h/webhooks/vidgo/t")
        .put("input", new JsonObject().put("prompt", "a fox").put("duration", 25).put("aspect_ratio", "16:9")), call.body());
  }

  @Test
  void acceptedSubmitNamesTheTask() {
    SubmitResult result = adapter.parseSubmitResponse(ProviderResponse.of(200,
        "{\"code\":200,\"data\":{\"task_id\":\"" + TASK + "\",\"status\":\"not_started\",\"created_time\":\"2025-11-12T10:30:00\"}}"));
    assertEquals(TASK, assertInstanceOf(SubmitResult.Accepted.class, result).outcome().providerTaskId());
  }

  @Test
  void errorCodeInTheBodyDecides() {
    SubmitResult result = adapter.parseSubmitResponse(ProviderResponse.of(200, "{\"code\":429,\"message\":\"slow down\"}"));
    assertInstanceOf(SubmitResult.Transient.class, result);
    SubmitResult refused = adapter.parseSubmitResponse(ProviderResponse.of(402, "{\"code\":402,\"message\":\"INSUFFICIENT_CREDITS\"}"));
    assertEquals("INSUFFICIENT_CREDITS", assertInstanceOf(SubmitResult.Refused.class, refused).error().code());
  }

  @Test
  void aFailedTaskHasCode200AndIsReadFromDataStatus() {
    StatusResult result = adapter.parseStatusResponse(TASK, ProviderResponse.of(200, Seeds.text("vidgo-failed.json")));
    ProviderOutcome outcome = assertInstanceOf(StatusResult.Known.class, result).outcome();
    assertEquals(GenerationStatus.FAILED, outcome.status());
    assertEquals("The prompt violates our content policy", outcome.error().message());
  }

  @Test
  void seedCallbacksParse() {
    ProviderOutcome finished = adapter.parseWebhook(Seeds.json("vidgo-finished.json"));
    assertEquals(List.of(new Output("image", "https://storage.vidgo.ai/generated/image-abc123.jpg", null)), finished.outputs());
    assertEquals(GenerationStatus.SUCCEEDED, finished.status());

    ProviderOutcome running = adapter.parseWebhook(Seeds.json("vidgo-running.json"));
    assertEquals(GenerationStatus.PROCESSING, running.status());
    assertEquals(40, running.progress());
    assertTrue(!running.unknownStatus());
  }
}
