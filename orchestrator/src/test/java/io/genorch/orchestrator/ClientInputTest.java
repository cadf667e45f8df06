package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.bus.Addresses;
import io.genorch.common.testing.Await;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Input PostgreSQL cannot store as sent (NUL, lone surrogates), bytes that are not UTF-8, ambiguous JSON and
 * malformed requests are the caller's fault: a 4xx in the contract's error shape on both ports, nothing stored,
 * and nothing logged at ERROR or with a stack trace.
 */
class ClientInputTest {

  @RegisterExtension
  static final ServiceUnderTest service = ServiceUnderTest.withoutProviders().emptyDatabaseBeforeEach();

  private static final String AUTH = "Authorization: Bearer " + TestOrchestrators.API_KEY;

  private LogCapture logs;

  @BeforeEach
  void captureLogs() {
    logs = new LogCapture();
  }

  @AfterEach
  void nothingLoggedAtErrorForClientMistakes() {
    try {
      assertEquals(java.util.List.of(), logs.errorsOrStackTraces(), "a client's bad request is not a fault of ours");
    } finally {
      logs.close();
    }
  }

  /** A body whose prompt is given as raw JSON text (escapes as written). */
  private static String bodyWithPrompt(String rawJsonString) {
    return "{\"provider\":\"runblob-sora\",\"prompt\":" + rawJsonString + ",\"durationSeconds\":15}";
  }

  private static void assertError(int status, String code, String field, int actualStatus, JsonObject error, String body) {
    assertEquals(status, actualStatus, body);
    assertEquals(code, error.getString("code"), body);
    assertNotNull(error.getString("message"), body);
    assertEquals(field, error.getString("field"), body);
  }

  private static void assertRefused(ApiClient.Response r, int status, String code, String field) {
    assertError(status, code, field, r.status(), r.error(), r.body());
    assertEquals("application/json", r.raw().headers().firstValue("Content-Type").orElse(""));
    assertEquals(0, service.db().count("SELECT count(*) FROM generations"), "nothing is stored for a refused request");
  }

  private static void assertRefused(RawHttp.Response r, int status, String code, String field) {
    assertTrue(r.isJson(), r.headers());
    assertError(status, code, field, r.status(), r.error(), r.body());
    assertEquals(0, service.db().count("SELECT count(*) FROM generations"), "nothing is stored for a refused request");
  }

  @Test
  void nulAnywhereInTheBodyIs400NamingTheTopLevelField() {
    assertRefused(service.api().post("/v1/generations", bodyWithPrompt("\"a\\u0000b\"")), 400, "invalid_request", "prompt");
    assertRefused(service.api().post("/v1/generations", bodyWithPrompt("\"a\"").replace("}", ",\"metadata\":{\"k\":[\"x\\u0000\"]}}")),
        400, "invalid_request", "metadata");
    assertRefused(service.api().post("/v1/generations", bodyWithPrompt("\"a\"").replace("}", ",\"metadata\":{\"k\\u0000\":1}}")),
        400, "invalid_request", "metadata");
    assertRefused(service.api().post("/v1/generations", bodyWithPrompt("\"a\"").replace("}", ",\"x\\u0000\":1}")),
        400, "invalid_request", "body");
  }

  @Test
  void loneSurrogatesAre400() {
    assertRefused(service.api().post("/v1/generations", bodyWithPrompt("\"a\\ud800b\"")), 400, "invalid_request", "prompt");
    assertRefused(service.api().post("/v1/generations", bodyWithPrompt("\"a\\udc00\"")), 400, "invalid_request", "prompt");
    assertRefused(service.api().post("/v1/generations", bodyWithPrompt("\"a\"").replace("}", ",\"options\":{\"\\ud83d\":1}}")),
        400, "invalid_request", "options");
  }

  @Test
  void pairedSurrogatesAndOtherTextAreKeptExactly() {
    ApiClient.Response r = service.api().post("/v1/generations",
        bodyWithPrompt("\"caf\\u00e9 \\ud83c\\udf0a 海\"").replace("}", ",\"metadata\":{\"k\":\"ü\\ud83d\\ude00\"}}"));
    assertEquals(202, r.status(), r.body());
    assertEquals("café \uD83C\uDF0A 海", r.json().getString("prompt"));
    assertEquals("ü\uD83D\uDE00", r.json().getJsonObject("metadata").getString("k"));
  }

  @Test
  void bytesThatAreNotUtf8Are400() {
    // C0 AF is an overlong '/', ED A0 80 an encoded surrogate, E9 a Latin-1 'é', FF never valid
    for (byte[] bad : new byte[][] {{(byte) 0xC0, (byte) 0xAF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xE9},
        {(byte) 0xFF}}) {
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      body.writeBytes("{\"provider\":\"runblob-sora\",\"durationSeconds\":15,\"prompt\":\"a".getBytes(StandardCharsets.UTF_8));
      body.writeBytes(bad);
      body.writeBytes("b\"}".getBytes(StandardCharsets.UTF_8));
      assertRefused(RawHttp.postJson(service.httpPort(), "/v1/generations", body.toByteArray(), AUTH), 400, "invalid_request", "body");
    }
  }

  @Test
  void duplicateKeysAre400NamingTheTopLevelField() {
    assertRefused(service.api().post("/v1/generations", bodyWithPrompt("\"a\"").replace("}", ",\"prompt\":\"b\"}")),
        400, "invalid_request", "prompt");
    assertRefused(service.api().post("/v1/generations", bodyWithPrompt("\"a\"").replace("}", ",\"metadata\":{\"k\":1,\"k\":2}}")),
        400, "invalid_request", "metadata");
    assertRefused(service.api().post("/v1/generations",
        bodyWithPrompt("\"a\"").replace("}", ",\"metadata\":{\"list\":[{\"k\":1,\"k\":1}]}}")), 400, "invalid_request", "metadata");
  }

  @Test
  void onlyStandardJsonIsRead() {
    assertRefused(service.api().post("/v1/generations", bodyWithPrompt("\"a\" /* a comment */")), 400, "invalid_request", "body");
    assertRefused(service.api().post("/v1/generations", bodyWithPrompt("\"a\"") + " {}"), 400, "invalid_request", "body");
  }

  @Test
  void anIdempotencyKeyWithNulIsRefused() {
    RawHttp.Response r = RawHttp.postJson(service.httpPort(), "/v1/generations",
        bodyWithPrompt("\"a\"").getBytes(StandardCharsets.UTF_8), AUTH, "Idempotency-Key: a\u0000b");
    assertEquals(400, r.status(), r.body());
    assertTrue(r.isJson(), r.headers());
    assertEquals("invalid_request", r.error().getString("code"));
  }

  @Test
  void aPathIdWithNulOrABadEscapeIsAnswered() {
    assertRefused(RawHttp.get(service.httpPort(), "/v1/generations/%00", AUTH), 404, "not_found", null);
    assertRefused(RawHttp.get(service.httpPort(), "/v1/generations/gen_%00/events", AUTH), 404, "not_found", null);
    assertRefused(RawHttp.get(service.httpPort(), "/v1/generations/%ZZ", AUTH), 400, "invalid_request", "path");
    assertRefused(RawHttp.get(service.httpPort(), "/v1/generations/%ZZ/events", AUTH), 400, "invalid_request", "path");
  }

  @Test
  void queryParametersWithNulOrBadEscapesAre400NamingTheParameter() {
    String nulCursor = Base64.getUrlEncoder().withoutPadding().encodeToString("gen_\u0000".getBytes(StandardCharsets.UTF_8));
    assertRefused(service.api().get("/v1/generations?cursor=" + nulCursor), 400, "invalid_request", "cursor");
    String surrogateCursor = Base64.getUrlEncoder().withoutPadding().encodeToString(
        new byte[] {'g', 'e', 'n', '_', (byte) 0xED, (byte) 0xA0, (byte) 0x80});
    assertRefused(service.api().get("/v1/generations?cursor=" + surrogateCursor), 400, "invalid_request", "cursor");
    assertRefused(RawHttp.get(service.httpPort(), "/v1/generations?status=%00", AUTH), 400, "invalid_request", "status");
    assertRefused(RawHttp.get(service.httpPort(), "/v1/generations?provider=%00", AUTH), 400, "invalid_request", "provider");
    assertRefused(RawHttp.get(service.httpPort(), "/v1/generations?limit=%00", AUTH), 400, "invalid_request", "limit");
    assertRefused(RawHttp.get(service.httpPort(), "/v1/generations?cursor=%ZZ", AUTH), 400, "invalid_request", "query");
    assertRefused(RawHttp.get(service.httpPort(), "/v1/events?after=%ZZ", AUTH), 400, "invalid_request", "query");
  }

  @Test
  void theEventBusSubmitRefusesTheSameInput() throws Exception {
    JsonObject body = new JsonObject().put("provider", "runblob-sora").put("durationSeconds", 15);
    assertEquals(400, busFailure(Addresses.SUBMIT, body.copy().put("prompt", "a\u0000b")).failureCode());
    assertEquals(400, busFailure(Addresses.SUBMIT, body.copy().put("prompt", "a\uD800b")).failureCode());
    assertEquals(400, busFailure(Addresses.SUBMIT,
        body.copy().put("prompt", "a").put("metadata", new JsonObject().put("k\u0000", 1))).failureCode());
    assertEquals(400, busFailure(Addresses.SUBMIT, body.copy().put("prompt", "a").put("idempotencyKey", "k\u0000")).failureCode());
    assertEquals(404, busFailure(Addresses.GET, new JsonObject().put("id", "gen_\u0000")).failureCode());
    assertEquals(0, service.db().count("SELECT count(*) FROM generations"));
  }

  @Test
  void protocolErrorsOnTheApiPortHaveTheErrorBody() {
    assertRefused(RawHttp.get(service.httpPort(), "/nowhere", AUTH), 404, "not_found", null);
    assertRefused(RawHttp.exchange(service.httpPort(), RawHttp.head("DELETE", "/v1/generations", AUTH).getBytes(StandardCharsets.US_ASCII)),
        405, "method_not_allowed", null);
    assertRefused(RawHttp.exchange(service.httpPort(), "NOT A REQUEST\r\n\r\n".getBytes(StandardCharsets.US_ASCII)),
        400, "invalid_request", null);
    assertRefused(RawHttp.exchange(service.httpPort(), "GET /v1/providers HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"
        .getBytes(StandardCharsets.US_ASCII)), 400, "invalid_request", null);
    assertRefused(RawHttp.get(service.httpPort(), "/v1/generations/" + "x".repeat(10_000), AUTH), 414, "uri_too_long", null);
    assertRefused(RawHttp.get(service.httpPort(), "/v1/providers", AUTH, "X-Big: " + "x".repeat(10_000)), 431, "headers_too_large", null);
  }

  @Test
  void protocolErrorsOnTheWebhookPortHaveTheErrorBody() {
    assertRefused(RawHttp.get(service.webhookPort(), "/nowhere"), 404, "not_found", null);
    assertRefused(RawHttp.get(service.webhookPort(), "/webhooks/runblob-sora/token"), 405, "method_not_allowed", null);
    assertRefused(RawHttp.postJson(service.webhookPort(), "/webhooks/runblob-sora/%ZZ", "{}".getBytes(StandardCharsets.UTF_8)),
        400, "invalid_request", null);
    assertRefused(RawHttp.postJson(service.webhookPort(), "/webhooks/%ZZ/token", "{}".getBytes(StandardCharsets.UTF_8)),
        400, "invalid_request", null);
    assertRefused(RawHttp.exchange(service.webhookPort(), "NOT A REQUEST\r\n\r\n".getBytes(StandardCharsets.US_ASCII)),
        400, "invalid_request", null);
    assertRefused(RawHttp.get(service.webhookPort(), "/webhooks/" + "x".repeat(10_000)), 414, "uri_too_long", null);
    assertRefused(RawHttp.get(service.webhookPort(), "/webhooks/a/b", "X-Big: " + "x".repeat(10_000)), 431, "headers_too_large", null);
  }

  private static ReplyException busFailure(String address, JsonObject body) throws Exception {
    return (ReplyException) Await.failure(service.vertx().eventBus().request(address, body));
  }
}
