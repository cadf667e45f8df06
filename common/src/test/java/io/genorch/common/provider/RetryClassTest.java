package io.genorch.common.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.testing.Seeds;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/**
 * Each adapter sorts its provider's failure reasons into the retry class (worth a re-run: the provider failed) or
 * final (the request's fault), over the seed payloads and the same payloads with the provider's other words.
 */
class RetryClassTest {

  private static boolean retryable(ProviderAdapter adapter, JsonObject webhook) {
    ProviderOutcome outcome = adapter.parseWebhook(webhook);
    assertEquals(GenerationStatus.FAILED, outcome.status());
    return outcome.error().retryable();
  }

  @Test
  void klingRetriesTaskFailedMaintenanceAndTimeoutOnly() {
    RunblobKlingO3Adapter kling = new RunblobKlingO3Adapter();
    JsonObject seed = Seeds.json("runblob-kling-o3-failed.json");
    assertEquals(false, retryable(kling, seed), "CONTENT_POLICY_VIOLATION");
    assertEquals(true, retryable(kling, Seeds.json("runblob-kling-o3-timeout.json")), "TIMEOUT");
    for (String code : new String[] {"TASK_FAILED", "MAINTENANCE"}) {
      assertEquals(true, retryable(kling, seed.copy().put("message", code)), code);
    }
    for (String code : new String[] {"IMAGE_INACCESSIBLE", "INVALID_IMAGE"}) {
      assertEquals(false, retryable(kling, seed.copy().put("message", code)), code);
    }
    assertEquals(true, retryable(kling, seed.copy().putNull("message")), "failed without a reason is TASK_FAILED");
  }

  @Test
  void heo365RetriesItsSystemError() {
    Heo365Sora2Adapter heo = new Heo365Sora2Adapter();
    JsonObject seed = Seeds.json("heo365-sora2-failed.json");
    assertEquals(true, retryable(heo, seed), seed.getString("errorMessage"));
    assertEquals(false, retryable(heo, seed.copy().put("errorMessage", "Prompt violates content policy")));
  }

  @Test
  void vidgoRetriesSystemErrorsNotContentRefusals() {
    VidgoAdapter vidgo = new VidgoAdapter();
    JsonObject seed = Seeds.json("vidgo-failed.json");
    assertEquals(false, retryable(vidgo, seed), "the seed's content policy refusal");
    JsonObject system = seed.copy();
    system.getJsonObject("data").put("error_message", "Internal server error, please try again later");
    assertEquals(true, retryable(vidgo, system));
    system.getJsonObject("data").put("error_message", "system error");
    assertEquals(true, retryable(vidgo, system));
  }

  @Test
  void apimartRetriesAFailureWithASystemReason() {
    ApimartAdapter apimart = new ApimartAdapter();
    JsonObject seed = Seeds.json("apimart-failed.json");
    assertEquals(false, retryable(apimart, seed), "content_policy_violation");
    JsonObject system = seed.copy();
    system.getJsonObject("data").put("error", new JsonObject().put("code", "system_error").put("message", "Upstream failed"));
    assertEquals(true, retryable(apimart, system));
    system.getJsonObject("data").put("error", new JsonObject().put("code", "generation_failed")
        .put("message", "Video generation failed: service unavailable"));
    assertEquals(true, retryable(apimart, system));
  }

  @Test
  void runblobSoraRetriesOnlyANamedSystemFailure() {
    RunblobSoraAdapter sora = new RunblobSoraAdapter();
    JsonObject seed = Seeds.json("runblob-sora-failed.json");
    assertEquals(false, retryable(sora, seed), "the bare Generation failed may be a content refusal");
    assertEquals(true, retryable(sora, seed.copy().put("error_message", "Internal error, try again")));
  }
}
