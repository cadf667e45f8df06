package io.genorch.common.persistence;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * One transaction that stays open while a batch of claimed rows is worked through, and commits once: rows claimed in
 * it with {@code FOR UPDATE SKIP LOCKED} are held by their row locks (the lease) until then, and their settling
 * commits with the end of the claim, so a crash or a failed commit only rolls back and leaves them due. Each unit of
 * {@link #run} is a savepoint: one that fails is undone alone and the rest of the round still commits. Units run one
 * after the other (savepoints of one connection cannot interleave). Touched from one context only.
 */
public final class RoundTransaction implements TransactionScope {

  private final SqlConnection conn;
  private final List<Runnable> afterCommit = new ArrayList<>();
  private Future<?> tail = Future.succeededFuture();

  private RoundTransaction(SqlConnection conn) {
    this.conn = conn;
  }

  /**
   * Opens a round on a connection of {@code pool}. {@code idleLimit}: the server ends the transaction (rolling back)
   * when it sits idle longer, so a process that hangs mid-round does not hold its rows forever.
   */
  public static Future<RoundTransaction> begin(Pool pool, Duration idleLimit) {
    // BEGIN and COMMIT as statements, not the client's Transaction: that one rolls back by itself after any failed
    // statement, while a round undoes a failed unit to its savepoint and goes on
    // (one simple query, one round trip)
    return pool.getConnection().compose(conn -> conn
        .query("BEGIN; SET LOCAL idle_in_transaction_session_timeout = "
            + Math.max(1, Math.min(Integer.MAX_VALUE, idleLimit.toMillis()))).execute()
        .map(v -> new RoundTransaction(conn))
        // BEGIN may have run before the failure: never hand the connection back to the pool inside a transaction
        .recover(err -> conn.query("ROLLBACK").execute().eventually(conn::close)
            .transform(v -> Future.<RoundTransaction>failedFuture(err))));
  }

  /** The round's connection, for the claim and for reads that must see what the round wrote. */
  public SqlConnection connection() {
    return conn;
  }

  @Override
  public <X> Future<X> run(Function<SqlConnection, Future<X>> work) {
    Future<X> unit = tail.transform(ignored -> conn.query("SAVEPOINT unit").execute()
        .compose(v -> {
          Future<X> done;
          try {
            done = work.apply(conn);
          } catch (RuntimeException e) {
            done = Future.failedFuture(e);
          }
          return done;
        })
        .transform(ar -> ar.succeeded()
            ? conn.query("RELEASE SAVEPOINT unit").execute().map(ar.result())
            : conn.query("ROLLBACK TO SAVEPOINT unit").execute()
                .transform(rolledBack -> Future.<X>failedFuture(ar.cause()))));
    tail = unit;
    return unit;
  }

  @Override
  public void afterCommit(Runnable action) {
    afterCommit.add(action);
  }

  /** Commits once the units under way are done, then runs what waited for the commit; the connection is released. */
  public Future<Void> commit() {
    // COMMIT of a transaction that a failed statement aborted answers ROLLBACK without an error (and the client does not
    // show the command tag): a statement first fails in that state, so nothing waiting for the commit runs for writes
    // that were rolled back (both in one simple query: the server skips the COMMIT once the SELECT failed)
    return tail.transform(ignored -> conn.query("SELECT 1; COMMIT").execute())
        .<Void>mapEmpty()
        // never hand the connection back to the pool inside a transaction
        .recover(err -> conn.query("ROLLBACK").execute().transform(v -> Future.<Void>failedFuture(err)))
        .onSuccess(v -> afterCommit.forEach(Runnable::run))
        .eventually(conn::close);
  }

  /** Undoes the whole round; the connection is released. */
  public Future<Void> rollback() {
    return tail.transform(ignored -> conn.query("ROLLBACK").execute()).<Void>mapEmpty().eventually(conn::close);
  }
}
