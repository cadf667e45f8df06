package io.genorch.webhook;

import io.genorch.common.config.ProviderSettings;
import io.genorch.simulator.ProviderSimulator;
import io.genorch.simulator.SimulatorOptions;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** The provider simulator on its own Vert.x, fast (simulated times x 0.01), and the settings that point at it. */
final class SimulatedProviders implements AutoCloseable {

  private final Vertx vertx = Vertx.vertx();
  final ProviderSimulator simulator;

  SimulatedProviders() {
    simulator = WebhookHarness.await(ProviderSimulator.start(vertx,
        SimulatorOptions.defaults().withTimeScale(0.01).withJobDuration(Duration.ofSeconds(10))));
  }

  /** ORCH_PROVIDER_* for every simulated provider. */
  Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    for (String provider : ProviderSimulator.PROVIDERS) {
      String prefix = "ORCH_PROVIDER_" + ProviderSettings.envId(provider) + "_";
      env.put(prefix + "BASE_URL", simulator.baseUrl(provider));
      env.put(prefix + "API_KEY", simulator.apiKey(provider));
    }
    env.put("ORCH_PROVIDER_TIMEOUT_MS", "5000");
    return env;
  }

  @Override
  public void close() {
    WebhookHarness.await(vertx.close());
  }
}
