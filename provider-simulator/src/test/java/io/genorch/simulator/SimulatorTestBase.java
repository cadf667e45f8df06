package io.genorch.simulator;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;

import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A started simulator (time scale 0.001: a 30 s job takes 30 ms), a webhook receiver answering 200 and an HTTP
 * client, plus the per-provider request bodies and paths the tests use.
 */
@ExtendWith(VertxExtension.class)
abstract class SimulatorTestBase {

  protected Vertx vertx;
  protected ProviderSimulator sim;
  protected Receiver receiver;
  protected WebClient http;

  protected SimulatorOptions options() {
    return SimulatorOptions.defaults().withTimeScale(0.001).withJobDuration(Duration.ofSeconds(30));
  }

  @BeforeEach
  void startSimulator(Vertx vertx, VertxTestContext ctx) {
    this.vertx = vertx;
    this.http = WebClient.create(vertx, new WebClientOptions().setFollowRedirects(true));
    ProviderSimulator.start(vertx, options())
        .compose(s -> {
          sim = s;
          return Receiver.answering(vertx, 200);
        })
        .onSuccess(r -> receiver = r)
        .onComplete(ctx.succeedingThenComplete());
  }

  @AfterEach
  void stopSimulator(VertxTestContext ctx) {
    Future.join(sim == null ? Future.succeededFuture() : sim.close(),
            receiver == null ? Future.succeededFuture() : receiver.close())
        .onComplete(ar -> {
          http.close();
          ctx.completeNow();
        });
  }

  /** Where a provider's callbacks reach {@code receiver} (apimart: the base, to which it appends /callback). */
  protected String hookUrl(Receiver r, String provider) {
    return provider.equals("apimart") ? r.url("/hook/apimart/") : r.url("/hook/" + provider);
  }

  /** The path the receiver sees for a provider's callbacks. */
  protected static String hookPath(String provider) {
    return provider.equals("apimart") ? "/hook/apimart/callback" : "/hook/" + provider;
  }

  /** A valid submit body for the provider with this prompt and callback URL (null: none). */
  protected static JsonObject body(String provider, String prompt, String callbackUrl) {
    switch (provider) {
      case "heo365-sora2":
        return new JsonObject().put("projectName", "sora2").put("modelName", "sora2_text_to_video")
            .put("prompt", prompt).put("imageUrl", "").put("aspectRatio", "9:16").put("duration", 10)
            .put("callbackUrl", callbackUrl);
      case "runblob-sora":
        return new JsonObject().put("prompt", prompt).put("orientation", "16:9").put("duration", 10)
            .put("callback_url", callbackUrl);
      case "vidgo":
        return new JsonObject().put("model", "sora-2").put("callback_url", callbackUrl)
            .put("input", new JsonObject().put("prompt", prompt).put("duration", 10).put("aspect_ratio", "9:16"));
      case "apimart":
        return new JsonObject().put("model", "sora-2").put("prompt", prompt).put("duration", 10)
            .put("aspect_ratio", "16:9").put("image_urls", new JsonArray()).put("webhook", callbackUrl);
      case "runblob-kling-o3":
        return new JsonObject().put("prompt", prompt).put("duration", "10").put("aspect_ratio", "16:9")
            .put("model", "kling_o3_pro").put("callback_url", callbackUrl);
      default:
        throw new IllegalArgumentException(provider);
    }
  }

  protected static String submitPath(String provider) {
    switch (provider) {
      case "heo365-sora2":
        return "/api/v1/tasks";
      case "runblob-sora":
        return "/v1/sora/generate";
      case "vidgo":
        return "/api/generate/submit";
      case "apimart":
        return "/v1/videos/generations";
      default:
        return "/v1/kling/o3-video/generate";
    }
  }

  protected static String statusPath(String provider, String taskId) {
    switch (provider) {
      case "heo365-sora2":
        return "/api/v1/tasks/" + taskId;
      case "runblob-sora":
        return "/v1/sora/generations/" + taskId + "/";
      case "vidgo":
        return "/api/generate/status/" + taskId;
      case "apimart":
        return "/v1/tasks/" + taskId;
      default:
        return "/v1/kling/o3-video/generations/" + taskId;
    }
  }

  /** The task id in a provider's submit answer. */
  protected static String taskId(String provider, JsonObject submitAnswer) {
    switch (provider) {
      case "heo365-sora2":
        return submitAnswer.getJsonObject("data").getString("taskId");
      case "vidgo":
        return submitAnswer.getJsonObject("data").getString("task_id");
      case "apimart":
        return submitAnswer.getJsonArray("data").getJsonObject(0).getString("task_id");
      default:
        return submitAnswer.getString("generation_id");
    }
  }

  protected Future<HttpResponse<Buffer>> submit(String provider, JsonObject body) {
    return submit(provider, body, sim.apiKey(provider));
  }

  protected Future<HttpResponse<Buffer>> submit(String provider, JsonObject body, String key) {
    var req = http.postAbs(sim.baseUrl(provider) + submitPath(provider)).timeout(5000);
    if (key != null) {
      req.bearerTokenAuthentication(key);
    }
    return req.sendJsonObject(body);
  }

  /** Submits a valid body and returns the new task id (fails unless the answer is 2xx). */
  protected Future<String> submitOk(String provider, String prompt, String callbackUrl) {
    return submit(provider, body(provider, prompt, callbackUrl)).map(r -> {
      if (r.statusCode() / 100 != 2) {
        throw new AssertionError("submit answered " + r.statusCode() + ": " + r.bodyAsString());
      }
      return taskId(provider, r.bodyAsJsonObject());
    });
  }

  protected Future<HttpResponse<Buffer>> status(String provider, String taskId) {
    return http.getAbs(sim.baseUrl(provider) + statusPath(provider, taskId))
        .timeout(5000)
        .bearerTokenAuthentication(sim.apiKey(provider))
        .send();
  }

  protected Future<Void> untilTerminal(String provider, String taskId) {
    return Await.until(vertx, () -> sim.job(provider, taskId).map(SimJob::terminal).orElse(false), 3000,
        provider + " job " + taskId + " terminal");
  }

  protected Future<Void> untilReceived(Receiver r, int count) {
    return Await.until(vertx, () -> r.count() >= count, 5000, count + " callbacks");
  }
}
