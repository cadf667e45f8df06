package io.genorch.common.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.provider.Providers;
import io.genorch.common.provider.ProviderSpec;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OrchConfigTest {

  private static ProviderSpec spec(String id) {
    return Providers.all().find(id).orElseThrow().spec();
  }

  @Test
  void aProviderWithADocumentedAddressNeedsOnlyItsKey() {
    ProviderSettings runblob = OrchConfig.of(Map.of("ORCH_PROVIDER_RUNBLOB_SORA_API_KEY", "k")).provider(spec("runblob-sora"));
    assertTrue(runblob.enabled());
    assertEquals("https://platform.runblob.io", runblob.baseUrl());
  }

  @Test
  void aKeyWithoutAnAddressToSendItToIsRefusedAtStart() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OrchConfig.of(Map.of("ORCH_PROVIDER_VIDGO_API_KEY", "k")).provider(spec("vidgo")));
    assertTrue(e.getMessage().contains("ORCH_PROVIDER_VIDGO_BASE_URL"), e.getMessage());
  }

  @Test
  void overridesAndDefaultsPerProvider() {
    ProviderSettings vidgo = OrchConfig.of(Map.of(
        "ORCH_PROVIDER_VIDGO_BASE_URL", "https://vidgo.example",
        "ORCH_PROVIDER_VIDGO_CALLBACK_GRACE_S", "30",
        "ORCH_PROVIDER_VIDGO_DEADLINE_S", "600",
        "ORCH_PROVIDER_VIDGO_MAX_RPM", "7")).provider(spec("vidgo"));
    assertFalse(vidgo.enabled(), "no key, not enabled");
    assertEquals(Duration.ofSeconds(30), vidgo.callbackGrace());
    assertEquals(Duration.ofSeconds(600), vidgo.deadline());
    assertEquals(7, vidgo.maxRpm());
    ProviderSettings kling = OrchConfig.of(Map.of()).provider(spec("runblob-kling-o3"));
    assertEquals(spec("runblob-kling-o3").defaultDeadline(), kling.deadline());
    assertEquals(60, kling.maxRpm());
  }

  @Test
  void logFormatIsTextUnlessJsonAndAnythingElseNamesTheVariable() {
    assertEquals("text", OrchConfig.of(Map.of()).logFormat());
    assertEquals("json", OrchConfig.of(Map.of("ORCH_LOG_FORMAT", "json")).logFormat());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OrchConfig.of(Map.of("ORCH_LOG_FORMAT", "xml")).logFormat());
    assertTrue(e.getMessage().contains("ORCH_LOG_FORMAT") && e.getMessage().contains("xml"), e.getMessage());
  }
}
