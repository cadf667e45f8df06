package io.genorch.common.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.testing.Await;
import io.genorch.common.testing.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The circuit per provider, over a real PostgreSQL, as two instances with their own pools see it. */
@ExtendWith(VertxExtension.class)
class ProviderHealthTest {

  private TestDatabase db;
  private Pool poolA;
  private Pool poolB;
  private ProviderHealth instanceA;
  private ProviderHealth instanceB;

  @BeforeEach
  void database(Vertx vertx) {
    db = TestDatabase.create();
    poolA = db.open().pool(vertx, 4);
    poolB = db.open().pool(vertx, 4);
    instanceA = new ProviderHealth(poolA, 3, Duration.ofSeconds(30));
    instanceB = new ProviderHealth(poolB, 3, Duration.ofSeconds(30));
  }

  @AfterEach
  void drop() {
    Await.result(poolA.close());
    Await.result(poolB.close());
    db.close();
  }

  /** The wait of an open circuit, or the age of a probe, as if ORCH_CIRCUIT_OPEN_S had passed. */
  private void waitIsOver(String provider) {
    db.execute("UPDATE provider_health SET opened_at = opened_at - interval '1 minute',"
        + " probe_at = probe_at - interval '1 minute' WHERE provider = '" + provider + "'");
  }

  /**
   * The submitter reports a success after every accepted submit: on a circuit that is closed without failures (or
   * has no row) that must write nothing, not even a row lock, so that it costs no WAL flush and no wait.
   */
  @Test
  void aSuccessOnAHealthyCircuitWritesNothing() {
    Await.result(instanceA.recordSuccess("vidgo"));
    assertEquals(0, db.count("SELECT count(*) FROM provider_health WHERE provider = 'vidgo'"), "no row made");
    Await.result(instanceA.recordFailure("vidgo"));
    Await.result(instanceA.recordSuccess("vidgo"));
    db.execute("UPDATE provider_health SET updated_at = '2000-01-01' WHERE provider = 'vidgo'");
    long xmin = db.count("SELECT xmin::text::bigint FROM provider_health WHERE provider = 'vidgo'");
    Await.result(instanceB.recordSuccess("vidgo"));
    assertEquals(xmin, db.count("SELECT xmin::text::bigint FROM provider_health WHERE provider = 'vidgo'"),
        "the closed row was not written again");
    assertEquals(0, db.count("SELECT count(*) FROM provider_health WHERE provider = 'vidgo' AND xmax <> '0'"),
        "nor locked");
    assertEquals(ProviderHealth.Health.OK, Await.result(instanceA.state("vidgo")).health());
  }

  @Test
  void opensAfterFailuresInARowAndASuccessResetsTheCount() {
    assertTrue(Await.result(instanceA.allowRequest("vidgo")), "a provider never seen is closed");
    assertEquals("closed", Await.result(instanceA.recordFailure("vidgo")));
    assertEquals("closed", Await.result(instanceB.recordFailure("vidgo")));
    Await.result(instanceA.recordSuccess("vidgo"));
    assertEquals("closed", Await.result(instanceA.recordFailure("vidgo")));
    assertEquals("closed", Await.result(instanceB.recordFailure("vidgo")));
    assertEquals(ProviderHealth.Health.DEGRADED, Await.result(instanceA.state("vidgo")).health());
    assertEquals("open", Await.result(instanceA.recordFailure("vidgo")), "the third in a row, counted across instances");

    assertFalse(Await.result(instanceA.allowRequest("vidgo")));
    assertFalse(Await.result(instanceB.allowRequest("vidgo")));
    ProviderHealth.Circuit seenByB = Await.result(instanceB.state("vidgo"));
    assertEquals(ProviderHealth.Health.OPEN, seenByB.health());
    assertTrue(seenByB.skipped());
    assertTrue(Await.result(instanceA.allowRequest("apimart")), "other providers are not affected");
  }

  @Test
  void afterTheWaitExactlyOneOfManyConcurrentCallersOnTwoInstancesProbes() {
    for (int round = 0; round < 10; round++) {
      String provider = "p" + round;
      for (int i = 0; i < 3; i++) {
        Await.result(instanceA.recordFailure(provider));
      }
      waitIsOver(provider);
      assertEquals(ProviderHealth.Health.DEGRADED, Await.result(instanceB.state(provider)).health(),
          "an open circuit whose wait is over is due a probe");
      List<Future<Boolean>> callers = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        callers.add((i % 2 == 0 ? instanceA : instanceB).allowRequest(provider));
      }
      Await.result(Future.join(callers));
      long allowed = callers.stream().filter(Future::result).count();
      assertEquals(1, allowed, "one probe in round " + round);
      assertFalse(Await.result(instanceB.allowRequest(provider)), "while the probe is out, nobody else goes");
    }
  }

  @Test
  void aFailedProbeOpensAgainAndASuccessfulOneCloses() {
    for (int i = 0; i < 3; i++) {
      Await.result(instanceA.recordFailure("apimart"));
    }
    waitIsOver("apimart");
    assertTrue(Await.result(instanceA.allowRequest("apimart")));
    assertEquals("open", Await.result(instanceA.recordFailure("apimart")), "a failed probe opens it again at once");
    assertFalse(Await.result(instanceB.allowRequest("apimart")), "for a whole new wait");

    waitIsOver("apimart");
    assertTrue(Await.result(instanceB.allowRequest("apimart")));
    Await.result(instanceB.recordSuccess("apimart"));
    ProviderHealth.Circuit closed = Await.result(instanceA.state("apimart"));
    assertEquals("closed", closed.state());
    assertEquals(ProviderHealth.Health.OK, closed.health());
    assertTrue(Await.result(instanceA.allowRequest("apimart")));
    assertTrue(Await.result(instanceB.allowRequest("apimart")));
  }

  @Test
  void aProbeWhoseSenderVanishedIsHandedOnAfterTheWait() {
    for (int i = 0; i < 3; i++) {
      Await.result(instanceA.recordFailure("heo365-sora2"));
    }
    waitIsOver("heo365-sora2");
    assertTrue(Await.result(instanceA.allowRequest("heo365-sora2")));
    assertFalse(Await.result(instanceB.allowRequest("heo365-sora2")));
    waitIsOver("heo365-sora2");
    assertTrue(Await.result(instanceB.allowRequest("heo365-sora2")), "the probe never answered: the next caller probes");
  }
}
