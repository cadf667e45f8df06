package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.testing.Await;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The sends started by accepted requests: the wakes alone drain a burst (no sweep runs during the test), and never
 * more than ORCH_SUBMIT_CONCURRENCY requests are on the wire at once.
 */
class SubmissionWakeBoundTest {

  @RegisterExtension
  static final ServiceUnderTest service = ServiceUnderTest.withProviders(Duration.ofSeconds(30), "vidgo")
      .set("ORCH_SUBMIT_CONCURRENCY", "1")
      .set("ORCH_SUBMIT_SWEEP_MS", "600000") // only the wakes submit during the test
      .set("ORCH_PROVIDER_TIMEOUT_MS", "500");

  @Test
  void theWakesDrainABurstOneRequestOnTheWireAtATime() {
    for (int i = 0; i < 5; i++) {
      // the provider holds each request without answering until the client gives up: each send stays in flight
      // for ORCH_PROVIDER_TIMEOUT_MS, then is settled as ambiguous (the job runs for 30 s: no callback meanwhile)
      ApiClient.Response accepted = service.api().createGeneration(new JsonObject().put("provider", "vidgo")
          .put("prompt", "held " + i + " [sim:submit-error=timeout] [sim:duration=3000000]"));
      assertEquals(202, accepted.status(), accepted.body());
    }
    Await.until("all five sent and settled", Duration.ofSeconds(30), () -> {
      // requests read before settlements: a request counted here was started before the settlements read after it
      int requests = service.providers().simulator.submitCalls("vidgo");
      long settled = service.db().count("SELECT count(*) FROM generations WHERE status <> 'queued'");
      long onTheWire = service.db().count("SELECT count(*) FROM generations WHERE submit_state = 'sending'");
      assertTrue(requests <= settled + 1, requests + " requests made while " + settled + " were settled");
      assertTrue(onTheWire <= 1, onTheWire + " sending at once");
      return settled;
    }, settled -> settled == 5);
    assertEquals(5, service.providers().simulator.submitCalls("vidgo"), "each sent once, none again");
  }
}
