package io.genorch.common.persistence;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import java.util.function.Function;

/**
 * Where a unit of writes runs: in a transaction of its own ({@link #of(Pool)}), or inside a transaction that is
 * already open and commits later ({@link RoundTransaction}: the webhook worker's round, whose row locks are the claim
 * of the deliveries it settles). What must only happen once the writes are committed (publishing an event, waking the
 * sequencer) is handed to {@link #afterCommit}, so it never announces writes that a later rollback undoes.
 */
public interface TransactionScope {

  /**
   * Runs {@code work} so that its writes commit or roll back together: fails, with nothing of {@code work} kept, when
   * it fails. Several units given to one scope run one after the other, never interleaved.
   */
  <X> Future<X> run(Function<SqlConnection, Future<X>> work);

  /** Runs {@code action} once what {@link #run} did is committed (at once when it already is); never on rollback. */
  void afterCommit(Runnable action);

  /** Each unit in its own transaction of {@code pool}, committed when its future succeeds. */
  static TransactionScope of(Pool pool) {
    return new TransactionScope() {
      @Override
      public <X> Future<X> run(Function<SqlConnection, Future<X>> work) {
        return pool.withTransaction(work);
      }

      @Override
      public void afterCommit(Runnable action) {
        action.run();
      }
    };
  }
}
