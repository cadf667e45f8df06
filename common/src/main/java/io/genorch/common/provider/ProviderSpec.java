package io.genorch.common.provider;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;

/**
 * What the orchestrator knows about one provider's protocol: its defaults, and the timing model the poller derives
 * its schedule from (PROVIDERS.md). Which models it makes, and their durations and aspect ratios, are data: the
 * catalog ({@code io.genorch.common.catalog}); {@code durations} and {@code aspectRatios} here are what its API
 * documents for its default model.
 *
 * @param webhookRetryDelays delays between the provider's first callback attempt and each retry, as documented
 * @param webhookTimeout how long the provider waits for our answer to one callback
 * @param expectedDuration how long a generation usually takes, from submission to the first callback attempt
 * @param maxDuration after this the provider itself no longer finishes the job
 * @param defaultMaxRpm requests a minute (submit and status together) when ORCH_PROVIDER_&lt;ID&gt;_MAX_RPM is unset
 * @param appendsCallbackSegment the provider posts to the URL it was given plus {@code /callback}
 * @param maxPromptLength the provider's documented prompt limit, or the contract's 5000 when it documents none
 * @param defaultBaseUrl the provider's public API when its documents name it, else null (then
 *     ORCH_PROVIDER_&lt;ID&gt;_BASE_URL must be set to enable it)
 */
public record ProviderSpec(
    String id,
    String description,
    String defaultModel,
    List<Integer> durations,
    Integer defaultDuration,
    List<String> aspectRatios,
    List<Duration> webhookRetryDelays,
    Duration webhookTimeout,
    Duration expectedDuration,
    Duration maxDuration,
    int defaultMaxRpm,
    boolean appendsCallbackSegment,
    int maxPromptLength,
    String defaultBaseUrl) {

  /** The contract's own prompt limit (CONTRACT.md section 1). */
  public static final int CONTRACT_MAX_PROMPT = 5000;

  /** From the first callback attempt until the provider gives up: every retry delay plus one answer timeout each. */
  public Duration webhookRetryWindow() {
    Duration total = webhookTimeout;
    for (Duration delay : webhookRetryDelays) {
      total = total.plus(delay).plus(webhookTimeout);
    }
    return total;
  }

  /** Seconds after submission at which a missing callback is overdue, unless configured otherwise. */
  public Duration defaultCallbackGrace() {
    return expectedDuration.plus(webhookRetryWindow());
  }

  /** Seconds after submission at which a generation still running is timed out, unless configured otherwise. */
  public Duration defaultDeadline() {
    return maxDuration.plus(webhookRetryWindow());
  }

  public JsonObject toJson() {
    JsonArray delays = new JsonArray();
    webhookRetryDelays.forEach(d -> delays.add(d.toSeconds()));
    return new JsonObject()
        .put("id", id)
        .put("description", description)
        .put("defaultModel", defaultModel)
        .put("durations", new JsonArray(durations))
        .put("defaultDurationSeconds", defaultDuration)
        .put("aspectRatios", new JsonArray(aspectRatios))
        .put(
            "webhookRetrySchedule",
            new JsonObject()
                .put("attempts", 1 + webhookRetryDelays.size())
                .put("retryDelaysSeconds", delays)
                .put("answerTimeoutSeconds", webhookTimeout.toSeconds())
                .put("windowSeconds", webhookRetryWindow().toSeconds()))
        .put("maxPromptLength", maxPromptLength)
        .put("defaultMaxRpm", defaultMaxRpm)
        .put("expectedDurationSeconds", expectedDuration.toSeconds())
        .put("maxDurationSeconds", maxDuration.toSeconds());
  }
}
