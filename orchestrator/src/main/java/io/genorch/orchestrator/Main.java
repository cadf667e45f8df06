package io.genorch.orchestrator;

import io.genorch.common.config.OrchConfig;
import java.util.Arrays;
import java.util.Map;
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
    try {
      Orchestrator orchestrator = Orchestrator.start(config).toCompletionStage().toCompletableFuture().join();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        LOG.info("Stopping");
        orchestrator.close().toCompletionStage().toCompletableFuture().join();
      }, "genorch-shutdown"));
    } catch (RuntimeException e) {
      LOG.error("genorch could not start", e);
      System.exit(1);
    }
  }
}
