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

  /**
   * A job for a task id this simulator never created, taken as one that already succeeded and called back (so it
   * calls back no more): see {@link SimulatorOptions#adoptUnknownTasks()}.
   */
  JobRecord adopt(ProviderDialect dialect, String taskId, String providerBaseUrl) {
    JobRecord job = new JobRecord(dialect, taskId, new JsonObject(), "", null, Directives.NONE.withNoCallback(true),
        0, 0, providerBaseUrl + "/_media/" + taskId + ".mp4", store.epoch());
    job.complete(true, null);
    return store.adopt(job);
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
