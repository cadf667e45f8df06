package io.genorch.webhook;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The source addresses a provider's webhooks may come from (ORCH_PROVIDER_&lt;ID&gt;_ALLOWED_CIDRS): IPv4 or IPv6
 * blocks such as {@code 203.0.113.0/24} or single addresses. Empty means any address. Only address literals are
 * accepted, so checking never does a DNS lookup; IPv4-mapped IPv6 sources ({@code ::ffff:a.b.c.d}) count as IPv4.
 */
final class SourceAllowlist {

  private static final Pattern LITERAL = Pattern.compile("[0-9A-Fa-f:.]+");

  private record Block(byte[] network, int prefix) {
    boolean contains(byte[] address) {
      if (address.length != network.length) {
        return false;
      }
      int full = prefix / 8;
      for (int i = 0; i < full; i++) {
        if (address[i] != network[i]) {
          return false;
        }
      }
      int rest = prefix % 8;
      if (rest == 0) {
        return true;
      }
      int mask = (0xff << (8 - rest)) & 0xff;
      return (address[full] & mask) == (network[full] & mask);
    }
  }

  private final List<Block> blocks;
  private final List<String> spec;

  private SourceAllowlist(List<Block> blocks, List<String> spec) {
    this.blocks = blocks;
    this.spec = spec;
  }

  static SourceAllowlist any() {
    return new SourceAllowlist(List.of(), List.of());
  }

  /**
   * @param cidrs entries such as {@code 10.0.0.0/8}, {@code 2001:db8::/32}, {@code 198.51.100.7}
   * @throws IllegalArgumentException naming the first entry that is not an address literal or block
   */
  static SourceAllowlist parse(List<String> cidrs) {
    List<Block> blocks = new ArrayList<>();
    for (String entry : cidrs) {
      String trimmed = entry.trim();
      int slash = trimmed.indexOf('/');
      String host = slash < 0 ? trimmed : trimmed.substring(0, slash);
      byte[] network = literal(host);
      if (network == null) {
        throw new IllegalArgumentException("'" + entry + "' is not an IP address or CIDR block");
      }
      int prefix = network.length * 8;
      if (slash >= 0) {
        try {
          prefix = Integer.parseInt(trimmed.substring(slash + 1));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("'" + entry + "' has no valid prefix length");
        }
        if (prefix < 0 || prefix > network.length * 8) {
          throw new IllegalArgumentException("'" + entry + "' has a prefix length out of range");
        }
      }
      blocks.add(new Block(network, prefix));
    }
    return new SourceAllowlist(List.copyOf(blocks), List.copyOf(cidrs));
  }

  boolean restricts() {
    return !blocks.isEmpty();
  }

  /** True when unrestricted, or when {@code address} (a literal, as a socket reports it) is in one of the blocks. */
  boolean allows(String address) {
    if (blocks.isEmpty()) {
      return true;
    }
    byte[] bytes = address == null ? null : literal(address);
    if (bytes == null) {
      return false;
    }
    for (Block block : blocks) {
      if (block.contains(bytes)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return blocks.isEmpty() ? "any" : String.join(",", spec);
  }

  /** The bytes of an IP literal (IPv4-mapped IPv6 as IPv4), or null for anything else; never resolves names. */
  private static byte[] literal(String text) {
    String host = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
    int zone = host.indexOf('%');
    if (zone >= 0) {
      host = host.substring(0, zone);
    }
    if (host.isEmpty() || !LITERAL.matcher(host).matches() || (host.indexOf(':') < 0 && !looksLikeIpv4(host))) {
      return null;
    }
    try {
      return InetAddress.getByName(host).getAddress();
    } catch (UnknownHostException e) {
      return null;
    }
  }

  private static boolean looksLikeIpv4(String host) {
    String[] parts = host.split("\\.", -1);
    if (parts.length != 4) {
      return false;
    }
    for (String part : parts) {
      if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit) || Integer.parseInt(part) > 255) {
        return false;
      }
    }
    return true;
  }
}
