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
    if (h.contains(":")) {
      try {
        return isPrivate(InetAddress.getByName(h)); // an IPv6 literal: parsed, never looked up
      } catch (Exception e) {
        return true;
      }
    }
    if (!h.matches("[0-9.]+")) {
      return false; // a name: checked when it is resolved, at delivery
    }
    // digits and dots are an address to every resolver (2130706433 and 127.1 are loopback): only the canonical
    // dotted quad is taken, parsed here without the system resolver; anything else is refused
    InetAddress quad = dottedQuad(h);
    return quad == null || isPrivate(quad);
  }

  private static InetAddress dottedQuad(String h) {
    String[] parts = h.split("\\.", -1);
    if (parts.length != 4) {
      return null;
    }
    byte[] bytes = new byte[4];
    for (int i = 0; i < 4; i++) {
      // a leading zero is octal to inet_aton (012 is 10): not canonical, so refused
      if (parts[i].isEmpty() || parts[i].length() > 3 || (parts[i].length() > 1 && parts[i].startsWith("0"))
          || Integer.parseInt(parts[i]) > 255) {
        return null;
      }
      bytes[i] = (byte) Integer.parseInt(parts[i]);
    }
    try {
      return InetAddress.getByAddress(bytes);
    } catch (java.net.UnknownHostException e) {
      return null;
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
