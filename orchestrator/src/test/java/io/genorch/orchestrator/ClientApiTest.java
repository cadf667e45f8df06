package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.bus.Addresses;
import io.genorch.common.testing.Await;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The client API of docs/API.md section 1, driven over real HTTP against a real database. */
class ClientApiTest {

  @RegisterExtension
  static final ServiceUnderTest service = ServiceUnderTest.withoutProviders().emptyDatabaseBeforeEach();

  private static JsonObject validBody() {
    return new JsonObject()
        .put("provider", "runblob-sora")
        .put("prompt", "a lighthouse in a storm")
        .put("aspectRatio", "16:9")
        .put("durationSeconds", 15)
        .put("metadata", new JsonObject().put("order", 42));
  }

  private static long storedGenerations() {
    return service.db().count("SELECT count(*) FROM generations");
  }

  private static void assertRefused(ApiClient.Response r, int status, String code, String field) {
    assertEquals(status, r.status(), r.body());
    assertEquals(code, r.error().getString("code"), r.body());
    assertNotNull(r.error().getString("message"));
    assertEquals(field, r.error().getString("field"), r.body());
    assertEquals(0, storedGenerations(), "nothing is stored for a refused request");
  }

  @Test
  void aValidRequestIsStoredAndAnswered202WithLocation() {
    ApiClient.Response r = service.api().createGeneration(validBody());
    assertEquals(202, r.status(), r.body());
    JsonObject g = r.json();
    assertTrue(g.getString("id").startsWith("gen_"));
    assertEquals("/v1/generations/" + g.getString("id"), r.raw().headers().firstValue("Location").orElseThrow());
    assertEquals("queued", g.getString("status"));
    assertEquals("sora-2", g.getString("model"), "the provider's default model");
    assertEquals("16:9", g.getString("aspectRatio"));
    assertEquals(15, g.getInteger("durationSeconds"));
    assertEquals(42, g.getJsonObject("metadata").getInteger("order"));
    assertEquals(1, storedGenerations());

    ApiClient.Response fetched = service.api().get("/v1/generations/" + g.getString("id"));
    assertEquals(200, fetched.status());
    assertEquals(g.getString("prompt"), fetched.json().getString("prompt"));
    assertEquals(g.getString("createdAt"), fetched.json().getString("createdAt"));
  }

  @Test
  void defaultsAreFilledIn() {
    JsonObject g = service.api().createGeneration(new JsonObject().put("provider", "runblob-sora").put("prompt", "x")).json();
    assertEquals("9:16", g.getString("aspectRatio"));
    assertNotNull(g.getInteger("durationSeconds"));
  }

  @Test
  void missingPromptIsRefusedNamingTheField() {
    assertRefused(service.api().createGeneration(validBody().copy().put("prompt", (String) null)), 400, "invalid_request", "prompt");
    assertRefused(service.api().createGeneration(validBody().copy().put("prompt", "")), 400, "invalid_request", "prompt");
    assertRefused(service.api().createGeneration(validBody().copy().put("prompt", "x".repeat(5001))), 400, "invalid_request", "prompt");
  }

  @Test
  void unknownProviderIsRefused() {
    assertRefused(service.api().createGeneration(validBody().copy().put("provider", "midjourney")), 400, "invalid_request", "provider");
  }

  @Test
  void badAspectRatioIsRefused() {
    assertRefused(service.api().createGeneration(validBody().copy().put("aspectRatio", "4:3")), 400, "invalid_request", "aspectRatio");
    assertRefused(service.api().createGeneration(validBody().copy().put("aspectRatio", "1:1")), 400, "invalid_request", "aspectRatio");
  }

  @Test
  void providerSpecificDurationsAreValidated() {
    assertRefused(service.api().createGeneration(validBody().copy().put("durationSeconds", 5)), 400, "invalid_request", "durationSeconds");
    assertRefused(service.api().createGeneration(validBody().copy().put("durationSeconds", "10")), 400, "invalid_request", "durationSeconds");
  }

  @Test
  void otherFieldRulesAreValidated() {
    assertRefused(service.api().createGeneration(validBody().copy().put("imageUrl", "ftp://x/y.png")), 400, "invalid_request", "imageUrl");
    assertRefused(service.api().createGeneration(validBody().copy().put("callbackUrl", "http://127.0.0.1:9000/hook")), 400, "invalid_request", "callbackUrl");
    assertRefused(service.api().createGeneration(validBody().copy().put("callbackUrl", "http://169.254.169.254/latest")), 400, "invalid_request", "callbackUrl");
    assertRefused(service.api().createGeneration(validBody().copy().put("metadata", new JsonObject().put("blob", "y".repeat(5000)))), 400, "invalid_request", "metadata");
    assertRefused(service.api().createGeneration(validBody().copy().put("options", "pro")), 400, "invalid_request", "options");
    assertRefused(service.api().createGeneration(validBody().copy().put("aspect_ratio", "16:9")), 400, "invalid_request", "aspect_ratio");
  }

  @Test
  void wrongContentTypeIs415() {
    assertRefused(service.api().postRaw("/v1/generations", HttpRequest.BodyPublishers.ofString(validBody().encode()),
        "Content-Type", "text/plain"), 415, "unsupported_media_type", null);
  }

  @Test
  void aBodyThatIsNotJsonIs400() {
    assertRefused(service.api().post("/v1/generations", "{not json"), 400, "invalid_request", "body");
    assertRefused(service.api().post("/v1/generations", "[1,2]"), 400, "invalid_request", "body");
  }

  @Test
  void aTwoMebibyteBodyIs413() {
    String big = validBody().copy().put("prompt", "p".repeat(2 * 1024 * 1024)).encode();
    assertRefused(service.api().post("/v1/generations", big), 413, "payload_too_large", null);
  }

  @Test
  void aWrongOrMissingKeyIs401() {
    ApiClient wrong = new ApiClient(service.httpPort(), "not-a-key");
    assertRefused(wrong.createGeneration(validBody()), 401, "unauthorized", null);
    ApiClient none = new ApiClient(service.httpPort(), null);
    assertRefused(none.createGeneration(validBody()), 401, "unauthorized", null);
    assertEquals(401, none.get("/v1/generations").status());
    ApiClient second = new ApiClient(service.httpPort(), "second-key");
    assertEquals(202, second.createGeneration(validBody()).status(), "every key of ORCH_API_KEYS works");
  }

  @Test
  void twentyConcurrentRequestsWithOneIdempotencyKeyCreateOneGeneration() throws Exception {
    List<CompletableFuture<ApiClient.Response>> calls = IntStream.range(0, 20)
        .mapToObj(i -> CompletableFuture.supplyAsync(() -> service.api().createGeneration(validBody(), "Idempotency-Key", "order-42")))
        .toList();
    List<ApiClient.Response> responses = calls.stream().map(CompletableFuture::join).toList();
    assertEquals(1, storedGenerations());
    String id = responses.get(0).json().getString("id");
    responses.forEach(r -> {
      assertTrue(r.status() == 202 || r.status() == 200, r.body());
      assertEquals(id, r.json().getString("id"));
    });
    assertEquals(1, responses.stream().filter(r -> r.status() == 202).count(), "exactly one request created it");
  }

  @Test
  void concurrentRequestsStoredTogetherAreEachAnsweredAsAlone() throws Exception {
    // 40 requests at once: accepts arriving together are stored in shared transactions, yet each gets its own answer
    List<Callable<ApiClient.Response>> calls = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      String key = "own-" + i;
      calls.add(() -> service.api().createGeneration(validBody().copy().put("prompt", "own " + key), "Idempotency-Key", key));
      calls.add(() -> service.api().createGeneration(validBody(), "Idempotency-Key", "shared"));
      calls.add(() -> service.api().createGeneration(validBody().copy().put("prompt", "other body"), "Idempotency-Key", "shared"));
      calls.add(() -> service.api().createGeneration(validBody().copy().put("durationSeconds", 5)));
    }
    ExecutorService clients = Executors.newFixedThreadPool(calls.size());
    List<ApiClient.Response> responses = new ArrayList<>();
    try {
      for (Future<ApiClient.Response> f : clients.invokeAll(calls)) {
        responses.add(f.get());
      }
    } finally {
      clients.shutdownNow();
    }

    Map<String, List<ApiClient.Response>> byKind = new HashMap<>();
    for (int i = 0; i < responses.size(); i++) {
      byKind.computeIfAbsent(List.of("own", "shared", "other", "invalid").get(i % 4), k -> new ArrayList<>())
          .add(responses.get(i));
    }
    byKind.get("own").forEach(r -> assertEquals(202, r.status(), r.body()));
    byKind.get("invalid").forEach(r -> assertEquals("durationSeconds", r.status() == 400 ? r.error().getString("field") : r.body()));
    // whichever body claimed "shared" first owns it: its requests get that one generation, the others 409
    List<ApiClient.Response> shared = new ArrayList<>(byKind.get("shared"));
    shared.addAll(byKind.get("other"));
    List<ApiClient.Response> answeredWithIt = shared.stream().filter(r -> r.status() != 409).toList();
    assertEquals(10, answeredWithIt.size(), "one body's ten requests got the generation, the other's ten 409");
    assertEquals(1, answeredWithIt.stream().filter(r -> r.status() == 202).count(), "exactly one request created it");
    assertEquals(1, answeredWithIt.stream().map(r -> r.json().getString("id")).distinct().count());
    shared.stream().filter(r -> r.status() == 409)
        .forEach(r -> assertEquals("idempotency_conflict", r.error().getString("code")));
    assertEquals(11, storedGenerations());
  }

  @Test
  void metadataAndOptionsAreEchoedBackExactlyAsSent() {
    String metadata = "{\"zeta\":1,\"alpha\":{\"b\":2,\"a\":[3,1]},\"mid\":\"x\"}";
    String options = "{\"mode\":\"pro\",\"keep_original_sound\":true}";
    ApiClient.Response created = service.api().post("/v1/generations", "{\"provider\":\"runblob-kling-o3\",\"prompt\":\"a kite\","
        + "\"options\":" + options + ",\"metadata\":" + metadata + "}");
    assertEquals(202, created.status(), created.body());
    String read = service.api().get("/v1/generations/" + created.json().getString("id")).body();
    for (String body : List.of(created.body(), read)) {
      assertTrue(body.contains("\"metadata\":" + metadata), body);
      assertTrue(body.contains("\"options\":" + options), body);
    }
  }

  @Test
  void theSameBodyWithItsFieldsInAnotherOrderIsTheSameRequest() {
    String body = "{\"provider\":\"vidgo\",\"prompt\":\"a kite\",\"metadata\":{\"a\":1,\"b\":2}}";
    String reordered = "{\"metadata\":{\"b\":2,\"a\":1},\"prompt\":\"a kite\",\"provider\":\"vidgo\"}";
    ApiClient.Response first = service.api().post("/v1/generations", body, "Idempotency-Key", "same-body");
    ApiClient.Response second = service.api().post("/v1/generations", reordered, "Idempotency-Key", "same-body");
    assertEquals(202, first.status(), first.body());
    assertEquals(200, second.status(), second.body());
    assertEquals(first.json().getString("id"), second.json().getString("id"));
  }

  @Test
  void promptLimitsAreTheContractsUnlessTheProviderDocumentsALowerOne() {
    String prompt4500 = "a".repeat(4500);
    // characters, not UTF-16 units: 5000 emoji are 5000 characters
    String emoji5000 = "\uD83C\uDF0A".repeat(5000);
    assertRefused(service.api().createGeneration(new JsonObject().put("provider", "runblob-sora").put("prompt", prompt4500)),
        400, "invalid_request", "prompt");
    assertRefused(service.api().createGeneration(new JsonObject().put("provider", "vidgo").put("prompt", emoji5000 + "x")),
        400, "invalid_request", "prompt");
    assertEquals(202, service.api().createGeneration(new JsonObject().put("provider", "vidgo").put("prompt", prompt4500)).status());
    assertEquals(202, service.api().createGeneration(new JsonObject().put("provider", "vidgo").put("prompt", emoji5000)).status());
  }

  @Test
  void theSameIdempotencyKeyWithAnotherBodyIs409() {
    assertEquals(202, service.api().createGeneration(validBody(), "Idempotency-Key", "k1").status());
    ApiClient.Response conflict = service.api().createGeneration(validBody().copy().put("prompt", "different"), "Idempotency-Key", "k1");
    assertEquals(409, conflict.status());
    assertEquals("idempotency_conflict", conflict.error().getString("code"));
    assertEquals(1, storedGenerations());
    ApiClient.Response tooLong = service.api().createGeneration(validBody(), "Idempotency-Key", "k".repeat(256));
    assertEquals(400, tooLong.status());
    assertEquals("Idempotency-Key", tooLong.error().getString("field"));
  }

  @Test
  void anUnknownGenerationIs404() {
    ApiClient.Response r = service.api().get("/v1/generations/gen_nope");
    assertEquals(404, r.status());
    assertEquals("not_found", r.error().getString("code"));
    assertEquals(404, service.api().get("/v1/generations/gen_nope/events").status());
  }

  @Test
  void listingIsNewestFirstWithCursorAndFilters() {
    for (int i = 0; i < 5; i++) {
      service.api().createGeneration(validBody().copy().put("prompt", "p" + i));
    }
    service.api().createGeneration(new JsonObject().put("provider", "vidgo").put("prompt", "v"));
    JsonObject page1 = service.api().get("/v1/generations?limit=4").json();
    JsonArray data1 = page1.getJsonArray("data");
    assertEquals(4, data1.size());
    assertEquals("v", data1.getJsonObject(0).getString("prompt"), "newest first");
    JsonObject page2 = service.api().get("/v1/generations?limit=4&cursor=" + page1.getString("nextCursor")).json();
    assertEquals(2, page2.getJsonArray("data").size());
    assertNull(page2.getString("nextCursor"));
    assertEquals("p0", page2.getJsonArray("data").getJsonObject(1).getString("prompt"));
    assertEquals(1, service.api().get("/v1/generations?provider=vidgo").json().getJsonArray("data").size());
    assertEquals(6, service.api().get("/v1/generations?status=queued").json().getJsonArray("data").size());
    assertEquals(0, service.api().get("/v1/generations?status=succeeded").json().getJsonArray("data").size());
    assertEquals("status", service.api().get("/v1/generations?status=done").error().getString("field"));
    assertEquals("limit", service.api().get("/v1/generations?limit=201").error().getString("field"));
    assertEquals("cursor", service.api().get("/v1/generations?cursor=zzz").error().getString("field"));
  }

  @Test
  void theTimelineStartsWithAccepted() {
    String id = service.api().createGeneration(validBody()).json().getString("id");
    JsonArray timeline = service.api().get("/v1/generations/" + id + "/events").json().getJsonArray("data");
    assertEquals("accepted", timeline.getJsonObject(0).getString("type"));
    assertNotNull(timeline.getJsonObject(0).getString("at"));
  }

  @Test
  void providersAreListedWithTheirRetrySchedules() {
    JsonArray providers = service.api().get("/v1/providers").json().getJsonArray("data");
    assertEquals(List.of("heo365-sora2", "runblob-sora", "vidgo", "apimart", "runblob-kling-o3"),
        providers.stream().map(p -> ((JsonObject) p).getString("id")).toList());
    JsonObject runblob = providers.getJsonObject(1);
    assertEquals(false, runblob.getBoolean("enabled"), "no API key configured in this test");
    assertEquals(List.of(10, 15), runblob.getJsonArray("durations").getList());
    assertEquals(List.of(30, 60, 120, 240, 480),
        runblob.getJsonObject("webhookRetrySchedule").getJsonArray("retryDelaysSeconds").getList().stream().map(n -> ((Number) n).intValue()).toList());
  }

  @Test
  void lifecycleEventsAreReadableAfterASequenceNumber() {
    assertEquals(0, service.api().get("/v1/events?after=0").json().getJsonArray("data").size());
    assertEquals("after", service.api().get("/v1/events?after=-1").error().getString("field"));
  }

  @Test
  void healthMetricsAndOpenApiNeedNoKey() {
    ApiClient none = new ApiClient(service.httpPort(), null);
    assertEquals(200, none.get("/health/live").status());
    ApiClient.Response ready = none.get("/health/ready");
    assertEquals(200, ready.status(), ready.body());
    ApiClient.Response doc = none.get("/openapi.json");
    assertEquals(200, doc.status());
    assertTrue(doc.json().getString("openapi").startsWith("3."));
  }

  @Test
  void theEventBusSubmitAndGetAnswerLikeHttp() throws Exception {
    var bus = service.vertx().eventBus();
    JsonObject body = validBody().copy().put("idempotencyKey", "bus-1");
    JsonObject created = (JsonObject) Await.result(bus.request(Addresses.SUBMIT, body)).body();
    assertEquals("queued", created.getString("status"));
    JsonObject replay = (JsonObject) Await.result(bus.request(Addresses.SUBMIT, body)).body();
    assertEquals(created.getString("id"), replay.getString("id"));
    JsonObject fetched = (JsonObject) Await.result(bus.request(Addresses.GET, new JsonObject().put("id", created.getString("id")))).body();
    assertEquals(created.getString("id"), fetched.getString("id"));

    assertEquals(400, busFailure(Addresses.SUBMIT, validBody().copy().put("provider", "nope")).failureCode());
    assertEquals(409, busFailure(Addresses.SUBMIT, body.copy().put("prompt", "other")).failureCode());
    assertEquals(404, busFailure(Addresses.GET, new JsonObject().put("id", "gen_missing")).failureCode());
    assertEquals(1, storedGenerations());
  }

  private static ReplyException busFailure(String address, JsonObject body) throws Exception {
    return (ReplyException) Await.failure(service.vertx().eventBus().request(address, body));
  }
}
