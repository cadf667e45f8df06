package io.genorch.simulator;

import io.genorch.simulator.dialect.JobView;
import io.genorch.simulator.dialect.ProviderDialect;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a terminal job's callbacks the way its provider does: POST JSON to the callback URL, retried on a non-2xx
 * answer or no answer at the provider's (scaled) delays, except where the provider stops (apimart after a 4xx).
 * With {@code duplicate=N} the terminal callback is delivered N times, one delivery after the other; with
 * {@code contradict} one more delivery with the opposite outcome follows. Every attempt is recorded.
 */
final class WebhookDispatcher {

  private static final Logger LOG = LoggerFactory.getLogger(WebhookDispatcher.class);
  /** Floor of the (scaled) answer timeout, so a scaled-down timeout never trips on a healthy receiver. */
  static final long MIN_ANSWER_TIMEOUT_MS = 2000;

  private final WebClient client;
  private final SimulatorOptions options;
  private final JobStore store;
  private final Timers timers;

  WebhookDispatcher(WebClient client, SimulatorOptions options, JobStore store, Timers timers) {
    this.client = client;
    this.options = options;
    this.store = store;
    this.timers = timers;
  }

  /** Starts the callbacks of a job that has just become terminal. */
  void onTerminal(JobRecord job) {
    if (job.callbackUrl == null || job.directives.noCallback()) {
      return;
    }
    Long delay = job.directives.callbackDelayMs();
    long realDelay = delay == null ? 0 : options.scale(delay);
    if (realDelay > 0) {
      timers.schedule(realDelay, () -> deliverAll(job));
    } else {
      deliverAll(job);
    }
  }

  private void deliverAll(JobRecord job) {
    ProviderDialect dialect = job.dialect;
    JobView view = job.view();
    int copies = job.directives.duplicate() == null ? 1 : job.directives.duplicate();
    List<JsonObject> bodies = new ArrayList<>();
    for (int i = 0; i < copies; i++) {
      bodies.add(dialect.webhookBody(view));
    }
    if (job.directives.contradict()) {
      bodies.add(dialect.webhookBody(view.contradicted(job.videoUrl, dialect.defaultFailureCode())));
    }
    Future<Void> chain = Future.succeededFuture();
    for (int i = 0; i < bodies.size(); i++) {
      int delivery = i + 1;
      JsonObject body = bodies.get(i);
      boolean contradiction = job.directives.contradict() && i == bodies.size() - 1;
      chain = chain.eventually(() -> deliver(job, body, delivery, contradiction));
    }
  }

  private Future<Void> deliver(JobRecord job, JsonObject body, int delivery, boolean contradiction) {
    Promise<Void> done = Promise.promise();
    attempt(job, body, delivery, contradiction, 1, done);
    return done.future();
  }

  private void attempt(JobRecord job, JsonObject body, int delivery, boolean contradiction, int attempt,
      Promise<Void> done) {
    if (job.epoch != store.epoch()) {
      done.tryComplete();
      return;
    }
    ProviderDialect dialect = job.dialect;
    Instant at = Instant.now();
    long timeout = Math.max(MIN_ANSWER_TIMEOUT_MS, options.scale(dialect.webhookAnswerTimeout()));
    Future<HttpResponse<io.vertx.core.buffer.Buffer>> sent;
    try {
      sent = client.postAbs(job.callbackUrl)
          .timeout(timeout)
          .putHeader("Content-Type", "application/json")
          .putHeader("User-Agent", "genorch-provider-simulator/" + dialect.id())
          .sendBuffer(body.toBuffer());
    } catch (RuntimeException e) {
      sent = Future.failedFuture(e);
    }
    sent.onComplete(ar -> {
      if (job.epoch != store.epoch()) {
        done.tryComplete();
        return;
      }
      Integer status = ar.succeeded() ? ar.result().statusCode() : null;
      String error = ar.failed() ? describe(ar.cause()) : null;
      store.record(new WebhookAttempt(dialect.id(), job.taskId, job.callbackUrl, body.copy(), status, error, at,
          delivery, attempt, contradiction));
      boolean delivered = status != null && status >= 200 && status < 300;
      List<Duration> delays = dialect.webhookRetryDelays();
      boolean retry = !delivered && (status == null || dialect.retriesAfter(status)) && attempt <= delays.size();
      if (retry) {
        LOG.debug("{} callback for {} attempt {} failed ({}); retrying", dialect.id(), job.taskId, attempt,
            status != null ? status : error);
        timers.schedule(options.scale(delays.get(attempt - 1)),
            () -> attempt(job, body, delivery, contradiction, attempt + 1, done));
      } else {
        if (!delivered) {
          LOG.debug("{} callback for {} given up after attempt {} ({})", dialect.id(), job.taskId, attempt,
              status != null ? status : error);
        }
        done.tryComplete();
      }
    });
  }

  private static String describe(Throwable t) {
    String name = t.getClass().getSimpleName();
    return t.getMessage() == null ? name : name + ": " + t.getMessage();
  }
}
