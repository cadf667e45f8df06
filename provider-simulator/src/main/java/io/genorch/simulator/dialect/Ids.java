package io.genorch.simulator.dialect;

import java.security.SecureRandom;
import java.util.UUID;

/** Task id formats of the providers. */
final class Ids {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final char[] LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
  private static final char[] CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();

  private Ids() {
  }

  static String uuid() {
    return UUID.randomUUID().toString();
  }

  static String lowerAlnum(int length) {
    StringBuilder sb = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      sb.append(LOWER_ALNUM[RANDOM.nextInt(LOWER_ALNUM.length)]);
    }
    return sb.toString();
  }

  /**
   * An id shaped like APIMart's: {@code 01K} followed by 23 Crockford base-32 characters (26 in all, the length of
   * a ULID; the documented ids are ULIDs of late 2025, hence the fixed {@code 01K} start).
   */
  static String apimartUlid() {
    StringBuilder sb = new StringBuilder("01K");
    for (int i = 0; i < 23; i++) {
      sb.append(CROCKFORD[RANDOM.nextInt(CROCKFORD.length)]);
    }
    return sb.toString();
  }
}
