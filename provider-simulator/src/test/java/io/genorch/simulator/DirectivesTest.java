package io.genorch.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;

import org.junit.jupiter.api.Test;

/** Parsing and merging of {@code [sim:...]} directives, without a network. */
class DirectivesTest {

  @Test
  void aPromptMayCarrySeveralDirectives() {
    Directives d = Directives.parse("A cat [sim:fail=TIMEOUT] walks [SIM:Duplicate=2][sim:no-callback] "
        + "[sim:submit-error=503][sim:submit-error-times=2][sim:status-error=Timeout][sim:duration=5000]");
    assertTrue(d.fail());
    assertEquals("TIMEOUT", d.failCode());
    assertEquals(2, d.duplicate());
    assertTrue(d.noCallback());
    assertEquals("503", d.submitError());
    assertEquals(2, d.submitErrorTimes());
    assertEquals("timeout", d.statusError());
    assertEquals(5000L, d.durationMs());
  }

  @Test
  void aPromptWithoutDirectivesHasNone() {
    assertTrue(Directives.parse("A plain [prompt] with sim: words").isNone());
    assertTrue(Directives.parse(null).isNone());
  }

  @Test
  void malformedAndUnknownDirectivesAreIgnored() {
    Directives d = Directives.parse("[sim:duplicate=many] [sim:teleport] [sim:contradict]");
    assertNull(d.duplicate());
    assertTrue(d.contradict());
  }

  @Test
  void expiringLinksWithoutAValueMeansAlreadyExpired() {
    assertEquals(Directives.EXPIRED_LINK_SECONDS, Directives.parse("[sim:expiring-links]").expiringLinksSeconds());
    assertEquals(60L, Directives.parse("[sim:expiring-links=60]").expiringLinksSeconds());
  }

  @Test
  void aJobsDirectivesWinOverGlobalFaultsWhereBothSetAValue() {
    Directives global = Directives.NONE.withSubmitError("500").withDuplicate(2).withNoCallback(true);
    Directives merged = Directives.parse("[sim:submit-error=429]").over(global);
    assertEquals("429", merged.submitError());
    assertEquals(2, merged.duplicate());
    assertTrue(merged.noCallback());
  }

  @Test
  void theJsonFormRoundTrips() {
    Directives d = Directives.parse("[sim:fail=X][sim:callback-delay=10][sim:status-404][sim:expiring-links]");
    assertEquals(d, Directives.fromJson(d.toJson()));
    assertEquals(new JsonObject(), Directives.NONE.toJson());
    Directives fromHttp = Directives.fromJson(new JsonObject().put("submitError", 503).put("expiringLinks", true));
    assertEquals("503", fromHttp.submitError());
    assertEquals(Directives.EXPIRED_LINK_SECONDS, fromHttp.expiringLinksSeconds());
    assertFalse(fromHttp.fail());
  }
}
