package io.genorch.orchestrator.submission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.persistence.Sql;
import io.genorch.common.testing.TestDatabase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The submission loops' claims on a table whose queued backlog belongs to a provider this instance does not call:
 * they go through their partial indexes and read none of that backlog.
 */
class SubmissionQueryPlanTest {

  private static final String ENABLED = "'{vidgo,apimart}'";
  private static TestDatabase db;

  @BeforeAll
  static void fill() {
    db = TestDatabase.create();
    // 200,000 queued for a provider not enabled here, all due: pending, claimed and sending ones
    db.execute("INSERT INTO generations (id, provider, model, status, prompt, aspect_ratio, created_at, updated_at,"
        + " submit_state, next_submit_at)"
        + " SELECT 'gen_off_' || i, 'heo365-sora2', 'sora-2', 'queued', 'p', '9:16', now(), now(),"
        + " (ARRAY['pending','pending','pending','claimed','sending'])[1 + i % 5], now() - interval '1 hour'"
        + " FROM generate_series(1, 200000) i");
    // a little work of the enabled providers: 30 due, 10 not yet
    db.execute("INSERT INTO generations (id, provider, model, status, prompt, aspect_ratio, created_at, updated_at,"
        + " submit_state, next_submit_at)"
        + " SELECT 'gen_on_' || i, (ARRAY['vidgo','apimart'])[1 + i % 2], 'sora-2', 'queued', 'p', '9:16', now(), now(),"
        + " 'pending', now() + (CASE WHEN i <= 30 THEN -1 ELSE 1 END) * interval '1 minute' FROM generate_series(1, 40) i");
    db.execute("ANALYZE generations");
  }

  @AfterAll
  static void drop() {
    db.close();
  }

  @Test
  void theClaimReadsDueSubmissionsThroughTheirIndexPerEnabledProvider() throws SQLException {
    JsonObject plan = explain("PREPARE claim (text[], bytea[], int, float8) AS " + Sql.CLAIM_FOR_SENDING,
        "EXECUTE claim (" + ENABLED + ", ARRAY["
            + IntStream.rangeClosed(1, 50).mapToObj(i -> "sha256('" + i + "')").collect(Collectors.joining(", "))
            + "], 50, 60)");
    assertReadsOnlyWhatItReturns(plan, "generations_submit_pending_idx");
    assertEquals(30, plan.getLong("Actual Rows"), "the 30 due of the enabled providers are claimed:\n" + plan.encodePrettily());
  }

  @Test
  void abandonedClaimsAndSendsAreReadThroughTheirIndex() throws SQLException {
    JsonObject plan = explain("PREPARE abandoned (text[], int, float8) AS " + Sql.CLAIM_ABANDONED_SUBMISSIONS,
        "EXECUTE abandoned (" + ENABLED + ", 50, 60)");
    assertReadsOnlyWhatItReturns(plan, "generations_submit_taken_idx");
  }

  /** EXPLAIN ANALYZE of the prepared statement, in a transaction that is rolled back. */
  private static JsonObject explain(String prepare, String execute) throws SQLException {
    try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
      connection.setAutoCommit(false);
      statement.execute(prepare);
      try (ResultSet rows = statement.executeQuery("EXPLAIN (ANALYZE, FORMAT JSON) " + execute)) {
        rows.next();
        JsonObject plan = new JsonArray(rows.getString(1)).getJsonObject(0).getJsonObject("Plan");
        connection.rollback();
        return plan;
      }
    }
  }

  private static void assertReadsOnlyWhatItReturns(JsonObject plan, String index) {
    List<JsonObject> nodes = new ArrayList<>();
    collect(plan, nodes);
    String text = plan.encodePrettily();
    assertTrue(nodes.stream().anyMatch(n -> index.equals(n.getString("Index Name"))), "uses " + index + ":\n" + text);
    assertFalse(nodes.stream().anyMatch(n -> "Seq Scan".equals(n.getString("Node Type"))), "no sequential scan:\n" + text);
    for (JsonObject node : nodes) {
      long read = node.getLong("Actual Rows", 0L) * node.getLong("Actual Loops", 1L);
      long discarded = node.getLong("Rows Removed by Filter", 0L) + node.getLong("Rows Removed by Index Recheck", 0L);
      assertTrue(read <= 50 && discarded == 0,
          node.getString("Node Type") + " read " + read + " rows and discarded " + discarded + ":\n" + text);
    }
  }

  private static void collect(JsonObject node, List<JsonObject> into) {
    into.add(node);
    JsonArray children = node.getJsonArray("Plans", new JsonArray());
    for (int i = 0; i < children.size(); i++) {
      collect(children.getJsonObject(i), into);
    }
  }
}
