package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
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

    Eventually.await("the callback", Duration.ofSeconds(20), received::size, n -> n >= 1);
    Received r = received.get(0);
    JsonObject event = new JsonObject(r.body());
    assertEquals("generation.succeeded", event.getString("type"));
    assertEquals(id, event.getJsonObject("generation").getString("id"));
    assertEquals(event.getString("id"), r.header("webhook-id"));
    assertEquals(expectedSignature(r), r.header("webhook-signature"));
    long skew = Math.abs(System.currentTimeMillis() / 1000 - Long.parseLong(r.header("webhook-timestamp")));
    assertTrue(skew < 60, "timestamp is now");
    Eventually.await("callback_delivered", Duration.ofSeconds(10), () -> timeline(api, id, "callback_delivered"), l -> l.size() == 1);
    Thread.sleep(500);
    assertEquals(1, received.size(), "delivered once");
  }

  @Test
  void failedAttemptsAreRetriedWithBackoffAndRecorded() {
    failuresToAnswer.set(2);
    service = TestOrchestrators.start(config(true));
    ApiClient api = new ApiClient(service.httpPort(), TestOrchestrators.API_KEY);
    String id = create(api, hookUrl());

    Eventually.await("callback_delivered", Duration.ofSeconds(20), () -> timeline(api, id, "callback_delivered"), l -> l.size() == 1);
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
    Eventually.await("a failed attempt", Duration.ofSeconds(20), () -> timeline(api, id, "callback_failed"), l -> l.size() == 1);
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
    Eventually.await("callback_delivered", Duration.ofSeconds(20), () -> timeline(restarted, id, "callback_delivered"), l -> l.size() == 1);
    assertEquals(1, received.size());
  }

  @Test
  void privateDestinationsAreRefusedAtSubmissionAndAgainAtDelivery() {
    service = TestOrchestrators.start(config(false));
    ApiClient api = new ApiClient(service.httpPort(), TestOrchestrators.API_KEY);
    ApiClient.Response refused = api.createGeneration(new JsonObject().put("provider", "vidgo").put("prompt", "p")
        .put("callbackUrl", hookUrl()));
    assertEquals(400, refused.status());
    assertEquals("callbackUrl", refused.json().getJsonObject("error").getString("field"));

    // a name is accepted at submission and checked when resolved, at each delivery
    String host = localHostName();
    org.junit.jupiter.api.Assumptions.assumeTrue(host != null, "this machine's name resolves to a private address");
    String id = create(api, "http://" + host + ":" + receiver.getAddress().getPort() + "/hook");
    Eventually.await("callback_failed with gaveUp", Duration.ofSeconds(20), () -> timeline(api, id, "callback_failed"),
        l -> l.stream().anyMatch(e -> Boolean.TRUE.equals(e.getJsonObject("detail").getBoolean("gaveUp"))));
    assertTrue(timeline(api, id, "callback_failed").get(0).getJsonObject("detail").getString("error").contains("private"));
    assertEquals(0, received.size(), "nothing was sent to a private address");
  }

  /** This machine's host name when it is a name (not a literal) that resolves to a private address, else null. */
  private static String localHostName() {
    try {
      java.net.InetAddress local = java.net.InetAddress.getLocalHost();
      String name = local.getHostName();
      boolean literal = name.matches("[0-9.]+") || name.contains(":");
      return !literal && !name.equals("localhost") && io.genorch.orchestrator.callbacks.CallbackAddresses.isPrivate(local)
          ? name : null;
    } catch (IOException e) {
      return null;
    }
  }
}
