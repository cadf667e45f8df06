package io.genorch.poller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.genorch.common.config.OrchConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PollerBackoffTest {

  private static final PollBackoff DEFAULT = PollerOptions.from(OrchConfig.of(Map.of())).backoff();
  private static final Instant NOW = Instant.parse("2025-01-01T12:00:00Z");
  private static final Instant FAR = NOW.plus(Duration.ofDays(1));

  @Test
  void thirtySecondsDoublingUpToTenMinutes() {
    assertEquals(Duration.ofSeconds(30), DEFAULT.delayAfter(1));
    assertEquals(Duration.ofSeconds(60), DEFAULT.delayAfter(2));
    assertEquals(Duration.ofSeconds(120), DEFAULT.delayAfter(3));
    assertEquals(Duration.ofSeconds(480), DEFAULT.delayAfter(5));
    assertEquals(Duration.ofMinutes(10), DEFAULT.delayAfter(6));
    assertEquals(Duration.ofMinutes(10), DEFAULT.delayAfter(1_000));
    assertEquals(NOW.plusSeconds(60), DEFAULT.nextCheck(NOW, 2, null, FAR));
  }

  @Test
  void aLongerRetryAfterIsHonoured() {
    assertEquals(NOW.plusSeconds(90), DEFAULT.nextCheck(NOW, 1, Duration.ofSeconds(90), FAR));
    assertEquals(NOW.plusSeconds(30), DEFAULT.nextCheck(NOW, 1, Duration.ofSeconds(5), FAR));
    assertEquals(NOW.plusSeconds(3600), DEFAULT.nextCheck(NOW, 1, Duration.ofHours(1), FAR));
  }

  @Test
  void neverAfterTheDeadline() {
    Instant deadline = NOW.plusSeconds(45);
    assertEquals(deadline, DEFAULT.nextCheck(NOW, 2, null, deadline));
    assertEquals(deadline, DEFAULT.nextCheck(NOW, 1, Duration.ofHours(1), deadline));
    assertEquals(NOW.plusSeconds(30), DEFAULT.nextCheck(NOW, 1, null, deadline));
  }

  @Test
  void defaultsAndOverrides() {
    PollerOptions defaults = PollerOptions.from(OrchConfig.of(Map.of()));
    assertEquals(Duration.ofSeconds(1), defaults.interval());
    assertEquals(100, defaults.batchSize());
    assertEquals(Duration.ofSeconds(60), defaults.lease());
    PollerOptions set = PollerOptions.from(OrchConfig.of(Map.of("ORCH_POLL_INTERVAL_MS", "250", "ORCH_POLL_BATCH_SIZE", "7",
        "ORCH_POLL_LEASE_MS", "5000", "ORCH_POLL_BACKOFF_MS", "100", "ORCH_POLL_BACKOFF_CAP_MS", "400",
        "ORCH_PROVIDER_TIMEOUT_MS", "4000")));
    assertEquals(Duration.ofMillis(250), set.interval());
    assertEquals(7, set.batchSize());
    assertEquals(Duration.ofSeconds(5), set.lease());
    assertEquals(Duration.ofMillis(400), set.backoff().delayAfter(4));
    assertThrows(IllegalArgumentException.class, () -> new PollBackoff(Duration.ofSeconds(10), Duration.ofSeconds(5)));
    // no status call could start within such a claim
    assertThrows(IllegalArgumentException.class, () -> PollerOptions.from(OrchConfig.of(Map.of(
        "ORCH_POLL_LEASE_MS", "5000", "ORCH_PROVIDER_TIMEOUT_MS", "5000"))));
  }
}
