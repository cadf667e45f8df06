package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.sun.net.httpserver.HttpServer;
import io.genorch.common.domain.WebhookTokens;
import io.genorch.common.testing.Await;
import io.genorch.common.testing.SimulatedProviders;
import io.genorch.common.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * With ORCH_API_KEYS and ORCH_CALLBACK_SECRET unset, the generated key and secret belong to the database: instances
 * starting together agree on them, a restart keeps them, and values set explicitly still win.
 */
class StoredSecretsTest {

  private static final Pattern GENERATED_KEY = Pattern.compile("generated this API key.*: (gk_[A-Za-z0-9_-]+)");
  private static final Pattern GENERATED_SECRET = Pattern.compile("generated this client-callback signing secret.*: (whsec_[A-Za-z0-9+/=]+)");

  record Received(String id, String timestamp, String signature, String body) {}

  private TestDatabase db;
  private SimulatedProviders providers;
  private HttpServer receiver;
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final ListAppender<ILoggingEvent> log = new ListAppender<>();
  private final List<Orchestrator> running = new ArrayList<>();

  @BeforeEach
  void start() throws IOException {
    db = TestDatabase.create();
    providers = new SimulatedProviders(0.01, Duration.ofSeconds(5));
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/hook", exchange -> {
      received.add(new Received(exchange.getRequestHeaders().getFirst("webhook-id"),
          exchange.getRequestHeaders().getFirst("webhook-timestamp"), exchange.getRequestHeaders().getFirst("webhook-signature"),
          new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    });
    receiver.start();
    log.start();
    ((Logger) LoggerFactory.getLogger("io.genorch.orchestrator")).addAppender(log);
  }

  @AfterEach
  void stop() {
    ((Logger) LoggerFactory.getLogger("io.genorch.orchestrator")).detachAppender(log);
    running.forEach(TestOrchestrators::stop);
    receiver.stop(0);
    providers.close();
    db.close();
  }

  /** The service as a newcomer starts it: no key, no secret. */
  private Map<String, String> unsetSecrets() {
    Map<String, String> env = TestOrchestrators.baseConfig(db);
    env.remove("ORCH_API_KEYS");
    env.remove("ORCH_CALLBACK_SECRET");
    env.putAll(providers.enable("vidgo"));
    env.put("ORCH_SUBMIT_SWEEP_MS", "100");
    env.put("ORCH_CALLBACK_ALLOW_PRIVATE", "true");
    env.put("ORCH_CALLBACK_SWEEP_MS", "100");
    return env;
  }

  private Orchestrator started(Map<String, String> env) {
    Orchestrator orchestrator = TestOrchestrators.start(env);
    running.add(orchestrator);
    return orchestrator;
  }

  private List<String> logged(Pattern pattern) {
    List<String> found = new ArrayList<>();
    for (ILoggingEvent event : log.list) {
      Matcher m = pattern.matcher(event.getFormattedMessage());
      if (m.find()) {
        found.add(m.group(1));
      }
    }
    return found;
  }

  @Test
  void instancesStartingTogetherShareOneGeneratedKeyAndSecretThatSurviveARestart() throws Exception {
    CompletableFuture<Orchestrator> first = CompletableFuture.supplyAsync(() -> TestOrchestrators.start(unsetSecrets()));
    CompletableFuture<Orchestrator> second = CompletableFuture.supplyAsync(() -> TestOrchestrators.start(unsetSecrets()));
    running.add(first.get());
    running.add(second.get());

    List<String> keys = logged(GENERATED_KEY);
    List<String> secrets = logged(GENERATED_SECRET);
    assertEquals(1, keys.size(), "one instance generated the key and logged it: " + keys);
    assertEquals(1, secrets.size(), "one instance generated the secret and logged it: " + secrets);
    String key = keys.get(0);
    for (Orchestrator instance : running) {
      assertEquals(200, new ApiClient(instance.httpPort(), key).get("/v1/providers").status());
      assertEquals(401, new ApiClient(instance.httpPort(), "gk_guessed").get("/v1/providers").status());
    }
    assertEquals(HexFormat.of().formatHex(WebhookTokens.hash(key)), storedValue("api_key_sha256"), "only the key's SHA-256 is stored");

    running.forEach(TestOrchestrators::stop);
    running.clear();
    Orchestrator restarted = started(unsetSecrets());
    assertEquals(List.of(key), logged(GENERATED_KEY), "nothing new generated at the restart");
    ApiClient api = new ApiClient(restarted.httpPort(), key);
    assertEquals(200, api.get("/v1/providers").status(), "the key logged at the first start still works");

    Received callback = callbackFor(api);
    assertEquals(signature(secrets.get(0), callback), callback.signature(), "signed with the secret generated first");
  }

  @Test
  void explicitlySetValuesWinOverStoredOnes() throws Exception {
    TestOrchestrators.stop(TestOrchestrators.start(unsetSecrets())); // stores a generated key and secret
    String generatedKey = logged(GENERATED_KEY).get(0);
    String explicitSecret = "whsec_" + Base64.getEncoder().encodeToString(new SecureRandom().generateSeed(32));
    Map<String, String> env = unsetSecrets();
    env.put("ORCH_API_KEYS", "explicit-key");
    env.put("ORCH_CALLBACK_SECRET", explicitSecret);
    Orchestrator service = started(env);

    assertEquals(401, new ApiClient(service.httpPort(), generatedKey).get("/v1/providers").status());
    ApiClient api = new ApiClient(service.httpPort(), "explicit-key");
    assertEquals(200, api.get("/v1/providers").status());
    Received callback = callbackFor(api);
    assertEquals(signature(explicitSecret, callback), callback.signature());
    assertFalse(explicitSecret.equals(storedValue("callback_secret")), "the explicit secret is not stored");
  }

  private Received callbackFor(ApiClient api) {
    ApiClient.Response created = api.createGeneration(new JsonObject().put("provider", "vidgo").put("prompt", "a kite")
        .put("callbackUrl", "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook"));
    assertEquals(202, created.status(), created.body());
    Await.until("the client callback", Duration.ofSeconds(20), received::size, n -> n >= 1);
    return received.get(0);
  }

  private String storedValue(String name) throws Exception {
    try (var connection = db.connect(); var st = connection.prepareStatement("SELECT value FROM service_secrets WHERE name = ?")) {
      st.setString(1, name);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  /** What a Standard Webhooks library computes with the secret the client was given. */
  private static String signature(String secret, Received r) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
    byte[] digest = mac.doFinal((r.id() + "." + r.timestamp() + "." + r.body()).getBytes(StandardCharsets.UTF_8));
    return "v1," + Base64.getEncoder().encodeToString(digest);
  }
}
