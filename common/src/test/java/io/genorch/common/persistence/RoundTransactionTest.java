package io.genorch.common.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.genorch.common.testing.Await;
import io.genorch.common.testing.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A round's transaction on a pooled connection, and what the pool gets back. */
@ExtendWith(VertxExtension.class)
class RoundTransactionTest {

  @RegisterExtension
  static final TestDatabase db = TestDatabase.perClass();

  @Test
  void anIdleLimitBeyondWhatTheServerTakesIsCappedAndTheConnectionComesBackOutsideATransaction(Vertx vertx) {
    Pool pool = db.open().pool(vertx, 1, 10);
    // the server's setting holds at most 2^31-1 ms; a longer lease must not fail every round
    RoundTransaction round = Await.result(RoundTransaction.begin(pool, Duration.ofDays(36_500)));
    assertEquals("2147483647ms", Await.result(round.run(conn -> conn.query("SHOW idle_in_transaction_session_timeout")
        .execute().map(rows -> rows.iterator().next().getString(0)))));
    Await.result(round.commit());
    // the pool's one connection: back outside any transaction, so the setting was the round's alone
    assertEquals("0", Await.result(pool.query("SHOW idle_in_transaction_session_timeout").execute()
        .map(rows -> rows.iterator().next().getString(0))));
  }
}
