package io.genorch.common.provider;

import io.genorch.common.net.SourceAllowlist;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.config.ProviderSettings;
import io.genorch.common.domain.GenerationRequest;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.simulator.ProviderSimulator;
import io.genorch.simulator.SimJob;
import io.genorch.simulator.SimulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.PoolOptions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every adapter against the provider simulator over real HTTP, and how transport failures are judged. */
class ProviderClientTest {

  private static Vertx vertx;
  private static ProviderSimulator simulator;
  private static ProviderClient client;
  private static final Providers PROVIDERS = Providers.all();

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    simulator = ProviderSimulator.start(vertx, SimulatorOptions.defaults().withTimeScale(0.01)
        .withJobDuration(Duration.ofSeconds(20))).await();
    client = new ProviderClient(vertx.createHttpClient(), Duration.ofMillis(1500));
  }

  @AfterAll
  static void stop() {
    simulator.close().await();
    vertx.close().await();
  }

  private static ProviderSettings settings(String id, String baseUrl) {
    return new ProviderSettings(id, baseUrl, simulator.apiKey(id), 60, 4, false, SourceAllowlist.any(), Duration.ofMinutes(1),
        Duration.ofMinutes(5));
  }

  private static SubmitResult submit(String id, String prompt) {
    ProviderAdapter adapter = PROVIDERS.find(id).orElseThrow();
    GenerationRequest request = new GenerationRequest(id, adapter.spec().defaultModel(), prompt, null, "9:16",
        adapter.spec().defaultDuration(), null, null, null);
    return client.submit(adapter, settings(id, simulator.baseUrl(id)), request,
        "http://127.0.0.1:9/webhooks/" + id + "/token").await();
  }

  private static StatusResult status(String id, String taskId) {
    return client.status(PROVIDERS.find(id).orElseThrow(), settings(id, simulator.baseUrl(id)), taskId).await();
  }

  @ParameterizedTest
  @ValueSource(strings = {"heo365-sora2", "runblob-sora", "vidgo", "apimart", "runblob-kling-o3"})
  void submitsAndFollowsAJobToItsEnd(String id) throws InterruptedException {
    String prompt = "a lighthouse at dusk " + id;
    ProviderOutcome accepted = assertInstanceOf(SubmitResult.Accepted.class, submit(id, prompt)).outcome();
    SimJob job = simulator.job(id, accepted.providerTaskId()).orElseThrow();
    assertEquals(prompt, job.prompt());

    StatusResult.Known known = assertInstanceOf(StatusResult.Known.class, status(id, accepted.providerTaskId()));
    assertTrue(!known.outcome().isTerminal(), "a 20 s job (200 ms scaled) is still running at once");

    simulator.finishNow(id, accepted.providerTaskId(), true, null);
    ProviderOutcome done = assertInstanceOf(StatusResult.Known.class, status(id, accepted.providerTaskId())).outcome();
    assertEquals(GenerationStatus.SUCCEEDED, done.status());
    assertEquals(simulator.job(id, accepted.providerTaskId()).orElseThrow().resultUrl(), done.outputs().get(0).url());
  }

  @ParameterizedTest
  @ValueSource(strings = {"heo365-sora2", "runblob-sora", "vidgo", "apimart", "runblob-kling-o3"})
  void failureReasonIsKeptFromTheStatusAnswer(String id) {
    String taskId = assertInstanceOf(SubmitResult.Accepted.class, submit(id, "a storm")).outcome().providerTaskId();
    simulator.finishNow(id, taskId, false, "CONTENT_POLICY_VIOLATION");
    ProviderOutcome failed = assertInstanceOf(StatusResult.Known.class, status(id, taskId)).outcome();
    assertEquals(GenerationStatus.FAILED, failed.status());
    if (!id.equals("runblob-kling-o3")) { // kling's status answer carries no reason
      assertEquals("CONTENT_POLICY_VIOLATION", failed.error().code(), failed.error().toString());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"heo365-sora2", "runblob-sora", "vidgo", "apimart", "runblob-kling-o3"})
  void insufficientCreditsIsADefiniteRefusal(String id) {
    SubmitResult result = submit(id, "no money [sim:submit-error=402]");
    assertEquals("INSUFFICIENT_CREDITS", assertInstanceOf(SubmitResult.Refused.class, result).error().code());
  }

  @ParameterizedTest
  @ValueSource(strings = {"heo365-sora2", "runblob-sora", "vidgo", "apimart", "runblob-kling-o3"})
  void serverErrorsAndRateLimitsAreTransient(String id) {
    assertInstanceOf(SubmitResult.Transient.class, submit(id, "down [sim:submit-error=503]"));
    assertInstanceOf(SubmitResult.Transient.class, submit(id, "busy [sim:submit-error=429]"));
  }

  @Test
  void noAnswerAfterSendingIsAmbiguous() {
    assertInstanceOf(SubmitResult.Ambiguous.class, submit("apimart", "hang [sim:submit-error=timeout]"));
    assertInstanceOf(SubmitResult.Ambiguous.class, submit("vidgo", "cut [sim:submit-error=reset]"));
  }

  @Test
  void aRefusedConnectionNeverReachedTheProvider() {
    ProviderAdapter adapter = PROVIDERS.find("vidgo").orElseThrow();
    GenerationRequest request = new GenerationRequest("vidgo", "sora-2", "p", null, "9:16", 10, null, null, null);
    // port 9 (discard) is closed on loopback
    SubmitResult result = client.submit(adapter, settings("vidgo", "http://127.0.0.1:9/vidgo"), request, "http://h/x").await();
    assertInstanceOf(SubmitResult.Transient.class, result);
  }

  @Test
  void unknownTaskIsNotFoundAndStatusOutagesAreTransient() {
    assertInstanceOf(StatusResult.NotFound.class, status("runblob-sora", "00000000-0000-0000-0000-000000000000"));
    String taskId = assertInstanceOf(SubmitResult.Accepted.class, submit("apimart", "flaky [sim:status-error=503]"))
        .outcome().providerTaskId();
    assertInstanceOf(StatusResult.Transient.class, status("apimart", taskId));
  }

  @Test
  void waitingInVainForAConnectionIsNotAmbiguous() {
    // one connection, taken by a request the provider never answers: the next request never gets on the wire
    HttpClient single = vertx.createHttpClient(new HttpClientOptions(), new PoolOptions().setHttp1MaxSize(1));
    // the hanging request outlasts the waiting one, so the connection is never freed while the second waits
    ProviderClient holding = new ProviderClient(single, Duration.ofMillis(3000));
    ProviderClient waiting = new ProviderClient(single, Duration.ofMillis(500));
    ProviderAdapter adapter = PROVIDERS.find("vidgo").orElseThrow();
    ProviderSettings settings = settings("vidgo", simulator.baseUrl("vidgo"));
    GenerationRequest hanging = new GenerationRequest("vidgo", "sora-2", "hang [sim:submit-error=timeout]", null, "9:16", 10,
        null, null, null);
    GenerationRequest queued = new GenerationRequest("vidgo", "sora-2", "behind it", null, "9:16", 10, null, null, null);
    var first = holding.submit(adapter, settings, hanging, "http://127.0.0.1:9/x");
    var second = waiting.submit(adapter, settings, queued, "http://127.0.0.1:9/x");
    assertInstanceOf(SubmitResult.Transient.class, second.await());
    assertInstanceOf(SubmitResult.Ambiguous.class, first.await());
    single.close();
  }

  @Test
  void aProviderThatTricklesItsAnswerIsCutOffAtTheDeadline() throws InterruptedException {
    // answers at once, then sends one byte of its body every 100 ms and never finishes: only a total deadline ends it
    CountDownLatch cutOff = new CountDownLatch(2);
    HttpServer trickling = vertx.createHttpServer().requestHandler(request -> {
      var response = request.response().setChunked(true).putHeader("Content-Type", "application/json");
      response.closeHandler(v -> cutOff.countDown());
      response.write("{");
      vertx.setPeriodic(100, t -> {
        if (response.closed()) {
          vertx.cancelTimer(t);
        } else {
          response.write(" ");
        }
      });
    }).listen(0, "127.0.0.1").await();
    try {
      String baseUrl = "http://127.0.0.1:" + trickling.actualPort();
      ProviderClient deadlined = new ProviderClient(vertx.createHttpClient(), Duration.ofMillis(800));
      ProviderAdapter adapter = PROVIDERS.find("vidgo").orElseThrow();
      GenerationRequest request = new GenerationRequest("vidgo", "sora-2", "slow", null, "9:16", 10, null, null, null);

      long started = System.nanoTime();
      SubmitResult submitted = deadlined.submit(adapter, settings("vidgo", baseUrl), request, "http://127.0.0.1:9/x").await();
      long submitMillis = (System.nanoTime() - started) / 1_000_000;
      assertInstanceOf(SubmitResult.Ambiguous.class, submitted, "the request was written: the provider may hold the job");
      assertTrue(submitMillis < 2_000, "cut off at the 800 ms deadline, not after " + submitMillis + " ms");

      started = System.nanoTime();
      StatusResult status = deadlined.status(adapter, settings("vidgo", baseUrl), "task-1").await();
      long statusMillis = (System.nanoTime() - started) / 1_000_000;
      assertInstanceOf(StatusResult.Transient.class, status);
      assertTrue(statusMillis < 2_000, "cut off at the 800 ms deadline, not after " + statusMillis + " ms");
      assertTrue(cutOff.await(5, TimeUnit.SECONDS), "both requests were reset, not left reading the trickle");
    } finally {
      trickling.close().await();
    }
  }
}
