package io.genorch.common.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.testing.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import io.vertx.sqlclient.Tuple;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The fleet-wide request budget over real PostgreSQL, its clock driven by the test. */
class ProviderGateTest {

  private static final int BUDGET = 5;
  private static TestDatabase db;
  private static Vertx vertx;
  private static Pool pool;
  private static ProviderGate gate;

  @BeforeAll
  static void start() {
    db = TestDatabase.create();
    vertx = Vertx.vertx();
    pool = db.open().pool(vertx, 8, 1_000);
    gate = new ProviderGate(pool, provider -> provider.startsWith("big") ? 10 : BUDGET, provider -> 1_000);
  }

  @AfterAll
  static void stop() {
    pool.close().await();
    vertx.close().await();
    db.close();
  }

  private static boolean take(String provider, Instant at) {
    Optional<ProviderGate.Permit> permit = gate.tryAcquire(provider, at).await();
    permit.ifPresent(ProviderGate.Permit::release); // the in-flight bound is not what these tests are about
    return permit.isPresent();
  }

  @Test
  void noSixtySecondWindowHoldsMoreThanTheBudgetAcrossMinuteBoundaries() {
    // three requests a second for three minutes, starting ten seconds before a minute boundary: fixed minute
    // windows would let the budget through twice within those ten seconds
    Instant start = Instant.parse("2026-01-01T10:00:50Z");
    List<Instant> granted = new ArrayList<>();
    for (int second = 0; second < 180; second++) {
      Instant at = start.plusSeconds(second);
      for (int i = 0; i < 3; i++) {
        if (take("sliding", at)) {
          granted.add(at);
        }
      }
    }
    for (Instant from : granted) {
      long inWindow = granted.stream().filter(t -> !t.isBefore(from) && !t.isAfter(from.plusSeconds(60))).count();
      assertTrue(inWindow <= BUDGET, inWindow + " permits within 60 s from " + from + ": " + granted);
    }
    assertEquals(BUDGET, granted.stream().filter(t -> t.isBefore(start.plusSeconds(10))).count(),
        "the whole budget is usable at once");
    assertEquals(3 * BUDGET, granted.size(), "and again each time its permits are more than 60 s old: " + granted);
  }

  @Test
  void aRefusedRequestWritesNothing() throws SQLException {
    Instant at = Instant.parse("2026-01-01T11:00:00Z");
    for (int i = 0; i < BUDGET; i++) {
      assertTrue(take("quiet", at));
    }
    String before = slotVersions("quiet");
    for (int i = 0; i < 20; i++) {
      assertEquals(false, take("quiet", at.plusSeconds(i)));
    }
    assertEquals(before, slotVersions("quiet"), "no slot was updated or even locked by a refusal");
    assertTrue(take("quiet", at.plusSeconds(61)), "granted again once a slot is over 60 s old");
  }

  @Test
  void concurrentRequestsGetExactlyTheBudget() {
    Instant at = Instant.parse("2026-01-01T12:00:00Z");
    // no slot exists yet: the requests race to add them as well as to take them
    List<Future<Optional<ProviderGate.Permit>>> requests = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      requests.add(gate.tryAcquire("big", at));
    }
    Future.join(requests).await();
    assertEquals(10, requests.stream().filter(r -> r.result().isPresent()).count());
    assertEquals(10, db.count("SELECT count(*) FROM provider_permit_slots WHERE provider = 'big' AND used_at = '2026-01-01T12:00:00Z'"));
  }

  @Test
  void aBatchOfRequestsGetsOneAnswerEachInOrderAndEachProviderItsOwnBudget() {
    List<String> providers = new ArrayList<>();
    for (int i = 0; i < BUDGET + 2; i++) {
      providers.add("each-a");
      if (i < 2) {
        providers.add("each-b");
      }
    }
    List<Future<Optional<ProviderGate.Permit>>> answers = gate.tryAcquireEach(providers);
    Future.join(answers).await();
    assertEquals(providers.size(), answers.size());
    List<Boolean> granted = answers.stream().map(a -> a.result().isPresent()).toList();
    int seenA = 0;
    for (int i = 0; i < providers.size(); i++) {
      if (providers.get(i).equals("each-b")) {
        assertTrue(granted.get(i), "each-b asked for two of its own " + BUDGET);
      } else {
        assertEquals(++seenA <= BUDGET, granted.get(i), "each-a's first " + BUDGET + " requests get its budget: " + i);
      }
    }
    answers.forEach(a -> a.result().ifPresent(ProviderGate.Permit::release));
  }

  @Test
  void manyPermitsInOneStatementStayWithinTheBudgetAndItsWindow() {
    Instant at = Instant.parse("2026-01-01T13:00:00Z");
    assertEquals(3, gate.tryAcquireMany("many", 3, at).await().size(), "three new slots");
    assertEquals(2, gate.tryAcquireMany("many", 3, at.plusSeconds(1)).await().size(), "only two left of five");
    assertEquals(0, gate.tryAcquireMany("many", 3, at.plusSeconds(2)).await().size());
    assertEquals(5, db.count("SELECT count(*) FROM provider_permit_slots WHERE provider = 'many'"));
    assertEquals(3, gate.tryAcquireMany("many", 3, at.plusSeconds(61)).await().size(), "the first three are free again");
    assertEquals(2, gate.tryAcquireMany("many", 3, at.plusSeconds(62)).await().size(), "then the other two");
    assertEquals(5, db.count("SELECT count(*) FROM provider_permit_slots WHERE provider = 'many'"), "no slot beyond the budget");
  }

  @Test
  void concurrentBatchesGetExactlyTheBudget() {
    Instant at = Instant.parse("2026-01-01T14:00:00Z");
    List<Future<List<ProviderGate.Permit>>> requests = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      requests.add(gate.tryAcquireMany("bigmany", 3, at));
    }
    Future.join(requests).await();
    assertEquals(10, requests.stream().mapToInt(r -> r.result().size()).sum());
    assertEquals(10, db.count("SELECT count(*) FROM provider_permit_slots WHERE provider = 'bigmany'"));
  }

  @Test
  void manyPermitsRespectTheInFlightBoundAndGiveItBackOnRelease() {
    ProviderGate narrow = new ProviderGate(pool, provider -> 1_000, provider -> 4);
    Instant at = Instant.parse("2026-01-01T15:00:00Z");
    List<ProviderGate.Permit> first = narrow.tryAcquireMany("narrow", 3, at).await();
    assertEquals(3, first.size());
    assertEquals(1, narrow.tryAcquireMany("narrow", 3, at).await().size(), "one of four left in flight");
    assertEquals(4, narrow.inFlight("narrow"));
    assertEquals(0, narrow.tryAcquireMany("narrow", 3, at).await().size());
    first.forEach(ProviderGate.Permit::release);
    assertEquals(1, narrow.inFlight("narrow"));
    assertEquals(3, narrow.tryAcquireMany("narrow", 5, at).await().size());
  }

  @Test
  void aFailedSecondTryRefusesOnlyTheRequestsItWasFor() {
    ProviderGate narrow = new ProviderGate(pool, provider -> 1_000, provider -> 10);
    List<String> asked = new ArrayList<>();
    // the first statement takes a slot for "a" and lets it through (committed), loses a race for "b"; the retry fails
    List<ProviderGate.Admission> answers = narrow.<String>tryAcquireFor("racing", List.of("a", "b"), (budget, requests) -> {
      asked.addAll(requests);
      return asked.size() == 2
          ? Future.succeededFuture(new ProviderGate.Taken<>(1, 1, Set.of("a")))
          : Future.failedFuture(new IllegalStateException("the connection went away"));
    }).await();
    assertEquals(List.of("a", "b", "b"), asked, "b asked again after the race");
    assertTrue(answers.get(0).admitted(), "a was let through by the committed statement and keeps its permit");
    assertTrue(answers.get(1).refused(), "b is refused, not failed with a");
    assertEquals(1, narrow.inFlight("racing"), "only a holds an in-flight place");
  }

  /** Each slot's row version and lock marker: any update or row lock changes them. */
  private static String slotVersions(String provider) throws SQLException {
    try (var connection = db.connect(); Statement statement = connection.createStatement();
         ResultSet rows = statement.executeQuery("SELECT slot, xmin::text, xmax::text, used_at FROM provider_permit_slots"
             + " WHERE provider = '" + provider + "' ORDER BY slot")) {
      StringBuilder out = new StringBuilder();
      while (rows.next()) {
        out.append(rows.getInt(1)).append(':').append(rows.getString(2)).append('/').append(rows.getString(3))
            .append('@').append(rows.getString(4)).append(';');
      }
      return out.toString();
    }
  }
  /**
   * A permit's commit does not wait for the WAL flush (Sql.PERMIT_COMMIT_UNFLUSHED): both permit statements turn
   * synchronous_commit off for their own transaction, and only for it, so the connection's next transaction (a
   * transition sharing the pool) commits durably again.
   */
  @Test
  void permitStatementsCommitWithoutWaitingForTheFlushAndOnlyTheirOwnTransaction() {
    SqlConnection conn = pool.getConnection().await();
    try {
      for (String sql : List.of(Sql.TAKE_PERMIT_SLOT, Sql.TAKE_PERMIT_SLOTS)) {
        Transaction tx = conn.begin().await();
        Tuple params = sql.equals(Sql.TAKE_PERMIT_SLOT)
            ? Tuple.of("unflushed", BUDGET, null)
            : Tuple.of("unflushed", BUDGET, null, 2);
        RowSet<Row> taken = conn.preparedQuery(sql).execute(params).await();
        assertTrue(taken.size() > 0, "the statement answered");
        assertEquals("off", synchronousCommit(conn), "inside the permit's transaction");
        tx.commit().await();
        assertEquals("on", synchronousCommit(conn), "after it, on the same connection");
      }
    } finally {
      conn.close().await();
    }
    assertEquals(3, slotCount("unflushed"), "one slot from the first statement, two from the second");
  }

  private static String synchronousCommit(SqlConnection conn) {
    return conn.query("SHOW synchronous_commit").execute().await().iterator().next().getString(0);
  }

  private static long slotCount(String provider) {
    return db.count("SELECT count(*) FROM provider_permit_slots WHERE provider = '" + provider + "'");
  }
}
