package io.genorch.webhook;

import static io.genorch.webhook.WebhookHarness.seed;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.ServiceContext;
import io.genorch.common.config.OrchConfig;
import io.genorch.common.domain.WebhookTokens;
import io.genorch.common.testing.Await;
import io.genorch.common.testing.TestDatabase;
import io.genorch.webhook.WebhookHarness.Arranged;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The request path: what is answered for what, and what is stored before the 200. */
@ExtendWith(VertxExtension.class)
class WebhookIngestTest {

  private static final String RUNBLOB_TASK = "550e8400-e29b-41d4-a716-446655440000";
  /** Each test starts from empty tables: several bind the seeds' task ids, which a task id may belong to only once. */
  @RegisterExtension
  static final TestDatabase db = TestDatabase.emptiedBeforeEach();
  private WebhookHarness h;

  @BeforeEach
  void start(Vertx vertx) {
    h = WebhookHarness.start(vertx, db, env(Map.of()));
  }

  /** runblob-kling-o3 only takes webhooks from 10.0.0.0/8, so the tests' 127.0.0.1 is outside it. */
  private static Map<String, String> env(Map<String, String> extra) {
    Map<String, String> env = new HashMap<>(Map.of(
        "ORCH_PROVIDER_RUNBLOB_KLING_O3_ALLOWED_CIDRS", "10.0.0.0/8, 2001:db8::/32",
        "ORCH_PROVIDER_VIDGO_ALLOWED_CIDRS", "127.0.0.0/8"));
    env.putAll(extra);
    return env;
  }

  @Test
  void deliveryIsStoredWithBodyHeadersAndSourceBeforeTheAck() throws Exception {
    Arranged gen = h.arrangeSubmitted("runblob-sora", RUNBLOB_TASK);
    String body = seed("runblob-sora-success.json");
    HttpResponse<Buffer> response = Await.result(h.http.post(h.port(), "127.0.0.1", "/webhooks/runblob-sora/" + gen.token())
        .putHeader("Content-Type", "application/json")
        .putHeader("User-Agent", "runblob-webhooks/1.0")
        .putHeader("Authorization", "Bearer must-not-be-kept")
        .putHeader("X-Request-Id", "req-42")
        .sendBuffer(Buffer.buffer(body)));

    assertEquals(200, response.statusCode());
    assertEquals(new JsonObject().put("received", true), response.bodyAsJsonObject());
    try (var c = db.connect(); var st = c.prepareStatement(
        "SELECT provider, body, body_sha256, source_address, headers::text, received_at FROM webhook_deliveries WHERE generation_id = ?")) {
      st.setString(1, gen.id());
      try (ResultSet rs = st.executeQuery()) {
        assertTrue(rs.next(), "the delivery is stored");
        assertEquals("runblob-sora", rs.getString("provider"));
        assertEquals(body, new String(rs.getBytes("body"), StandardCharsets.UTF_8));
        assertArrayEquals(WebhookTokens.sha256(body.getBytes(StandardCharsets.UTF_8)), rs.getBytes("body_sha256"));
        assertEquals("127.0.0.1", rs.getString("source_address"));
        JsonObject headers = new JsonObject(rs.getString(5));
        assertEquals("runblob-webhooks/1.0", headers.getString("user-agent"));
        assertEquals("application/json", headers.getString("content-type"));
        assertEquals("req-42", headers.getString("x-request-id"));
        assertFalse(headers.containsKey("authorization"), "credentials are never stored: " + headers);
        assertTrue(rs.getTimestamp("received_at") != null);
        assertFalse(rs.next());
      }
    }
  }

  @Test
  void unknownTokenIs404AndStoresNothing() {
    long before = db.count("SELECT count(*) FROM webhook_deliveries");
    HttpResponse<Buffer> response = h.post("/webhooks/runblob-sora/" + WebhookTokens.newToken(), seed("runblob-sora-success.json"));
    assertEquals(404, response.statusCode());
    assertEquals("not_found", response.bodyAsJsonObject().getJsonObject("error").getString("code"));
    assertEquals(before, db.count("SELECT count(*) FROM webhook_deliveries"));
  }

  @Test
  void tokenOfAnotherProvidersGenerationIs404() {
    Arranged vidgo = h.arrange("vidgo");
    HttpResponse<Buffer> response = h.post("/webhooks/runblob-sora/" + vidgo.token(), seed("runblob-sora-success.json"));
    assertEquals(404, response.statusCode());
    assertEquals(0, h.deliveries(vidgo.id()));
  }

  @Test
  void unknownProviderIs404() {
    Arranged gen = h.arrange("runblob-sora");
    assertEquals(404, h.post("/webhooks/no-such-provider/" + gen.token(), seed("runblob-sora-success.json")).statusCode());
    assertEquals(0, h.deliveries(gen.id()));
  }

  @Test
  void payloadNamingAnotherTaskThanTheBoundOneIs409() {
    Arranged gen = h.arrangeSubmitted("runblob-sora", "11111111-2222-3333-4444-555555555555");
    HttpResponse<Buffer> response = h.deliver(gen, seed("runblob-sora-success.json"));
    assertEquals(409, response.statusCode());
    assertEquals("task_mismatch", response.bodyAsJsonObject().getJsonObject("error").getString("code"));
    assertEquals(0, h.deliveries(gen.id()));
  }

  @Test
  void aGenerationWithoutItsTaskCannotBeHandedAnotherGenerationsTask() {
    // a leaked token of an ambiguous submit (no task bound) must not adopt someone else's finished task
    String ownersTask = java.util.UUID.randomUUID().toString(); // not the seed's: other tests deliver that one unbound
    Arranged owner = h.arrangeSubmitted("runblob-sora", ownersTask);
    Arranged unbound = h.arrange("runblob-sora");
    HttpResponse<Buffer> response = h.deliver(unbound,
        seed("runblob-sora-success.json").replace("550e8400-e29b-41d4-a716-446655440000", ownersTask));
    assertEquals(409, response.statusCode());
    assertEquals(0, h.deliveries(unbound.id()));
    assertEquals(0, h.deliveries(owner.id()));
  }

  @Test
  void anEarlierSubmitAttemptsUrlReportsItsOwnJobWhichIsRecordedNotApplied() {
    // attempt 1 got a 5xx but created a job; attempt 2 was accepted and bound its task
    Arranged gen = h.arrangeSubmitted("runblob-sora", "retry-job");
    db.execute("UPDATE webhook_tokens SET attempt = 1 WHERE generation_id = '" + gen.id() + "'");
    db.execute("UPDATE generations SET submit_attempts = 2 WHERE id = '" + gen.id() + "'");
    Arranged latest = new Arranged(gen.id(), gen.provider(), WebhookTokens.newToken());
    h.addToken(gen.id(), latest.token(), 2);
    String firstJobFailed = seed("runblob-sora-failed.json").replace(RUNBLOB_TASK, "first-job");

    assertEquals(409, h.deliver(latest, firstJobFailed).statusCode(), "the latest attempt's URL reports only its task");
    assertEquals(200, h.deliver(gen, firstJobFailed).statusCode(), "the first attempt's URL still works");
    assertEquals(java.util.List.of(DeliveryProcessor.REJECTED), h.awaitProcessed(gen.id()));
    assertEquals(io.genorch.common.domain.GenerationStatus.SUBMITTED, h.generation(gen.id()).status(),
        "another job's failure does not fail the generation");
    JsonObject recorded = h.timeline(gen.id()).stream().filter(e -> e.type().equals("webhook_rejected")).findFirst()
        .orElseThrow().detail();
    assertEquals("first-job", recorded.getString("providerTaskId"));
    assertEquals(1, recorded.getInteger("submitAttempt"));

    String ownersTask = java.util.UUID.randomUUID().toString();
    h.arrangeSubmitted("runblob-sora", ownersTask);
    assertEquals(409, h.deliver(gen, firstJobFailed.replace("first-job", ownersTask)).statusCode(),
        "not even an earlier attempt's URL may name another generation's task");
    assertEquals(1, h.deliveries(gen.id()));
  }

  @Test
  void bodyThatIsNotJsonIs400() {
    Arranged gen = h.arrange("runblob-sora");
    assertEquals(400, h.deliver(gen, "status=completed&generation_id=1").statusCode());
    assertEquals(400, h.deliver(gen, "[{\"status\":\"completed\"}]").statusCode());
    assertEquals(400, h.deliver(gen, "").statusCode());
    assertEquals(0, h.deliveries(gen.id()));
  }

  @Test
  void jsonThatIsNotTheProvidersWebhookIs400ForTheTokenHolderOnly() {
    Arranged gen = h.arrange("runblob-sora");
    HttpResponse<Buffer> response = h.deliver(gen, "{\"hello\":\"world\"}");
    assertEquals(400, response.statusCode());
    assertEquals("invalid_request", response.bodyAsJsonObject().getJsonObject("error").getString("code"));
    // a stranger without a valid token learns nothing about the payload format
    assertEquals(404, h.post("/webhooks/runblob-sora/" + WebhookTokens.newToken(), "{\"hello\":\"world\"}").statusCode());
    assertEquals(0, h.deliveries(gen.id()));
  }

  @Test
  void bodyOver1MiBIs413() {
    Arranged gen = h.arrange("runblob-sora");
    JsonObject payload = new JsonObject(seed("runblob-sora-success.json"));
    String padded = payload.put("prompt", "x".repeat(WebhookIngest.MAX_BODY_BYTES)).encode();
    HttpResponse<Buffer> response = h.deliver(gen, padded);
    assertEquals(413, response.statusCode());
    assertEquals("payload_too_large", response.bodyAsJsonObject().getJsonObject("error").getString("code"));
    assertEquals(0, h.deliveries(gen.id()));
  }

  @Test
  void callbackSegmentIsServedOnlyForProvidersThatAppendIt() {
    Arranged apimart = h.arrangeSubmitted("apimart", "task_01K8SGYNNNVBQTXNR4MM964S7K");
    assertEquals(200, h.post("/webhooks/apimart/" + apimart.token() + "/callback", seed("apimart-completed.json")).statusCode());

    Arranged runblob = h.arrange("runblob-sora");
    assertEquals(404, h.post("/webhooks/runblob-sora/" + runblob.token() + "/callback", seed("runblob-sora-success.json")).statusCode());
    assertEquals(1, h.deliveries(apimart.id()));
    assertEquals(0, h.deliveries(runblob.id()));
  }

  @Test
  void otherMethodsAre405() {
    Arranged gen = h.arrange("runblob-sora");
    HttpResponse<Buffer> response = Await.result(h.http.get(h.port(), "127.0.0.1", "/webhooks/runblob-sora/" + gen.token()).send());
    assertEquals(405, response.statusCode());
  }

  @Test
  void sourceOutsideTheProvidersAllowlistIs403() {
    Arranged kling = h.arrange("runblob-kling-o3");
    HttpResponse<Buffer> refused = h.deliver(kling, seed("runblob-kling-o3-completed.json"));
    assertEquals(403, refused.statusCode());
    assertEquals("forbidden", refused.bodyAsJsonObject().getJsonObject("error").getString("code"));
    assertEquals(0, h.deliveries(kling.id()));

    Arranged vidgo = h.arrange("vidgo");
    assertEquals(200, h.deliver(vidgo, seed("vidgo-finished.json")).statusCode(), "127.0.0.1 is inside 127.0.0.0/8");
  }

  @Test
  void forwardedSourceCountsOnlyWhenTheProxyIsTrusted(Vertx vertx) {
    String forwardedFrom10 = "10.1.2.3";
    Arranged kling = h.arrange("runblob-kling-o3");
    // not trusted (the default): a client cannot talk its way in with a header
    HttpResponse<Buffer> spoofed = Await.result(h.http.post(h.port(), "127.0.0.1", "/webhooks/runblob-kling-o3/" + kling.token())
        .putHeader("X-Forwarded-For", forwardedFrom10)
        .sendBuffer(Buffer.buffer(seed("runblob-kling-o3-completed.json"))));
    assertEquals(403, spoofed.statusCode());

    OrchConfig trusting = OrchConfig.of(env(Map.of("ORCH_WEBHOOK_TRUST_FORWARDED", "true")));
    WebhookHarness behindProxy = WebhookHarness.start(vertx, db, trusting, WebhookHarness.fastOptions(trusting));
    HttpResponse<Buffer> proxied = Await.result(behindProxy.http.post(behindProxy.port(), "127.0.0.1", "/webhooks/runblob-kling-o3/" + kling.token())
        .putHeader("X-Forwarded-For", forwardedFrom10)
        .sendBuffer(Buffer.buffer(seed("runblob-kling-o3-completed.json"))));
    assertEquals(200, proxied.statusCode());
    assertEquals(1, db.count("SELECT count(*) FROM webhook_deliveries WHERE generation_id = '" + kling.id()
        + "' AND source_address = '" + forwardedFrom10 + "'"));

    // only the entry the proxy appended counts: what the client put before it, or in Forwarded, proves nothing
    HttpResponse<Buffer> prefixed = Await.result(behindProxy.http.post(behindProxy.port(), "127.0.0.1", "/webhooks/runblob-kling-o3/" + kling.token())
        .putHeader("X-Forwarded-For", forwardedFrom10 + ", 198.51.100.9")
        .sendBuffer(Buffer.buffer(seed("runblob-kling-o3-completed.json"))));
    assertEquals(403, prefixed.statusCode());
    HttpResponse<Buffer> viaForwarded = Await.result(behindProxy.http.post(behindProxy.port(), "127.0.0.1", "/webhooks/runblob-kling-o3/" + kling.token())
        .putHeader("Forwarded", "for=" + forwardedFrom10)
        .sendBuffer(Buffer.buffer(seed("runblob-kling-o3-completed.json"))));
    assertEquals(403, viaForwarded.statusCode());
  }
}
