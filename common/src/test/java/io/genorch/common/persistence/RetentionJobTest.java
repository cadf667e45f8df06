package io.genorch.common.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.config.OrchConfig;
import io.genorch.common.persistence.RetentionJob.Kind;
import io.genorch.common.testing.Await;
import io.genorch.common.testing.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.Pool;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Old rows go, recent ones and those pending work still needs stay, a bounded batch per statement. */
@ExtendWith(VertxExtension.class)
class RetentionJobTest {

  private static final String OLD = "now() - interval '31 days'";
  private static final String RECENT = "now() - interval '1 hour'";

  private TestDatabase db;
  private Pool pool;

  @BeforeEach
  void database(Vertx vertx) {
    db = TestDatabase.create();
    pool = db.open().pool(vertx, 2, 100);
    db.execute("INSERT INTO generations (id, provider, model, status, prompt, aspect_ratio, callback_url, created_at, updated_at)"
        + " VALUES ('gen_r', 'vidgo', 'm', 'succeeded', 'p', '16:9', 'https://client.example/hook', " + OLD + ", " + OLD + ")");
  }

  @AfterEach
  void drop() {
    Await.result(pool.close());
    db.close();
  }

  private RetentionJob defaults(int batchSize) {
    return RetentionJob.fromConfig(pool, OrchConfig.of(Map.of("ORCH_RETENTION_BATCH_SIZE", String.valueOf(batchSize))));
  }

  private void delivery(String body, String receivedAt, boolean processed) {
    db.execute("INSERT INTO webhook_deliveries (provider, generation_id, received_at, body, body_sha256, processed_at)"
        + " VALUES ('vidgo', 'gen_r', " + receivedAt + ", '" + body + "', '\\x00', " + (processed ? receivedAt : "NULL") + ")");
  }

  private void idempotencyKey(String key, String createdAt) {
    db.execute("INSERT INTO idempotency_keys (scope, key, request_hash, generation_id, created_at)"
        + " VALUES ('s', '" + key + "', '\\x00', 'gen_r', " + createdAt + ")");
  }

  private void event(String id, String occurredAt) {
    db.execute("INSERT INTO lifecycle_events (id, type, generation_id, occurred_at, payload)"
        + " VALUES ('" + id + "', 'generation.succeeded', 'gen_r', " + occurredAt + ", '{}')");
  }

  private void callback(String eventId, String createdAt, boolean settled) {
    db.execute("INSERT INTO client_callbacks (event_id, generation_id, url, created_at, delivered_at)"
        + " VALUES ('" + eventId + "', 'gen_r', 'https://client.example/hook', " + createdAt + ", " + (settled ? createdAt : "NULL") + ")");
  }

  private String remaining(String column, String table) {
    String sql = "SELECT " + column + " FROM " + table + " ORDER BY 1";
    List<String> values = new ArrayList<>();
    try (Connection c = db.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        values.add(rs.getString(1));
      }
    } catch (SQLException e) {
      throw new IllegalStateException(sql, e);
    }
    return String.join(",", values);
  }

  @Test
  void oldRowsAreDeletedWhileRecentOnesAndThosePendingWorkNeedsAreKept() throws Exception {
    delivery("old processed", OLD, true);
    delivery("old unprocessed", OLD, false);
    delivery("recent processed", RECENT, true);
    idempotencyKey("old", "now() - interval '25 hours'");
    idempotencyKey("recent", "now() - interval '23 hours'");
    event("evt_old", OLD);
    event("evt_old_delivered", OLD);
    callback("evt_old_delivered", OLD, true);
    event("evt_old_pending", OLD);
    callback("evt_old_pending", OLD, false);
    event("evt_recent_delivered", RECENT);
    callback("evt_recent_delivered", RECENT, true);
    db.execute("SELECT sequence_lifecycle_events(100, true)"); // the events so far have their positions
    event("evt_old_unpositioned", OLD);
    db.execute("INSERT INTO generation_events (generation_id, type, at) VALUES ('gen_r', 'succeeded', " + OLD + ")");

    Map<Kind, Long> deleted = Await.result(defaults(500).run());

    assertEquals(Map.of(Kind.WEBHOOK_DELIVERIES, 1L, Kind.IDEMPOTENCY_KEYS, 1L, Kind.SETTLED_CALLBACKS, 1L,
        Kind.LIFECYCLE_EVENTS, 3L), deleted);
    assertEquals("old unprocessed,recent processed", remaining("convert_from(body, 'UTF8')", "webhook_deliveries"),
        "a delivery not yet processed is kept whatever its age");
    assertEquals("recent", remaining("key", "idempotency_keys"));
    assertEquals("evt_old_pending,evt_recent_delivered", remaining("id", "lifecycle_events"),
        "an event whose callback is still pending is kept for the sender");
    assertEquals("evt_old_pending,evt_recent_delivered", remaining("event_id", "client_callbacks"));
    assertEquals("evt_old_pending,evt_recent_delivered", remaining("event_id", "lifecycle_positions"),
        "a deleted event's position goes with it");
    assertEquals("", remaining("id", "lifecycle_pending"), "and so does the entry of one deleted before its position");
    assertEquals(1, db.count("SELECT count(*) FROM generation_events"), "the timeline stays");
    assertEquals(1, db.count("SELECT count(*) FROM generations"), "generations stay");
  }

  @Test
  void eachStatementDeletesAtMostOneBatch() throws Exception {
    for (int i = 0; i < 5; i++) {
      idempotencyKey("k" + i, "now() - interval '2 days'");
    }
    RetentionJob job = defaults(2);

    assertEquals(2, Await.result(job.deleteBatch(Kind.IDEMPOTENCY_KEYS)));
    assertEquals(3, db.count("SELECT count(*) FROM idempotency_keys"));
    assertEquals(3L, Await.result(job.run()).get(Kind.IDEMPOTENCY_KEYS), "a pass goes on batch after batch");
    assertEquals(0, db.count("SELECT count(*) FROM idempotency_keys"));
  }

  @Test
  void instancesRunningTheJobTogetherShareTheRowsWithoutError() throws Exception {
    db.execute("INSERT INTO idempotency_keys (scope, key, request_hash, generation_id, created_at)"
        + " SELECT 's', 'k' || i, '\\x00', 'gen_r', now() - interval '2 days' FROM generate_series(1, 200) i");
    Future<Map<Kind, Long>> first = defaults(5).run();
    Future<Map<Kind, Long>> second = defaults(5).run();

    long deleted = Await.result(first).get(Kind.IDEMPOTENCY_KEYS) + Await.result(second).get(Kind.IDEMPOTENCY_KEYS);

    assertEquals(200, deleted, "each row deleted once, by one of them");
    assertEquals(0, db.count("SELECT count(*) FROM idempotency_keys"));
  }

  @Test
  void aZeroRetentionKeepsThatKindForever() throws Exception {
    delivery("old processed", OLD, true);
    event("evt_old", OLD);
    RetentionJob job = RetentionJob.fromConfig(pool, OrchConfig.of(Map.of(
        "ORCH_RETENTION_WEBHOOK_DELIVERIES_DAYS", "0", "ORCH_RETENTION_LIFECYCLE_EVENTS_DAYS", "0")));

    Await.result(job.run());

    assertEquals(1, db.count("SELECT count(*) FROM webhook_deliveries"));
    assertEquals(1, db.count("SELECT count(*) FROM lifecycle_events"));
  }

  /** The old rows are found through an index on their age, never by reading the whole table. */
  @Test
  void everyStatementCanFindItsRowsThroughAnIndex() throws Exception {
    Map<String, String> indexBySql = Map.of(
        Sql.DELETE_OLD_WEBHOOK_DELIVERIES, "webhook_deliveries_received_idx",
        Sql.DELETE_OLD_IDEMPOTENCY_KEYS, "idempotency_keys_created_idx",
        Sql.DELETE_OLD_SETTLED_CALLBACKS, "client_callbacks_settled_idx",
        Sql.DELETE_OLD_LIFECYCLE_EVENTS, "lifecycle_events_occurred_idx");
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      st.execute("SET enable_seqscan = off"); // tiny tables: otherwise a sequential scan is cheaper and chosen
      int n = 0;
      for (Map.Entry<String, String> e : indexBySql.entrySet()) {
        st.execute("PREPARE q" + n + " AS " + e.getKey());
        StringBuilder plan = new StringBuilder();
        try (ResultSet rs = st.executeQuery("EXPLAIN EXECUTE q" + n++ + "(2592000, 500)")) {
          while (rs.next()) {
            plan.append(rs.getString(1)).append('\n');
          }
        }
        assertTrue(plan.toString().contains(e.getValue()), e.getValue() + " in\n" + plan);
      }
    }
  }

  @Test
  void theDefaultsAreThirtyDaysForDeliveriesAndEventsAndADayForIdempotencyKeys() {
    OrchConfig config = OrchConfig.of(Map.of());
    assertEquals(Duration.ofDays(30), config.webhookDeliveryRetention());
    assertEquals(Duration.ofHours(24), config.idempotencyKeyRetention());
    assertEquals(Duration.ofDays(30), config.lifecycleEventRetention());
    assertEquals(500, config.retentionBatchSize());
  }

  @Test
  void aNegativeAgeOrAnEmptyBatchIsRefusedNamingTheVariable() {
    IllegalArgumentException age = assertThrows(IllegalArgumentException.class,
        () -> OrchConfig.of(Map.of("ORCH_RETENTION_IDEMPOTENCY_KEYS_HOURS", "-1")).idempotencyKeyRetention());
    assertTrue(age.getMessage().contains("ORCH_RETENTION_IDEMPOTENCY_KEYS_HOURS"), age.getMessage());
    IllegalArgumentException batch = assertThrows(IllegalArgumentException.class,
        () -> OrchConfig.of(Map.of("ORCH_RETENTION_BATCH_SIZE", "0")).retentionBatchSize());
    assertTrue(batch.getMessage().contains("ORCH_RETENTION_BATCH_SIZE"), batch.getMessage());
  }
}
