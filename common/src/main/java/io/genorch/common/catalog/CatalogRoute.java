package io.genorch.common.catalog;

import io.genorch.common.domain.FieldError;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;

/**
 * One provider selling one model: the provider's own name for it, the order in which it is tried ({@code priority},
 * 1 first; ties go to the lower price) and the limits of that provider for that model.
 *
 * @param imageInput whether the route takes an input image (image-to-video)
 */
public record CatalogRoute(
    String provider,
    String providerModel,
    int priority,
    BigDecimal pricePerSecond,
    String currency,
    List<Integer> durations,
    List<String> aspectRatios,
    boolean imageInput) {

  public CatalogRoute {
    durations = List.copyOf(durations);
    aspectRatios = List.copyOf(aspectRatios);
  }

  /**
   * Why this route cannot take a request with these values, or empty when it can. The prompt length is the
   * provider's protocol limit, checked by its adapter.
   */
  public Optional<FieldError> refusal(Integer durationSeconds, String aspectRatio, boolean withImage) {
    if (durationSeconds != null && !durations.contains(durationSeconds)) {
      return Optional.of(new FieldError("durationSeconds",
          "durationSeconds must be one of " + durations + " for " + provider + " model " + providerModel));
    }
    if (!aspectRatios.contains(aspectRatio)) {
      return Optional.of(new FieldError("aspectRatio",
          "aspectRatio must be one of " + String.join(", ", aspectRatios) + " for " + provider));
    }
    if (withImage && !imageInput) {
      return Optional.of(new FieldError("imageUrl", provider + " model " + providerModel + " takes no input image"));
    }
    return Optional.empty();
  }

  /** The file's and {@code GET /v1/models}' shape, without the live {@code enabled} and {@code health}. */
  public JsonObject toJson() {
    return new JsonObject()
        .put("provider", provider)
        .put("providerModel", providerModel)
        .put("priority", priority)
        .put("pricePerSecond", pricePerSecond)
        .put("currency", currency)
        .put("durations", new JsonArray(durations))
        .put("aspectRatios", new JsonArray(aspectRatios))
        .put("imageInput", imageInput);
  }
}
