package io.genorch.common.testing;

import io.genorch.common.config.ProviderSettings;
import io.genorch.simulator.ProviderSimulator;
import io.genorch.simulator.SimulatorOptions;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The provider simulator on its own Vert.x, and the ORCH_PROVIDER_* settings that point the service at it. On a
 * static {@code @RegisterExtension} field it is closed after the test class.
 */
public final class SimulatedProviders implements AutoCloseable, AfterAllCallback {

  public final Vertx vertx = Vertx.vertx();
  public final ProviderSimulator simulator;

  /** Simulated times scaled by {@code timeScale}; a job runs {@code jobDuration} (before scaling). */
  public SimulatedProviders(double timeScale, Duration jobDuration) {
    this(SimulatorOptions.defaults().withTimeScale(timeScale).withJobDuration(jobDuration));
  }

  public SimulatedProviders(SimulatorOptions options) {
    simulator = Await.result(ProviderSimulator.start(vertx, options));
  }

  /** Base URL and API key of each of {@code providers}. */
  public Map<String, String> enable(String... providers) {
    Map<String, String> env = new HashMap<>();
    for (String provider : providers) {
      String prefix = "ORCH_PROVIDER_" + ProviderSettings.envId(provider) + "_";
      env.put(prefix + "BASE_URL", simulator.baseUrl(provider));
      env.put(prefix + "API_KEY", simulator.apiKey(provider));
    }
    return env;
  }

  /** {@link #enable} for every simulated provider. */
  public Map<String, String> enableAll() {
    return enable(ProviderSimulator.PROVIDERS.toArray(String[]::new));
  }

  @Override
  public void afterAll(ExtensionContext context) {
    close();
  }

  @Override
  public void close() {
    Await.result(vertx.close());
  }
}
