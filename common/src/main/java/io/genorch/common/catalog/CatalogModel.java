package io.genorch.common.catalog;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Comparator;
import java.util.List;

/** A model clients ask for, and the routes (providers) that make it, in the order they are tried. */
public record CatalogModel(String id, boolean retired, String replacedBy, List<CatalogRoute> routes) {

  /** Ascending priority; ties by price, so the cheaper of two equal routes is tried first. */
  public static final Comparator<CatalogRoute> ORDER =
      Comparator.comparingInt(CatalogRoute::priority).thenComparing(CatalogRoute::pricePerSecond);

  public CatalogModel {
    routes = routes.stream().sorted(ORDER).toList();
  }

  public JsonObject toJson() {
    JsonArray routeJson = new JsonArray();
    routes.forEach(r -> routeJson.add(r.toJson()));
    return new JsonObject().put("id", id).put("retired", retired).put("replacedBy", replacedBy).put("routes", routeJson);
  }
}
