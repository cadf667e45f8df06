package io.genorch.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Conditions of a provider as a whole (maintenance windows, balance, retired models) and the retry-class failure,
 * each in the provider's own error shape.
 */
class ProviderConditionsTest extends SimulatorTestBase {

  /** The readable text of an error body in any of the providers' shapes. */
  private static String errorText(String p, JsonObject body) {
    switch (p) {
      case "runblob-sora":
      case "runblob-kling-o3":
        return body.getString("detail");
      case "apimart":
        return body.getJsonObject("error").getString("message");
      default:
        return body.getString("message");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"heo365-sora2", "runblob-sora", "vidgo", "apimart", "runblob-kling-o3"})
  void aMaintenanceWindowRefusesEverySubmitOfThatProviderOnly(String p, VertxTestContext ctx) {
    String other = p.equals("vidgo") ? "apimart" : "vidgo";
    sim.maintenance(p, Duration.ofHours(1));
    submit(p, body(p, "during maintenance", null))
        .compose(r -> {
          assertEquals(503, r.statusCode(), r.bodyAsString());
          ProviderContractTest.assertErrorShape(p, r.bodyAsJsonObject(), 503);
          String text = errorText(p, r.bodyAsJsonObject());
          assertTrue(text.equals("MAINTENANCE") || text.contains("maintenance"), text);
          assertEquals(p.equals("runblob-kling-o3"), text.equals("MAINTENANCE"), "kling's own code");
          assertEquals(0, sim.jobs(p).size());
          return submitOk(other, "elsewhere", null);
        })
        .compose(id -> {
          sim.maintenance(p, Duration.ZERO);
          return submitOk(p, "after maintenance", null);
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void theAdminRouteOpensAndShowsAMaintenanceWindow(VertxTestContext ctx) {
    String p = "apimart";
    http.postAbs("http://127.0.0.1:" + sim.port() + "/_sim/providers/" + p)
        .sendJsonObject(new JsonObject().put("maintenanceSeconds", 60).put("insufficientBalance", false))
        .compose(r -> {
          assertEquals(200, r.statusCode());
          assertNotNull(r.bodyAsJsonObject().getString("maintenanceUntil"));
          return submit(p, body(p, "x", null));
        })
        .compose(r -> {
          assertEquals(503, r.statusCode());
          assertEquals(503, r.bodyAsJsonObject().getJsonObject("error").getInteger("code"));
          return http.postAbs("http://127.0.0.1:" + sim.port() + "/_sim/providers/" + p)
              .sendJsonObject(new JsonObject().put("maintenanceSeconds", 0));
        })
        .compose(r -> {
          assertNull(r.bodyAsJsonObject().getValue("maintenanceUntil"));
          return submitOk(p, "x", null);
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void aRetiredModelIsNotFoundAndOtherModelsStillWork(VertxTestContext ctx) {
    sim.retireModel("vidgo", "sora-2");
    submit("vidgo", body("vidgo", "old model", null))
        .compose(r -> {
          assertEquals(404, r.statusCode());
          assertEquals(new JsonObject().put("code", 404).put("message", "Model not found: sora-2"), r.bodyAsJsonObject());
          assertEquals(0, sim.jobs("vidgo").size());
          return submit("vidgo", body("vidgo", "pro", null).put("model", "sora-2-pro")
              .put("input", new JsonObject().put("prompt", "pro").put("duration", 15).put("aspect_ratio", "9:16")));
        })
        .compose(r -> {
          assertEquals(200, r.statusCode(), r.bodyAsString());
          return http.getAbs("http://127.0.0.1:" + sim.port() + "/_sim/providers/vidgo").send();
        })
        .map(r -> {
          assertEquals(new JsonArray().add("sora-2"), r.bodyAsJsonObject().getJsonArray("retiredModels"));
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void directivesAskForModelNotFoundMaintenanceAndInsufficientBalance(VertxTestContext ctx) {
    submit("runblob-kling-o3", body("runblob-kling-o3", "x [sim:model-not-found]", null))
        .compose(r -> {
          assertEquals(404, r.statusCode());
          assertEquals(new JsonObject().put("detail", "Model not found: kling_o3_pro"), r.bodyAsJsonObject());
          return submit("runblob-kling-o3", body("runblob-kling-o3", "x [sim:maintenance]", null));
        })
        .compose(r -> {
          assertEquals(503, r.statusCode());
          assertEquals(new JsonObject().put("detail", "MAINTENANCE"), r.bodyAsJsonObject());
          return submit("heo365-sora2", body("heo365-sora2", "x [sim:insufficient-balance]", null));
        })
        .map(r -> {
          assertEquals(402, r.statusCode());
          assertEquals(false, r.bodyAsJsonObject().getBoolean("success"));
          assertEquals(402, r.bodyAsJsonObject().getInteger("code"));
          assertEquals(0, sim.jobs("runblob-kling-o3").size() + sim.jobs("heo365-sora2").size());
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void anEmptyBalanceRefusesEverySubmitAsAFault(VertxTestContext ctx) {
    sim.insufficientBalance("runblob-sora", true);
    submit("runblob-sora", body("runblob-sora", "x", null))
        .map(r -> {
          assertEquals(402, r.statusCode());
          assertEquals(new JsonObject().put("detail", "INSUFFICIENT_CREDITS"), r.bodyAsJsonObject());
          sim.reset();
          assertEquals(false, sim.conditions("runblob-sora").getBoolean("insufficientBalance"), "reset clears it");
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void aGlobalMaintenanceFaultReachesEveryProvider(VertxTestContext ctx) {
    sim.faults().submitError("maintenance");
    submit("vidgo", body("vidgo", "x", null))
        .map(r -> {
          assertEquals(503, r.statusCode());
          assertTrue(r.bodyAsJsonObject().getString("message").contains("maintenance"));
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @ParameterizedTest
  @ValueSource(strings = {"heo365-sora2", "runblob-sora", "vidgo", "apimart", "runblob-kling-o3"})
  void failRetryableEndsTheJobWithTheProvidersRetryClassFailure(String p, VertxTestContext ctx) {
    submitOk(p, "a prompt [sim:fail=retryable]", hookUrl(receiver, p))
        .compose(id -> untilReceived(receiver, 1).map(v -> {
          JsonObject hook = receiver.first().body();
          switch (p) {
            case "heo365-sora2":
              assertEquals("Failed to generate, system error please try again", hook.getString("errorMessage"));
              break;
            case "runblob-sora":
              assertEquals("Internal error, please try again", hook.getString("error_message"));
              break;
            case "vidgo":
              assertEquals("Internal server error, please try again later",
                  hook.getJsonObject("data").getString("error_message"));
              break;
            case "apimart":
              assertEquals("failed", hook.getJsonObject("data").getString("status"));
              assertEquals("system_error", hook.getJsonObject("data").getJsonObject("error").getString("code"));
              break;
            default:
              assertEquals("TASK_FAILED", hook.getString("message"));
          }
          assertEquals(SimJob.Outcome.FAILED, sim.job(p, id).orElseThrow().outcome());
          return null;
        }))
        .onComplete(ctx.succeedingThenComplete());
  }
}
