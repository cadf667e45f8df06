package io.genorch.orchestrator.api;

import io.genorch.common.domain.FieldError;
import io.genorch.common.domain.GenerationRequest;
import io.genorch.common.provider.ProviderAdapter;
import io.genorch.common.provider.ProviderSpec;
import io.genorch.common.provider.Providers;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Turns a POST /v1/generations body into a {@link GenerationRequest}, or refuses it naming the field at fault.
 * Generic rules are here; provider-specific ones are asked of the provider's adapter.
 */
public final class RequestValidator {

  static final int MAX_PROMPT = ProviderSpec.CONTRACT_MAX_PROMPT;
  static final int MAX_METADATA_BYTES = 4096;
  static final int MAX_URL = 2048;
  static final String DEFAULT_ASPECT_RATIO = "9:16";
  static final List<String> GENERIC_ASPECT_RATIOS = List.of("9:16", "16:9");
  private static final Set<String> FIELDS = Set.of(
      "provider", "model", "prompt", "imageUrl", "aspectRatio", "durationSeconds", "options", "callbackUrl", "metadata");

  private final Providers providers;

  public RequestValidator(Providers providers) {
    this.providers = providers;
  }

  /** @param extraFields fields the transport adds to the body (the event bus's idempotencyKey) */
  public GenerationRequest validate(JsonObject body, Set<String> extraFields) {
    ClientJson.requireStorable(body);
    for (String name : body.fieldNames()) {
      if (!FIELDS.contains(name) && !extraFields.contains(name)) {
        throw ApiException.invalid(name, "unknown field '" + name + "'");
      }
    }
    String providerId = requiredString(body, "provider");
    ProviderAdapter adapter = providers.find(providerId).orElseThrow(() -> ApiException.invalid(
        "provider", "unknown provider '" + providerId + "'; known: " + String.join(", ", providers.ids())));
    String model = optionalString(body, "model");
    String prompt = requiredString(body, "prompt");
    // counted in characters (code points), not UTF-16 units; a prompt of only whitespace asks for nothing
    if (prompt.isBlank() || prompt.codePointCount(0, prompt.length()) > MAX_PROMPT) {
      throw ApiException.invalid("prompt", "prompt must have 1 to " + MAX_PROMPT + " characters");
    }
    String imageUrl = optionalString(body, "imageUrl");
    if (imageUrl != null) {
      requireHttpUrl("imageUrl", imageUrl);
    }
    String aspectRatio = Optional.ofNullable(optionalString(body, "aspectRatio")).orElse(DEFAULT_ASPECT_RATIO);
    List<String> ratios = adapter.spec().aspectRatios().isEmpty() ? GENERIC_ASPECT_RATIOS : adapter.spec().aspectRatios();
    if (!ratios.contains(aspectRatio)) {
      throw ApiException.invalid("aspectRatio", "aspectRatio must be one of " + String.join(", ", ratios) + " for " + providerId);
    }
    Integer duration = optionalInteger(body, "durationSeconds");
    JsonObject options = optionalObject(body, "options");
    String callbackUrl = optionalString(body, "callbackUrl");
    if (callbackUrl != null) {
      requireHttpUrl("callbackUrl", callbackUrl); // its destination is checked by GenerationService, resolving names
    }
    JsonObject metadata = optionalObject(body, "metadata");
    if (metadata != null && metadata.encode().getBytes(StandardCharsets.UTF_8).length > MAX_METADATA_BYTES) {
      throw ApiException.invalid("metadata", "metadata must be at most 4 KiB when encoded as JSON");
    }
    GenerationRequest request = new GenerationRequest(
        providerId,
        model == null ? adapter.spec().defaultModel() : model,
        prompt,
        imageUrl,
        aspectRatio,
        duration == null ? adapter.spec().defaultDuration() : duration,
        options,
        callbackUrl,
        metadata);
    Optional<FieldError> providerError = adapter.validate(request);
    providerError.ifPresent(e -> {
      throw ApiException.invalid(e.field(), e.message());
    });
    return request;
  }

  private static String requiredString(JsonObject body, String field) {
    String value = optionalString(body, field);
    if (value == null) {
      throw ApiException.invalid(field, field + " is required");
    }
    return value;
  }

  private static String optionalString(JsonObject body, String field) {
    Object value = body.getValue(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof String s)) {
      throw ApiException.invalid(field, field + " must be a string");
    }
    return s;
  }

  private static Integer optionalInteger(JsonObject body, String field) {
    Object value = body.getValue(field);
    if (value == null) {
      return null;
    }
    if (value instanceof Integer || value instanceof Long) {
      long number = ((Number) value).longValue();
      if (number > 0 && number <= 3600) {
        return (int) number;
      }
    }
    throw ApiException.invalid(field, field + " must be a positive whole number of seconds");
  }

  private static JsonObject optionalObject(JsonObject body, String field) {
    Object value = body.getValue(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonObject o)) {
      throw ApiException.invalid(field, field + " must be a JSON object");
    }
    return o;
  }

  private static void requireHttpUrl(String field, String value) {
    try {
      URI uri = new URI(value);
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (value.length() > MAX_URL || !(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
        throw ApiException.invalid(field, field + " must be an absolute http(s) URL of at most " + MAX_URL + " characters");
      }
    } catch (URISyntaxException e) {
      throw ApiException.invalid(field, field + " is not a valid URL");
    }
  }
}
