package io.genorch.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxTestContext;

import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Each provider's submit, status and callback shapes, its 401 and 404, and its request validation. */
class ProviderContractTest extends SimulatorTestBase {

  private static final String ISO_Z = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ";
  private static final String ISO_NO_ZONE = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d";
  private static final String ISO_MICROS = ISO_NO_ZONE + "\\.\\d{6}";

  @Test
  void heo365RunsToSuccessAndCallsBackWithTheDocumentedPayload(VertxTestContext ctx) {
    String p = "heo365-sora2";
    String callback = hookUrl(receiver, p);
    submit(p, body(p, "A sunset over the ocean", callback)).compose(r -> {
      assertEquals(200, r.statusCode());
      JsonObject answer = r.bodyAsJsonObject();
      assertEquals(true, answer.getBoolean("success"));
      String id = answer.getJsonObject("data").getString("taskId");
      assertTrue(id.startsWith("task_"), id);
      assertEquals("pending", answer.getJsonObject("data").getString("status"));
      return untilReceived(receiver, 1).compose(v -> status(p, id)).map(s -> {
        JsonObject hook = receiver.first().body();
        assertEquals(hookPath(p), receiver.first().path());
        assertEquals(id, hook.getString("taskId"));
        assertEquals("success", hook.getString("status"));
        assertEquals(200, hook.getInteger("statusCode"));
        assertTrue(hook.getString("resultUrl").endsWith(".mp4"));
        assertFalse(hook.containsKey("errorMessage"));
        assertTrue(hook.getString("createdAt").matches(ISO_Z));
        assertTrue(hook.getString("completedAt").matches(ISO_Z));
        JsonObject params = hook.getJsonObject("requestParams");
        assertEquals("sora2", params.getString("projectName"));
        assertEquals("sora2_text_to_video", params.getString("modelName"));
        assertEquals("A sunset over the ocean", params.getString("prompt"));
        assertEquals("", params.getString("imageUrl"));
        assertEquals("9:16", params.getString("aspectRatio"));
        assertEquals(10, params.getInteger("duration"));
        assertEquals(callback, params.getString("callbackUrl"));
        assertEquals(200, s.statusCode());
        assertEquals(new JsonObject().put("success", true).put("data", hook), s.bodyAsJsonObject());
        return null;
      });
    }).onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void runblobSoraRunsToCompletionAndCallsBackWithTheDocumentedPayload(VertxTestContext ctx) {
    String p = "runblob-sora";
    submit(p, body(p, "A sunset over mountains", hookUrl(receiver, p))).compose(r -> {
      assertEquals(201, r.statusCode());
      JsonObject answer = r.bodyAsJsonObject();
      String id = answer.getString("generation_id");
      UUID.fromString(id);
      assertEquals("pending", answer.getString("status"));
      assertEquals("0.1200", answer.getString("price"));
      return untilReceived(receiver, 1).compose(v -> status(p, id)).map(s -> {
        JsonObject hook = receiver.first().body();
        assertEquals(id, hook.getString("generation_id"));
        assertEquals("completed", hook.getString("status"));
        assertEquals("A sunset over mountains", hook.getString("prompt"));
        assertTrue(hook.getString("video_url").endsWith(id + ".mp4"));
        assertTrue(hook.getString("created_at").matches(ISO_MICROS), hook.getString("created_at"));
        assertTrue(hook.getString("completed_at").matches(ISO_MICROS));
        assertNull(hook.getValue("error_message"));
        assertEquals(200, s.statusCode());
        JsonObject st = s.bodyAsJsonObject();
        assertEquals("completed", st.getString("status"));
        assertEquals(hook.getString("video_url"), st.getString("video_url"));
        assertEquals(100, st.getInteger("progress_pct"));
        assertTrue(st.containsKey("progress_pos_in_queue"));
        assertTrue(st.containsKey("error_message"));
        assertEquals(hook.getString("completed_at"), st.getString("completed_at"));
        return null;
      });
    }).onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void vidgoRunsToFinishedAndCallsBackWithTheStatusBody(VertxTestContext ctx) {
    String p = "vidgo";
    submit(p, body(p, "A city street from day to night", hookUrl(receiver, p))).compose(r -> {
      assertEquals(200, r.statusCode());
      JsonObject answer = r.bodyAsJsonObject();
      assertEquals(200, answer.getInteger("code"));
      String id = answer.getJsonObject("data").getString("task_id");
      assertTrue(id.matches("task-unified-\\d{10}-[a-z0-9]{8}"), id);
      assertEquals("not_started", answer.getJsonObject("data").getString("status"));
      assertTrue(answer.getJsonObject("data").getString("created_time").matches(ISO_NO_ZONE));
      return untilReceived(receiver, 1).compose(v -> status(p, id)).map(s -> {
        JsonObject hook = receiver.first().body();
        assertEquals(200, hook.getInteger("code"));
        JsonObject data = hook.getJsonObject("data");
        assertEquals(id, data.getString("task_id"));
        assertEquals("finished", data.getString("status"));
        JsonArray files = data.getJsonArray("files");
        assertEquals(1, files.size());
        assertEquals("video", files.getJsonObject(0).getString("file_type"));
        assertTrue(files.getJsonObject(0).getString("file_url").endsWith(".mp4"));
        assertEquals(100, data.getInteger("progress"));
        assertTrue(data.containsKey("error_message"));
        assertNull(data.getValue("error_message"));
        assertEquals(hook, s.bodyAsJsonObject());
        return null;
      });
    }).onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void apimartRunsToCompletedAndCallsBackToWebhookPlusCallback(VertxTestContext ctx) {
    String p = "apimart";
    submit(p, body(p, "A waterfall forming a rainbow", hookUrl(receiver, p))).compose(r -> {
      assertEquals(200, r.statusCode());
      JsonObject answer = r.bodyAsJsonObject();
      assertEquals(200, answer.getInteger("code"));
      JsonObject item = answer.getJsonArray("data").getJsonObject(0);
      assertEquals("submitted", item.getString("status"));
      String id = item.getString("task_id");
      assertTrue(id.matches("task_01K[0-9A-Z]{23}"), id);
      return untilReceived(receiver, 1).compose(v -> status(p, id)).map(s -> {
        assertEquals("/hook/apimart/callback", receiver.first().path());
        JsonObject hook = receiver.first().body();
        JsonObject data = hook.getJsonObject("data");
        assertEquals(id, data.getString("id"));
        assertEquals("completed", data.getString("status"));
        assertEquals(100, data.getInteger("progress"));
        JsonObject video = data.getJsonObject("result").getJsonArray("videos").getJsonObject(0);
        assertTrue(video.getJsonArray("url").getString(0).endsWith(".mp4"));
        long expiresAt = video.getLong("expires_at");
        assertTrue(expiresAt > System.currentTimeMillis() / 1000 + 3600);
        assertTrue(data.getLong("created") > 1_700_000_000L);
        assertNotNull(data.getLong("completed"));
        assertNotNull(data.getLong("estimated_time"));
        assertNotNull(data.getLong("actual_time"));
        assertFalse(data.containsKey("error"));
        assertEquals(hook, s.bodyAsJsonObject());
        return null;
      });
    }).onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void klingO3RunsToCompletionAndCallsBackWithModelAndNullMessage(VertxTestContext ctx) {
    String p = "runblob-kling-o3";
    submit(p, body(p, "Dragon flying over mountains", hookUrl(receiver, p))).compose(r -> {
      assertEquals(201, r.statusCode());
      JsonObject answer = r.bodyAsJsonObject();
      String id = answer.getString("generation_id");
      UUID.fromString(id);
      assertEquals("pending", answer.getString("status"));
      assertNotNull(answer.getString("price"));
      return untilReceived(receiver, 1).compose(v -> status(p, id)).map(s -> {
        JsonObject hook = receiver.first().body();
        assertEquals(id, hook.getString("generation_id"));
        assertEquals("completed", hook.getString("status"));
        assertTrue(hook.getString("video_url").endsWith(".mp4"));
        assertEquals("kling-o3-video-10s-pro", hook.getString("model"));
        assertTrue(hook.containsKey("message"));
        assertNull(hook.getValue("message"));
        JsonObject st = s.bodyAsJsonObject();
        assertEquals(new JsonObject().put("generation_id", id).put("status", "completed")
            .put("prompt", "Dragon flying over mountains").put("video_url", hook.getString("video_url"))
            .put("model", "kling-o3-video-10s-pro"), st);
        return null;
      });
    }).onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void klingO3AcceptsTheSeedsModeProAsTheProModel(VertxTestContext ctx) {
    String p = "runblob-kling-o3";
    JsonObject seedBody = new JsonObject().put("prompt", "Dragon flying over mountains").put("duration", "10")
        .put("mode", "pro").put("callback_url", hookUrl(receiver, p));
    submit(p, seedBody)
        .compose(r -> {
          assertEquals(201, r.statusCode(), r.bodyAsString());
          return untilReceived(receiver, 1);
        })
        .map(v -> {
          assertEquals("kling-o3-video-10s-pro", receiver.first().body().getString("model"));
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @ParameterizedTest
  @ValueSource(strings = {"heo365-sora2", "runblob-sora", "vidgo", "apimart", "runblob-kling-o3"})
  void statusShowsTheProvidersNonTerminalWordsBeforeTheTerminalOne(String p, VertxTestContext ctx) {
    String[] words = nonTerminalWords(p);
    // 4000 simulated seconds = 4 s real: pending for the first 800 ms, then processing
    submitOk(p, "[sim:duration=4000000] slow job", null)
        .compose(id -> status(p, id).map(s -> {
          assertEquals(200, s.statusCode());
          assertEquals(words[0], statusWord(p, s.bodyAsJsonObject()));
          return id;
        }))
        .compose(id -> Await.sleep(vertx, 1100).compose(v -> status(p, id)).map(s -> {
          assertEquals(words[1], statusWord(p, s.bodyAsJsonObject()));
          assertEquals(words[1], sim.job(p, id).orElseThrow().status());
          assertTrue(sim.job(p, id).orElseThrow().progress() > 0);
          assertFalse(sim.job(p, id).orElseThrow().terminal());
          return id;
        }))
        .compose(id -> {
          sim.finishNow(p, id, true, null);
          return status(p, id);
        })
        .map(s -> {
          assertEquals(words[2], statusWord(p, s.bodyAsJsonObject()));
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  private static String[] nonTerminalWords(String p) {
    switch (p) {
      case "heo365-sora2":
        return new String[] {"pending", "processing", "success"};
      case "vidgo":
        return new String[] {"not_started", "running", "finished"};
      default:
        return new String[] {"pending", "processing", "completed"};
    }
  }

  private static String statusWord(String p, JsonObject statusBody) {
    switch (p) {
      case "heo365-sora2":
      case "vidgo":
      case "apimart":
        return statusBody.getJsonObject("data").getString("status");
      default:
        return statusBody.getString("status");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"heo365-sora2", "runblob-sora", "vidgo", "apimart", "runblob-kling-o3"})
  void aWrongOrMissingKeyIsRejectedWith401InTheProvidersShape(String p, VertxTestContext ctx) {
    submit(p, body(p, "hello", null), "wrong-key")
        .compose(r -> {
          assertEquals(401, r.statusCode());
          assertErrorShape(p, r.bodyAsJsonObject(), 401);
          return submit(p, body(p, "hello", null), null);
        })
        .compose(r -> {
          assertEquals(401, r.statusCode());
          assertErrorShape(p, r.bodyAsJsonObject(), 401);
          return http.getAbs(sim.baseUrl(p) + statusPath(p, "whatever")).bearerTokenAuthentication("nope").send();
        })
        .map(r -> {
          assertEquals(401, r.statusCode());
          assertEquals(0, sim.jobs(p).size());
          assertEquals(2, sim.submitCalls(p));
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @ParameterizedTest
  @ValueSource(strings = {"heo365-sora2", "runblob-sora", "vidgo", "apimart", "runblob-kling-o3"})
  void anUnknownTaskIdIsA404InTheProvidersShape(String p, VertxTestContext ctx) {
    status(p, "no-such-task")
        .map(r -> {
          assertEquals(404, r.statusCode());
          assertErrorShape(p, r.bodyAsJsonObject(), 404);
          assertEquals(1, sim.statusCalls(p, "no-such-task"));
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  /** The error shapes: FastAPI detail, vidgo {code,message}, apimart {error:{...}}, heo365 {success:false,...}. */
  static void assertErrorShape(String p, JsonObject body, int status) {
    switch (p) {
      case "runblob-sora":
      case "runblob-kling-o3":
        assertNotNull(body.getValue("detail"), body.encode());
        if (status == 404) {
          assertEquals("Generation not found", body.getString("detail"));
        }
        break;
      case "vidgo":
        assertEquals(status, body.getInteger("code"));
        assertNotNull(body.getString("message"));
        break;
      case "apimart":
        assertEquals(status, body.getJsonObject("error").getInteger("code"));
        assertNotNull(body.getJsonObject("error").getString("message"));
        assertNotNull(body.getJsonObject("error").getString("type"));
        break;
      default:
        assertEquals(false, body.getBoolean("success"));
        assertEquals(status, body.getInteger("code"));
        assertNotNull(body.getString("message"));
    }
  }

  @Test
  void runblobSoraRejectsBadInputWithTheFastApi422DetailArray(VertxTestContext ctx) {
    String p = "runblob-sora";
    JsonObject bad = new JsonObject().put("prompt", "").put("orientation", "4:3").put("duration", 5);
    submit(p, bad)
        .map(r -> {
          assertEquals(422, r.statusCode());
          JsonArray detail = r.bodyAsJsonObject().getJsonArray("detail");
          assertEquals(3, detail.size());
          JsonObject first = detail.getJsonObject(0);
          assertEquals("string_too_short", first.getString("type"));
          assertEquals(new JsonArray().add("body").add("prompt"), first.getJsonArray("loc"));
          assertNotNull(first.getString("msg"));
          assertEquals("enum", detail.getJsonObject(1).getString("type"));
          assertEquals(5, detail.getJsonObject(2).getInteger("input"));
          assertEquals(0, sim.jobs(p).size());
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void klingO3RejectsAnIntegerDurationAndAnUnknownDuration(VertxTestContext ctx) {
    String p = "runblob-kling-o3";
    submit(p, new JsonObject().put("prompt", "x").put("duration", 10))
        .compose(r -> {
          assertEquals(422, r.statusCode());
          assertEquals("string_type", r.bodyAsJsonObject().getJsonArray("detail").getJsonObject(0).getString("type"));
          return submit(p, new JsonObject().put("prompt", "x").put("duration", "7"));
        })
        .map(r -> {
          assertEquals(400, r.statusCode());
          assertEquals("Duration must be 5, 10, or 15 seconds", r.bodyAsJsonObject().getString("detail"));
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void vidgoRejectsADurationTheModelDoesNotOffer(VertxTestContext ctx) {
    JsonObject bad = body("vidgo", "x", null);
    bad.getJsonObject("input").put("duration", 25);
    submit("vidgo", bad)
        .map(r -> {
          assertEquals(400, r.statusCode());
          assertEquals(400, r.bodyAsJsonObject().getInteger("code"));
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void runblobSoraRedirectsAStatusPathWithoutItsTrailingSlash(VertxTestContext ctx) {
    String p = "runblob-sora";
    submitOk(p, "hello", null)
        .compose(id -> http.getAbs(sim.baseUrl(p) + "/v1/sora/generations/" + id)
            .followRedirects(false).bearerTokenAuthentication(sim.apiKey(p)).send()
            .map(r -> {
              assertEquals(307, r.statusCode());
              assertEquals(sim.baseUrl(p) + statusPath(p, id), r.getHeader("Location"));
              return id;
            }))
        .compose(id -> http.getAbs(sim.baseUrl(p) + "/v1/sora/generations/" + id)
            .bearerTokenAuthentication(sim.apiKey(p)).send())
        .map(r -> {
          assertEquals(200, r.statusCode());
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void resultUrlsServeAFakeVideo(VertxTestContext ctx) {
    String p = "vidgo";
    submitOk(p, "hello", null)
        .compose(id -> untilTerminal(p, id).map(v -> sim.job(p, id).orElseThrow().resultUrl()))
        .compose(url -> http.getAbs(url).send())
        .map(r -> {
          assertEquals(200, r.statusCode());
          assertEquals("video/mp4", r.getHeader("Content-Type"));
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void jobsRecordTheRequestAndTheirCallbackUrl(VertxTestContext ctx) {
    String p = "apimart";
    submitOk(p, "hello [sim:never-finish]", receiver.url("/base///"))
        .map(id -> {
          SimJob job = sim.job(p, id).orElseThrow();
          assertEquals(receiver.url("/base/callback"), job.callbackUrl());
          assertEquals("sora-2", job.request().getString("model"));
          assertTrue(job.directives().neverFinish());
          assertEquals(1, sim.jobs(p).size());
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void unknownProviderIdsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> sim.baseUrl("openai"));
  }
}
