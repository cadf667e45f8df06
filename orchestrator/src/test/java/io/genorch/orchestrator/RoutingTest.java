package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import io.genorch.common.bus.Addresses;
import io.genorch.common.persistence.ProviderHealth;
import io.genorch.common.testing.Await;
import io.genorch.common.testing.SimulatedProviders;
import io.genorch.common.testing.TestDatabase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Routing by model (CONTRACT.md section 8) over real HTTP, a real PostgreSQL and the simulated providers, with a
 * catalog file the service re-reads while it runs. heo365-sora2 is left disabled (no API key).
 */
class RoutingTest {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String RETIRED = "{\"id\": \"sora-1\", \"retired\": true, \"replacedBy\": \"sora-2\"}";
  private static final String DISABLED_ONLY = "{\"id\": \"heo-only\", \"routes\": [{\"provider\": \"heo365-sora2\","
      + " \"providerModel\": \"sora-2\", \"priority\": 1, \"pricePerSecond\": 0.02, \"currency\": \"USD\","
      + " \"durations\": [10], \"aspectRatios\": [\"9:16\"]}]}";

  @TempDir
  static Path dir;
  private static Path catalogFile;
  private static TestDatabase db;
  private static SimulatedProviders providers;
  private static Orchestrator service;
  private static ApiClient api;
  private static ProviderHealth health;

  @BeforeAll
  static void start() throws IOException {
    catalogFile = dir.resolve("catalog.json");
    writeCatalog(RETIRED, DISABLED_ONLY);
    db = TestDatabase.create();
    providers = new SimulatedProviders(0.01, Duration.ofSeconds(1));
    Map<String, String> env = TestOrchestrators.baseConfig(db);
    env.putAll(providers.enable("runblob-sora", "vidgo", "apimart", "runblob-kling-o3"));
    env.put("ORCH_CATALOG_FILE", catalogFile.toString());
    env.put("ORCH_CATALOG_SCAN_MS", "100");
    service = TestOrchestrators.start(env);
    api = new ApiClient(service.httpPort(), TestOrchestrators.API_KEY);
    health = new ProviderHealth(service.components().pool(), 5, Duration.ofSeconds(30));
  }

  @AfterAll
  static void stop() {
    TestOrchestrators.stop(service);
    if (providers != null) {
      providers.close();
    }
    db.close();
  }

  private static void writeCatalog(String... models) throws IOException {
    Files.writeString(catalogFile, "{\"models\": [" + String.join(", ", models) + "]}");
  }

  private static JsonObject sora2(String prompt) {
    return new JsonObject().put("model", "sora-2").put("prompt", prompt);
  }

  private static JsonObject routedEntry(String id) {
    JsonArray events = api.get("/v1/generations/" + id + "/events").json().getJsonArray("data");
    assertEquals("accepted", events.getJsonObject(0).getString("type"));
    assertEquals("routed", events.getJsonObject(1).getString("type"));
    return events.getJsonObject(1).getJsonObject("detail");
  }

  private static JsonObject route(JsonObject models, String model, String provider) {
    return models.getJsonArray("data").stream().map(m -> (JsonObject) m).filter(m -> m.getString("id").equals(model))
        .flatMap(m -> m.getJsonArray("routes").stream().map(r -> (JsonObject) r))
        .filter(r -> r.getString("provider").equals(provider)).findFirst().orElseThrow();
  }

  @Test
  void aModelWithoutProviderGoesToTheFirstEnabledHealthyRouteAndSucceeds() {
    ApiClient.Response created = api.createGeneration(sora2("a fox"));
    assertEquals(202, created.status(), created.body());
    JsonObject generation = created.json();
    assertEquals("runblob-sora", generation.getString("provider"), "priority 1 in the built-in catalog");
    assertEquals("sora-2", generation.getString("model"));
    JsonObject routed = routedEntry(generation.getString("id"));
    assertEquals("sora-2", routed.getString("model"));
    assertEquals("runblob-sora", routed.getString("provider"));
    assertEquals("sora-2", routed.getString("providerModel"));
    assertEquals(List.of("runblob-sora", "vidgo", "apimart", "heo365-sora2"),
        routed.getJsonArray("candidates").stream().map(c -> ((JsonObject) c).getString("provider")).toList());
    Await.until("the routed generation succeeds", WAIT,
        () -> api.get("/v1/generations/" + generation.getString("id")).json().getString("status"), "succeeded"::equals);
  }

  @Test
  void anOpenCircuitIsSkippedAndShown() throws Exception {
    for (int i = 0; i < 5; i++) {
      health.recordFailure("runblob-sora").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    try {
      ApiClient.Response created = api.createGeneration(sora2("a hare"));
      assertEquals(202, created.status(), created.body());
      assertEquals("vidgo", created.json().getString("provider"), "the next route by priority");
      JsonObject skipped = routedEntry(created.json().getString("id")).getJsonArray("candidates").getJsonObject(0);
      assertTrue(skipped.getString("reason").contains("circuit open"), skipped.encode());
      assertEquals("open", route(api.get("/v1/models").json(), "sora-2", "runblob-sora").getString("health"));
      JsonObject provider = api.get("/v1/providers").json().getJsonArray("data").stream().map(p -> (JsonObject) p)
          .filter(p -> p.getString("id").equals("runblob-sora")).findFirst().orElseThrow();
      assertEquals("open", provider.getString("health"));
      assertEquals("open", provider.getJsonObject("circuit").getString("state"));
      ApiClient.Response named = api.createGeneration(sora2("named").put("provider", "runblob-sora"));
      assertEquals("runblob-sora", named.json().getString("provider"), "a named provider is taken as asked");
    } finally {
      health.recordSuccess("runblob-sora").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    assertEquals("ok", route(api.get("/v1/models").json(), "sora-2", "runblob-sora").getString("health"));
  }

  @Test
  void providersLimitsAndOrdersTheCandidates() {
    ApiClient.Response created = api.createGeneration(sora2("a lynx").put("providers", new JsonArray().add("apimart").add("vidgo")));
    assertEquals(202, created.status(), created.body());
    assertEquals("apimart", created.json().getString("provider"));
    assertEquals(List.of("apimart", "vidgo"), routedEntry(created.json().getString("id")).getJsonArray("candidates")
        .stream().map(c -> ((JsonObject) c).getString("provider")).toList());

    ApiClient.Response none = api.createGeneration(sora2("a lynx").put("providers", new JsonArray().add("runblob-kling-o3")));
    assertEquals(400, none.status());
    assertEquals("no_route", none.error().getString("code"));
    assertTrue(none.error().getString("message").contains("runblob-kling-o3 does not make sora-2"), none.body());
    ApiClient.Response unknown = api.createGeneration(sora2("a lynx").put("providers", new JsonArray().add("nope")));
    assertEquals("providers", unknown.error().getString("field"));
  }

  @Test
  void theChosenRoutesLimitsApplyAndEachRefusingRouteSaysWhy() {
    ApiClient.Response kling = api.createGeneration(new JsonObject().put("model", "kling-o3").put("prompt", "p")
        .put("aspectRatio", "1:1").put("durationSeconds", 5));
    assertEquals(202, kling.status(), kling.body());
    assertEquals("runblob-kling-o3", kling.json().getString("provider"));
    assertEquals("kling_o3", kling.json().getString("model"), "stored as the provider's model name");

    ApiClient.Response twentyFive = api.createGeneration(sora2("p").put("durationSeconds", 25));
    assertEquals("apimart", twentyFive.json().getString("provider"), "the first route that offers 25 s");

    ApiClient.Response seven = api.createGeneration(sora2("p").put("durationSeconds", 7));
    assertEquals(400, seven.status());
    JsonObject error = seven.error();
    assertEquals("no_route", error.getString("code"));
    assertEquals("model", error.getString("field"));
    JsonArray routes = error.getJsonArray("routes");
    assertEquals(4, routes.size(), seven.body());
    for (int i = 0; i < 3; i++) {
      assertTrue(routes.getJsonObject(i).getString("reason").contains("durationSeconds must be one of"), seven.body());
    }
    assertTrue(routes.getJsonObject(3).getString("reason").contains("disabled"), seven.body());
  }

  @Test
  void aRetiredModelNamesItsReplacementAndAModelWithoutEnabledRouteHasNone() {
    ApiClient.Response retired = api.createGeneration(new JsonObject().put("model", "sora-1").put("prompt", "p"));
    assertEquals(400, retired.status());
    assertEquals("model_retired", retired.error().getString("code"));
    assertEquals("sora-2", retired.error().getString("replacedBy"));
    assertTrue(retired.error().getString("message").contains("sora-2"));

    ApiClient.Response noRoute = api.createGeneration(new JsonObject().put("model", "heo-only").put("prompt", "p"));
    assertEquals(400, noRoute.status());
    assertEquals("no_route", noRoute.error().getString("code"));
    assertEquals("model", noRoute.error().getString("field"));
    assertTrue(noRoute.error().getString("message").contains("heo365-sora2: disabled"), noRoute.body());

    ApiClient.Response unknown = api.createGeneration(new JsonObject().put("model", "sora-9").put("prompt", "p"));
    assertEquals("invalid_request", unknown.error().getString("code"));
    assertEquals("model", unknown.error().getString("field"));
  }

  @Test
  void theEventBusRoutesToo() throws Exception {
    JsonObject reply = (JsonObject) service.vertx().eventBus().request(Addresses.SUBMIT, sora2("over the bus")
            .put("providers", new JsonArray().add("vidgo")))
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).body();
    assertEquals("vidgo", reply.getString("provider"));
  }

  @Test
  void anEditedCatalogFileIsUsedByTheNextRequestAndABrokenOneKeepsThePrevious() throws Exception {
    String veo = "{\"id\": \"veo-3.1\", \"routes\": [{\"provider\": \"apimart\", \"providerModel\": \"veo3.1\","
        + " \"priority\": 1, \"pricePerSecond\": 0.2, \"currency\": \"USD\", \"durations\": [8],"
        + " \"aspectRatios\": [\"16:9\", \"9:16\"]}]}";
    assertEquals(400, api.createGeneration(new JsonObject().put("model", "veo-3.1").put("prompt", "p")).status());
    writeCatalog(RETIRED, DISABLED_ONLY, veo);
    Await.until("the catalog file is read again", WAIT, () -> api.get("/v1/models").body(), b -> b.contains("veo-3.1"));
    ApiClient.Response veoCreated = api.createGeneration(new JsonObject().put("model", "veo-3.1").put("prompt", "p")
        .put("durationSeconds", 8));
    assertEquals(202, veoCreated.status(), veoCreated.body());
    assertEquals("apimart", veoCreated.json().getString("provider"));
    assertEquals("veo3.1", veoCreated.json().getString("model"));

    try (LogCapture logs = new LogCapture()) {
      Files.writeString(catalogFile, "{\"models\": [");
      Await.until("the broken file is reported", WAIT, logs::events, events -> events.stream().anyMatch(e ->
          e.getLevel() == Level.ERROR && e.getFormattedMessage().contains("could not be read")
              && e.getFormattedMessage().contains("the previous catalog stays in force")));
      writeCatalog(RETIRED, DISABLED_ONLY, veo.replace("apimart", "nowhere"));
      Await.until("the invalid catalog is refused", WAIT, logs::events, events -> events.stream().anyMatch(e ->
          e.getLevel() == Level.ERROR && e.getFormattedMessage().contains("refused")
              && e.getFormattedMessage().contains("unknown provider nowhere")));
    }
    assertEquals("apimart", route(api.get("/v1/models").json(), "veo-3.1", "apimart").getString("provider"),
        "the last good catalog stays in force");
    assertEquals(202, api.createGeneration(new JsonObject().put("model", "veo-3.1").put("prompt", "p")
        .put("durationSeconds", 8)).status());
  }
}
