package io.genorch.webhook;

import static io.genorch.webhook.WebhookHarness.seed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.domain.Generation;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.persistence.GenerationStore.TimelineEntry;
import io.genorch.common.testing.Await;
import io.genorch.common.testing.SimulatedProviders;
import io.genorch.common.testing.TestDatabase;
import io.genorch.webhook.WebhookHarness.Arranged;
import io.genorch.webhook.WebhookHarness.Submitted;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** ORCH_PROVIDER_<ID>_CONFIRM_WEBHOOKS: a delivery is a hint, the provider's status API is the truth. */
@ExtendWith(VertxExtension.class)
class WebhookConfirmTest {

  @RegisterExtension
  static final TestDatabase db = TestDatabase.perClass();
  @RegisterExtension
  static final SimulatedProviders providers = new SimulatedProviders(0.01, Duration.ofSeconds(10));
  private WebhookHarness h;

  @BeforeEach
  void verticle(Vertx vertx) {
    Map<String, String> env = new HashMap<>(WebhookHarness.env(providers));
    env.put("ORCH_PROVIDER_VIDGO_CONFIRM_WEBHOOKS", "true");
    env.put("ORCH_PROVIDER_RUNBLOB_SORA_CONFIRM_WEBHOOKS", "true");
    h = WebhookHarness.start(vertx, db, env);
  }

  @AfterEach
  void clearFaults() {
    providers.simulator.faults().clear();
  }

  @Test
  void genuineCallbackIsAppliedAfterTheProviderConfirmsIt() {
    Submitted sub = h.submit("vidgo", "a paper boat on a river [sim:duplicate=2] [sim:contradict]");

    Generation done = h.awaitStatus(sub.id(), GenerationStatus.SUCCEEDED);
    assertEquals(1, done.outputs().size());
    TimelineEntry received = h.timeline(sub.id()).stream().filter(e -> e.type().equals("webhook_received")).findFirst().orElseThrow();
    assertEquals(Boolean.TRUE, received.detail().getBoolean("confirmed"), received.detail().encode());

    // the repeat and the contradiction come to a terminal generation: recorded without spending a status call
    Await.until("3 deliveries stored", () -> h.deliveries(sub.id()), n -> n == 3);
    List<String> outcomes = h.awaitProcessed(sub.id());
    assertEquals(List.of(DeliveryProcessor.ADVANCED, DeliveryProcessor.DUPLICATE, DeliveryProcessor.REJECTED), outcomes);
    assertEquals(1, providers.simulator.statusCalls("vidgo", sub.taskId()), "one status call, for the delivery that mattered");
    assertEquals(GenerationStatus.SUCCEEDED, h.generation(sub.id()).status());
  }

  @Test
  void forgedSuccessForARunningTaskDoesNotCompleteIt() {
    Submitted sub = h.submit("runblob-sora", "a slow sunrise [sim:never-finish]");
    String forged = new JsonObject(seed("runblob-sora-success.json"))
        .put("generation_id", sub.taskId())
        .put("video_url", "https://attacker.example/video.mp4")
        .encode();

    assertEquals(200, h.deliver(sub.generation(), forged).statusCode());

    assertEquals(List.of(DeliveryProcessor.UNCONFIRMED), h.awaitProcessed(sub.id()));
    Generation after = h.generation(sub.id());
    assertTrue(Set.of(GenerationStatus.SUBMITTED, GenerationStatus.PROCESSING).contains(after.status()), after.status().wire());
    assertTrue(after.outputs().isEmpty());
    assertEquals(0, h.timelineCount(sub.id(), "succeeded"));
    assertEquals(DeliveryProcessor.CONFIRM_DISAGREEMENT_ATTEMPTS, providers.simulator.statusCalls("runblob-sora", sub.taskId()),
        "re-checked a bounded number of times, in case the provider lagged behind its own callback");
  }

  @Test
  void anUnconfirmedDeliveryRepeatedOnceTheProviderAgreesIsApplied() {
    Submitted sub = h.submit("runblob-sora", "a late sunrise [sim:never-finish] [sim:no-callback]");
    String early = new JsonObject(seed("runblob-sora-success.json")).put("generation_id", sub.taskId()).encode();
    assertEquals(200, h.deliver(sub.generation(), early).statusCode());
    assertEquals(List.of(DeliveryProcessor.UNCONFIRMED), h.awaitProcessed(sub.id()));

    // the provider catches up and sends the same body again: it gets its own check, not "duplicate"
    providers.simulator.finishNow("runblob-sora", sub.taskId(), true, null);
    assertEquals(200, h.deliver(sub.generation(), early).statusCode());
    assertEquals(List.of(DeliveryProcessor.UNCONFIRMED, DeliveryProcessor.ADVANCED), h.awaitProcessed(sub.id()));
    assertEquals(GenerationStatus.SUCCEEDED, h.generation(sub.id()).status());
  }

  @Test
  void deliveryNamingATaskTheProviderDoesNotKnowIsRejected() {
    Arranged gen = h.arrange("runblob-sora");
    String forged = new JsonObject(seed("runblob-sora-success.json")).put("generation_id", "00000000-0000-0000-0000-000000000000").encode();

    assertEquals(200, h.deliver(gen, forged).statusCode());

    assertEquals(List.of(DeliveryProcessor.UNCONFIRMED), h.awaitProcessed(gen.id()));
    assertEquals(GenerationStatus.QUEUED, h.generation(gen.id()).status());
    assertEquals(1, h.timelineCount(gen.id(), "webhook_rejected"));
    assertEquals(0, h.timelineCount(gen.id(), "succeeded"));
  }

  @Test
  void unreachableProviderLeavesTheDeliveryWaitingAndNeverFailsTheGeneration() {
    providers.simulator.faults().statusError("503");
    Submitted sub = h.submit("vidgo", "a lantern in fog");

    Await.until("the delivery tried at least twice", () -> db.count(
        "SELECT coalesce(max(attempts), 0) FROM webhook_deliveries WHERE generation_id = '" + sub.id() + "'"), n -> n >= 2);
    assertEquals(1, h.unprocessedDeliveries(sub.id()), "still waiting, not given up");
    assertTrue(!h.generation(sub.id()).status().isTerminal(), "the generation is not failed for it");

    providers.simulator.faults().clear();
    Generation done = h.awaitStatus(sub.id(), GenerationStatus.SUCCEEDED);
    assertEquals(1, done.outputs().size());
    assertEquals(List.of(DeliveryProcessor.ADVANCED), h.awaitProcessed(sub.id()));
  }
}
