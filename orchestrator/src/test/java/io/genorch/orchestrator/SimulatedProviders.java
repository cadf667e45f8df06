package io.genorch.orchestrator;

import io.genorch.common.config.ProviderSettings;
import io.genorch.simulator.ProviderSimulator;
import io.genorch.simulator.SimulatorOptions;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The provider simulator on its own Vert.x, and the settings that point the service at it. */
final class SimulatedProviders implements AutoCloseable {

  final Vertx vertx = Vertx.vertx();
  final ProviderSimulator simulator;

  SimulatedProviders(double timeScale, Duration jobDuration) {
    try {
      simulator = ProviderSimulator.start(vertx, SimulatorOptions.defaults().withTimeScale(timeScale).withJobDuration(jobDuration))
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  Map<String, String> enable(String... providers) {
    Map<String, String> env = new HashMap<>();
    for (String provider : providers) {
      String prefix = "ORCH_PROVIDER_" + ProviderSettings.envId(provider) + "_";
      env.put(prefix + "BASE_URL", simulator.baseUrl(provider));
      env.put(prefix + "API_KEY", simulator.apiKey(provider));
    }
    return env;
  }

  @Override
  public void close() {
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }
}
