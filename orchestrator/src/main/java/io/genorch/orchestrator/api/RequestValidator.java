package io.genorch.orchestrator.api;

import io.genorch.common.catalog.Catalog;
import io.genorch.common.catalog.CatalogModel;
import io.genorch.common.catalog.CatalogRoute;
import io.genorch.common.config.ProviderSettings;
import io.genorch.common.domain.FieldError;
import io.genorch.common.persistence.ProviderHealth;
import io.genorch.common.domain.GenerationRequest;
import io.genorch.common.provider.ProviderAdapter;
import io.genorch.common.provider.ProviderSpec;
import io.genorch.common.provider.Providers;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Turns a POST /v1/generations body into a {@link GenerationRequest}, or refuses it naming the field at fault.
 * Generic rules are here; the model's limits at a provider come from the catalog route, the protocol's from the
 * provider's adapter. Without a {@code provider}, the service routes: it picks the model's route (docs/API.md
 * section 8).
 */
public final class RequestValidator {

  static final int MAX_PROMPT = ProviderSpec.CONTRACT_MAX_PROMPT;
  static final int MAX_METADATA_BYTES = 4096;
  static final int MAX_URL = 2048;
  static final String DEFAULT_ASPECT_RATIO = "9:16";
  private static final Set<String> FIELDS = Set.of(
      "provider", "providers", "model", "prompt", "imageUrl", "aspectRatio", "durationSeconds", "options", "callbackUrl",
      "metadata");

  private final Providers providers;
  private final Supplier<Catalog> catalog;
  private final Predicate<String> providerEnabled;

  /**
   * @param catalog the catalog in force (it may change between requests)
   * @param providerEnabled whether a provider has its API key (routing skips the others)
   */
  public RequestValidator(Providers providers, Supplier<Catalog> catalog, Predicate<String> providerEnabled) {
    this.providers = providers;
    this.catalog = catalog;
    this.providerEnabled = providerEnabled;
  }

  /**
   * A valid request and, when the service chose the provider, the {@code routed} timeline entry that says how.
   *
   * @param routed null when the client named the provider
   * @param routes when routed: the candidates the generation may fail over to, in routing order, the chosen one
   *     included ({@code [{provider, providerModel}]}): every route whose limits take the request as it was stored
   *     (a route skipped only for its circuit or for being disabled here stays a candidate; that is checked again at
   *     the failover). Null when the client named the provider: it never moves.
   */
  public record Validated(GenerationRequest request, JsonObject routed, JsonArray routes) {

    public Validated(GenerationRequest request, JsonObject routed) {
      this(request, routed, null);
    }
  }

  /**
   * @param extraFields fields the transport adds to the body (the event bus's idempotencyKey)
   * @param circuits the providers' circuits (only needed when the service routes: a provider whose circuit is open
   *     is skipped)
   */
  public Validated validate(JsonObject body, Set<String> extraFields, Map<String, ProviderHealth.Circuit> circuits) {
    ClientJson.requireStorable(body);
    for (String name : body.fieldNames()) {
      if (!FIELDS.contains(name) && !extraFields.contains(name)) {
        throw ApiException.invalid(name, "unknown field '" + name + "'");
      }
    }
    String providerId = optionalString(body, "provider");
    String model = optionalString(body, "model");
    List<String> only = optionalProviders(body);
    if (providerId == null && model == null) {
      throw ApiException.invalid("provider", "provider is required, or model to let the service choose the provider");
    }
    if (providerId != null && only != null) {
      throw ApiException.invalid("providers", "give provider or providers, not both");
    }
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
    GenerationRequest asked = new GenerationRequest(
        providerId, model, prompt, imageUrl, aspectRatio, duration, options, callbackUrl, metadata);
    Catalog current = catalog.get();
    return providerId != null
        ? new Validated(named(current, asked), null)
        : routed(current, asked, only, circuits);
  }

  /** The client named the provider: its route for the model asked (by its own name or the catalog's), as before routing. */
  private GenerationRequest named(Catalog current, GenerationRequest asked) {
    String providerId = asked.provider();
    ProviderAdapter adapter = providers.find(providerId).orElseThrow(() -> ApiException.invalid(
        "provider", "unknown provider '" + providerId + "'; known: " + String.join(", ", providers.ids())));
    String requested = asked.model() == null ? adapter.spec().defaultModel() : asked.model();
    current.find(requested).filter(CatalogModel::retired).ifPresent(RequestValidator::refuseRetired);
    List<Map.Entry<CatalogModel, CatalogRoute>> atProvider = current.routesAt(providerId);
    Map.Entry<CatalogModel, CatalogRoute> match = atProvider.stream()
        .filter(e -> e.getValue().providerModel().equals(requested)).findFirst()
        .or(() -> atProvider.stream().filter(e -> e.getKey().id().equals(requested)).findFirst())
        .orElseThrow(() -> ApiException.invalid("model", "model must be one of "
            + String.join(", ", atProvider.stream().map(e -> e.getValue().providerModel()).distinct().toList())
            + " for " + providerId));
    if (match.getKey().retired()) {
      refuseRetired(match.getKey());
    }
    GenerationRequest request = onRoute(asked, adapter, match.getValue());
    refusal(request, adapter, match.getValue()).ifPresent(e -> {
      throw ApiException.invalid(e.field(), e.message());
    });
    return request;
  }

  /**
   * The client named a model: the first of its routes (by priority, ties by price; or in the order of
   * {@code providers}) whose provider is enabled, whose circuit is not open and whose limits take the request.
   */
  private Validated routed(Catalog current, GenerationRequest asked, List<String> only,
      Map<String, ProviderHealth.Circuit> circuits) {
    CatalogModel model = current.find(asked.model()).orElseThrow(() -> ApiException.invalid("model",
        "unknown model '" + asked.model() + "'; known: "
            + String.join(", ", current.models().stream().filter(m -> !m.retired()).map(CatalogModel::id).toList())));
    if (model.retired()) {
      refuseRetired(model);
    }
    List<CatalogRoute> candidates = model.routes();
    JsonArray considered = new JsonArray();
    if (only != null) {
      candidates = only.stream()
          .flatMap(p -> model.routes().stream().filter(r -> r.provider().equals(p)).findFirst().stream())
          .toList();
      for (String p : only) {
        if (model.routes().stream().noneMatch(r -> r.provider().equals(p))) {
          considered.add(new JsonObject().put("provider", p).put("reason", p + " does not make " + model.id()));
        }
      }
    }
    GenerationRequest chosen = null;
    for (CatalogRoute route : candidates) {
      JsonObject candidate = new JsonObject().put("provider", route.provider())
          .put("providerModel", route.providerModel()).put("priority", route.priority());
      considered.add(candidate);
      if (chosen != null) {
        continue;
      }
      ProviderAdapter adapter = providers.find(route.provider()).orElseThrow();
      ProviderHealth.Circuit circuit = circuits.getOrDefault(route.provider(), ProviderHealth.Circuit.closed(route.provider()));
      GenerationRequest request = onRoute(asked, adapter, route);
      Optional<String> reason;
      if (!providerEnabled.test(route.provider())) {
        reason = Optional.of("disabled (ORCH_PROVIDER_" + ProviderSettings.envId(route.provider()) + "_API_KEY is not set)");
      } else if (circuit.skipped()) {
        reason = Optional.of("circuit open after " + circuit.consecutiveFailures() + " provider-side failures in a row");
      } else {
        reason = refusal(request, adapter, route).map(FieldError::message);
      }
      if (reason.isPresent()) {
        candidate.put("reason", reason.get());
      } else {
        candidate.put("chosen", true);
        chosen = request;
      }
    }
    if (chosen == null) {
      List<String> reasons = considered.stream().map(c -> (JsonObject) c)
          .map(c -> c.getString("provider") + ": " + c.getString("reason")).toList();
      String message = candidates.isEmpty() && considered.isEmpty()
          ? "no route for model " + model.id()
          : "no route can take this request for model " + model.id() + " (" + String.join("; ", reasons) + ")";
      throw new ApiException(400, "no_route", message, "model").with("routes", considered);
    }
    JsonObject routed = new JsonObject().put("model", model.id()).put("provider", chosen.provider())
        .put("providerModel", chosen.model()).put("candidates", considered);
    JsonArray routes = new JsonArray();
    for (CatalogRoute route : candidates) {
      ProviderAdapter adapter = providers.find(route.provider()).orElseThrow();
      GenerationRequest there = new GenerationRequest(route.provider(), route.providerModel(), chosen.prompt(),
          chosen.imageUrl(), chosen.aspectRatio(), chosen.durationSeconds(), chosen.options(), chosen.callbackUrl(),
          chosen.metadata());
      boolean isChosen = route.provider().equals(chosen.provider()) && route.providerModel().equals(chosen.model());
      if (isChosen || refusal(there, adapter, route).isEmpty()) {
        routes.add(new JsonObject().put("provider", route.provider()).put("providerModel", route.providerModel()));
      }
    }
    return new Validated(chosen, routed, routes);
  }

  /** The request as it goes to this route: the provider's model name and, unless asked, its default duration. */
  private static GenerationRequest onRoute(GenerationRequest asked, ProviderAdapter adapter, CatalogRoute route) {
    return new GenerationRequest(route.provider(), route.providerModel(), asked.prompt(), asked.imageUrl(),
        asked.aspectRatio(), asked.durationSeconds() == null ? adapter.spec().defaultDuration() : asked.durationSeconds(),
        asked.options(), asked.callbackUrl(), asked.metadata());
  }

  /** Why the route cannot take the request: its limits in the catalog, then the provider's own protocol checks. */
  private static Optional<FieldError> refusal(GenerationRequest request, ProviderAdapter adapter, CatalogRoute route) {
    return route.refusal(request.durationSeconds(), request.aspectRatio(), request.imageUrl() != null)
        .or(() -> adapter.validate(request));
  }

  private static void refuseRetired(CatalogModel model) {
    throw new ApiException(400, "model_retired", "model " + model.id() + " is retired; use " + model.replacedBy(), "model")
        .with("replacedBy", model.replacedBy());
  }

  /** {@code providers}: distinct known provider ids limiting and ordering the routes; null when absent. */
  private List<String> optionalProviders(JsonObject body) {
    Object value = body.getValue("providers");
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonArray array) || array.isEmpty()) {
      throw ApiException.invalid("providers", "providers must be a non-empty array of provider ids");
    }
    List<String> ids = new ArrayList<>();
    for (Object item : array) {
      if (!(item instanceof String id) || providers.find(id).isEmpty()) {
        throw ApiException.invalid("providers", "unknown provider " + item + " in providers; known: "
            + String.join(", ", providers.ids()));
      }
      if (ids.contains(id)) {
        throw ApiException.invalid("providers", "provider " + id + " appears twice in providers");
      }
      ids.add(id);
    }
    return ids;
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
