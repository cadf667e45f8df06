package io.genorch.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxTestContext;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The {@code [sim:...]} directives and the global faults. */
class FaultInjectionTest extends SimulatorTestBase {

  @Test
  void noCallbackDirectiveSuppressesTheWebhookButTheJobStillFinishes(VertxTestContext ctx) {
    String p = "runblob-sora";
    submitOk(p, "hello [sim:no-callback]", hookUrl(receiver, p))
        .compose(id -> untilTerminal(p, id).map(v -> id))
        .compose(id -> Await.sleep(vertx, 150).compose(v -> status(p, id)))
        .map(s -> {
          assertEquals("completed", s.bodyAsJsonObject().getString("status"));
          assertEquals(0, receiver.count());
          assertTrue(sim.webhookAttempts(p).isEmpty());
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void duplicateDirectiveDeliversTheTerminalCallbackNTimes(VertxTestContext ctx) {
    String p = "vidgo";
    submitOk(p, "hello [sim:duplicate=3]", hookUrl(receiver, p))
        .compose(id -> untilReceived(receiver, 3))
        .compose(v -> Await.sleep(vertx, 100))
        .map(v -> {
          assertEquals(3, receiver.count());
          List<Receiver.Received> got = receiver.received();
          assertEquals(got.get(0).body(), got.get(1).body());
          assertEquals(got.get(0).body(), got.get(2).body());
          assertEquals("finished", got.get(0).body().getJsonObject("data").getString("status"));
          List<WebhookAttempt> recorded = sim.webhookAttempts(p);
          assertEquals(List.of(1, 2, 3), recorded.stream().map(WebhookAttempt::delivery).toList());
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void contradictDirectiveSendsTheOppositeOutcomeAfterTheTerminalCallback(VertxTestContext ctx) {
    String p = "runblob-kling-o3";
    submitOk(p, "hello [sim:fail=CONTENT_POLICY_VIOLATION] [sim:contradict]", hookUrl(receiver, p))
        .compose(id -> untilReceived(receiver, 2).compose(v -> Await.sleep(vertx, 100)).map(v -> {
          assertEquals(2, receiver.count());
          JsonObject first = receiver.received().get(0).body();
          JsonObject second = receiver.received().get(1).body();
          assertEquals("failed", first.getString("status"));
          assertEquals("CONTENT_POLICY_VIOLATION", first.getString("message"));
          assertNull(first.getValue("video_url"));
          assertEquals(id, second.getString("generation_id"));
          assertEquals("completed", second.getString("status"));
          assertNull(second.getValue("message"));
          assertTrue(second.getString("video_url").endsWith(".mp4"));
          assertTrue(sim.webhookAttempts(p).get(1).contradiction());
          assertFalse(sim.job(p, id).orElseThrow().succeeded()); // the job itself stays failed
          return null;
        }))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void contradictingASuccessSendsTheProvidersFailureForm(VertxTestContext ctx) {
    String p = "heo365-sora2";
    submitOk(p, "hello [sim:contradict]", hookUrl(receiver, p))
        .compose(id -> untilReceived(receiver, 2))
        .map(v -> {
          JsonObject second = receiver.received().get(1).body();
          assertEquals("failed", second.getString("status"));
          assertNull(second.getValue("resultUrl"));
          assertEquals("Failed to generate, system error please try again", second.getString("errorMessage"));
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @ParameterizedTest
  @ValueSource(strings = {"heo365-sora2", "runblob-sora", "vidgo", "apimart", "runblob-kling-o3"})
  void failDirectiveEndsTheJobFailedWithTheProvidersOwnErrorForm(String p, VertxTestContext ctx) {
    submitOk(p, "a prompt [sim:fail=CONTENT_POLICY_VIOLATION]", hookUrl(receiver, p))
        .compose(id -> untilReceived(receiver, 1).compose(v -> status(p, id)).map(s -> {
          JsonObject hook = receiver.first().body();
          JsonObject st = s.bodyAsJsonObject();
          switch (p) {
            case "heo365-sora2":
              assertEquals("failed", hook.getString("status"));
              assertEquals("CONTENT_POLICY_VIOLATION", hook.getString("errorMessage"));
              assertNull(hook.getValue("resultUrl"));
              assertEquals("CONTENT_POLICY_VIOLATION", st.getJsonObject("data").getString("errorMessage"));
              break;
            case "runblob-sora":
              assertEquals("failed", hook.getString("status"));
              assertEquals("CONTENT_POLICY_VIOLATION", hook.getString("error_message"));
              assertEquals("CONTENT_POLICY_VIOLATION", st.getString("error_message"));
              break;
            case "vidgo":
              assertEquals(200, hook.getInteger("code"));
              assertEquals("failed", hook.getJsonObject("data").getString("status"));
              assertEquals("CONTENT_POLICY_VIOLATION", hook.getJsonObject("data").getString("error_message"));
              assertEquals(new JsonArray(), hook.getJsonObject("data").getJsonArray("files"));
              break;
            case "apimart":
              assertEquals("failed", hook.getJsonObject("data").getString("status"));
              assertEquals("CONTENT_POLICY_VIOLATION",
                  hook.getJsonObject("data").getJsonObject("error").getString("code"));
              assertFalse(hook.getJsonObject("data").containsKey("result"));
              break;
            default:
              assertEquals("failed", hook.getString("status"));
              assertEquals("CONTENT_POLICY_VIOLATION", hook.getString("message"));
              assertEquals("failed", st.getString("status"));
              assertFalse(st.containsKey("message"), "kling status carries no error detail");
          }
          SimJob job = sim.job(p, id).orElseThrow();
          assertEquals(SimJob.Outcome.FAILED, job.outcome());
          assertEquals("CONTENT_POLICY_VIOLATION", job.errorCode());
          return null;
        }))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void failWithoutACodeUsesTheProvidersDefault(VertxTestContext ctx) {
    String p = "runblob-kling-o3";
    submitOk(p, "[sim:fail] hello", hookUrl(receiver, p))
        .compose(id -> untilReceived(receiver, 1))
        .map(v -> {
          assertEquals("TASK_FAILED", receiver.first().body().getString("message"));
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @ParameterizedTest
  @ValueSource(strings = {"heo365-sora2", "runblob-sora", "vidgo", "apimart", "runblob-kling-o3"})
  void submitError503ForTheFirstTwoAttemptsThenTheSamePromptSucceeds(String p, VertxTestContext ctx) {
    JsonObject body = body(p, "retry me [sim:submit-error=503] [sim:submit-error-times=2]", null);
    submit(p, body)
        .compose(r -> {
          assertEquals(503, r.statusCode());
          ProviderContractTest.assertErrorShape(p, r.bodyAsJsonObject(), 503);
          return submit(p, body);
        })
        .compose(r -> {
          assertEquals(503, r.statusCode());
          return submit(p, body);
        })
        .map(r -> {
          assertEquals(2, r.statusCode() / 100, r.bodyAsString());
          assertEquals(3, sim.submitCalls(p));
          assertEquals(1, sim.jobs(p).size());
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void submitTimeoutCreatesTheJobButNeverAnswers(VertxTestContext ctx) {
    String p = "runblob-sora";
    http.postAbs(sim.baseUrl(p) + submitPath(p)).timeout(300).bearerTokenAuthentication(sim.apiKey(p))
        .sendJsonObject(body(p, "ambiguous [sim:submit-error=timeout]", hookUrl(receiver, p)))
        .transform(ar -> {
          assertTrue(ar.failed(), "the submit must not be answered");
          assertEquals(1, sim.jobs(p).size());
          return untilReceived(receiver, 1);
        })
        .map(v -> {
          String id = sim.jobs(p).get(0).taskId();
          assertEquals(id, receiver.first().body().getString("generation_id"));
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void submitResetClosesTheConnectionWithoutAnswerOrJob(VertxTestContext ctx) {
    String p = "vidgo";
    long started = System.currentTimeMillis();
    submit(p, body(p, "[sim:submit-error=reset]", null))
        .transform(ar -> {
          assertTrue(ar.failed());
          assertTrue(System.currentTimeMillis() - started < 2000, "a reset is immediate");
          assertEquals(0, sim.jobs(p).size());
          return Future.<Void>succeededFuture();
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void submit429CarriesRetryAfter(VertxTestContext ctx) {
    String p = "apimart";
    submit(p, body(p, "[sim:submit-error=429]", null))
        .map(r -> {
          assertEquals(429, r.statusCode());
          assertEquals("1", r.getHeader("Retry-After"));
          assertEquals("rate_limit_error", r.bodyAsJsonObject().getJsonObject("error").getString("type"));
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void submit402IsInsufficientCreditsInTheProvidersShape(VertxTestContext ctx) {
    String p = "runblob-kling-o3";
    submit(p, body(p, "[sim:submit-error=402]", null))
        .map(r -> {
          assertEquals(402, r.statusCode());
          assertEquals(new JsonObject().put("detail", "INSUFFICIENT_CREDITS"), r.bodyAsJsonObject());
          assertEquals(0, sim.jobs(p).size());
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void submit422IsAFastApiValidationError(VertxTestContext ctx) {
    String p = "runblob-sora";
    submit(p, body(p, "[sim:submit-error=422]", null))
        .map(r -> {
          assertEquals(422, r.statusCode());
          assertEquals(1, r.bodyAsJsonObject().getJsonArray("detail").size());
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void status404DirectiveAnswers404ForAnExistingJobThatStillCallsBack(VertxTestContext ctx) {
    String p = "runblob-sora";
    submitOk(p, "hello [sim:status-404]", hookUrl(receiver, p))
        .compose(id -> status(p, id).map(r -> {
          assertEquals(404, r.statusCode());
          assertEquals("Generation not found", r.bodyAsJsonObject().getString("detail"));
          assertEquals(1, sim.statusCalls(p, id));
          return id;
        }))
        .compose(id -> untilReceived(receiver, 1))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void statusErrorDirectiveAnswers500InTheProvidersShape(VertxTestContext ctx) {
    String p = "vidgo";
    submitOk(p, "hello [sim:status-error=500]", null)
        .compose(id -> status(p, id))
        .map(r -> {
          assertEquals(500, r.statusCode());
          assertEquals(500, r.bodyAsJsonObject().getInteger("code"));
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void statusTimeoutDirectiveNeverAnswers(VertxTestContext ctx) {
    String p = "heo365-sora2";
    submitOk(p, "hello [sim:status-error=timeout]", null)
        .compose(id -> http.getAbs(sim.baseUrl(p) + statusPath(p, id)).timeout(300)
            .bearerTokenAuthentication(sim.apiKey(p)).send())
        .transform(ar -> {
          assertTrue(ar.failed());
          assertEquals(1, sim.statusCalls(p));
          return Future.<Void>succeededFuture();
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void neverFinishStaysRunningUntilFinishNow(VertxTestContext ctx) {
    String p = "runblob-kling-o3";
    submitOk(p, "hello [sim:never-finish]", hookUrl(receiver, p))
        .compose(id -> Await.sleep(vertx, 150).map(v -> {
          SimJob job = sim.job(p, id).orElseThrow();
          assertFalse(job.terminal());
          assertEquals("processing", job.status());
          assertEquals(0, receiver.count());
          sim.finishNow(p, id, false, "MAINTENANCE");
          return id;
        }))
        .compose(id -> untilReceived(receiver, 1))
        .map(v -> {
          assertEquals("MAINTENANCE", receiver.first().body().getString("message"));
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void expiringLinksPutApimartsExpiresAtInThePast(VertxTestContext ctx) {
    String p = "apimart";
    submitOk(p, "hello [sim:expiring-links] [sim:url-string]", hookUrl(receiver, p))
        .compose(id -> untilReceived(receiver, 1))
        .map(v -> {
          JsonObject result = receiver.first().body().getJsonObject("data").getJsonObject("result");
          JsonObject video = result.getJsonArray("videos").getJsonObject(0);
          assertTrue(video.getLong("expires_at") < System.currentTimeMillis() / 1000);
          assertTrue(video.getValue("url") instanceof String);
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void globalFaultsApplyToEveryNewJobAndCall(VertxTestContext ctx) {
    String p = "heo365-sora2";
    sim.faults().noCallback(true).statusError("503");
    submitOk(p, "hello", hookUrl(receiver, p))
        .compose(id -> untilTerminal(p, id).compose(v -> status(p, id)))
        .compose(r -> {
          assertEquals(503, r.statusCode());
          assertTrue(sim.jobs(p).get(0).directives().noCallback());
          sim.faults().clear().submitError("500");
          return submit(p, body(p, "again", null));
        })
        .compose(r -> Await.sleep(vertx, 100).map(v -> r))
        .map(r -> {
          assertEquals(500, r.statusCode());
          assertEquals(0, receiver.count());
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void faultsCanBeSetOverHttpAndResetClearsEverything(VertxTestContext ctx) {
    String p = "apimart";
    String origin = "http://127.0.0.1:" + sim.port();
    http.postAbs(origin + "/_sim/faults")
        .sendJsonObject(new JsonObject().put("submitError", 503).put("submitErrorTimes", 1))
        .compose(r -> {
          assertEquals(200, r.statusCode());
          assertEquals("503", sim.faults().current().submitError());
          return submit(p, body(p, "hello", null));
        })
        .compose(r -> {
          assertEquals(503, r.statusCode());
          return submitOk(p, "hello", null);
        })
        .compose(id -> http.getAbs(origin + "/_sim/jobs").send().map(r -> {
          JsonArray data = r.bodyAsJsonObject().getJsonArray("data");
          assertEquals(1, data.size());
          assertEquals(id, data.getJsonObject(0).getString("taskId"));
          assertEquals("apimart", data.getJsonObject(0).getString("providerId"));
          return id;
        }))
        .compose(id -> http.postAbs(origin + "/_sim/reset").send())
        .map(r -> {
          assertEquals(204, r.statusCode());
          assertTrue(sim.jobs(p).isEmpty());
          assertEquals(0, sim.submitCalls(p));
          assertTrue(sim.faults().current().isNone());
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void resetStopsPendingCallbacks(VertxTestContext ctx) {
    String p = "vidgo";
    submitOk(p, "hello [sim:callback-delay=200000]", hookUrl(receiver, p))
        .compose(id -> untilTerminal(p, id))
        .compose(v -> {
          sim.reset();
          return Await.sleep(vertx, 350);
        })
        .map(v -> {
          assertEquals(0, receiver.count());
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void theFinishEndpointForcesAJobTerminalAndItsCallbackIsListed(VertxTestContext ctx) {
    String p = "runblob-sora";
    String origin = "http://127.0.0.1:" + sim.port();
    submitOk(p, "hello [sim:never-finish]", hookUrl(receiver, p))
        .compose(id -> http.postAbs(origin + "/_sim/jobs/" + p + "/" + id + "/finish")
            .sendJsonObject(new JsonObject().put("success", false).put("errorCode", "TIMEOUT")))
        .compose(r -> {
          assertEquals(200, r.statusCode());
          assertEquals("failed", r.bodyAsJsonObject().getString("status"));
          return untilReceived(receiver, 1);
        })
        .compose(v -> http.getAbs(origin + "/_sim/webhooks?provider=" + p).send())
        .map(r -> {
          JsonObject attempt = r.bodyAsJsonObject().getJsonArray("data").getJsonObject(0);
          assertEquals(200, attempt.getInteger("statusCode"));
          assertEquals("TIMEOUT", attempt.getJsonObject("body").getString("error_message"));
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }
}
