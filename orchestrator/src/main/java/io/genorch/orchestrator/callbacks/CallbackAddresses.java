package io.genorch.orchestrator.callbacks;

import java.net.InetAddress;
import java.util.Locale;

/**
 * Which client callback destinations are refused unless {@code ORCH_CALLBACK_ALLOW_PRIVATE=true}: loopback,
 * private, link-local (which holds the cloud metadata address 169.254.169.254), unique-local IPv6 and carrier-grade
 * NAT. Checked on the literal at submission and again on the resolved addresses at each delivery, since a name can
 * be pointed elsewhere after it was accepted.
 */
public final class CallbackAddresses {

  private CallbackAddresses() {}

  /** A host as written in a URL: true for private names and literals; a public name is checked when resolved. */
  public static boolean isPrivateHost(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    while (h.endsWith(".")) { // "localhost." is the same name
      h = h.substring(0, h.length() - 1);
    }
    if (h.equals("localhost") || h.endsWith(".localhost") || h.equals("metadata.google.internal")) {
      return true;
    }
    if (!h.matches("[0-9.]+") && !h.contains(":")) {
      return false;
    }
    try {
      return isPrivate(InetAddress.getByName(h)); // a literal: parsed, not looked up
    } catch (Exception e) {
      return true;
    }
  }

  public static boolean isPrivate(InetAddress address) {
    return address.isLoopbackAddress() || address.isSiteLocalAddress() || address.isLinkLocalAddress()
        || address.isAnyLocalAddress() || isUniqueLocalV6(address) || isCarrierGradeNat(address);
  }

  private static boolean isUniqueLocalV6(InetAddress address) {
    byte[] b = address.getAddress();
    return b.length == 16 && (b[0] & 0xfe) == 0xfc;
  }

  private static boolean isCarrierGradeNat(InetAddress address) {
    byte[] b = address.getAddress();
    return b.length == 4 && (b[0] & 0xff) == 100 && (b[1] & 0xc0) == 64;
  }
}
