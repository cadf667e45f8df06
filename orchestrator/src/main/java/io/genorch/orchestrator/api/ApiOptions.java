package io.genorch.orchestrator.api;

import io.genorch.common.config.OrchConfig;
import io.genorch.common.config.Settings;
import java.util.List;

/**
 * The client API's settings (README configuration table).
 *
 * @param port ORCH_HTTP_PORT (0: any free port)
 * @param apiKeys ORCH_API_KEYS (generated at start when unset)
 * @param metricsEnabled ORCH_METRICS_ENABLED: Vert.x metrics are collected and served on {@code GET /metrics}
 * @param maxRequestsPerSecond ORCH_API_MAX_RPS per API key on this instance; 0 for no limit
 */
public record ApiOptions(int port, List<String> apiKeys, boolean metricsEnabled, int maxRequestsPerSecond) {

  public static ApiOptions from(OrchConfig config) {
    return new ApiOptions(config.httpPort(), config.apiKeys(), config.metricsEnabled(), config.get(Settings.API_MAX_RPS));
  }
}
