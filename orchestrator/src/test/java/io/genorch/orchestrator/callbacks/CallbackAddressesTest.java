package io.genorch.orchestrator.callbacks;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CallbackAddressesTest {

  @ParameterizedTest
  @ValueSource(strings = {"localhost", "LOCALHOST.", "api.localhost", "127.0.0.1", "10.1.2.3", "172.16.0.1",
      "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "[::1]", "[fd00::1]", "[fe80::1]",
      "metadata.google.internal", "2130706433", "127.1", "1.2.3.4.5", "0177.0.0.1", "012.0.0.1"})
  void privateDestinationsAreRecognised(String host) {
    assertTrue(CallbackAddresses.isPrivateHost(host), host);
  }

  @ParameterizedTest
  @ValueSource(strings = {"example.com", "8.8.8.8", "100.128.0.1", "[2001:4860:4860::8888]"})
  void publicDestinationsPass(String host) {
    assertFalse(CallbackAddresses.isPrivateHost(host), host);
  }
}
