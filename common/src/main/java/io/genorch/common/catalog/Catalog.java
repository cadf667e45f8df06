package io.genorch.common.catalog;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which models exist and which providers make them (CONTRACT.md section 8): data, not code. The built-in default
 * ({@code catalog/default-catalog.json}) covers the seed providers; a file ({@code ORCH_CATALOG_FILE}) replaces
 * models of the same id and adds others. Immutable: a changed file makes a new catalog.
 */
public final class Catalog {

  static final String DEFAULT_RESOURCE = "catalog/default-catalog.json";
  private static final Pattern ASPECT_RATIO = Pattern.compile("[1-9][0-9]?:[1-9][0-9]?");
  private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}");
  private static final int MAX_DURATION = 3600;

  private final Map<String, CatalogModel> models;
  /** Model ids in declaration order (built-in first, then the file's new ones). */
  private final List<String> order;

  private Catalog(Map<String, CatalogModel> models) {
    this.models = Map.copyOf(models);
    this.order = List.copyOf(models.keySet());
  }

  /** The built-in default for the given providers, checked like a file. */
  public static Catalog builtIn(Set<String> knownProviders) {
    try (InputStream in = Catalog.class.getClassLoader().getResourceAsStream(DEFAULT_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(DEFAULT_RESOURCE + " is missing from the class path");
      }
      JsonObject json = new JsonObject(Buffer.buffer(in.readAllBytes()));
      Catalog parsed = parse(json, knownProviders);
      parsed.checkReplacements();
      return parsed;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * This catalog with the models of {@code file} replacing those of the same id and added after them.
   *
   * @throws InvalidCatalogException when the file is malformed or a retired model's {@code replacedBy} is unknown
   */
  public Catalog overriddenBy(JsonObject file, Set<String> knownProviders) {
    Catalog fromFile = parse(file, knownProviders);
    Map<String, CatalogModel> merged = new LinkedHashMap<>();
    order.forEach(id -> merged.put(id, models.get(id)));
    fromFile.order.forEach(id -> merged.put(id, fromFile.models.get(id)));
    Catalog result = new Catalog(merged);
    result.checkReplacements();
    return result;
  }

  public Optional<CatalogModel> find(String modelId) {
    return Optional.ofNullable(models.get(modelId));
  }

  /** Every model, built-in ones first, in the order they were declared. */
  public List<CatalogModel> models() {
    return order.stream().map(models::get).toList();
  }

  /** The routes at one provider, with their model, in catalog order. */
  public List<Map.Entry<CatalogModel, CatalogRoute>> routesAt(String provider) {
    List<Map.Entry<CatalogModel, CatalogRoute>> out = new ArrayList<>();
    for (CatalogModel model : models()) {
      model.routes().stream().filter(r -> r.provider().equals(provider)).forEach(r -> out.add(Map.entry(model, r)));
    }
    return out;
  }

  public JsonObject toJson() {
    JsonArray data = new JsonArray();
    models().forEach(m -> data.add(m.toJson()));
    return new JsonObject().put("models", data);
  }

  private void checkReplacements() {
    List<String> problems = new ArrayList<>();
    for (CatalogModel model : models()) {
      if (model.retired() && (model.replacedBy() == null || model.replacedBy().equals(model.id())
          || !models.containsKey(model.replacedBy()))) {
        problems.add("model " + model.id() + " is retired, so replacedBy must name another model of the catalog"
            + (model.replacedBy() == null ? "" : " (" + model.replacedBy() + " is none)"));
      } else if (model.retired() && models.get(model.replacedBy()).retired()) {
        problems.add("model " + model.id() + " is replaced by " + model.replacedBy() + ", which is retired too");
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidCatalogException(problems);
    }
  }

  /** Reads {@code {"models": [...]}}, reporting every problem at once; replacements are checked after merging. */
  static Catalog parse(JsonObject json, Set<String> knownProviders) {
    List<String> problems = new ArrayList<>();
    Map<String, CatalogModel> models = new LinkedHashMap<>();
    if (!(json.getValue("models") instanceof JsonArray entries)) {
      throw new InvalidCatalogException(List.of("the catalog needs a \"models\" array"));
    }
    for (int i = 0; i < entries.size(); i++) {
      String where = "models[" + i + "]";
      if (!(entries.getValue(i) instanceof JsonObject entry)) {
        problems.add(where + " must be an object");
        continue;
      }
      CatalogModel model = model(where, entry, knownProviders, problems);
      if (model != null && models.putIfAbsent(model.id(), model) != null) {
        problems.add(where + ": model " + model.id() + " appears twice");
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidCatalogException(problems);
    }
    return new Catalog(models);
  }

  private static CatalogModel model(String where, JsonObject entry, Set<String> knownProviders, List<String> problems) {
    int before = problems.size();
    String id = text(entry, "id", where, problems);
    if (id != null) {
      where = "model " + id;
    }
    boolean retired = flag(entry, "retired", false, where, problems);
    Object replacedBy = entry.getValue("replacedBy");
    if (replacedBy != null && !(replacedBy instanceof String)) {
      problems.add(where + ": replacedBy must be a model id or null");
    }
    List<CatalogRoute> routes = new ArrayList<>();
    Object routeValue = entry.getValue("routes", new JsonArray());
    if (!(routeValue instanceof JsonArray routeEntries)) {
      problems.add(where + ": routes must be an array");
    } else {
      if (routeEntries.isEmpty() && !retired) {
        problems.add(where + ": routes is empty (a model nobody makes must be retired, with replacedBy)");
      }
      Set<String> providers = new HashSet<>();
      for (int r = 0; r < routeEntries.size(); r++) {
        String routeWhere = where + " routes[" + r + "]";
        if (!(routeEntries.getValue(r) instanceof JsonObject routeEntry)) {
          problems.add(routeWhere + " must be an object");
          continue;
        }
        CatalogRoute route = route(routeWhere, routeEntry, knownProviders, problems);
        if (route != null && !providers.add(route.provider())) {
          problems.add(routeWhere + ": a second route at " + route.provider());
        }
        if (route != null) {
          routes.add(route);
        }
      }
    }
    return problems.size() > before ? null : new CatalogModel(id, retired, (String) replacedBy, routes);
  }

  private static CatalogRoute route(String where, JsonObject entry, Set<String> knownProviders, List<String> problems) {
    int before = problems.size();
    String provider = text(entry, "provider", where, problems);
    if (provider != null && !knownProviders.contains(provider)) {
      problems.add(where + ": unknown provider " + provider + "; known: " + String.join(", ", knownProviders));
    }
    String providerModel = text(entry, "providerModel", where, problems);
    Object priority = entry.getValue("priority");
    if (!(priority instanceof Integer || priority instanceof Long) || ((Number) priority).longValue() < 1
        || ((Number) priority).longValue() > 1000) {
      problems.add(where + ": priority must be a whole number from 1 (tried first) to 1000");
    }
    BigDecimal price = null;
    if (entry.getValue("pricePerSecond") instanceof Number n && new BigDecimal(n.toString()).signum() >= 0) {
      price = new BigDecimal(n.toString());
    } else {
      problems.add(where + ": pricePerSecond must be a number, 0 or more");
    }
    String currency = text(entry, "currency", where, problems);
    if (currency != null && !CURRENCY.matcher(currency).matches()) {
      problems.add(where + ": currency must be a three-letter code such as USD");
    }
    List<Integer> durations = new ArrayList<>();
    if (entry.getValue("durations") instanceof JsonArray values && !values.isEmpty()) {
      for (Object value : values) {
        if ((value instanceof Integer || value instanceof Long) && ((Number) value).longValue() >= 1
            && ((Number) value).longValue() <= MAX_DURATION && !durations.contains(((Number) value).intValue())) {
          durations.add(((Number) value).intValue());
        } else {
          problems.add(where + ": durations must hold distinct whole seconds from 1 to " + MAX_DURATION + ", not " + value);
        }
      }
    } else {
      problems.add(where + ": durations must be a non-empty array of seconds");
    }
    List<String> ratios = new ArrayList<>();
    if (entry.getValue("aspectRatios") instanceof JsonArray values && !values.isEmpty()) {
      for (Object value : values) {
        if (value instanceof String s && ASPECT_RATIO.matcher(s).matches() && !ratios.contains(s)) {
          ratios.add(s);
        } else {
          problems.add(where + ": aspectRatios must hold distinct ratios such as \"9:16\", not " + value);
        }
      }
    } else {
      problems.add(where + ": aspectRatios must be a non-empty array such as [\"9:16\", \"16:9\"]");
    }
    boolean imageInput = flag(entry, "imageInput", true, where, problems);
    if (problems.size() > before) {
      return null;
    }
    return new CatalogRoute(provider, providerModel, ((Number) priority).intValue(), price, currency, durations, ratios,
        imageInput);
  }

  private static String text(JsonObject entry, String field, String where, List<String> problems) {
    if (entry.getValue(field) instanceof String s && !s.isBlank()) {
      return s;
    }
    problems.add(where + ": " + field + " must be a non-empty string");
    return null;
  }

  private static boolean flag(JsonObject entry, String field, boolean fallback, String where, List<String> problems) {
    Object value = entry.getValue(field);
    if (value == null) {
      return fallback;
    }
    if (value instanceof Boolean b) {
      return b;
    }
    problems.add(where + ": " + field + " must be true or false");
    return fallback;
  }
}
