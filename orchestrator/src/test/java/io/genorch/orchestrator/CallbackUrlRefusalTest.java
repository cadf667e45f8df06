package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A callbackUrl is accepted only when it reaches a public unicast address (ORCH_CALLBACK_ALLOW_PRIVATE unset). */
class CallbackUrlRefusalTest {

  @RegisterExtension
  static final ServiceUnderTest service = ServiceUnderTest.withoutProviders();

  private static ApiClient.Response submit(String callbackUrl) {
    return service.api().createGeneration(new JsonObject().put("provider", "vidgo").put("prompt", "a kite").put("callbackUrl", callbackUrl));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "224.0.0.1", "[ff02::1]", "255.255.255.255", "0.0.0.0", "198.18.0.1", "240.0.0.1", "[::127.0.0.1]",
      "[::ffff:127.0.0.1]", "[::ffff:169.254.169.254]", "[64:ff9b::a00:1]", "[2002:a00:1::1]", "[fd00::1]", "[fe80::1]",
      "169.254.169.254", "127.0.0.1", "[::1]", "100.64.0.1", "10.0.0.1", "192.168.1.1", "192.0.2.1", "198.51.100.1",
      "203.0.113.1", "[2001:db8::1]", "0x7f000001", "127.1", "2130706433", "012.0.0.1", "0177.0.0.1",
      // names: one resolving to loopback on every machine, one that never resolves (RFC 6761)
      "localhost", "LOCALHOST.", "hooks.nonexistent.invalid"})
  void refusedWith400(String host) {
    long before = service.db().count("SELECT count(*) FROM generations");
    ApiClient.Response r = submit("http://" + host + ":8080/hook");
    assertEquals(400, r.status(), host + ": " + r.body());
    assertEquals("invalid_request", r.error().getString("code"), r.body());
    assertEquals("callbackUrl", r.error().getString("field"), r.body());
    assertEquals(before, service.db().count("SELECT count(*) FROM generations"), "nothing stored");
  }

  @Test
  void aPublicAddressIsAccepted() {
    ApiClient.Response r = submit("https://8.8.8.8/hook");
    assertEquals(202, r.status(), r.body());
    ApiClient.Response v6 = submit("https://[2001:4860:4860::8888]/hook");
    assertEquals(202, v6.status(), v6.body());
  }
}
