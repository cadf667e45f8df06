package io.genorch.simulator;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.util.List;
import java.util.Optional;

/**
 * The simulator's own control API under {@code /_sim} (no key: loopback only):
 * {@code GET/POST /_sim/faults}, {@code GET /_sim/jobs[?provider=]}, {@code GET /_sim/webhooks[?provider=]},
 * {@code POST /_sim/jobs/{provider}/{taskId}/finish}, {@code GET/POST /_sim/providers/{provider}} (maintenance
 * window, balance, retired models) and {@code POST /_sim/reset}.
 */
final class AdminRoutes {

  private final ProviderSimulator sim;

  AdminRoutes(ProviderSimulator sim) {
    this.sim = sim;
  }

  void mount(Router router) {
    router.get("/_sim/faults").handler(ctx -> json(ctx, 200, sim.faults().toJson()));
    router.post("/_sim/faults").handler(BodyHandler.create(false)).handler(this::setFaults);
    router.get("/_sim/jobs").handler(this::jobs);
    router.get("/_sim/webhooks").handler(this::webhooks);
    router.post("/_sim/jobs/:provider/:taskId/finish").handler(BodyHandler.create(false)).handler(this::finish);
    router.get("/_sim/providers/:provider").handler(this::conditions);
    router.post("/_sim/providers/:provider").handler(BodyHandler.create(false)).handler(this::conditions);
    router.post("/_sim/reset").handler(ctx -> {
      sim.reset();
      ctx.response().setStatusCode(204).end();
    });
  }

  private void setFaults(RoutingContext ctx) {
    JsonObject body;
    try {
      body = ctx.body().isEmpty() ? new JsonObject() : ctx.body().asJsonObject();
      sim.faults().setJson(body);
    } catch (RuntimeException e) {
      json(ctx, 400, new JsonObject().put("error", "invalid faults: " + e.getMessage()));
      return;
    }
    json(ctx, 200, sim.faults().toJson());
  }

  private List<String> providers(RoutingContext ctx) {
    String p = ctx.queryParams().get("provider");
    return p == null ? ProviderSimulator.PROVIDERS : List.of(p);
  }

  private void jobs(RoutingContext ctx) {
    JsonArray data = new JsonArray();
    for (String p : providers(ctx)) {
      if (ProviderSimulator.PROVIDERS.contains(p)) {
        sim.jobs(p).forEach(j -> data.add(j.toJson()));
      }
    }
    json(ctx, 200, new JsonObject().put("data", data));
  }

  private void webhooks(RoutingContext ctx) {
    JsonArray data = new JsonArray();
    for (String p : providers(ctx)) {
      if (ProviderSimulator.PROVIDERS.contains(p)) {
        sim.webhookAttempts(p).forEach(a -> data.add(a.toJson()));
      }
    }
    json(ctx, 200, new JsonObject().put("data", data));
  }

  /** POST {@code {"maintenanceSeconds", "insufficientBalance", "retiredModels"}} changes them; both answer them. */
  private void conditions(RoutingContext ctx) {
    String provider = ctx.pathParam("provider");
    if (!ProviderSimulator.PROVIDERS.contains(provider)) {
      json(ctx, 404, new JsonObject().put("error", "unknown provider"));
      return;
    }
    if (ctx.request().method() == HttpMethod.POST) {
      try {
        sim.applyConditions(provider, ctx.body().isEmpty() ? new JsonObject() : ctx.body().asJsonObject());
      } catch (RuntimeException e) {
        json(ctx, 400, new JsonObject().put("error", "invalid conditions: " + e.getMessage()));
        return;
      }
    }
    json(ctx, 200, sim.conditions(provider));
  }

  private void finish(RoutingContext ctx) {
    String provider = ctx.pathParam("provider");
    String taskId = ctx.pathParam("taskId");
    if (!ProviderSimulator.PROVIDERS.contains(provider) || sim.job(provider, taskId).isEmpty()) {
      json(ctx, 404, new JsonObject().put("error", "no such job"));
      return;
    }
    JsonObject body;
    try {
      body = ctx.body().isEmpty() ? new JsonObject() : ctx.body().asJsonObject();
    } catch (RuntimeException e) {
      json(ctx, 400, new JsonObject().put("error", "invalid body"));
      return;
    }
    sim.finishNow(provider, taskId, body.getBoolean("success", true), body.getString("errorCode"));
    Optional<SimJob> job = sim.job(provider, taskId);
    json(ctx, 200, job.map(SimJob::toJson).orElseGet(JsonObject::new));
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.toBuffer());
  }
}
