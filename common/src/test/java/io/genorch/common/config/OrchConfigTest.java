package io.genorch.common.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.provider.Providers;
import io.genorch.common.provider.ProviderSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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

  private static final List<ProviderSpec> SPECS =
      Providers.all().list().stream().map(io.genorch.common.provider.ProviderAdapter::spec).toList();

  private static InvalidSettingsException refused(Map<String, String> env) {
    return assertThrows(InvalidSettingsException.class, () -> OrchConfig.of(env).validate(SPECS));
  }

  @Test
  void aValueThatIsNotANumberIsRefusedNamingTheVariableAndWhatItAccepts() {
    InvalidSettingsException e = refused(Map.of("ORCH_HTTP_PORT", "abc"));
    assertEquals(List.of("ORCH_HTTP_PORT=abc is not valid: expected a port number 0..65535 (0: any free port)"), e.problems());
    assertTrue(refused(Map.of("ORCH_POLL_BATCH_SIZE", "ten")).getMessage().startsWith("ORCH_POLL_BATCH_SIZE=ten"));
    assertTrue(refused(Map.of("ORCH_SUBMIT_BACKOFF_MS", "1.5")).getMessage().contains("milliseconds"));
  }

  @Test
  void aPortOutOfRangeAndOtherOutOfRangeNumbersAreRefused() {
    assertTrue(refused(Map.of("ORCH_WEBHOOK_PORT", "70000")).getMessage().startsWith("ORCH_WEBHOOK_PORT=70000 is not valid"));
    assertTrue(refused(Map.of("ORCH_HTTP_PORT", "-1")).getMessage().startsWith("ORCH_HTTP_PORT=-1"));
    assertTrue(refused(Map.of("ORCH_PG_POOL_SIZE", "0")).getMessage().contains("an integer 1..1000"));
    assertTrue(refused(Map.of("ORCH_PROVIDER_VIDGO_MAX_RPM", "0")).getMessage().startsWith("ORCH_PROVIDER_VIDGO_MAX_RPM=0"));
    assertTrue(refused(Map.of("ORCH_PROVIDER_APIMART_DEADLINE_S", "soon")).getMessage().contains("seconds"));
  }

  @Test
  void booleansAreOnlyTrueOrFalse() {
    assertEquals(List.of("ORCH_DEMO=yes is not valid: expected true or false"), refused(Map.of("ORCH_DEMO", "yes")).problems());
    refused(Map.of("ORCH_METRICS_ENABLED", "1"));
    refused(Map.of("ORCH_PROVIDER_VIDGO_CONFIRM_WEBHOOKS", "on"));
    assertTrue(OrchConfig.of(Map.of("ORCH_DEMO", "TRUE")).demo());
    assertFalse(OrchConfig.of(Map.of("ORCH_CLUSTER", "false")).clustered());
  }

  @Test
  void urlsAndLevelsAreChecked() {
    refused(Map.of("ORCH_PUBLIC_WEBHOOK_BASE_URL", "localhost:8081"));
    refused(Map.of("ORCH_PG_URL", "mysql://db/x"));
    refused(Map.of("ORCH_PROVIDER_VIDGO_BASE_URL", "ftp://vidgo.example"));
    refused(Map.of("ORCH_LOG_LEVEL", "LOUD"));
    refused(Map.of("ORCH_PROVIDER_VIDGO_ALLOWED_CIDRS", "10.0.0.0/33"));
    assertTrue(OrchConfig.of(Map.of("ORCH_PROVIDER_VIDGO_ALLOWED_CIDRS", "10.0.0.0/8, 2001:db8::/32"))
        .provider(SPECS.stream().filter(s -> s.id().equals("vidgo")).findFirst().orElseThrow())
        .allowedSources().allows("10.1.2.3"));
    refused(Map.of("ORCH_CALLBACK_SECRET", "s3cret"));
    refused(Map.of("ORCH_CALLBACK_SECRET", "whsec_c2hvcnQ="));
    assertEquals("https://hooks.example/base",
        OrchConfig.of(Map.of("ORCH_PUBLIC_WEBHOOK_BASE_URL", "https://hooks.example/base/")).publicWebhookBaseUrl());
  }

  @Test
  void everyProblemIsReportedAtOnceAndAValidConfigurationPasses() {
    InvalidSettingsException e = refused(Map.of("ORCH_HTTP_PORT", "abc", "ORCH_DEMO", "yes",
        "ORCH_PROVIDER_VIDGO_API_KEY", "k"));
    assertEquals(3, e.problems().size(), e.getMessage());
    assertTrue(e.getMessage().contains("ORCH_PROVIDER_VIDGO_BASE_URL"), e.getMessage());
    OrchConfig.of(Map.of("ORCH_HTTP_PORT", "9090", "ORCH_DEMO", "true", "ORCH_POLL_INTERVAL_MS", " 250 ",
        "ORCH_PROVIDER_RUNBLOB_SORA_API_KEY", "k", "ORCH_API_KEYS", "a, b")).validate(SPECS);
  }

  @Test
  void unknownOrchVariablesAreFoundButProviderVariablesOfKnownProvidersAndSuffixesAreNot() {
    OrchConfig config = OrchConfig.of(Map.of(
        "ORCH_HTTP_PROT", "8080",
        "ORCH_PROVIDER_VIDGO_MAX_RPN", "5",
        "ORCH_PROVIDER_SORA_API_KEY", "k",
        "ORCH_PROVIDER_RUNBLOB_KLING_O3_API_KEY", "k",
        "ORCH_POLL_INTERVAL_MS", "100",
        "PATH", "/usr/bin"));
    assertEquals(List.of("ORCH_HTTP_PROT", "ORCH_PROVIDER_SORA_API_KEY", "ORCH_PROVIDER_VIDGO_MAX_RPN"),
        config.unknownVariables(Providers.all().ids()));
  }

  @Test
  void theEffectiveSettingsShowEveryValueOrItsDefaultWithSecretsMasked() {
    Map<String, String> effective = OrchConfig.of(Map.of(
        "ORCH_API_KEYS", "key-one,key-two",
        "ORCH_CALLBACK_SECRET", "whsec_c2VjcmV0c2VjcmV0c2VjcmV0",
        "ORCH_PG_URL", "postgresql://app:hunter2@db.example:5432/genorch",
        "ORCH_PROVIDER_VIDGO_API_KEY", "vidgo-secret",
        "ORCH_PROVIDER_VIDGO_BASE_URL", "https://vidgo.example",
        "ORCH_HTTP_PORT", "9090")).effectiveSettings(Providers.all().ids());
    String all = effective.toString();
    for (String secret : List.of("key-one", "key-two", "c2VjcmV0", "hunter2", "vidgo-secret")) {
      assertFalse(all.contains(secret), secret + " is shown in " + all);
    }
    assertEquals("****", effective.get("ORCH_API_KEYS"));
    assertEquals("****", effective.get("ORCH_PROVIDER_VIDGO_API_KEY"));
    assertEquals("postgresql://app:****@db.example:5432/genorch", effective.get("ORCH_PG_URL"));
    assertEquals("postgresql://db.example/genorch?user=app&password=****&sslmode=require", OrchConfig.of(Map.of(
            "ORCH_PG_URL", "postgresql://db.example/genorch?user=app&password=hunter2&sslmode=require"))
        .effectiveSettings(List.of()).get("ORCH_PG_URL"));
    assertEquals("https://vidgo.example", effective.get("ORCH_PROVIDER_VIDGO_BASE_URL"));
    assertEquals("9090", effective.get("ORCH_HTTP_PORT"));
    assertEquals("8081 (default)", effective.get("ORCH_WEBHOOK_PORT"));
    assertEquals(Settings.ALL.size() + 2, effective.size(), "every setting, and the provider variables that are set");
  }

  @Test
  void everySettingHasItsOwnNameAndARowInTheReadme() throws IOException {
    Set<String> names = new HashSet<>();
    Settings.ALL.forEach(s -> assertTrue(names.add(s.name()), "twice: " + s.name()));
    String readme = Files.readString(Path.of("..", "README.md"));
    for (Setting<?> setting : Settings.ALL) {
      assertTrue(readme.contains("`" + setting.name() + "`"), setting.name() + " is missing from the README configuration table");
    }
    for (Settings.ProviderKey<?> key : Settings.PROVIDER_KEYS) {
      assertTrue(readme.contains("`ORCH_PROVIDER_<ID>_" + key.suffix() + "`"), key.suffix() + " is missing from the README");
    }
  }

  @Test
  void defaultsAreTheDocumentedOnes() {
    OrchConfig none = OrchConfig.of(Map.of());
    assertEquals(8080, none.httpPort());
    assertEquals(8081, none.webhookPort());
    assertEquals(Duration.ofSeconds(30), none.providerTimeout());
    assertEquals(Duration.ofSeconds(60), none.providerCallLease());
    assertTrue(none.metricsEnabled());
    assertFalse(none.demo());
    assertEquals(16, none.pgPoolSize());
  }

  @Test
  void logFormatIsTextUnlessJsonAndAnythingElseNamesTheVariable() {
    assertEquals("text", OrchConfig.of(Map.of()).logFormat());
    assertEquals("json", OrchConfig.of(Map.of("ORCH_LOG_FORMAT", "json")).logFormat());
    assertEquals(List.of("ORCH_LOG_FORMAT=xml is not valid: expected text or json"),
        refused(Map.of("ORCH_LOG_FORMAT", "xml")).problems());
  }
}
