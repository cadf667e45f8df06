package io.genorch.simulator;

import io.genorch.simulator.dialect.ProviderDialect;
import io.genorch.simulator.dialect.Submission;
import io.vertx.core.json.JsonObject;

/** Creates jobs, runs them to their end on a timer (unless never-finish) and hands them to the webhooks. */
final class JobRunner {

  private final SimulatorOptions options;
  private final JobStore store;
  private final Timers timers;
  private final WebhookDispatcher webhooks;

  JobRunner(SimulatorOptions options, JobStore store, Timers timers, WebhookDispatcher webhooks) {
    this.options = options;
    this.store = store;
    this.timers = timers;
    this.webhooks = webhooks;
  }

  /** Creates and starts a job for an accepted submit. */
  JobRecord create(ProviderDialect dialect, JsonObject body, Submission submission, Directives directives,
      String providerBaseUrl) {
    long simulated = directives.durationMs() != null ? directives.durationMs() : options.jobDuration().toMillis();
    String taskId = dialect.newTaskId();
    JobRecord job = new JobRecord(dialect, taskId, body, submission.prompt(), submission.callbackUrl(), directives,
        simulated, options.scale(simulated), providerBaseUrl + "/_media/" + taskId + ".mp4", store.epoch());
    store.add(job);
    if (!directives.neverFinish()) {
      job.timerId(timers.schedule(options.scale(simulated),
          () -> finish(job, !directives.fail(), directives.failCode())));
    }
    return job;
  }

  /** Ends a job now (no-op when already terminal) and starts its callbacks. */
  boolean finish(JobRecord job, boolean success, String errorCode) {
    timers.cancel(job.timerId());
    if (!job.complete(success, errorCode)) {
      return false;
    }
    if (job.epoch == store.epoch()) {
      webhooks.onTerminal(job);
    }
    return true;
  }
}
