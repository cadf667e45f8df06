package io.genorch.simulator;

import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link ProviderSimulator} runs.
 *
 * @param port        TCP port on 127.0.0.1; 0 picks a free one
 * @param timeScale   multiplies every provider time (job run time, callback delays, webhook retry delays and answer
 *                    timeouts): 0.01 turns a 10 s retry delay into 100 ms. Must be &gt; 0.
 * @param jobDuration simulated run time of a job from submit to its terminal state (before scaling)
 * @param apiKey      the bearer key every provider accepts
 * @param adoptUnknownTasks a status call for a task id this simulator never created answers as if that job had
 *                    succeeded (no callback) instead of 404: the demo's simulator keeps its jobs in memory, so after a
 *                    restart the tasks created by the one before would otherwise all be "not found"
 */
public record SimulatorOptions(int port, double timeScale, Duration jobDuration, String apiKey, boolean adoptUnknownTasks) {

  public static final String DEFAULT_API_KEY = "sim-key";
  public static final Duration DEFAULT_JOB_DURATION = Duration.ofSeconds(30);

  public SimulatorOptions {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0..65535: " + port);
    }
    if (!(timeScale > 0) || Double.isInfinite(timeScale)) {
      throw new IllegalArgumentException("timeScale must be > 0: " + timeScale);
    }
    Objects.requireNonNull(jobDuration, "jobDuration");
    if (jobDuration.isNegative()) {
      throw new IllegalArgumentException("jobDuration must not be negative: " + jobDuration);
    }
    if (apiKey == null || apiKey.isBlank()) {
      throw new IllegalArgumentException("apiKey must not be blank");
    }
  }

  /** Random port, real time (scale 1), 30 s jobs, key {@code sim-key}, unknown task ids answered 404. */
  public static SimulatorOptions defaults() {
    return new SimulatorOptions(0, 1.0, DEFAULT_JOB_DURATION, DEFAULT_API_KEY, false);
  }

  public SimulatorOptions withPort(int port) {
    return new SimulatorOptions(port, timeScale, jobDuration, apiKey, adoptUnknownTasks);
  }

  public SimulatorOptions withTimeScale(double timeScale) {
    return new SimulatorOptions(port, timeScale, jobDuration, apiKey, adoptUnknownTasks);
  }

  public SimulatorOptions withJobDuration(Duration jobDuration) {
    return new SimulatorOptions(port, timeScale, jobDuration, apiKey, adoptUnknownTasks);
  }

  public SimulatorOptions withApiKey(String apiKey) {
    return new SimulatorOptions(port, timeScale, jobDuration, apiKey, adoptUnknownTasks);
  }

  public SimulatorOptions withAdoptUnknownTasks(boolean adopt) {
    return new SimulatorOptions(port, timeScale, jobDuration, apiKey, adopt);
  }

  /** Real milliseconds for a simulated duration: {@code round(simulatedMs * timeScale)}, never negative. */
  public long scale(long simulatedMs) {
    return Math.max(0L, Math.round(simulatedMs * timeScale));
  }

  public long scale(Duration simulated) {
    return scale(simulated.toMillis());
  }
}
