package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.outputs.OutputStore;
import io.genorch.common.testing.Await;
import io.genorch.common.testing.SimulatedProviders;
import io.genorch.common.testing.S3ProxyServer;
import io.genorch.common.testing.TestDatabase;
import io.genorch.simulator.ProviderSimulator;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Outputs kept with ORCH_STORAGE=s3, against a real S3 API server (s3proxy) in-process. */
class OutputsKeptS3Test {

  private static TestDatabase db;
  private static SimulatedProviders providers;
  private static S3ProxyServer s3;
  private static Orchestrator service;
  private static ApiClient api;
  private static final OutputBytes bytes = new OutputBytes();

  @BeforeAll
  static void start() {
    db = TestDatabase.create();
    providers = new SimulatedProviders(0.01, Duration.ofSeconds(5));
    s3 = new S3ProxyServer();
    Map<String, String> env = OutputsKeptTest.config(db, providers, OutputsKeptTest.PROVIDERS);
    env.putAll(s3.settings());
    service = TestOrchestrators.start(env);
    api = new ApiClient(service.httpPort(), TestOrchestrators.API_KEY);
  }

  @AfterAll
  static void stop() {
    TestOrchestrators.stop(service);
    s3.close();
    providers.close();
    db.close();
  }

  @Test
  void everyProviderSOutputIsKeptInTheBucketAndServedInRangesAfterItsLinkDied() {
    long size = 300_000;
    for (String provider : OutputsKeptTest.PROVIDERS) {
      JsonObject g = OutputsKeptTest.settled(api, OutputsKeptTest.create(api, provider,
          "a heron [sim:expiring-links=3] [sim:output-bytes=" + size + "]").getString("id"));
      JsonObject output = g.getJsonArray("outputs").getJsonObject(0);
      String source = output.getString("sourceUrl");
      String expectedSha = ProviderSimulator.mediaSha256(OutputsKeptTest.path(source), size);
      assertEquals(expectedSha, output.getString("sha256"), provider);
      assertTrue(s3.holds(g.getString("id") + "/0"), provider + ": the object is in the bucket");

      Await.until(provider + "'s link expired", Duration.ofSeconds(10), () -> bytes.get(source, null).statusCode(),
          status -> status == 403);
      HttpResponse<byte[]> whole = bytes.get(output.getString("url"), null);
      assertEquals(200, whole.statusCode(), provider);
      assertEquals(expectedSha, OutputsKeptTest.sha256(whole.body()), provider);
      assertEquals("video/mp4", whole.headers().firstValue("Content-Type").orElseThrow());
      HttpResponse<byte[]> range = bytes.get(output.getString("url"), "bytes=100-199");
      assertEquals(206, range.statusCode(), provider);
      assertEquals("100", range.headers().firstValue("Content-Length").orElseThrow());
      assertArrayEquals(Arrays.copyOfRange(whole.body(), 100, 200), range.body(), provider);
    }
  }

  @Test
  void stoppingTheServiceClosesTheS3Client() {
    Map<String, String> env = OutputsKeptTest.config(db, providers, OutputsKeptTest.PROVIDERS);
    env.putAll(s3.settings());
    Orchestrator other = TestOrchestrators.start(env);
    OutputStore store = other.outputStore();
    Await.result(store.delete("gen_nothing/0")); // the client works while the service runs
    TestOrchestrators.stop(other);
    assertThrows(Throwable.class, () -> Await.result(store.delete("gen_nothing/0")), "closed with the service");
  }
}
