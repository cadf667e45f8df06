package io.genorch.orchestrator;

import io.genorch.common.config.OrchConfig;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code java -jar genorch.jar [--demo]}: starts every verticle of the service in this process. */
public final class Main {

  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) {
    OrchConfig config = OrchConfig.fromEnvironment();
    if (Arrays.asList(args).contains("--demo")) {
      config = config.with(Map.of("ORCH_DEMO", "true"));
    }
    // registered before the start, so a stop signal that arrives once the service runs always closes it in order
    // (Vert.x, then the database); one during the start leaves an embedded server the next start takes over
    AtomicReference<Orchestrator> running = new AtomicReference<>();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      Orchestrator orchestrator = running.get();
      if (orchestrator != null) {
        LOG.info("Stopping");
        orchestrator.close().toCompletionStage().toCompletableFuture().join();
      }
    }, "genorch-shutdown"));
    try {
      LogFormat.apply(config.logFormat());
      running.set(Orchestrator.start(config).toCompletionStage().toCompletableFuture().join());
    } catch (RuntimeException e) {
      LOG.error("genorch could not start", e);
      System.exit(1);
    }
  }
}
