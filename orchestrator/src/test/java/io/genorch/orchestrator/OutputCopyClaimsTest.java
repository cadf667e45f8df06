package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.genorch.common.testing.SimulatedProviders;
import io.genorch.common.testing.TestDatabase;
import io.genorch.simulator.ProviderSimulator;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Two instances over one database copy outputs that take longer than the claim's lease: the claim is renewed while
 * a copy runs, so the other instance never takes it, and each output is downloaded once (docs/API.md section 7).
 */
class OutputCopyClaimsTest {

  /** Slow (about 1.3 MB/s): about 3 s a copy, longer than the 1.5 s lease. */
  private static final long SIZE = 4_000_000;

  @Test
  void twoInstancesCopyEachOutputOnceEvenWhenACopyOutlastsTheLease() throws IOException {
    try (TestDatabase db = TestDatabase.create();
        SimulatedProviders providers = new SimulatedProviders(0.01, Duration.ofSeconds(5))) {
      Path storage = Files.createTempDirectory("outputs-claims");
      Orchestrator first = TestOrchestrators.start(config(db, providers, storage));
      Orchestrator second = TestOrchestrators.start(config(db, providers, storage));
      try {
        ApiClient api = new ApiClient(first.httpPort(), TestOrchestrators.API_KEY);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
          ids.add(OutputsKeptTest.create(api, "runblob-sora",
              "long copy " + i + " [sim:output-fault=slow] [sim:output-bytes=" + SIZE + "]").getString("id"));
        }
        for (String id : ids) {
          JsonObject output = OutputsKeptTest.settled(api, id).getJsonArray("outputs").getJsonObject(0);
          String link = OutputsKeptTest.path(output.getString("sourceUrl"));
          assertEquals(ProviderSimulator.mediaSha256(link, SIZE), output.getString("sha256"), id);
          assertEquals(1, providers.simulator.mediaRequests(link), id + " downloaded once");
          assertEquals(1, OutputsKeptTest.timeline(api, id).stream()
              .filter(e -> e.getString("type").equals("output_stored")).count(), id + " stored once");
        }
        assertEquals(1, providers.simulator.maxConcurrentDownloadsOfOneLink(), "never two downloads of one output");
      } finally {
        TestOrchestrators.stop(second);
        TestOrchestrators.stop(first);
      }
    }
  }

  private static Map<String, String> config(TestDatabase db, SimulatedProviders providers, Path storage) {
    Map<String, String> env = OutputsKeptTest.config(db, providers, List.of("runblob-sora"));
    env.put("ORCH_STORAGE", "fs");
    env.put("ORCH_STORAGE_DIR", storage.toString());
    env.put("ORCH_STORAGE_LEASE_MS", "1500");
    return env;
  }
}
