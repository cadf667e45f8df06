package io.genorch.common.net;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Webhook source allowlists, without a network. */
class SourceAllowlistTest {

  @Test
  void unsetAllowlistAllowsEverySource() {
    SourceAllowlist any = SourceAllowlist.parse(List.of());
    assertFalse(any.restricts());
    assertTrue(any.allows("203.0.113.9"));
    assertTrue(any.allows(null));
  }

  @Test
  void ipv4BlocksMatchByPrefix() {
    SourceAllowlist list = SourceAllowlist.parse(List.of("10.0.0.0/8", "192.168.1.128/25", "198.51.100.7"));
    assertTrue(list.allows("10.255.1.2"));
    assertTrue(list.allows("192.168.1.200"));
    assertFalse(list.allows("192.168.1.127"));
    assertTrue(list.allows("198.51.100.7"));
    assertFalse(list.allows("198.51.100.8"));
    assertFalse(list.allows("11.0.0.1"));
  }

  @Test
  void ipv6BlocksMatchAndMappedIpv4CountsAsIpv4() {
    SourceAllowlist list = SourceAllowlist.parse(List.of("2001:db8::/32", "127.0.0.0/8"));
    assertTrue(list.allows("2001:db8:1::5"));
    assertTrue(list.allows("[2001:db8::1]"));
    assertFalse(list.allows("2001:db9::1"));
    assertTrue(list.allows("::ffff:127.0.0.1"));
    assertFalse(list.allows("::1"));
  }

  @Test
  void sourcesThatAreNotAddressLiteralsAreRefusedWithoutLookingThemUp() {
    SourceAllowlist list = SourceAllowlist.parse(List.of("0.0.0.0/0"));
    assertTrue(list.allows("8.8.8.8"));
    assertFalse(list.allows("localhost"));
    assertFalse(list.allows(null));
  }

  @Test
  void malformedEntriesAreRefusedWithTheEntryNamed() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> SourceAllowlist.parse(List.of("provider.example.com")))
        .getMessage().contains("provider.example.com"));
    assertThrows(IllegalArgumentException.class, () -> SourceAllowlist.parse(List.of("10.0.0.0/33")));
    assertThrows(IllegalArgumentException.class, () -> SourceAllowlist.parse(List.of("10.0.0.0/x")));
    assertThrows(IllegalArgumentException.class, () -> SourceAllowlist.parse(List.of("300.1.1.1")));
  }

  @Test
  void onlyCanonicalLiteralsAreEntries() {
    // inet_aton forms and leading zeros read differently by different parsers (010 is 8 or 10): refused, not guessed
    for (String entry : List.of("010.0.0.0/8", "0x0a000000/8", "10.1/16", "167772160", "10.0.0.0/255.0.0.0", "10.0.0.*",
        "fe80::1%eth0", "")) {
      assertThrows(IllegalArgumentException.class, () -> SourceAllowlist.parse(List.of(entry)), entry);
    }
  }

  @Test
  void zonedAndMappedSourcesAreMatchedByTheirAddress() {
    SourceAllowlist list = SourceAllowlist.parse(List.of("fe80::/10", "::ffff:192.0.2.0/120"));
    assertTrue(list.allows("fe80::1%eth0"));
    assertTrue(list.allows("192.0.2.77"), "a mapped block holds the IPv4 addresses it carries");
    assertFalse(list.allows("192.0.3.1"));
    assertFalse(list.allows("0xc0000201"), "a source is a literal as sockets print it");
  }
}
