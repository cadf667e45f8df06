package io.genorch.common.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class ProviderResponsesTest {

  private static final Instant AT = Instant.parse("2025-11-24T10:00:00Z");

  @Test
  void everyTimestampFormIsReadAsUtc() {
    assertEquals(AT, ProviderResponses.instant("2025-11-24T10:00:00Z"));
    assertEquals(AT, ProviderResponses.instant("2025-11-24T12:00:00+02:00"));
    assertEquals(AT, ProviderResponses.instant("2025-11-24T10:00:00"));
    assertEquals(AT, ProviderResponses.instant("2025-11-24T10:00:00.000000"));
    assertEquals(AT, ProviderResponses.instant(AT.getEpochSecond()));
    assertEquals(AT, ProviderResponses.instant(String.valueOf(AT.getEpochSecond())));
    assertNull(ProviderResponses.instant("yesterday"));
    assertNull(ProviderResponses.instant(null));
  }

  @Test
  void codesBecomeErrorCodesAndSentencesBecomeMessages() {
    assertEquals("CONTENT_POLICY_VIOLATION", ProviderResponses.failure(null, "CONTENT_POLICY_VIOLATION").code());
    assertEquals("CONTENT_POLICY_VIOLATION", ProviderResponses.failure("content_policy_violation", "Rejected").code());
    assertEquals("GENERATION_FAILED", ProviderResponses.failure(null, "The prompt violates our policy").code());
    assertEquals("GENERATION_FAILED", ProviderResponses.failure(null, null).code());
  }
}
