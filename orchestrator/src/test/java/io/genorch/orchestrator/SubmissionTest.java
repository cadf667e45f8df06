package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.testing.Await;
import io.genorch.simulator.SimJob;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The submission pipeline against the simulated providers, with injected faults. */
class SubmissionTest {

  @RegisterExtension
  static final ServiceUnderTest service = ServiceUnderTest.withAllProviders(Duration.ofSeconds(30))
      .set("ORCH_SUBMIT_SWEEP_MS", "100")
      .set("ORCH_SUBMIT_BACKOFF_MS", "100")
      .set("ORCH_SUBMIT_MAX_ATTEMPTS", "3")
      .set("ORCH_PROVIDER_TIMEOUT_MS", "1500")
      .set("ORCH_PROVIDER_VIDGO_MAX_RPM", "2");

  private static String create(String provider, String prompt) {
    ApiClient.Response r = service.api().createGeneration(new JsonObject().put("provider", provider).put("prompt", prompt));
    assertEquals(202, r.status(), r.body());
    return r.json().getString("id");
  }

  private static JsonObject awaitStatus(String id, String... statuses) {
    return Await.until(id + " to reach " + List.of(statuses), Duration.ofSeconds(20),
        () -> service.api().get("/v1/generations/" + id).json(), g -> List.of(statuses).contains(g.getString("status")));
  }

  private static List<JsonObject> timeline(String id, String type) {
    JsonArray data = service.api().get("/v1/generations/" + id + "/events").json().getJsonArray("data");
    return data.stream().map(JsonObject.class::cast).filter(e -> e.getString("type").equals(type)).toList();
  }

  private static SimJob onlyJobWithPrompt(String provider, String prompt) {
    List<SimJob> jobs = service.providers().simulator.jobs(provider).stream().filter(j -> prompt.equals(j.prompt())).toList();
    assertEquals(1, jobs.size(), "jobs at the provider for '" + prompt + "'");
    return jobs.get(0);
  }

  @Test
  void anAcceptedGenerationIsSubmittedInTheProvidersFormatAndCompletedByItsWebhook() {
    String prompt = "a fox in the snow";
    String id = service.api().createGeneration(new JsonObject().put("provider", "runblob-sora").put("prompt", prompt)
        .put("aspectRatio", "16:9").put("durationSeconds", 15)).json().getString("id");
    JsonObject done = awaitStatus(id, "succeeded", "failed");
    assertEquals("succeeded", done.getString("status"), done.encodePrettily());
    assertEquals("webhook", done.getString("resolvedBy"));
    SimJob job = onlyJobWithPrompt("runblob-sora", prompt);
    assertEquals(job.taskId(), done.getString("providerTaskId"));
    assertEquals("16:9", job.request().getString("orientation"));
    assertEquals(15, job.request().getInteger("duration"));
    assertTrue(job.request().getString("callback_url").matches("http://127\\.0\\.0\\.1:\\d+/webhooks/runblob-sora/[A-Za-z0-9_-]{43}"),
        job.request().getString("callback_url"));
    assertEquals(job.resultUrl(), done.getJsonArray("outputs").getJsonObject(0).getString("url"));
    assertEquals(1, timeline(id, "submitted").size());
  }

  @Test
  void everyStatusChangeIsPublishedOnTheEventBusAndKeptInTheEventLog() {
    List<JsonObject> published = new java.util.concurrent.CopyOnWriteArrayList<>();
    service.vertx().eventBus().<JsonObject>consumer(io.genorch.common.bus.Addresses.EVENTS, m -> published.add(m.body()));
    String id = create("apimart", "watch me");
    awaitStatus(id, "succeeded");
    List<String> types = Await.until("the events of " + id, Duration.ofSeconds(5),
        () -> published.stream().filter(e -> e.getJsonObject("generation").getString("id").equals(id))
            .map(e -> e.getString("type")).toList(),
        t -> t.contains("generation.succeeded"));
    assertEquals(List.of("generation.submitted", "generation.succeeded"), types);
    JsonArray log = service.api().get("/v1/events?after=0&limit=1000").json().getJsonArray("data");
    List<String> logged = log.stream().map(JsonObject.class::cast)
        .filter(e -> e.getJsonObject("generation").getString("id").equals(id)).map(e -> e.getString("type")).toList();
    assertEquals(types, logged, "the durable log holds the same events, in order");
  }

  @Test
  void transientFailuresAreRetriedWithBackoffUntilAccepted() {
    String prompt = "retry me [sim:submit-error=503] [sim:submit-error-times=2]";
    String id = create("heo365-sora2", prompt);
    JsonObject done = awaitStatus(id, "submitted", "processing", "succeeded");
    List<JsonObject> failures = timeline(id, "submit_failed");
    assertEquals(2, failures.size(), "two refused attempts are in the timeline");
    failures.forEach(f -> assertEquals(true, f.getJsonObject("detail").getBoolean("retryable")));
    assertEquals(onlyJobWithPrompt("heo365-sora2", prompt).taskId(), done.getString("providerTaskId"),
        "the third attempt was accepted and created the only job");
  }

  @Test
  void retryAfterIsHonoured() {
    String id = create("runblob-sora", "slow down [sim:submit-error=429] [sim:submit-error-times=1]");
    awaitStatus(id, "submitted", "processing", "succeeded");
    JsonObject refused = timeline(id, "submit_failed").get(0);
    Instant refusedAt = Instant.parse(refused.getString("at"));
    Instant submittedAt = Instant.parse(timeline(id, "submitted").get(0).getString("at"));
    assertTrue(Duration.between(refusedAt, submittedAt).toMillis() >= 900,
        "the simulator's Retry-After: 1 holds the retry back for a second, not the 100 ms backoff");
  }

  @Test
  void aDefiniteRefusalFailsAtOnceWithTheProvidersReason() {
    String prompt = "no money [sim:submit-error=402]";
    String id = create("runblob-sora", prompt);
    JsonObject failed = awaitStatus(id, "failed");
    assertEquals("submit", failed.getString("resolvedBy"));
    assertEquals("INSUFFICIENT_CREDITS", failed.getJsonObject("error").getString("code"));
    assertEquals(false, failed.getJsonObject("error").getBoolean("retryable"));
    assertEquals(1, timeline(id, "submit_failed").size(), "not retried");
  }

  @Test
  void exhaustedRetriesFailTheGeneration() {
    String id = create("apimart", "always down [sim:submit-error=500]");
    JsonObject failed = awaitStatus(id, "failed");
    assertEquals("submit", failed.getString("resolvedBy"));
    assertEquals("PROVIDER_UNAVAILABLE", failed.getJsonObject("error").getString("code"));
    assertEquals(3, timeline(id, "submit_failed").size(), "ORCH_SUBMIT_MAX_ATTEMPTS=3");
  }

  @Test
  void anAmbiguousSubmitIsNeverSentAgainAndALateWebhookStillCompletesIt() throws Exception {
    // the job outlives the 1.5 s submit timeout (300 s scaled by 0.01), so its callback comes after the timeout
    String prompt = "lost answer [sim:submit-error=timeout] [sim:duration=300000]";
    String id = create("runblob-kling-o3", prompt);
    awaitStatus(id, "submitted", "succeeded");
    List<JsonObject> failures = timeline(id, "submit_failed");
    assertEquals(1, failures.size());
    assertEquals(true, failures.get(0).getJsonObject("detail").getBoolean("ambiguous"));
    // no pause needed for the sweeps to have their chance to send it again: the job runs 3 s, and its late webhook
    // (awaited below) comes after every sweep of that time
    SimJob job = onlyJobWithPrompt("runblob-kling-o3", prompt);
    JsonObject done = awaitStatus(id, "succeeded");
    assertEquals(job.taskId(), done.getString("providerTaskId"), "the late webhook bound the task id");
    assertEquals("webhook", done.getString("resolvedBy"));
    assertEquals(1, service.providers().simulator.jobs("runblob-kling-o3").stream().filter(j -> prompt.equals(j.prompt())).count(),
        "sent once only");
  }

  @Test
  void theFleetWideRateLimitKeepsTheRestQueued() throws Exception {
    service.db().execute("UPDATE provider_permit_slots SET used_at = '-infinity' WHERE provider = 'vidgo'"); // a fresh budget
    List<String> ids = List.of(create("vidgo", "r1"), create("vidgo", "r2"), create("vidgo", "r3"), create("vidgo", "r4"));
    Await.until("two of them sent", () -> ids.stream()
        .filter(id -> !service.api().get("/v1/generations/" + id).json().getString("status").equals("queued")).count(), n -> n >= 2);
    // a generation queued after them and sent: the sweeps have gone past the two that wait
    awaitStatus(create("runblob-sora", "after the budget"), "submitted", "processing", "succeeded");
    long waiting = ids.stream().filter(id -> service.api().get("/v1/generations/" + id).json().getString("status").equals("queued")).count();
    assertEquals(2, waiting, "ORCH_PROVIDER_VIDGO_MAX_RPM=2 lets two through in 60 s; the others wait, queued");
    assertEquals(2, service.db().count("SELECT count(*) FROM provider_permit_slots WHERE provider = 'vidgo' AND used_at > now() - interval '60 seconds'"));
  }
}
