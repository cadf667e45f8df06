package io.genorch.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.domain.Generation;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.domain.Output;
import io.genorch.common.testing.Await;
import io.genorch.common.testing.SimulatedProviders;
import io.genorch.common.testing.TestDatabase;
import io.genorch.simulator.SimJob;
import io.genorch.simulator.WebhookAttempt;
import io.genorch.webhook.WebhookHarness.Submitted;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real callbacks from the provider simulator, each provider in its own dialect and with its own retry behaviour,
 * through the submitter's URL (apimart appends /callback itself).
 */
@ExtendWith(VertxExtension.class)
class WebhookSimulatorTest {

  @RegisterExtension
  static final TestDatabase db = TestDatabase.perClass();
  @RegisterExtension
  static final SimulatedProviders providers = new SimulatedProviders(0.01, Duration.ofSeconds(10));
  private WebhookHarness h;

  @BeforeEach
  void verticle(Vertx vertx) {
    h = WebhookHarness.start(vertx, db, WebhookHarness.env(providers));
  }

  @ParameterizedTest
  @ValueSource(strings = {"heo365-sora2", "runblob-sora", "vidgo", "apimart", "runblob-kling-o3"})
  void repeatedAndContradictingCallbacksLeaveOneSuccess(String provider) {
    Submitted sub = h.submit(provider, "a red fox in snow [sim:duplicate=3] [sim:contradict]");

    Generation done = h.awaitStatus(sub.id(), GenerationStatus.SUCCEEDED);
    SimJob job = providers.simulator.job(provider, sub.taskId()).orElseThrow();
    assertEquals(List.of(job.resultUrl()), done.outputs().stream().map(Output::url).toList());
    assertEquals(sub.taskId(), done.providerTaskId());

    // three deliveries of the success and one contradiction, every one acknowledged at the first attempt
    List<WebhookAttempt> attempts = Await.until("all callbacks of " + provider,
        () -> providers.simulator.webhookAttempts(provider, sub.taskId()), a -> a.size() >= 4);
    assertEquals(4, attempts.size(), attempts.toString());
    assertTrue(attempts.stream().allMatch(a -> Integer.valueOf(200).equals(a.statusCode())), attempts.toString());
    Await.until("4 deliveries stored", () -> h.deliveries(sub.id()), n -> n == 4);
    List<String> outcomes = h.awaitProcessed(sub.id());
    assertEquals(1, outcomes.stream().filter(DeliveryProcessor.ADVANCED::equals).count(), outcomes.toString());
    assertEquals(2, outcomes.stream().filter(DeliveryProcessor.DUPLICATE::equals).count(), outcomes.toString());
    assertEquals(1, outcomes.stream().filter(DeliveryProcessor.REJECTED::equals).count(), outcomes.toString());
    assertEquals(GenerationStatus.SUCCEEDED, h.generation(sub.id()).status());
    assertEquals(1, h.timelineCount(sub.id(), "succeeded"));
    assertEquals(1, h.timelineCount(sub.id(), "webhook_rejected"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"heo365-sora2", "runblob-sora", "vidgo", "apimart", "runblob-kling-o3"})
  void failureCallbackFailsTheGenerationWithTheProvidersReason(String provider) {
    Submitted sub = h.submit(provider, "a red fox in snow [sim:fail=CONTENT_POLICY_VIOLATION]");

    Generation failed = h.awaitStatus(sub.id(), GenerationStatus.FAILED);
    assertNotNull(failed.error());
    assertTrue(failed.outputs().isEmpty());
    assertEquals("webhook", failed.resolvedBy().wire());
    String said = failed.error().code() + " " + failed.error().message();
    assertTrue(said.contains("CONTENT_POLICY_VIOLATION") || said.toLowerCase().contains("content_policy_violation"),
        "the provider's reason is kept: " + failed.error());
  }
}
