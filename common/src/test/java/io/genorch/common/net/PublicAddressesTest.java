package io.genorch.common.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.net.PublicAddresses.NotPublicException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Only globally routable unicast destinations pass, whether written as a literal or reached through a name. */
class PublicAddressesTest {

  /** Names this test resolves itself, so that no lookup leaves the machine. */
  private static final Map<String, List<String>> NAMES = Map.of(
      "hooks.example.com", List.of("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"),
      "internal.example.com", List.of("10.0.0.5"),
      "metadata.example.com", List.of("169.254.169.254"),
      "mixed.example.com", List.of("93.184.215.14", "127.0.0.1"),
      "ula.example.com", List.of("fd12:3456::1"),
      "nat64.example.com", List.of("64:ff9b::c0a8:101"));

  private final PublicAddresses addresses = new PublicAddresses(host -> {
    List<String> found = NAMES.get(host);
    if (found == null) {
      throw new UnknownHostException(host);
    }
    InetAddress[] out = new InetAddress[found.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = InetAddress.getByName(found.get(i)); // literals: parsed, not looked up
    }
    return out;
  });

  @ParameterizedTest
  @ValueSource(strings = {
      // multicast, broadcast, "this network", benchmarking, reserved
      "224.0.0.1", "239.255.255.250", "[ff02::1]", "[ff0e::1]", "255.255.255.255", "0.0.0.0", "0.1.2.3",
      "198.18.0.1", "198.19.255.254", "240.0.0.1", "250.1.2.3",
      // IPv4-compatible and IPv4-mapped IPv6, NAT64 and 6to4 embedding a private IPv4 address
      "[::7f00:1]", "[::127.0.0.1]", "[::8.8.8.8]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[::ffff:8.8.8.8]",
      "[64:ff9b::a00:1]", "[64:ff9b::127.0.0.1]", "[64:ff9b::169.254.169.254]", "[64:ff9b:1::808:808]",
      "[2002:a00:1::1]", "[2002:7f00:1::]", "[2002:c0a8:101::1]",
      // unique-local, link-local, loopback, unspecified, CGNAT, private-use, documentation, IETF assignments
      "[fd00::1]", "[fc00::1]", "169.254.169.254", "169.254.0.1", "[fe80::1]", "127.0.0.1", "127.255.255.254", "[::1]",
      "[::]", "100.64.0.1", "100.127.255.254", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "192.0.2.1",
      "198.51.100.1", "203.0.113.1", "[2001:db8::1]", "[3fff::1]", "192.0.0.1", "[2001::1]", "[100::1]",
      // numeric forms that are not the canonical dotted quad
      "0x7f000001", "127.1", "2130706433", "012.0.0.1", "0177.0.0.1", "127.0.0.01", "0x7f.0.0.1", "1.2.3.4.5",
      "8.8.8.8.", "1.2.3", "0x08080808", "[fe80::1%25eth0]", "[not-an-address]", "",
      // names resolving to any refused address
      "internal.example.com", "metadata.example.com", "mixed.example.com", "ula.example.com", "nat64.example.com"})
  void refused(String host) {
    assertThrows(NotPublicException.class, () -> addresses.resolvePublic(host), host);
  }

  @ParameterizedTest
  @ValueSource(strings = {"8.8.8.8", "1.1.1.1", "100.128.0.1", "198.20.0.1", "223.255.255.254", "[2001:4860:4860::8888]",
      "[64:ff9b::808:808]", "[2002:808:808::1]", "hooks.example.com", "HOOKS.example.com."})
  void publicDestinationsPass(String host) throws Exception {
    assertTrue(!addresses.resolvePublic(host).isEmpty(), host);
  }

  @Test
  void aNameIsResolvedAndEveryAddressIsReturned() throws Exception {
    assertEquals(List.of(InetAddress.getByName("93.184.215.14"), InetAddress.getByName("2606:2800:21f:cb07:6820:80da:af6b:8b2c")),
        addresses.resolvePublic("hooks.example.com"));
  }

  @Test
  void aNameThatDoesNotResolveIsNotAccepted() {
    assertThrows(UnknownHostException.class, () -> addresses.resolvePublic("nowhere.example.com"));
  }

  @Test
  void theSystemResolverIsUsedForRealNames() {
    // localhost resolves to loopback on every machine, offline included
    assertThrows(NotPublicException.class, () -> new PublicAddresses(PublicAddresses.SYSTEM).resolvePublic("localhost"));
  }

  @Test
  void resolvedAddressesAreJudgedLikeLiterals() throws Exception {
    assertTrue(PublicAddresses.isPublic(InetAddress.getByName("8.8.8.8")));
    assertTrue(!PublicAddresses.isPublic(InetAddress.getByName("100.64.0.1")));
    assertTrue(!PublicAddresses.isPublic(InetAddress.getByName("fe80::1%1")));
  }
}
