package io.genorch.simulator.dialect;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/** The timestamp forms the providers use; all in UTC. */
final class Timestamps {

  private static final DateTimeFormatter NO_ZONE_SECONDS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter NO_ZONE_MICROS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS").withZone(ZoneOffset.UTC);

  private Timestamps() {
  }

  /** {@code 2024-10-24T10:00:00Z} (heo365). */
  static String isoZ(Instant t) {
    return t == null ? null : t.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /** {@code 2025-11-12T10:30:00}, UTC without zone (vidgo). */
  static String isoNoZone(Instant t) {
    return t == null ? null : NO_ZONE_SECONDS.format(t);
  }

  /** {@code 2025-11-24T10:00:00.000000}, UTC without zone (runblob). */
  static String isoMicrosNoZone(Instant t) {
    return t == null ? null : NO_ZONE_MICROS.format(t);
  }

  /** Unix seconds (apimart). */
  static Long unix(Instant t) {
    return t == null ? null : t.getEpochSecond();
  }
}
