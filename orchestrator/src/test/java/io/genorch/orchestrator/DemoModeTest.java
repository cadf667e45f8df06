package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.genorch.common.testing.Await;
import io.genorch.simulator.ProviderSimulator;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** ORCH_DEMO=true: the simulator runs in-process and a generation of every provider completes through the API. */
class DemoModeTest {

  @RegisterExtension
  static final ServiceUnderTest service = ServiceUnderTest.withoutProviders()
      .set("ORCH_DEMO", "true")
      .set("ORCH_STORAGE", "fs") // as in a real demo: outputs are kept and played from the service's own link
      .set("ORCH_STORAGE_DIR", System.getProperty("java.io.tmpdir") + "/genorch-demo-outputs-" + System.nanoTime());

  @Test
  void aGenerationOfEveryProviderSucceedsThroughTheRealApi() {
    ApiClient api = new ApiClient(service.httpPort(), TestOrchestrators.API_KEY);
    for (JsonObject provider : service.api().get("/v1/providers").json().getJsonArray("data").stream().map(JsonObject.class::cast).toList()) {
      assertEquals(true, provider.getBoolean("enabled"), provider.getString("id") + " is enabled in demo mode");
    }
    Map<String, String> ids = new LinkedHashMap<>();
    for (String provider : ProviderSimulator.PROVIDERS) {
      ApiClient.Response r = service.api().createGeneration(new JsonObject().put("provider", provider).put("prompt", "demo of " + provider));
      assertEquals(202, r.status(), r.body());
      ids.put(provider, r.json().getString("id"));
    }
    ids.forEach((provider, id) -> {
      JsonObject done = Await.until(provider + " to finish", Duration.ofSeconds(30),
          () -> service.api().get("/v1/generations/" + id).json(),
          g -> g.getString("status").equals("succeeded") || g.getString("status").equals("failed"));
      assertEquals("succeeded", done.getString("status"), provider + ": " + done.encode());
      assertFalse(done.getJsonArray("outputs").isEmpty(), provider + " has an output");
      JsonObject kept = Await.until(provider + "'s output kept", Duration.ofSeconds(30),
          () -> service.api().get("/v1/generations/" + id).json(),
          g -> g.getJsonArray("outputs").getJsonObject(0).getString("storedAt") != null);
      String own = kept.getJsonArray("outputs").getJsonObject(0).getString("url");
      assertEquals("http://localhost:8080/v1/generations/" + id + "/outputs/0", own);
      assertEquals(200, service.api().get(own.substring("http://localhost:8080".length())).status(), provider);
    });
  }

  /**
   * No callback ever comes: the demo scales the callback grace and the poll backoff with the simulator's time, so
   * the poller resolves it within seconds (with the providers' real graces it took 6 to 28 minutes).
   */
  @Test
  void aGenerationWhoseCallbackNeverComesIsResolvedByThePollerWithinSeconds() {
    ApiClient api = new ApiClient(service.httpPort(), TestOrchestrators.API_KEY);
    Map<String, String> ids = new LinkedHashMap<>();
    for (String provider : ProviderSimulator.PROVIDERS) {
      ApiClient.Response r = service.api().createGeneration(
          new JsonObject().put("provider", provider).put("prompt", "silent " + provider + " [sim:no-callback]"));
      assertEquals(202, r.status(), r.body());
      ids.put(provider, r.json().getString("id"));
    }
    ids.forEach((provider, id) -> {
      JsonObject done = Await.until(provider + " to be resolved by polling", Duration.ofSeconds(15),
          () -> service.api().get("/v1/generations/" + id).json(), g -> !g.getString("status").matches("queued|submitted|processing"));
      assertEquals("succeeded", done.getString("status"), provider + ": " + done.encode());
      assertEquals("poll", done.getString("resolvedBy"), provider + ": " + done.encode());
    });
  }
}
