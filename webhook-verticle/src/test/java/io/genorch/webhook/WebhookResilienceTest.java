package io.genorch.webhook;

import static io.genorch.webhook.WebhookHarness.seed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.genorch.common.config.OrchConfig;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.testing.Await;
import io.genorch.common.testing.TestDatabase;
import io.genorch.webhook.WebhookHarness.Arranged;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import io.vertx.pgclient.PgConnectOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Nothing acknowledged is lost: not when the database goes away, not when the process dies after the 200. */
@ExtendWith(VertxExtension.class)
class WebhookResilienceTest {

  private static final String RUNBLOB_TASK = "550e8400-e29b-41d4-a716-446655440000";
  private static final String VIDGO_TASK = "task-unified-1757165031-uyujaw3d";
  /** Each test gets its own database: one of them takes it down. */
  private TestDatabase db;

  @BeforeEach
  void database() {
    db = TestDatabase.create();
  }

  @AfterEach
  void dropDatabase() {
    db.close();
  }

  @Test
  void databaseDownAnswers503AndAfterItReturnsDeliveriesAre200WithNothingLost(Vertx vertx) throws Exception {
    WebhookHarness h = WebhookHarness.start(vertx, db, Map.of());
    Arranged before = h.arrangeSubmitted("runblob-sora", RUNBLOB_TASK);
    Arranged during = h.arrangeSubmitted("vidgo", VIDGO_TASK);
    assertEquals(200, h.deliver(before, seed("runblob-sora-success.json")).statusCode());
    h.awaitProcessed(before.id());

    // every session of the service is cut and no new one is let in, from an administrator connection to another
    // database of the same server: the service sees exactly what it sees when its PostgreSQL is down
    String name = databaseName(db);
    try (Connection admin = adminConnection(db); Statement sql = admin.createStatement()) {
      sql.execute("ALTER DATABASE " + name + " ALLOW_CONNECTIONS false");
      sql.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name + "'");
      try {
        HttpResponse<Buffer> refused = h.deliver(during, seed("vidgo-finished.json"));
        assertEquals(503, refused.statusCode(), "a store fault is never a 4xx: the provider must retry");
        assertEquals("unavailable", refused.bodyAsJsonObject().getJsonObject("error").getString("code"));
        assertEquals(503, h.post("/webhooks/vidgo/" + during.token(), "{\"not\":\"vidgo\"}").statusCode(),
            "a body that would be refused waits for the store too: no 4xx while the token cannot be checked");
      } finally {
        sql.execute("ALTER DATABASE " + name + " ALLOW_CONNECTIONS true");
      }
    }

    // the provider retries the delivery it got a 503 for
    assertEquals(200, h.deliver(during, seed("vidgo-finished.json")).statusCode());
    assertEquals(List.of(DeliveryProcessor.ADVANCED), h.awaitProcessed(during.id()));
    assertEquals(GenerationStatus.SUCCEEDED, h.generation(during.id()).status());
    assertEquals(GenerationStatus.SUCCEEDED, h.generation(before.id()).status());
    assertEquals(List.of(DeliveryProcessor.ADVANCED), h.outcomes(before.id()), "the earlier delivery is untouched");
  }

  @Test
  void deliveryAcknowledgedBeforeTheProcessDiedIsAppliedAfterRestart() {
    OrchConfig config = OrchConfig.of(Map.of());
    Vertx first = Vertx.vertx();
    Arranged gen;
    try {
      // the first process stores and acknowledges, then dies before it applies anything
      WebhookHarness dying = WebhookHarness.start(first, db, config, WebhookHarness.fastOptions(config).withProcessing(false));
      gen = dying.arrangeSubmitted("runblob-sora", RUNBLOB_TASK);
      assertEquals(200, dying.deliver(gen, seed("runblob-sora-success.json")).statusCode());
    } finally {
      Await.result(first.close());
    }
    assertEquals(1, db.count("SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NULL AND generation_id = '" + gen.id() + "'"));
    assertEquals(0, db.count("SELECT count(*) FROM generations WHERE status = 'succeeded' AND id = '" + gen.id() + "'"));

    Vertx second = Vertx.vertx();
    try {
      WebhookHarness restarted = WebhookHarness.start(second, db, Map.of());
      assertEquals(GenerationStatus.SUCCEEDED, restarted.awaitStatus(gen.id(), GenerationStatus.SUCCEEDED).status());
      assertEquals(List.of(DeliveryProcessor.ADVANCED), restarted.awaitProcessed(gen.id()));
      assertEquals(1, restarted.timelineCount(gen.id(), "succeeded"));
    } finally {
      Await.result(second.close());
    }
  }

  @Test
  void deliveryClaimedByAProcessThatDiedIsTakenAgainOnceItsTransactionIsGone(Vertx vertx) throws Exception {
    OrchConfig config = OrchConfig.of(Map.of());
    WebhookHarness h = WebhookHarness.start(vertx, db, config, WebhookHarness.fastOptions(config).withProcessing(false));
    Arranged gen = h.arrangeSubmitted("vidgo", VIDGO_TASK);
    assertEquals(200, h.deliver(gen, seed("vidgo-failed.json")).statusCode());

    // what another instance holds mid-round: the delivery claimed by the row lock of its open transaction
    Connection otherInstance = db.connect();
    try {
      otherInstance.setAutoCommit(false);
      try (Statement sql = otherInstance.createStatement()) {
        sql.executeQuery("SELECT id FROM webhook_deliveries WHERE generation_id = '" + gen.id() + "'"
            + " FOR NO KEY UPDATE SKIP LOCKED").close();
      }
      Vertx survivorVertx = Vertx.vertx();
      try {
        WebhookHarness survivor = WebhookHarness.start(survivorVertx, db, Map.of());
        // a later delivery processed by the survivor: its worker has claimed since it started, and passed this one over
        Arranged later = survivor.arrangeSubmitted("runblob-sora", RUNBLOB_TASK);
        assertEquals(200, survivor.deliver(later, seed("runblob-sora-success.json")).statusCode());
        survivor.awaitProcessed(later.id());
        assertEquals(1, survivor.unprocessedDeliveries(gen.id()), "a delivery another round holds is left alone");
        assertNotEquals(GenerationStatus.FAILED, survivor.generation(gen.id()).status());

        // the other instance dies: its connection goes, its transaction rolls back, and the delivery is due as it was
        otherInstance.close();
        assertEquals(GenerationStatus.FAILED, survivor.awaitStatus(gen.id(), GenerationStatus.FAILED).status());
        assertEquals(List.of(DeliveryProcessor.ADVANCED), survivor.awaitProcessed(gen.id()));
        assertEquals(0, db.count("SELECT attempts FROM webhook_deliveries WHERE generation_id = '" + gen.id() + "'"),
            "a claim writes nothing: only a try that ends without settling counts");
      } finally {
        Await.result(survivorVertx.close());
      }
    } finally {
      otherInstance.close();
    }
  }

  @Test
  void deliveryThatFailsToApplyIsPutOffWithBackoffAndTheRestOfItsRoundCommits(Vertx vertx) {
    OrchConfig config = OrchConfig.of(Map.of());
    WebhookHarness ingest = WebhookHarness.start(vertx, db, config, WebhookHarness.fastOptions(config).withProcessing(false));
    Arranged broken = ingest.arrangeSubmitted("vidgo", VIDGO_TASK);
    Arranged fine = ingest.arrangeSubmitted("runblob-sora", RUNBLOB_TASK);
    assertEquals(200, ingest.deliver(broken, seed("vidgo-failed.json")).statusCode());
    assertEquals(200, ingest.deliver(fine, seed("runblob-sora-success.json")).statusCode());
    // applying one of them fails in the database (its timeline entry is refused), as a bad row or a bug would
    db.execute("CREATE FUNCTION refuse_entry() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        + " IF NEW.generation_id = '" + broken.id() + "' THEN RAISE EXCEPTION 'refused for the test'; END IF;"
        + " RETURN NEW; END $$;"
        + " CREATE TRIGGER refuse_entry BEFORE INSERT ON generation_events FOR EACH ROW EXECUTE FUNCTION refuse_entry()");

    Vertx processing = Vertx.vertx();
    try {
      WebhookOptions fast = WebhookHarness.fastOptions(config);
      WebhookHarness h = WebhookHarness.start(processing, db, config, new WebhookOptions(true, fast.sweepInterval(),
          fast.lease(), fast.batchSize(), fast.concurrency(), fast.maxAttempts(), Duration.ofMinutes(1),
          Duration.ofMinutes(1), fast.trustForwarded()));
      // the other delivery of the same round is applied and committed
      assertEquals(List.of(DeliveryProcessor.ADVANCED), h.awaitProcessed(fine.id()));
      assertEquals(GenerationStatus.SUCCEEDED, h.generation(fine.id()).status());
      // the failing one is put off by the retry backoff, its try counted and its error kept, nothing of it applied
      Await.until("the failed try recorded", () -> db.count("SELECT attempts FROM webhook_deliveries"
          + " WHERE generation_id = '" + broken.id() + "'"), n -> n == 1);
      assertEquals(1, db.count("SELECT count(*) FROM webhook_deliveries WHERE generation_id = '" + broken.id() + "'"
          + " AND processed_at IS NULL AND next_attempt_at > now() + interval '30 seconds'"
          + " AND last_error LIKE 'processing failed:%refused for the test%'"));
      assertNotEquals(GenerationStatus.FAILED, h.generation(broken.id()).status());

      // once it can be applied and is due again, it is
      db.execute("DROP TRIGGER refuse_entry ON generation_events; DROP FUNCTION refuse_entry()");
      db.execute("UPDATE webhook_deliveries SET next_attempt_at = now() WHERE generation_id = '" + broken.id() + "'");
      assertEquals(GenerationStatus.FAILED, h.awaitStatus(broken.id(), GenerationStatus.FAILED).status());
      assertEquals(List.of(DeliveryProcessor.ADVANCED), h.awaitProcessed(broken.id()));
      assertEquals(1, h.timelineCount(broken.id(), "failed"));
    } finally {
      Await.result(processing.close());
    }
  }

  private static String databaseName(TestDatabase db) {
    return PgConnectOptions.fromUri(db.url()).getDatabase();
  }

  /** A connection to the server's {@code postgres} database, from where another database can be closed. */
  private static Connection adminConnection(TestDatabase db) throws Exception {
    PgConnectOptions options = PgConnectOptions.fromUri(db.url());
    return DriverManager.getConnection("jdbc:postgresql://" + options.getHost() + ":" + options.getPort() + "/postgres",
        options.getUser(), options.getPassword());
  }
}
