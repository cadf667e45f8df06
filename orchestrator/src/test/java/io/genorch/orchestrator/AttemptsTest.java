package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.testing.Await;
import io.genorch.simulator.SimJob;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Attempts, failover before acceptance and re-runs after it (docs/API.md section 8), over real HTTP, a real
 * PostgreSQL and the simulated providers. sora-2 is routed runblob-sora → vidgo → apimart (heo365-sora2 is left
 * disabled); kling-o3 has one route. The circuits open after one provider-side failure and wait three seconds.
 */
class AttemptsTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String KLING = "runblob-kling-o3";

  @RegisterExtension
  static final ServiceUnderTest service = ServiceUnderTest.withProviders(Duration.ofSeconds(1), "runblob-sora", "vidgo", "apimart", KLING)
      .set("ORCH_SUBMIT_SWEEP_MS", "100")
      .set("ORCH_SUBMIT_BACKOFF_MS", "100")
      .set("ORCH_CIRCUIT_FAILURES", "1")
      .set("ORCH_CIRCUIT_OPEN_S", "3")
      .set("ORCH_PROVIDER_TIMEOUT_MS", "1500");

  @BeforeEach
  void healthyProviders() {
    service.providers().simulator.reset();
    service.db().execute("DELETE FROM provider_health");
  }

  private static JsonObject generation(String id) {
    return service.api().get("/v1/generations/" + id).json();
  }

  private static JsonObject awaitStatus(String id, String status) {
    return Await.until(id + " " + status, WAIT, () -> generation(id), g -> status.equals(g.getString("status")));
  }

  private static List<JsonObject> timeline(String id) {
    return service.api().get("/v1/generations/" + id + "/events").json().getJsonArray("data").stream()
        .map(JsonObject.class::cast).toList();
  }

  private static List<JsonObject> entries(String id, String type) {
    return timeline(id).stream().filter(e -> e.getString("type").equals(type)).toList();
  }

  private static String create(JsonObject body) {
    ApiClient.Response created = service.api().createGeneration(body);
    assertEquals(202, created.status(), created.body());
    return created.json().getString("id");
  }

  private static List<SimJob> jobs(String provider, String prompt) {
    return service.providers().simulator.jobs(provider).stream().filter(j -> prompt.equals(j.prompt())).toList();
  }

  @Test
  void aRouteInMaintenanceFailsOverToTheNextWhichMakesIt() {
    service.providers().simulator.maintenance("runblob-sora", Duration.ofMinutes(5));
    String id = create(new JsonObject().put("model", "sora-2").put("prompt", "a fox in the rain"));

    JsonObject done = awaitStatus(id, "succeeded");
    assertEquals("vidgo", done.getString("provider"), "the provider of the latest attempt");
    JsonArray attempts = done.getJsonArray("attempts");
    assertEquals(2, attempts.size(), attempts.encodePrettily());
    JsonObject first = attempts.getJsonObject(0);
    assertEquals("runblob-sora", first.getString("provider"));
    assertEquals("refused", first.getString("status"));
    assertNull(first.getString("providerTaskId"));
    assertTrue(first.getJsonObject("error").getString("message").contains("maintenance"), first.encode());
    assertTrue(first.getString("startedAt") != null && first.getString("endedAt") != null, first.encode());
    JsonObject second = attempts.getJsonObject(1);
    assertEquals("vidgo", second.getString("provider"));
    assertEquals("sora-2", second.getString("model"));
    assertEquals("succeeded", second.getString("status"));
    assertEquals(done.getString("providerTaskId"), second.getString("providerTaskId"));
    assertTrue(second.getString("endedAt") != null, second.encode());

    List<String> types = timeline(id).stream().map(e -> e.getString("type")).toList();
    assertTrue(types.indexOf("routed") < types.indexOf("failover"), types.toString());
    JsonObject failover = entries(id, "failover").get(0).getJsonObject("detail");
    assertEquals("maintenance", failover.getString("reason"));
    assertEquals("runblob-sora", failover.getJsonObject("from").getString("provider"));
    assertEquals("vidgo", failover.getJsonObject("to").getString("provider"));
    assertEquals(1, jobs("vidgo", "a fox in the rain").size(), "submitted once to the route that took it");
  }

  @Test
  void anOpenCircuitIsSkippedWithoutATryUntilOneProbeAfterTheWaitClosesIt() {
    service.providers().simulator.maintenance("runblob-sora", Duration.ofMinutes(5));
    String opener = create(new JsonObject().put("model", "sora-2").put("prompt", "opens the circuit"));
    awaitStatus(opener, "succeeded");
    int triedBefore = service.providers().simulator.submitCalls("runblob-sora");

    String skipping = create(new JsonObject().put("model", "sora-2").put("prompt", "skips the open circuit"));
    JsonObject routed = entries(skipping, "routed").get(0).getJsonObject("detail");
    assertEquals("vidgo", routed.getString("provider"));
    assertTrue(routed.getJsonArray("candidates").getJsonObject(0).getString("reason").contains("circuit open"),
        routed.encode());
    JsonObject skipped = awaitStatus(skipping, "succeeded");
    assertEquals(1, skipped.getJsonArray("attempts").size(), "never tried at the open route");
    assertEquals(triedBefore, service.providers().simulator.submitCalls("runblob-sora"), "no request to the open route");

    service.providers().simulator.maintenance("runblob-sora", Duration.ZERO);
    Await.until("the circuit's wait is over", WAIT, () -> routeHealth("runblob-sora"), h -> !h.equals("open"));
    String probe = create(new JsonObject().put("model", "sora-2").put("prompt", "the probe"));
    JsonObject probed = awaitStatus(probe, "succeeded");
    assertEquals("runblob-sora", probed.getString("provider"), "after the wait the route is tried again");
    assertEquals(triedBefore + 1, service.providers().simulator.submitCalls("runblob-sora"), "one probe");
    assertEquals("ok", Await.until("the probe's success closes the circuit", WAIT, () -> routeHealth("runblob-sora"),
        "ok"::equals));
  }

  private static String routeHealth(String provider) {
    return service.api().get("/v1/models").json().getJsonArray("data").stream().map(JsonObject.class::cast)
        .filter(m -> m.getString("id").equals("sora-2"))
        .flatMap(m -> m.getJsonArray("routes").stream().map(JsonObject.class::cast))
        .filter(r -> r.getString("provider").equals(provider)).findFirst().orElseThrow().getString("health");
  }

  @Test
  void anAmbiguousSubmitIsNotFailedOver() {
    // the provider creates the job and never answers the submit: it may have taken it, so no other route is tried
    String prompt = "no answer [sim:submit-error=timeout]";
    String id = create(new JsonObject().put("model", "sora-2").put("prompt", prompt));
    JsonObject done = awaitStatus(id, "succeeded");
    assertEquals("runblob-sora", done.getString("provider"));
    assertEquals("webhook", done.getString("resolvedBy"), "its callback completed it");
    assertEquals(1, done.getJsonArray("attempts").size(), done.encodePrettily());
    assertTrue(entries(id, "failover").isEmpty());
    assertEquals(0, jobs("vidgo", prompt).size() + jobs("apimart", prompt).size(), "no other route was sent it");
  }

  @Test
  void aRefusalCausedByTheRequestIsNotFailedOver() {
    String prompt = "refused [sim:submit-error=422]";
    String id = create(new JsonObject().put("model", "sora-2").put("prompt", prompt));
    JsonObject done = awaitStatus(id, "failed");
    assertEquals("runblob-sora", done.getString("provider"));
    assertEquals(1, done.getJsonArray("attempts").size());
    assertEquals("refused", done.getJsonArray("attempts").getJsonObject(0).getString("status"));
    assertTrue(entries(id, "failover").isEmpty());
  }

  @Test
  void aNamedProviderInMaintenanceIsNotFailedOver() {
    service.providers().simulator.maintenance("runblob-sora", Duration.ofMinutes(5));
    String id = create(new JsonObject().put("provider", "runblob-sora").put("prompt", "named"));
    Await.until("a retry at the same provider", WAIT, () -> generation(id).getJsonArray("attempts").size(), n -> n >= 2);
    JsonObject g = generation(id);
    assertEquals("runblob-sora", g.getString("provider"));
    g.getJsonArray("attempts").forEach(a -> assertEquals("runblob-sora", ((JsonObject) a).getString("provider")));
    assertTrue(entries(id, "failover").isEmpty());
    assertEquals(0, jobs("vidgo", "named").size());
    // its retries would go on into the next test's counts: the maintenance ends and it finishes where it is
    service.providers().simulator.maintenance("runblob-sora", Duration.ZERO);
    assertEquals("runblob-sora", awaitStatus(id, "succeeded").getString("provider"));
  }

  @Test
  void aKlingTaskFailedIsRerunAndSucceedsOnTheSecondAttemptWhileLateReportsOfTheFirstChangeNothing() throws Exception {
    String prompt = "a cat [sim:never-finish]";
    String id = create(new JsonObject().put("model", "kling-o3").put("prompt", prompt));
    SimJob first = Await.until("the first job", WAIT, () -> jobs(KLING, prompt), j -> j.size() == 1).get(0);
    awaitStatus(id, "submitted");

    service.providers().simulator.finishNow(KLING, first.taskId(), false, "TASK_FAILED");
    SimJob second = Await.until("the re-run's job", WAIT, () -> jobs(KLING, prompt), j -> j.size() == 2).stream()
        .filter(j -> !j.taskId().equals(first.taskId())).findFirst().orElseThrow();
    JsonObject running = Await.until("attempt 2 submitted", WAIT, () -> generation(id),
        g -> second.taskId().equals(g.getString("providerTaskId")));
    assertFalse(running.getString("status").equals("failed"), "not terminal between attempts");
    JsonObject rerun = entries(id, "rerun").get(0).getJsonObject("detail");
    assertEquals("TASK_FAILED", rerun.getJsonObject("error").getString("code"));
    assertEquals(first.callbackUrl().equals(second.callbackUrl()), false, "each attempt has its own token");

    // a failure of attempt 1, arriving again while attempt 2 runs: recorded, changes nothing
    assertEquals(200, postWebhook(first.callbackUrl(), new JsonObject().put("generation_id", first.taskId())
        .put("status", "failed").put("message", "TASK_FAILED").put("video_url", (String) null)));
    Await.until("the late failure on the timeline", WAIT, () -> entries(id, "webhook_rejected"), e -> e.size() == 1);
    JsonObject stillRunning = generation(id);
    assertFalse(stillRunning.getString("status").equals("failed"), stillRunning.encode());
    assertEquals(second.taskId(), stillRunning.getString("providerTaskId"));

    service.providers().simulator.finishNow(KLING, second.taskId(), true, null);
    JsonObject done = awaitStatus(id, "succeeded");
    assertEquals(second.taskId(), done.getString("providerTaskId"));
    JsonArray attempts = done.getJsonArray("attempts");
    assertEquals(2, attempts.size(), attempts.encodePrettily());
    assertEquals("failed", attempts.getJsonObject(0).getString("status"));
    assertEquals("TASK_FAILED", attempts.getJsonObject(0).getJsonObject("error").getString("code"));
    assertEquals("succeeded", attempts.getJsonObject(1).getString("status"));

    // a success of attempt 1 after attempt 2 succeeded: recorded, changes nothing
    assertEquals(200, postWebhook(first.callbackUrl(), new JsonObject().put("generation_id", first.taskId())
        .put("status", "completed").put("video_url", "https://late.example/first.mp4")));
    List<JsonObject> late = Await.until("the late success on the timeline", WAIT, () -> entries(id, "webhook_rejected"),
        e -> e.size() == 2);
    assertEquals(1, late.get(1).getJsonObject("detail").getInteger("submitAttempt"), late.get(1).encode());
    JsonObject after = generation(id);
    assertEquals("succeeded", after.getString("status"));
    assertEquals(second.taskId(), after.getString("providerTaskId"));
    assertEquals(done.getJsonArray("outputs"), after.getJsonArray("outputs"));
    assertEquals(done.getJsonArray("attempts"), after.getJsonArray("attempts"));
  }

  @Test
  void aContentPolicyViolationIsFinalAtOnce() {
    String id = create(new JsonObject().put("model", "kling-o3").put("prompt", "no [sim:fail=CONTENT_POLICY_VIOLATION]"));
    JsonObject failed = awaitStatus(id, "failed");
    assertEquals("CONTENT_POLICY_VIOLATION", failed.getJsonObject("error").getString("code"));
    assertEquals(1, failed.getJsonArray("attempts").size());
    assertTrue(entries(id, "rerun").isEmpty());
  }

  @Test
  void aJobThatKeepsFailingRetryablyFailsAfterTheLastAttempt() {
    String prompt = "always [sim:fail=retryable]";
    String id = create(new JsonObject().put("model", "kling-o3").put("prompt", prompt));
    JsonObject failed = awaitStatus(id, "failed");
    assertEquals("TASK_FAILED", failed.getJsonObject("error").getString("code"));
    assertEquals(3, failed.getJsonArray("attempts").size(), "ORCH_MAX_ATTEMPTS defaults to 3");
    assertEquals(2, entries(id, "rerun").size());
    assertEquals(3, jobs(KLING, prompt).size());
  }

  @Test
  void aNamedProvidersRetryableFailureIsFinalAsBefore() {
    String prompt = "named [sim:fail=retryable]";
    String id = create(new JsonObject().put("provider", KLING).put("prompt", prompt));
    JsonObject failed = awaitStatus(id, "failed");
    assertEquals("TASK_FAILED", failed.getJsonObject("error").getString("code"));
    assertEquals(1, failed.getJsonArray("attempts").size());
    assertTrue(entries(id, "rerun").isEmpty());
    assertEquals(1, jobs(KLING, prompt).size());
  }

  private static int postWebhook(String url, JsonObject body) throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(),
        HttpResponse.BodyHandlers.ofString());
    return response.statusCode();
  }
}
