package io.genorch.common.net;

import inet.ipaddr.AddressStringParameters.RangeParameters;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import inet.ipaddr.IPAddressStringParameters;
import inet.ipaddr.ipv4.IPv4Address;
import inet.ipaddr.ipv6.IPv6Address;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which destinations the service may connect to on a caller's behalf (client callbacks; later, output files behind
 * provider links): only globally routable unicast addresses. Refused are every block of the IANA IPv4 and IPv6
 * Special-Purpose Address Registries that is not globally reachable (loopback, private, CGNAT, link-local,
 * benchmarking, documentation, reserved, broadcast, "this network", ULA, discard, ...), IPv4 multicast, every IPv6
 * address outside global unicast 2000::/3 (multicast, ULA, link-local, IPv4-mapped and -compatible), and NAT64
 * (64:ff9b::/96) or 6to4 (2002::/16) addresses whose embedded IPv4 address is refused.
 *
 * <p>A host is either a canonical address literal (dotted quad without leading zeros, or bracketed IPv6 without a
 * zone) or a name that is resolved and whose every address must pass. Other numeric forms ({@code 0x7f000001},
 * {@code 127.1}, {@code 2130706433}, {@code 012.0.0.1}) mean different addresses to different parsers, so a host
 * whose last label is a number, as URL parsers treat it, is refused unless it is the canonical dotted quad.
 */
public final class PublicAddresses {

  /** Looks a name up (blocking, so called off the event loop). */
  @FunctionalInterface
  public interface Resolver {
    InetAddress[] resolve(String host) throws UnknownHostException;
  }

  /** The JVM's resolver (the system's, with the JVM's cache). */
  public static final Resolver SYSTEM = InetAddress::getAllByName;

  /** The host is, or resolves to, an address that is not globally routable unicast (or is a non-canonical form). */
  public static final class NotPublicException extends Exception {
    public NotPublicException(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Blocks of the IANA Special-Purpose Address Registries (iana-ipv4-special-registry, iana-ipv6-special-registry,
   * as of 2025) that are not globally reachable, plus 192.88.99.0/24 (deprecated 6to4 relay anycast). Entries marked
   * globally reachable that lie inside a refused block (such as 192.0.0.9/32 inside 192.0.0.0/24, 2001:3::/32 inside
   * 2001::/23) stay refused: no callback has a reason to go to an anycast protocol service.
   */
  private static final List<IPAddress> NOT_GLOBAL = blocks(
      "0.0.0.0/8", // "this network"
      "10.0.0.0/8", // private-use
      "100.64.0.0/10", // shared address space (CGNAT)
      "127.0.0.0/8", // loopback
      "169.254.0.0/16", // link-local (cloud metadata services)
      "172.16.0.0/12", // private-use
      "192.0.0.0/24", // IETF protocol assignments
      "192.0.2.0/24", // documentation (TEST-NET-1)
      "192.88.99.0/24", // deprecated 6to4 relay anycast
      "192.168.0.0/16", // private-use
      "198.18.0.0/15", // benchmarking
      "198.51.100.0/24", // documentation (TEST-NET-2)
      "203.0.113.0/24", // documentation (TEST-NET-3)
      "240.0.0.0/4", // reserved
      "255.255.255.255/32", // limited broadcast
      "::/128", // unspecified
      "::1/128", // loopback
      "::ffff:0:0/96", // IPv4-mapped
      "64:ff9b:1::/48", // local-use IPv4/IPv6 translation
      "100::/64", // discard-only
      "100:0:0:1::/64", // dummy prefix
      "2001::/23", // IETF protocol assignments (Teredo, benchmarking, ORCHID, ...)
      "2001:db8::/32", // documentation
      "3fff::/20", // documentation
      "5f00::/16", // segment routing (SRv6) SIDs
      "fc00::/7", // unique-local
      "fe80::/10"); // link-local

  private static final IPAddress IPV4_MULTICAST = new IPAddressString("224.0.0.0/4").getAddress();
  private static final IPAddress IPV6_GLOBAL_UNICAST = new IPAddressString("2000::/3").getAddress();

  /** Only the canonical forms: dotted quads without leading zeros, IPv6 without zone, no prefixes or wildcards. */
  private static final IPAddressStringParameters CANONICAL = new IPAddressStringParameters.Builder()
      .allowEmpty(false).allowAll(false).allowPrefix(false).allowMask(false).allowSingleSegment(false)
      .allowWildcardedSeparator(false).setRangeOptions(RangeParameters.NO_RANGE)
      .getIPv4AddressParametersBuilder().allowLeadingZeros(false).allowUnlimitedLeadingZeros(false)
      .allow_inet_aton(false).allowWildcardedSeparator(false).getParentBuilder()
      .getIPv6AddressParametersBuilder().allowZone(false).allowWildcardedSeparator(false).allowBinary(false)
      .getParentBuilder()
      .toParams();

  /** A last label that URL parsers read as a number (decimal, or 0x hex), which makes the whole host an IPv4 form. */
  private static final Pattern NUMERIC_LABEL = Pattern.compile("[0-9]+|0[xX][0-9a-fA-F]*");

  private final Resolver resolver;

  public PublicAddresses(Resolver resolver) {
    this.resolver = resolver;
  }

  /** True when {@code address} is globally routable unicast. */
  public static boolean isPublic(InetAddress address) {
    return isPublic(address instanceof Inet6Address v6 ? new IPv6Address(v6) : new IPv4Address((Inet4Address) address));
  }

  private static boolean isPublic(IPAddress ip) {
    if (ip.isIPv6()) {
      IPv6Address v6 = ip.toIPv6();
      if (v6.isWellKnownIPv4Translatable()) {
        return isPublic((IPAddress) v6.getEmbeddedIPv4Address());
      }
      if (v6.is6To4()) {
        return isPublic((IPAddress) v6.get6To4IPv4Address());
      }
      if (!IPV6_GLOBAL_UNICAST.contains(v6)) {
        return false;
      }
    } else if (IPV4_MULTICAST.contains(ip)) {
      return false;
    }
    return NOT_GLOBAL.stream().noneMatch(block -> block.getIPVersion() == ip.getIPVersion() && block.contains(ip));
  }

  /**
   * The addresses to connect to for {@code host}, all of them public: the literal itself, or every address the name
   * resolves to. Blocking when {@code host} is a name.
   *
   * @throws NotPublicException when the host or any address it resolves to is refused
   * @throws UnknownHostException when the name does not resolve
   */
  public List<InetAddress> resolvePublic(String host) throws NotPublicException, UnknownHostException {
    Optional<IPAddress> literal = literal(host);
    if (literal.isPresent()) {
      if (!isPublic(literal.get())) {
        throw new NotPublicException(refusal(host, literal.get()));
      }
      return List.of(literal.get().toInetAddress());
    }
    InetAddress[] addresses = resolver.resolve(name(host));
    if (addresses == null || addresses.length == 0) {
      throw new UnknownHostException(host);
    }
    for (InetAddress address : addresses) {
      if (!isPublic(address)) {
        throw new NotPublicException(host + " resolves to " + address.getHostAddress()
            + ", which is not a public unicast address");
      }
    }
    return List.of(addresses);
  }

  /** {@link #resolvePublic(String)} off the event loop; a literal is checked at once. */
  public Future<List<InetAddress>> resolvePublic(Vertx vertx, String host) {
    try {
      if (literal(host).isPresent()) {
        return Future.succeededFuture(resolvePublic(host));
      }
    } catch (NotPublicException | UnknownHostException e) {
      return Future.failedFuture(e);
    }
    return vertx.executeBlocking(() -> resolvePublic(host), false);
  }

  /**
   * The address a host spells, when it is a literal; empty for a name.
   *
   * @throws NotPublicException for a numeric host that is not a canonical literal
   */
  private static Optional<IPAddress> literal(String host) throws NotPublicException {
    if (host.isEmpty()) {
      throw new NotPublicException("an empty host is not an address");
    }
    if (host.startsWith("[") || host.indexOf(':') >= 0) {
      String inner = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
      IPAddress ip = new IPAddressString(inner, CANONICAL).getAddress();
      if (ip == null || !ip.isIPv6()) {
        throw new NotPublicException(host + " is not a plain IPv6 address");
      }
      return Optional.of(ip);
    }
    IPAddress ip = new IPAddressString(host, CANONICAL).getAddress();
    if (ip != null) {
      return Optional.of(ip);
    }
    String name = name(host);
    String lastLabel = name.substring(name.lastIndexOf('.') + 1);
    if (NUMERIC_LABEL.matcher(lastLabel).matches()) {
      throw new NotPublicException(host + " is not a canonical dotted-quad IPv4 address (hex, octal, leading zeros and"
          + " shortened forms are refused)");
    }
    return Optional.empty();
  }

  private static List<IPAddress> blocks(String... cidrs) {
    return java.util.Arrays.stream(cidrs).map(c -> new IPAddressString(c).getAddress().toPrefixBlock()).toList();
  }

  /** A name without the root's trailing dot, lower case. */
  private static String name(String host) {
    String name = host.toLowerCase(Locale.ROOT);
    return name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
  }

  private static String refusal(String host, IPAddress ip) {
    return host + " is not a public unicast address (" + kind(ip) + ")";
  }

  private static String kind(IPAddress ip) {
    if (ip.isLoopback()) {
      return "loopback";
    }
    if (ip.isMulticast()) {
      return "multicast";
    }
    if (ip.isLinkLocal()) {
      return "link-local";
    }
    return "private or reserved";
  }
}
