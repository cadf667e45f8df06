package io.genorch.common.provider;

import io.genorch.common.domain.FieldError;
import io.genorch.common.domain.GenerationRequest;
import io.vertx.core.json.JsonObject;
import java.util.Optional;

/**
 * One upstream provider: its request format, its answers and its webhook, as pure functions. The HTTP itself
 * (auth, timeouts, transport errors) is done by {@link ProviderClient}, so adapters are tested without a network
 * and a new provider is one new class registered in {@link Providers}.
 */
public interface ProviderAdapter {

  ProviderSpec spec();

  default String id() {
    return spec().id();
  }

  /** Provider-specific checks of a request the API already validated generically; empty when acceptable. */
  Optional<FieldError> validate(GenerationRequest request);

  /** The submit request for a generation; {@code callbackUrl} is the URL the provider must call back. */
  ProviderCall submitCall(GenerationRequest request, String callbackUrl);

  /** Reads the provider's answer to {@link #submitCall}. */
  SubmitResult parseSubmitResponse(ProviderResponse response);

  ProviderCall statusCall(String providerTaskId);

  /** Reads the provider's answer to {@link #statusCall}. */
  StatusResult parseStatusResponse(String providerTaskId, ProviderResponse response);

  /**
   * Reads a webhook body.
   *
   * @throws InvalidPayloadException when the body is not this provider's webhook JSON (no task id, no status)
   */
  ProviderOutcome parseWebhook(JsonObject body);
}
