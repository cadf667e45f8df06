package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.testing.Await;
import io.genorch.common.testing.SimulatedProviders;
import io.genorch.common.testing.TestDatabase;
import io.genorch.simulator.ProviderSimulator;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Outputs kept (docs/API.md section 7) with ORCH_STORAGE=fs, end to end: the simulator serves real bytes at its
 * links, the service copies them, serves them, and keeps them after the link dies; and the faults.
 */
class OutputsKeptTest {

  static final List<String> PROVIDERS = List.of("heo365-sora2", "runblob-sora", "vidgo", "apimart", "runblob-kling-o3");
  static final long MAX_BYTES = 1_000_000;

  private static TestDatabase db;
  private static SimulatedProviders providers;
  private static Orchestrator service;
  private static ApiClient api;
  private static OutputBytes bytes;
  private static Path storageDir;

  @BeforeAll
  static void start() throws IOException {
    db = TestDatabase.create();
    providers = new SimulatedProviders(0.01, Duration.ofSeconds(5));
    storageDir = Files.createTempDirectory("outputs-kept");
    Map<String, String> env = config(db, providers, PROVIDERS);
    env.put("ORCH_STORAGE", "fs");
    env.put("ORCH_STORAGE_DIR", storageDir.toString());
    env.put("ORCH_STORAGE_MAX_BYTES", String.valueOf(MAX_BYTES));
    env.put("ORCH_STORAGE_RETENTION_DAYS", "1");
    env.put("ORCH_STORAGE_LEASE_MS", "1000"); // a copy whose delete failed is taken again a second later
    service = TestOrchestrators.start(env);
    api = new ApiClient(service.httpPort(), TestOrchestrators.API_KEY);
    bytes = new OutputBytes();
  }

  /** The service with every provider on the simulator, its own API base URL, and loopback sources allowed. */
  static Map<String, String> config(TestDatabase db, SimulatedProviders providers, List<String> enabled) {
    Map<String, String> env = TestOrchestrators.baseConfig(db);
    int port = TestOrchestrators.freePort();
    env.put("ORCH_HTTP_PORT", String.valueOf(port));
    env.put("ORCH_PUBLIC_API_BASE_URL", "http://127.0.0.1:" + port);
    env.putAll(providers.enable(enabled.toArray(String[]::new)));
    env.put("ORCH_SUBMIT_SWEEP_MS", "100");
    env.put("ORCH_CALLBACK_SWEEP_MS", "100");
    env.put("ORCH_CALLBACK_ALLOW_PRIVATE", "true"); // the simulator is on loopback
    return env;
  }

  @AfterAll
  static void stop() {
    TestOrchestrators.stop(service);
    providers.close();
    db.close();
  }

  static JsonObject create(ApiClient api, String provider, String prompt) {
    ApiClient.Response created = api.createGeneration(new JsonObject().put("provider", provider).put("prompt", prompt));
    assertEquals(202, created.status(), created.body());
    return created.json();
  }

  /** The generation once it succeeded and every output is kept, or storing one gave up. */
  static JsonObject settled(ApiClient api, String id) {
    return Await.until(id + " succeeded with its outputs settled", Duration.ofSeconds(40),
        () -> api.get("/v1/generations/" + id).json(),
        g -> "succeeded".equals(g.getString("status")) && !g.getJsonArray("outputs").isEmpty()
            && g.getJsonArray("outputs").stream().allMatch(o -> ((JsonObject) o).getString("storedAt") != null)
            || timeline(api, id).stream().anyMatch(e -> e.getJsonObject("detail").getBoolean("gaveUp", false)
                && e.getString("type").equals("output_store_failed")));
  }

  static List<JsonObject> timeline(ApiClient api, String id) {
    JsonArray events = api.get("/v1/generations/" + id + "/events").json().getJsonArray("data");
    return events.stream().map(JsonObject.class::cast).toList();
  }

  static String path(String link) {
    URI uri = URI.create(link);
    return uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
  }

  static String sha256(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void everyProviderSOutputIsKeptServedInRangesAndOutlivesItsLink() {
    long size = 300_000;
    for (String provider : PROVIDERS) {
      JsonObject g = settled(api, create(api, provider, "a fox [sim:expiring-links=3] [sim:output-bytes=" + size + "]")
          .getString("id"));
      String id = g.getString("id");
      JsonObject output = g.getJsonArray("outputs").getJsonObject(0);
      String source = output.getString("sourceUrl");
      String expectedSha = ProviderSimulator.mediaSha256(path(source), size);
      assertEquals(service.components().config().get(io.genorch.common.config.Settings.PUBLIC_API_BASE_URL)
          + "/v1/generations/" + id + "/outputs/0", output.getString("url"), provider);
      assertEquals(expectedSha, output.getString("sha256"), provider);
      assertEquals(size, output.getLong("bytes"), provider);
      assertEquals("video/mp4", output.getString("contentType"), provider);
      assertNull(output.getValue("expiresAt"), provider);

      HttpResponse<byte[]> whole = bytes.get(output.getString("url"), null);
      assertEquals(200, whole.statusCode(), provider);
      assertEquals(expectedSha, sha256(whole.body()), provider);
      assertEquals("\"" + expectedSha + "\"", whole.headers().firstValue("ETag").orElseThrow());
      assertEquals(String.valueOf(size), whole.headers().firstValue("Content-Length").orElseThrow());
      assertEquals("bytes", whole.headers().firstValue("Accept-Ranges").orElseThrow());

      HttpResponse<byte[]> range = bytes.get(output.getString("url"), "bytes=100-199");
      assertEquals(206, range.statusCode(), provider);
      assertEquals("bytes 100-199/" + size, range.headers().firstValue("Content-Range").orElseThrow());
      assertArrayEquals(Arrays.copyOfRange(whole.body(), 100, 200), range.body(), provider);
      HttpResponse<byte[]> suffix = bytes.get(output.getString("url"), "bytes=-10");
      assertEquals(206, suffix.statusCode());
      assertArrayEquals(Arrays.copyOfRange(whole.body(), (int) size - 10, (int) size), suffix.body());
      assertEquals(416, bytes.get(output.getString("url"), "bytes=" + size + "-").statusCode());

      assertTrue(timeline(api, id).stream().anyMatch(e -> e.getString("type").equals("output_stored")
          && e.getJsonObject("detail").getString("sha256").equals(expectedSha)
          && e.getJsonObject("detail").getInteger("index") == 0));
      assertTrue(api.get("/v1/events?after=0&limit=1000").json().getJsonArray("data").stream()
          .map(JsonObject.class::cast).anyMatch(e -> e.getString("type").equals("generation.outputs_stored")
              && e.getJsonObject("generation").getString("id").equals(id)), provider);

      // the provider's link dies (403, as CDNs answer); the kept copy does not
      Await.until(provider + "'s link expired", Duration.ofSeconds(10), () -> bytes.get(source, null).statusCode(),
          status -> status == 403);
      HttpResponse<byte[]> after = bytes.get(output.getString("url"), null);
      assertEquals(200, after.statusCode());
      assertEquals(expectedSha, sha256(after.body()), provider);
    }
  }

  @Test
  void unknownGenerationOrIndexIs404AndAStoredCopyOfNothingIs409() {
    assertEquals(404, api.get("/v1/generations/gen_nope/outputs/0").status());
    JsonObject g = settled(api, create(api, "vidgo", "an owl").getString("id"));
    assertEquals(404, api.get("/v1/generations/" + g.getString("id") + "/outputs/1").status());
    assertEquals(404, api.get("/v1/generations/" + g.getString("id") + "/outputs/x").status());
    assertEquals(401, bytes.getWithoutKey(g.getJsonArray("outputs").getJsonObject(0).getString("url")));
  }

  @Test
  void everyUrlOfApimartUrlArraysIsKeptInOrder() {
    JsonObject g = settled(api, create(api, "apimart", "three takes [sim:output-urls=3] [sim:output-bytes=5000]")
        .getString("id"));
    JsonArray outputs = g.getJsonArray("outputs");
    assertEquals(3, outputs.size());
    for (int i = 0; i < 3; i++) {
      JsonObject output = outputs.getJsonObject(i);
      String source = output.getString("sourceUrl");
      assertEquals(i == 0 ? "" : "?part=" + i, source.contains("?") ? source.substring(source.indexOf('?')) : "");
      HttpResponse<byte[]> kept = bytes.get(output.getString("url"), null);
      assertEquals(ProviderSimulator.mediaSha256(path(source), 5000), sha256(kept.body()), "output " + i);
    }
  }

  private static JsonObject gaveUp(String id) {
    return timeline(api, id).stream().filter(e -> e.getString("type").equals("output_store_failed")
        && e.getJsonObject("detail").getBoolean("gaveUp")).findFirst().orElseThrow().getJsonObject("detail");
  }

  private static void assertKeptOnlyTheSourceLink(JsonObject g) {
    JsonObject output = g.getJsonArray("outputs").getJsonObject(0);
    assertEquals(output.getString("sourceUrl"), output.getString("url"));
    assertNull(output.getValue("storedAt"));
    ApiClient.Response notStored = api.get("/v1/generations/" + g.getString("id") + "/outputs/0");
    assertEquals(409, notStored.status());
    assertEquals("not_stored", notStored.error().getString("code"));
    assertEquals(output.getString("sourceUrl"), notStored.error().getString("sourceUrl"));
    try (Stream<Path> files = Files.walk(storageDir)) {
      assertFalse(files.anyMatch(f -> Files.isRegularFile(f) && f.toString().contains(g.getString("id"))),
          "nothing of it is in the store, not even a partial file");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void anExpiredLinkIsGivenUpAndTheSourceLinkKept() {
    JsonObject g = settled(api, create(api, "apimart", "late [sim:expiring-links]").getString("id"));
    JsonObject detail = gaveUp(g.getString("id"));
    assertEquals(0, detail.getInteger("index"));
    assertEquals("HTTP 403", detail.getString("reason"));
    assertKeptOnlyTheSourceLink(g);
  }

  @Test
  void anHtmlPageIsRefused() {
    JsonObject g = settled(api, create(api, "vidgo", "page [sim:output-fault=html]").getString("id"));
    assertTrue(gaveUp(g.getString("id")).getString("reason").contains("HTML"));
    assertKeptOnlyTheSourceLink(g);
  }

  @Test
  void anOutputOverTheLimitIsRefusedWithoutAPartialFile() {
    JsonObject g = settled(api, create(api, "vidgo", "huge [sim:output-bytes=" + (MAX_BYTES + 1) + "]").getString("id"));
    assertTrue(gaveUp(g.getString("id")).getString("reason").contains("ORCH_STORAGE_MAX_BYTES"));
    assertKeptOnlyTheSourceLink(g);
  }

  @Test
  void aTruncatedBodyIsRetriedAndNeverStoredShort() {
    JsonObject g = settled(api, create(api, "runblob-sora", "cut [sim:output-fault=truncate] [sim:output-bytes=200000]")
        .getString("id"));
    JsonObject output = g.getJsonArray("outputs").getJsonObject(0);
    String link = path(output.getString("sourceUrl"));
    assertEquals(ProviderSimulator.mediaSha256(link, 200_000), output.getString("sha256"));
    assertEquals(200_000, output.getLong("bytes"));
    assertEquals(2, providers.simulator.mediaRequests(link), "cut off once, then whole");
    JsonObject failed = timeline(api, g.getString("id")).stream()
        .filter(e -> e.getString("type").equals("output_store_failed")).findFirst().orElseThrow().getJsonObject("detail");
    assertFalse(failed.getBoolean("gaveUp"));
    assertEquals(1, failed.getInteger("attempt"));
  }

  @Test
  void retentionDeletesOldCopiesAndTheOutputShowsItsSourceAgain() {
    JsonObject g = settled(api, create(api, "vidgo", "short-lived").getString("id"));
    String id = g.getString("id");
    assertNotNull(g.getJsonArray("outputs").getJsonObject(0).getString("storedAt"));
    assertTrue(Files.exists(storageDir.resolve(id).resolve("0")));
    db.execute("UPDATE output_copies SET stored_at = now() - interval '2 days' WHERE generation_id = '" + id + "'");
    JsonObject deleted = Await.until("the old copy deleted", () -> api.get("/v1/generations/" + id).json(),
        x -> x.getJsonArray("outputs").getJsonObject(0).getString("storedAt") == null);
    assertKeptOnlyTheSourceLink(deleted);
    assertTrue(timeline(api, id).stream().anyMatch(e -> e.getString("type").equals("output_deleted")));
  }

  @Test
  void retentionThatCannotDeleteACopyKeepsItShownStoredAndTriesAgain() throws IOException {
    JsonObject g = settled(api, create(api, "vidgo", "hard to delete").getString("id"));
    String id = g.getString("id");
    Path object = storageDir.resolve(id).resolve("0");
    // a directory with a file in it where the object was: deleting it fails, as a store that is down would
    Files.delete(object);
    Path blocker = Files.createDirectories(object).resolve("blocker");
    Files.writeString(blocker, "x");
    String copy = "FROM output_copies WHERE generation_id = '" + id + "'";
    String takenUntil = "SELECT (extract(epoch FROM next_attempt_at) * 1000)::bigint " + copy;
    long before = db.count(takenUntil);
    db.execute("UPDATE output_copies SET stored_at = now() - interval '2 days' WHERE generation_id = '" + id + "'");
    long firstTake = Await.until("retention to take the old copy", () -> db.count(takenUntil), t -> t > before);
    Await.until("the copy taken again after its delete failed", Duration.ofSeconds(10), () -> db.count(takenUntil),
        t -> t > firstTake);
    assertEquals(1, db.count("SELECT count(*) " + copy + " AND status = 'stored'"), "not marked deleted");
    assertNotNull(api.get("/v1/generations/" + id).json().getJsonArray("outputs").getJsonObject(0)
        .getString("storedAt"), "not shown deleted while it is in the store");
    assertFalse(timeline(api, id).stream().anyMatch(e -> e.getString("type").equals("output_deleted")));

    Files.delete(blocker); // the store is back: the next run deletes it
    JsonObject deleted = Await.until("the old copy deleted", () -> api.get("/v1/generations/" + id).json(),
        x -> x.getJsonArray("outputs").getJsonObject(0).getString("storedAt") == null);
    assertKeptOnlyTheSourceLink(deleted);
    assertFalse(Files.exists(object));
    assertEquals(1, db.count("SELECT count(*) " + copy + " AND status = 'deleted'"));
    assertEquals(1, timeline(api, id).stream().filter(e -> e.getString("type").equals("output_deleted")).count());
  }

  @Test
  void aClientCallbackOfASucceededGenerationCarriesTheServiceSLinks() throws IOException {
    List<JsonObject> received = new java.util.concurrent.CopyOnWriteArrayList<>();
    com.sun.net.httpserver.HttpServer receiver =
        com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/hook", exchange -> {
      received.add(new JsonObject(new String(exchange.getRequestBody().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)));
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    });
    receiver.start();
    try {
      ApiClient.Response created = api.createGeneration(new JsonObject().put("provider", "vidgo")
          .put("prompt", "slow to keep [sim:output-fault=slow] [sim:output-bytes=400000]")
          .put("callbackUrl", "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook"));
      String id = created.json().getString("id");
      JsonObject callback = Await.until("the callback", () -> received, r -> !r.isEmpty()).get(0);
      JsonObject output = callback.getJsonObject("generation").getJsonArray("outputs").getJsonObject(0);
      assertEquals("generation.succeeded", callback.getString("type"));
      assertTrue(output.getString("url").endsWith("/v1/generations/" + id + "/outputs/0"), output.encode());
      assertNotNull(output.getString("storedAt"));
      assertEquals(200, bytes.get(output.getString("url"), null).statusCode());
    } finally {
      receiver.stop(0);
    }
  }

  @Test
  void twoInstancesNeverCopyTheSameOutputAtOnce() {
    Map<String, String> env = config(db, providers, PROVIDERS);
    env.put("ORCH_STORAGE", "fs");
    env.put("ORCH_STORAGE_DIR", storageDir.toString());
    // config() gave the second instance its own webhook port with the public URL pointing at it: whichever instance
    // submits a generation, its callback reaches that instance
    Orchestrator second = TestOrchestrators.start(env);
    try {
      List<String> ids = new java.util.ArrayList<>();
      for (int i = 0; i < 8; i++) {
        ids.add(create(api, "runblob-sora", "herd " + i + " [sim:output-fault=slow] [sim:output-bytes=300000]")
            .getString("id"));
      }
      for (String id : ids) {
        JsonObject output = settled(api, id).getJsonArray("outputs").getJsonObject(0);
        assertNotNull(output.getString("storedAt"), id);
        assertEquals(1, providers.simulator.mediaRequests(path(output.getString("sourceUrl"))), id + " copied once");
      }
      assertEquals(1, providers.simulator.maxConcurrentDownloadsOfOneLink());
    } finally {
      TestOrchestrators.stop(second);
    }
  }
}
