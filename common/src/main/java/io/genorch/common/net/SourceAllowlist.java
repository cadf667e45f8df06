package io.genorch.common.net;

import inet.ipaddr.AddressStringException;
import inet.ipaddr.AddressStringParameters.RangeParameters;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import inet.ipaddr.IPAddressStringParameters;
import inet.ipaddr.IncompatibleAddressException;
import java.util.ArrayList;
import java.util.List;

/**
 * The source addresses a provider's webhooks may come from (ORCH_PROVIDER_&lt;ID&gt;_ALLOWED_CIDRS): IPv4 or IPv6
 * blocks such as {@code 203.0.113.0/24} or single addresses, parsed and matched by the ipaddress library (as
 * {@link PublicAddresses} is). Empty means any address. Only canonical address literals are
 * accepted, so checking never does a DNS lookup and {@code 010.0.0.0/8} cannot mean two things; IPv4-mapped IPv6
 * sources ({@code ::ffff:a.b.c.d}) count as IPv4.
 */
public final class SourceAllowlist {

  /** Entries: an address or address/prefix in canonical form; no masks, ranges, wildcards or inet_aton forms. */
  private static final IPAddressStringParameters ENTRY = new IPAddressStringParameters.Builder()
      .allowEmpty(false).allowAll(false).allowMask(false).allowSingleSegment(false).allowWildcardedSeparator(false)
      .setRangeOptions(RangeParameters.NO_RANGE)
      .getIPv4AddressParametersBuilder().allowLeadingZeros(false).allowUnlimitedLeadingZeros(false)
      .allow_inet_aton(false).allowWildcardedSeparator(false).getParentBuilder()
      .getIPv6AddressParametersBuilder().allowZone(false).allowWildcardedSeparator(false).allowBinary(false)
      .getParentBuilder()
      .toParams();

  /** Sources, as a socket or a forwarding header reports them: a literal, IPv6 possibly bracketed or zoned. */
  private static final IPAddressStringParameters SOURCE = new IPAddressStringParameters.Builder()
      .allowEmpty(false).allowAll(false).allowPrefix(false).allowMask(false).allowSingleSegment(false)
      .allowWildcardedSeparator(false).setRangeOptions(RangeParameters.NO_RANGE)
      .getIPv4AddressParametersBuilder().allow_inet_aton(false).getParentBuilder()
      .toParams();

  private final List<IPAddress> blocks;
  private final List<String> spec;

  private SourceAllowlist(List<IPAddress> blocks, List<String> spec) {
    this.blocks = blocks;
    this.spec = spec;
  }

  public static SourceAllowlist any() {
    return new SourceAllowlist(List.of(), List.of());
  }

  /**
   * @param cidrs entries such as {@code 10.0.0.0/8}, {@code 2001:db8::/32}, {@code 198.51.100.7}
   * @throws IllegalArgumentException naming the first entry that is not an address literal or block
   */
  public static SourceAllowlist parse(List<String> cidrs) {
    List<IPAddress> blocks = new ArrayList<>();
    for (String entry : cidrs) {
      IPAddress block;
      try {
        block = new IPAddressString(entry.trim(), ENTRY).toAddress();
      } catch (AddressStringException | IncompatibleAddressException e) {
        throw new IllegalArgumentException("'" + entry + "' is not an IP address or CIDR block: " + e.getMessage());
      }
      blocks.add(unmapped(block.toPrefixBlock()));
    }
    return new SourceAllowlist(List.copyOf(blocks), List.copyOf(cidrs));
  }

  public boolean restricts() {
    return !blocks.isEmpty();
  }

  /** True when unrestricted, or when {@code address} (a literal, as a socket reports it) is in one of the blocks. */
  public boolean allows(String address) {
    if (blocks.isEmpty()) {
      return true;
    }
    IPAddress source = address == null ? null : new IPAddressString(unbracketed(address), SOURCE).getAddress();
    if (source == null) {
      return false;
    }
    IPAddress plain = unmapped(source.isIPv6() ? source.toIPv6().removeZone() : source);
    return blocks.stream().anyMatch(block -> block.getIPVersion() == plain.getIPVersion() && block.contains(plain));
  }

  @Override
  public String toString() {
    return blocks.isEmpty() ? "any" : String.join(",", spec);
  }

  private static String unbracketed(String text) {
    return text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
  }

  /** An IPv4-mapped IPv6 address as the IPv4 address it carries; anything else unchanged. */
  private static IPAddress unmapped(IPAddress address) {
    return address.isIPv6() && address.toIPv6().isIPv4Mapped() ? address.toIPv6().getEmbeddedIPv4Address() : address;
  }
}
