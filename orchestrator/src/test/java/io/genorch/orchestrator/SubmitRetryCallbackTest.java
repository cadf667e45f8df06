package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.genorch.common.testing.Await;
import io.genorch.simulator.SimJob;
import io.genorch.simulator.WebhookAttempt;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A submit attempt answered 5xx may still have created a job at the provider; its callbacks use that attempt's URL,
 * whose token must still be recognised after a retry bound a new one.
 */
class SubmitRetryCallbackTest {

  private static final String PROVIDER = "heo365-sora2";

  @RegisterExtension
  static final ServiceUnderTest service = ServiceUnderTest.withProviders(Duration.ofSeconds(30), PROVIDER)
      .set("ORCH_SUBMIT_SWEEP_MS", "100")
      .set("ORCH_SUBMIT_BACKOFF_MS", "100");

  @Test
  void theCallbackOfAJobCreatedByAnAttemptAnswered5xxIsAcceptedAndRecorded() {
    // each job runs 3 s (300 s scaled by 0.01); the retry comes after ~100 ms, so the first job reports after it
    String prompt = "two jobs [sim:submit-error=500-created] [sim:submit-error-times=1] [sim:duration=300000]";
    JsonObject created = service.api().createGeneration(new JsonObject().put("provider", PROVIDER).put("prompt", prompt)).json();
    String id = created.getString("id");

    JsonObject done = Await.until(id + " succeeded", Duration.ofSeconds(20),
        () -> service.api().get("/v1/generations/" + id).json(), g -> "succeeded".equals(g.getString("status")));
    List<SimJob> jobs = service.providers().simulator.jobs(PROVIDER).stream().filter(j -> prompt.equals(j.prompt())).toList();
    assertEquals(2, jobs.size(), "the failed attempt created a job, and so did the retry: " + jobs);
    SimJob first = jobs.stream().filter(j -> !j.taskId().equals(done.getString("providerTaskId"))).findFirst().orElseThrow();
    SimJob retry = jobs.stream().filter(j -> j.taskId().equals(done.getString("providerTaskId"))).findFirst().orElseThrow();
    assertNotEquals(first.callbackUrl(), retry.callbackUrl(), "each attempt has its own token");

    List<WebhookAttempt> firstCallbacks = Await.until("the first job's callback", Duration.ofSeconds(20),
        () -> service.providers().simulator.webhookAttempts(PROVIDER, first.taskId()), a -> !a.isEmpty());
    assertEquals(first.callbackUrl(), firstCallbacks.get(0).url());
    assertEquals(200, firstCallbacks.get(0).statusCode(), "the first attempt's URL is still ours: " + firstCallbacks);

    // recorded on the timeline, with the attempt it came through, and not applied over the retry's job
    JsonObject recorded = Await.until("the first job's delivery on the timeline", Duration.ofSeconds(20),
        () -> service.api().get("/v1/generations/" + id + "/events").json().getJsonArray("data").stream().map(JsonObject.class::cast)
            .filter(e -> e.getString("type").equals("webhook_rejected")).findFirst().orElse(null),
        e -> e != null);
    assertEquals(first.taskId(), recorded.getJsonObject("detail").getString("providerTaskId"));
    assertEquals(1, recorded.getJsonObject("detail").getInteger("submitAttempt"));
    JsonObject after = service.api().get("/v1/generations/" + id).json();
    assertEquals("succeeded", after.getString("status"));
    assertEquals(retry.taskId(), after.getString("providerTaskId"));
    assertEquals(retry.resultUrl(), after.getJsonArray("outputs").getJsonObject(0).getString("url"));
    assertEquals(2, service.db().count("SELECT count(*) FROM webhook_tokens WHERE generation_id = '" + id + "'"),
        "one token hash per attempt");
  }
}
