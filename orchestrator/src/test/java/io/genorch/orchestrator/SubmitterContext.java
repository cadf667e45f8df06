package io.genorch.orchestrator;

import io.genorch.common.ServiceContext;
import io.genorch.common.config.OrchConfig;
import io.genorch.common.domain.GenerationRequest;
import io.genorch.common.persistence.ProviderGate;
import io.genorch.common.testing.SimulatedProviders;
import io.genorch.common.testing.TestDatabase;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * For tests that drive the submitter's loops themselves: per test, a database of its own, the simulated vidgo and
 * the service's components ({@link ServiceContext}) on a Vert.x of their own, with no verticle deployed. Callbacks
 * point at a closed port: these tests look at sending, not at what comes back. On an instance
 * {@code @RegisterExtension} field.
 */
final class SubmitterContext implements BeforeEachCallback, AfterEachCallback {

  private final Map<String, String> settings = new HashMap<>();
  private TestDatabase db;
  private SimulatedProviders providers;
  private Vertx vertx;
  private ServiceContext ctx;

  /** One setting on top of vidgo enabled. */
  SubmitterContext set(String key, String value) {
    settings.put(key, value);
    return this;
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    db = TestDatabase.create();
    providers = new SimulatedProviders(0.01, Duration.ofSeconds(30));
    Map<String, String> env = new HashMap<>(providers.enable("vidgo"));
    env.put("ORCH_PUBLIC_WEBHOOK_BASE_URL", "http://127.0.0.1:9");
    env.putAll(settings);
    vertx = Vertx.vertx();
    ctx = ServiceContext.create(vertx, db.open(), OrchConfig.of(env));
  }

  @Override
  public void afterEach(ExtensionContext context) {
    try {
      vertx.close().await();
    } finally {
      providers.close();
      db.close();
    }
  }

  TestDatabase db() {
    return db;
  }

  SimulatedProviders providers() {
    return providers;
  }

  Vertx vertx() {
    return vertx;
  }

  ServiceContext ctx() {
    return ctx;
  }

  /** The same components with {@code gate} in place of the service's (a test that counts what the gate is asked). */
  ServiceContext withGate(ProviderGate gate) {
    return new ServiceContext(ctx.config(), ctx.pool(), ctx.store(), ctx.providers(), ctx.providerSettings(), gate,
        ctx.providerClient(), ctx.metrics());
  }

  /** A vidgo generation asking for sora-2 with {@code prompt}. */
  static GenerationRequest request(String prompt) {
    return new GenerationRequest("vidgo", "sora-2", prompt, null, "9:16", 10, null, null, null);
  }
}
