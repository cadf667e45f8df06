package io.genorch.simulator;

import io.genorch.simulator.dialect.JobView;
import io.genorch.simulator.dialect.Phase;
import io.genorch.simulator.dialect.ProviderDialect;
import io.vertx.core.json.JsonObject;

import java.time.Instant;

/**
 * The live state of one simulated job. Pending for the first fifth of its (scaled) run time, then processing with
 * progress rising towards 99, then terminal when its timer fires or {@code finishNow} is called. Thread-safe.
 */
final class JobRecord {

  /** Share of the run time spent in the provider's "pending" word before "processing". */
  private static final double PENDING_SHARE = 0.2;

  final ProviderDialect dialect;
  final String taskId;
  final JsonObject request;
  final String prompt;
  final String callbackUrl;
  final Directives directives;
  final Instant createdAt;
  final long simulatedDurationMs;
  final String videoUrl;
  final long epoch;
  private final long createdNanos;
  private final long realDurationMs;

  private Phase terminal;
  private String errorCode;
  private Instant completedAt;
  private int finalProgress;
  private long timerId = -1;

  JobRecord(ProviderDialect dialect, String taskId, JsonObject request, String prompt, String callbackUrl,
      Directives directives, long simulatedDurationMs, long realDurationMs, String videoUrl, long epoch) {
    this.dialect = dialect;
    this.taskId = taskId;
    this.request = request.copy();
    this.prompt = prompt;
    this.callbackUrl = callbackUrl;
    this.directives = directives;
    this.simulatedDurationMs = simulatedDurationMs;
    this.realDurationMs = realDurationMs;
    this.videoUrl = videoUrl;
    this.epoch = epoch;
    this.createdAt = Instant.now();
    this.createdNanos = System.nanoTime();
  }

  synchronized void timerId(long id) {
    this.timerId = id;
  }

  synchronized long timerId() {
    return timerId;
  }

  synchronized boolean terminal() {
    return terminal != null;
  }

  /** Makes the job terminal; false when it already was. */
  synchronized boolean complete(boolean success, String code) {
    if (terminal != null) {
      return false;
    }
    finalProgress = success ? 100 : runningProgress();
    terminal = success ? Phase.SUCCEEDED : Phase.FAILED;
    errorCode = success ? null
        : code == null || code.isBlank() ? dialect.defaultFailureCode()
        : code.equalsIgnoreCase(Directives.RETRYABLE) ? dialect.retryableFailureCode()
        : code;
    completedAt = Instant.now();
    return true;
  }

  private long elapsedMs() {
    return (System.nanoTime() - createdNanos) / 1_000_000L;
  }

  private long pendingMs() {
    return Math.round(realDurationMs * PENDING_SHARE);
  }

  private int runningProgress() {
    long elapsed = elapsedMs();
    long pending = pendingMs();
    if (elapsed < pending) {
      return 0;
    }
    long span = realDurationMs - pending;
    if (span <= 0) {
      return 99;
    }
    return (int) Math.min(99, (elapsed - pending) * 100 / span);
  }

  /** The job as it is now. */
  synchronized JobView view() {
    Phase phase;
    int progress;
    if (terminal != null) {
      phase = terminal;
      progress = finalProgress;
    } else {
      phase = elapsedMs() < pendingMs() ? Phase.PENDING : Phase.PROCESSING;
      progress = runningProgress();
    }
    return new JobView(taskId, request.copy(), prompt, phase, progress, errorCode,
        phase == Phase.SUCCEEDED ? videoUrl : null, createdAt, completedAt, simulatedDurationMs, directives);
  }

  SimJob snapshot() {
    JobView v = view();
    SimJob.Outcome outcome = v.phase() == Phase.SUCCEEDED ? SimJob.Outcome.SUCCEEDED
        : v.phase() == Phase.FAILED ? SimJob.Outcome.FAILED : null;
    return new SimJob(dialect.id(), taskId, request.copy(), prompt, dialect.statusWord(v.phase()), v.progress(),
        outcome, v.errorCode(), v.resultUrl(), callbackUrl, createdAt, v.completedAt(), directives);
  }
}
