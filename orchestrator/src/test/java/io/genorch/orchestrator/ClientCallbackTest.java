package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.genorch.common.testing.Await;
import io.genorch.common.testing.SimulatedProviders;
import io.genorch.common.testing.TestDatabase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Client callbacks (CONTRACT.md section 3): signed, retried, durable across restarts, private hosts refused. */
class ClientCallbackTest {

  private static final byte[] KEY = new SecureRandom().generateSeed(32);
  private static final String SECRET = "whsec_" + Base64.getEncoder().encodeToString(KEY);

  record Received(Map<String, List<String>> headers, String body) {
    String header(String name) {
      return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
          .map(e -> e.getValue().get(0)).findFirst().orElse(null);
    }
  }

  private TestDatabase db;
  private SimulatedProviders providers;
  private HttpServer receiver;
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final AtomicInteger failuresToAnswer = new AtomicInteger();
  private Orchestrator service;

  @BeforeEach
  void start() throws IOException {
    db = TestDatabase.create();
    providers = new SimulatedProviders(0.01, Duration.ofSeconds(5));
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/hook", exchange -> {
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      received.add(new Received(Map.copyOf(exchange.getRequestHeaders()), body));
      exchange.sendResponseHeaders(failuresToAnswer.getAndDecrement() > 0 ? 500 : 204, -1);
      exchange.close();
    });
    receiver.start();
  }

  @AfterEach
  void stop() {
    TestOrchestrators.stop(service);
    receiver.stop(0);
    providers.close();
    db.close();
  }

  private Map<String, String> config(boolean allowPrivate) {
    Map<String, String> env = TestOrchestrators.baseConfig(db);
    env.putAll(providers.enable("vidgo"));
    env.put("ORCH_SUBMIT_SWEEP_MS", "100");
    env.put("ORCH_CALLBACK_SECRET", SECRET);
    env.put("ORCH_CALLBACK_ALLOW_PRIVATE", String.valueOf(allowPrivate));
    env.put("ORCH_CALLBACK_SWEEP_MS", "100");
    env.put("ORCH_CALLBACK_RETRY_BASE_MS", "100");
    return env;
  }

  private String hookUrl() {
    return "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
  }

  private String create(ApiClient api, String callbackUrl) {
    ApiClient.Response r = api.createGeneration(new JsonObject().put("provider", "vidgo").put("prompt", "a kite")
        .put("callbackUrl", callbackUrl));
    assertEquals(202, r.status(), r.body());
    return r.json().getString("id");
  }

  private static List<JsonObject> timeline(ApiClient api, String id, String type) {
    JsonArray data = api.get("/v1/generations/" + id + "/events").json().getJsonArray("data");
    return data.stream().map(JsonObject.class::cast).filter(e -> e.getString("type").equals(type)).toList();
  }

  private long callbacksFor(String id) {
    return received.stream().filter(r -> new JsonObject(r.body()).getJsonObject("generation").getString("id").equals(id)).count();
  }

  private static String expectedSignature(Received r) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(KEY, "HmacSHA256"));
    String signed = r.header("webhook-id") + "." + r.header("webhook-timestamp") + "." + r.body();
    return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(signed.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void terminalEventIsPostedSignedPerStandardWebhooks() throws Exception {
    service = TestOrchestrators.start(config(true));
    ApiClient api = new ApiClient(service.httpPort(), TestOrchestrators.API_KEY);
    String id = create(api, hookUrl());

    Await.until("the callback", Duration.ofSeconds(20), received::size, n -> n >= 1);
    Received r = received.get(0);
    JsonObject event = new JsonObject(r.body());
    assertEquals("generation.succeeded", event.getString("type"));
    assertEquals(id, event.getJsonObject("generation").getString("id"));
    assertEquals(event.getString("id"), r.header("webhook-id"));
    assertEquals(expectedSignature(r), r.header("webhook-signature"));
    long skew = Math.abs(System.currentTimeMillis() / 1000 - Long.parseLong(r.header("webhook-timestamp")));
    assertTrue(skew < 60, "timestamp is now");
    Await.until("callback_delivered", Duration.ofSeconds(10), () -> timeline(api, id, "callback_delivered"), l -> l.size() == 1);
    // a later generation's callback delivered: the loop has run on past the first delivery, and did not repeat it
    String later = create(api, hookUrl());
    Await.until("the later generation's callback", Duration.ofSeconds(20), () -> callbacksFor(later), n -> n == 1);
    assertEquals(1, callbacksFor(id), "delivered once");
  }

  @Test
  void failedAttemptsAreRetriedWithBackoffAndRecorded() {
    failuresToAnswer.set(2);
    service = TestOrchestrators.start(config(true));
    ApiClient api = new ApiClient(service.httpPort(), TestOrchestrators.API_KEY);
    String id = create(api, hookUrl());

    Await.until("callback_delivered", Duration.ofSeconds(20), () -> timeline(api, id, "callback_delivered"), l -> l.size() == 1);
    List<JsonObject> failed = timeline(api, id, "callback_failed");
    assertEquals(2, failed.size());
    assertEquals(500, failed.get(0).getJsonObject("detail").getInteger("status"));
    assertEquals(3, received.size());
    assertEquals(1, received.stream().map(r -> r.header("webhook-id")).distinct().count(), "one message id across retries");
  }

  @Test
  void aCallbackOwedWhenTheServiceStopsIsDeliveredAfterRestart() {
    int port = receiver.getAddress().getPort();
    receiver.stop(0); // the client is down
    Map<String, String> env = config(true);
    env.put("ORCH_CALLBACK_RETRY_BASE_MS", "60000");
    service = TestOrchestrators.start(env);
    ApiClient api = new ApiClient(service.httpPort(), TestOrchestrators.API_KEY);
    String id = create(api, "http://127.0.0.1:" + port + "/hook");
    Await.until("a failed attempt", Duration.ofSeconds(20), () -> timeline(api, id, "callback_failed"), l -> l.size() == 1);
    TestOrchestrators.stop(service);

    db.execute("UPDATE client_callbacks SET next_attempt_at = now()"); // as if the retry time had come
    try {
      receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    receiver.createContext("/hook", exchange -> {
      received.add(new Received(Map.copyOf(exchange.getRequestHeaders()), new String(exchange.getRequestBody().readAllBytes())));
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    receiver.start();
    service = TestOrchestrators.start(config(true));
    ApiClient restarted = new ApiClient(service.httpPort(), TestOrchestrators.API_KEY);
    Await.until("callback_delivered", Duration.ofSeconds(20), () -> timeline(restarted, id, "callback_delivered"), l -> l.size() == 1);
    assertEquals(1, received.size());
  }

  @Test
  void privateDestinationsAreRefusedAtSubmission() {
    service = TestOrchestrators.start(config(false));
    ApiClient api = new ApiClient(service.httpPort(), TestOrchestrators.API_KEY);
    int port = receiver.getAddress().getPort();
    for (String url : List.of(hookUrl(), "http://localhost:" + port + "/hook")) {
      ApiClient.Response refused = api.createGeneration(new JsonObject().put("provider", "vidgo").put("prompt", "p")
          .put("callbackUrl", url));
      assertEquals(400, refused.status(), url);
      assertEquals("callbackUrl", refused.json().getJsonObject("error").getString("field"), url);
    }
    assertEquals(0, db.count("SELECT count(*) FROM generations"), "nothing stored for a refused request");
  }

  /**
   * The name is resolved again at each delivery: here one accepted while private destinations were allowed, as a
   * name re-pointed at a private address after submission would be, is given up without anything being sent.
   */
  @Test
  void aNameResolvingToAPrivateAddressAtDeliveryIsGivenUp() {
    int port = receiver.getAddress().getPort();
    receiver.stop(0); // the first attempt fails, so the callback is still owed when private destinations are refused
    Map<String, String> allowing = config(true);
    allowing.put("ORCH_CALLBACK_RETRY_BASE_MS", "60000");
    service = TestOrchestrators.start(allowing);
    ApiClient api = new ApiClient(service.httpPort(), TestOrchestrators.API_KEY);
    String id = create(api, "http://localhost:" + port + "/hook");
    Await.until("a failed attempt", Duration.ofSeconds(20), () -> timeline(api, id, "callback_failed"), l -> l.size() == 1);
    TestOrchestrators.stop(service);

    db.execute("UPDATE client_callbacks SET next_attempt_at = now()");
    try {
      receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    receiver.createContext("/hook", exchange -> {
      received.add(new Received(Map.copyOf(exchange.getRequestHeaders()), ""));
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    receiver.start();
    service = TestOrchestrators.start(config(false));
    ApiClient restarted = new ApiClient(service.httpPort(), TestOrchestrators.API_KEY);
    Await.until("callback_failed with gaveUp", Duration.ofSeconds(20), () -> timeline(restarted, id, "callback_failed"),
        l -> l.stream().anyMatch(e -> Boolean.TRUE.equals(e.getJsonObject("detail").getBoolean("gaveUp"))));
    JsonObject gaveUp = timeline(restarted, id, "callback_failed").get(1).getJsonObject("detail");
    assertTrue(gaveUp.getString("error").contains("localhost resolves to"), gaveUp.encode());
    assertEquals(0, received.size(), "nothing was sent to a private address");
  }
}
