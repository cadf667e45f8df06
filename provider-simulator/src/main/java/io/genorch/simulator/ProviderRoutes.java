package io.genorch.simulator;

import io.genorch.simulator.dialect.ProviderDialect;
import io.genorch.simulator.dialect.ProviderError;
import io.genorch.simulator.dialect.SubmitRejected;
import io.genorch.simulator.dialect.Submission;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.util.Locale;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The provider APIs: for each dialect, submit and status under {@code /<providerId>}, plus the result files at
 * {@code /<providerId>/_media/<taskId>.mp4} ({@link SimulatedMedia}).
 */
final class ProviderRoutes {

  private static final Logger LOG = LoggerFactory.getLogger(ProviderRoutes.class);
  private static final long MAX_BODY_BYTES = 1024 * 1024;
  /** {@code submit-error=500-created}: the job is created and the submit still answers 500. */
  private static final String CREATED_SUFFIX = "-created";

  private final SimulatorOptions options;
  private final JobStore store;
  private final JobRunner runner;
  private final SimulatorFaults faults;
  private final ProviderConditions conditions;
  private final Supplier<String> origin;
  private final SimulatedMedia media;

  ProviderRoutes(SimulatorOptions options, JobStore store, JobRunner runner, SimulatorFaults faults,
      ProviderConditions conditions, Supplier<String> origin, SimulatedMedia media) {
    this.conditions = conditions;
    this.media = media;
    this.options = options;
    this.store = store;
    this.runner = runner;
    this.faults = faults;
    this.origin = origin;
  }

  void mount(Router router, ProviderDialect d) {
    String prefix = "/" + d.id();
    router.post(prefix + d.submitPath())
        .handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES))
        .handler(ctx -> submit(ctx, d));
    String statusRegex = Pattern.quote(prefix + d.statusPathPrefix()) + "([^/]+)";
    String suffix = d.statusPathSuffix();
    router.routeWithRegex(HttpMethod.GET, statusRegex + Pattern.quote(suffix))
        .handler(ctx -> status(ctx, d, ctx.pathParam("param0")));
    if (d.redirectsSlashes()) {
      String other = suffix.isEmpty() ? "/" : "";
      router.routeWithRegex(HttpMethod.GET, statusRegex + (other.isEmpty() ? "" : Pattern.quote(other)))
          .handler(ctx -> redirect(ctx, prefix + d.statusPathPrefix() + ctx.pathParam("param0") + suffix));
    }
    router.get(prefix + "/_media/:file").handler(ctx -> media.serve(ctx, d.id(), ctx.pathParam("file")));
  }

  private void submit(RoutingContext ctx, ProviderDialect d) {
    store.countSubmit(d.id());
    if (!authorized(ctx, d)) {
      return;
    }
    JsonObject body = jsonBody(ctx);
    if (body == null) {
      reply(ctx, d, d.invalidJson());
      return;
    }
    // the provider as a whole first: in maintenance, out of credit, or no longer serving the model
    if (conditions.inMaintenance(d.id())) {
      reply(ctx, d, d.maintenance());
      return;
    }
    if (conditions.outOfBalance(d.id())) {
      reply(ctx, d, ProviderError.simulated(402));
      return;
    }
    if (conditions.retired(d.id(), d.model(body))) {
      reply(ctx, d, d.modelNotFound(d.model(body)));
      return;
    }
    String prompt = d.prompt(body);
    Directives directives = Directives.parse(prompt).over(faults.current());
    String fault = directives.submitError();
    if (fault != null && store.submitFaultApplies(d.id(), String.valueOf(prompt), directives.submitErrorTimes())) {
      LOG.debug("{} submit fault {}", d.id(), fault);
      switch (fault) {
        case "timeout":
          try {
            Submission s = d.validate(body);
            runner.create(d, body, s, directives, origin.get() + "/" + d.id());
          } catch (SubmitRejected e) {
            // an invalid body under a timeout fault gets no answer and no job
          }
          return; // never answered: the ambiguous case
        case "reset":
          ctx.request().connection().close();
          return;
        default:
          if (fault.endsWith(CREATED_SUFFIX)) {
            // the provider created the job, then failed before answering (e.g. a 5xx from its gateway)
            try {
              runner.create(d, body, d.validate(body), directives, origin.get() + "/" + d.id());
            } catch (SubmitRejected e) {
              // an invalid body gets the error alone
            }
            fault = fault.substring(0, fault.length() - CREATED_SUFFIX.length());
          }
          reply(ctx, d, fault.equals(Directives.MAINTENANCE) ? d.maintenance()
              : fault.equals(Directives.MODEL_NOT_FOUND) ? d.modelNotFound(d.model(body))
              : simulatedError(fault));
          return;
      }
    }
    Submission submission;
    try {
      submission = d.validate(body);
    } catch (SubmitRejected e) {
      reply(ctx, d, e.error());
      return;
    }
    JobRecord job = runner.create(d, body, submission, directives, origin.get() + "/" + d.id());
    ctx.response()
        .setStatusCode(d.submitStatus())
        .putHeader("Content-Type", "application/json")
        .end(d.submitResponse(job.view()).toBuffer());
  }

  private void status(RoutingContext ctx, ProviderDialect d, String taskId) {
    store.countStatus(d.id(), taskId);
    if (!authorized(ctx, d)) {
      return;
    }
    JobRecord job = store.job(d.id(), taskId);
    if (job == null && options.adoptUnknownTasks()) {
      job = runner.adopt(d, taskId, origin.get() + "/" + d.id());
    }
    if (job == null) {
      reply(ctx, d, d.taskNotFound());
      return;
    }
    // call knobs: the job's own prompt directives over the global faults of this moment (not of its creation)
    Directives directives = Directives.parse(job.prompt).over(faults.current());
    if (directives.status404()) {
      reply(ctx, d, d.taskNotFound());
      return;
    }
    String fault = directives.statusError();
    if (fault != null) {
      switch (fault) {
        case "timeout":
          return; // never answered
        case "reset":
          ctx.request().connection().close();
          return;
        default:
          reply(ctx, d, simulatedError(fault));
          return;
      }
    }
    ctx.response()
        .putHeader("Content-Type", "application/json")
        .end(d.statusResponse(job.view()).toBuffer());
  }

  private void redirect(RoutingContext ctx, String path) {
    String query = ctx.request().query();
    ctx.response()
        .setStatusCode(307)
        .putHeader("Location", origin.get() + path + (query == null ? "" : "?" + query))
        .end();
  }

  private boolean authorized(RoutingContext ctx, ProviderDialect d) {
    String header = ctx.request().getHeader("Authorization");
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
        && header.substring(7).trim().equals(options.apiKey())) {
      return true;
    }
    reply(ctx, d, d.unauthorized(header == null || header.isBlank()));
    return false;
  }

  private static JsonObject jsonBody(RoutingContext ctx) {
    try {
      return ctx.body().isEmpty() ? null : ctx.body().asJsonObject();
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static ProviderError simulatedError(String fault) {
    int status;
    try {
      status = Integer.parseInt(fault.trim().toLowerCase(Locale.ROOT));
    } catch (NumberFormatException e) {
      LOG.warn("unknown simulated error '{}': answering 500", fault);
      status = 500;
    }
    if (status < 400 || status > 599) {
      status = 500;
    }
    return ProviderError.simulated(status);
  }

  private static void reply(RoutingContext ctx, ProviderDialect d, ProviderError e) {
    var response = ctx.response().setStatusCode(e.status()).putHeader("Content-Type", "application/json");
    if (e.status() == 429) {
      response.putHeader("Retry-After", "1");
    }
    if (e.status() == 401) {
      response.putHeader("WWW-Authenticate", "Bearer");
    }
    response.end(d.errorBody(e).toBuffer());
  }
}
