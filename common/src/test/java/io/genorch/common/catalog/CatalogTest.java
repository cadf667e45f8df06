package io.genorch.common.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.provider.Providers;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CatalogTest {

  private static final Set<String> PROVIDERS = new LinkedHashSet<>(Providers.all().ids());
  private final Catalog builtIn = Catalog.builtIn(PROVIDERS);

  private static JsonObject route(String provider, String providerModel, int priority) {
    return new JsonObject().put("provider", provider).put("providerModel", providerModel).put("priority", priority)
        .put("pricePerSecond", 0.05).put("currency", "USD").put("durations", new JsonArray().add(5).add(10))
        .put("aspectRatios", new JsonArray().add("16:9").add("9:16"));
  }

  private static JsonObject file(JsonObject... models) {
    return new JsonObject().put("models", new JsonArray(List.of((Object[]) models)));
  }

  @Test
  void theBuiltInCatalogSellsSora2AtFourProvidersAndKlingAtOne() {
    CatalogModel sora = builtIn.find("sora-2").orElseThrow();
    assertEquals(Set.of("heo365-sora2", "runblob-sora", "vidgo", "apimart"),
        Set.copyOf(sora.routes().stream().map(CatalogRoute::provider).toList()));
    assertEquals(List.of(1, 2, 3, 4), sora.routes().stream().map(CatalogRoute::priority).toList(), "tried in priority order");
    CatalogRoute kling = builtIn.find("kling-o3").orElseThrow().routes().get(0);
    assertEquals("runblob-kling-o3", kling.provider());
    assertEquals("kling_o3", kling.providerModel());
    for (String provider : PROVIDERS) {
      assertFalse(builtIn.routesAt(provider).isEmpty(), provider + " makes at least one model");
    }
  }

  @Test
  void routeLimitsAreTheProvidersForThatModel() {
    CatalogRoute vidgoPro = builtIn.find("sora-2-pro").orElseThrow().routes().stream()
        .filter(r -> r.provider().equals("vidgo")).findFirst().orElseThrow();
    assertEquals("durationSeconds", vidgoPro.refusal(10, "9:16", false).orElseThrow().field());
    assertTrue(vidgoPro.refusal(25, "9:16", false).isEmpty());
    CatalogRoute vidgo = builtIn.find("sora-2").orElseThrow().routes().stream()
        .filter(r -> r.provider().equals("vidgo")).findFirst().orElseThrow();
    assertEquals("durationSeconds", vidgo.refusal(25, "9:16", false).orElseThrow().field());
    for (CatalogRoute sora : builtIn.find("sora-2").orElseThrow().routes()) {
      assertEquals("durationSeconds", sora.refusal(5, "9:16", false).orElseThrow().field(), sora.provider());
      assertEquals("aspectRatio", sora.refusal(10, "1:1", false).orElseThrow().field(), sora.provider());
    }
  }

  @Test
  void aFileReplacesAModelOfTheSameIdAndAddsOthers() {
    Catalog merged = builtIn.overriddenBy(file(
        new JsonObject().put("id", "kling-o3").put("routes", new JsonArray()
            .add(route("runblob-kling-o3", "kling_o3", 2)).add(route("vidgo", "kling-o3", 1))),
        new JsonObject().put("id", "veo-3.1").put("routes", new JsonArray().add(route("apimart", "veo3.1", 1)))), PROVIDERS);
    assertEquals(List.of("vidgo", "runblob-kling-o3"),
        merged.find("kling-o3").orElseThrow().routes().stream().map(CatalogRoute::provider).toList());
    assertEquals("veo3.1", merged.find("veo-3.1").orElseThrow().routes().get(0).providerModel());
    assertTrue(merged.find("sora-2").isPresent(), "models the file does not name stay");
    assertTrue(builtIn.find("veo-3.1").isEmpty(), "the built-in catalog itself is unchanged");
  }

  @Test
  void tiesInPriorityGoToTheCheaperRoute() {
    JsonObject dear = route("vidgo", "m", 1).put("pricePerSecond", 0.2);
    JsonObject cheap = route("apimart", "m", 1).put("pricePerSecond", 0.1);
    Catalog merged = builtIn.overriddenBy(file(new JsonObject().put("id", "m").put("routes", new JsonArray().add(dear).add(cheap))),
        PROVIDERS);
    assertEquals("apimart", merged.find("m").orElseThrow().routes().get(0).provider());
  }

  @Test
  void aRetiredModelNamesAKnownReplacement() {
    Catalog merged = builtIn.overriddenBy(file(
        new JsonObject().put("id", "sora-2").put("retired", true).put("replacedBy", "sora-2-pro")), PROVIDERS);
    CatalogModel retired = merged.find("sora-2").orElseThrow();
    assertTrue(retired.retired());
    assertEquals("sora-2-pro", retired.replacedBy());

    InvalidCatalogException noReplacement = assertThrows(InvalidCatalogException.class, () -> builtIn.overriddenBy(
        file(new JsonObject().put("id", "sora-2").put("retired", true)), PROVIDERS));
    assertTrue(noReplacement.getMessage().contains("sora-2 is retired"), noReplacement.getMessage());
    InvalidCatalogException unknownReplacement = assertThrows(InvalidCatalogException.class, () -> builtIn.overriddenBy(
        file(new JsonObject().put("id", "sora-2").put("retired", true).put("replacedBy", "sora-9")), PROVIDERS));
    assertTrue(unknownReplacement.getMessage().contains("sora-9 is none"), unknownReplacement.getMessage());
  }

  @Test
  void everyProblemOfABadFileIsNamed() {
    JsonObject badRoute = route("nope", "m", 0).put("durations", new JsonArray().add(0)).put("aspectRatios",
        new JsonArray().add("square")).put("currency", "dollars").put("pricePerSecond", -1);
    InvalidCatalogException e = assertThrows(InvalidCatalogException.class, () -> builtIn.overriddenBy(file(
        new JsonObject().put("id", "m").put("routes", new JsonArray().add(badRoute)),
        new JsonObject().put("id", "empty").put("routes", new JsonArray())), PROVIDERS));
    List<String> expected = List.of("unknown provider nope", "priority", "durations", "aspectRatios", "currency",
        "pricePerSecond", "model empty: routes is empty");
    for (String part : expected) {
      assertTrue(e.getMessage().contains(part), part + " in: " + e.getMessage());
    }
    assertThrows(InvalidCatalogException.class, () -> builtIn.overriddenBy(new JsonObject().put("model", 1), PROVIDERS));
    assertThrows(InvalidCatalogException.class, () -> builtIn.overriddenBy(
        file(new JsonObject().put("id", "m").put("routes", new JsonArray().add(route("vidgo", "a", 1)).add(route("vidgo", "b", 2)))),
        PROVIDERS), "two routes at one provider");
  }
}
