package io.genorch.common.config;

import io.genorch.common.net.SourceAllowlist;
import io.genorch.common.provider.ProviderSpec;
import java.time.Duration;

/**
 * One provider's operational settings from {@code ORCH_PROVIDER_<ID>_*} (docs/API.md section 6), with the
 * defaults taken from its {@link ProviderSpec}.
 */
public record ProviderSettings(
    String id,
    String baseUrl,
    String apiKey,
    int maxRpm,
    int maxInFlight,
    boolean confirmWebhooks,
    SourceAllowlist allowedSources,
    Duration callbackGrace,
    Duration deadline) {

  public static final int DEFAULT_MAX_IN_FLIGHT = 16;

  /** A provider is enabled when its API key is set. */
  public boolean enabled() {
    return apiKey != null && !apiKey.isBlank();
  }

  /** {@code runblob-kling-o3} becomes {@code RUNBLOB_KLING_O3}. */
  public static String envId(String providerId) {
    return providerId.toUpperCase(java.util.Locale.ROOT).replace('-', '_');
  }
}
