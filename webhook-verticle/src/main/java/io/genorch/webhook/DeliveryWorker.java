package io.genorch.webhook;

import io.genorch.common.persistence.RoundTransaction;
import io.genorch.common.work.LeasedWorkLoop;
import io.genorch.common.work.LeasedWorkLoop.Round;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Stored deliveries that are due, as work for the {@link LeasedWorkLoop}: woken after every acknowledgement, and
 * swept for what waits for a retry. Each round is one transaction ({@link RoundTransaction}): the claim takes a batch
 * with {@code FOR NO KEY UPDATE SKIP LOCKED} and writes nothing (the row locks are the lease, so several instances
 * share the work without taking the same delivery), every delivery is settled in it (each settlement a savepoint), and
 * one commit ends the round. A crash, a failed commit or a round that outlives its lease (the server ends a
 * transaction idle longer) rolls back, and the deliveries are due again at once. The deliveries of one generation run
 * one after the other in the order they arrived (a repeat then finds its first copy processed, and a terminal
 * generation is seen as terminal). Nothing is queued in memory: a delivery not yet claimed is simply still due in
 * the database, so a crash loses nothing and a burst never grows the heap.
 */
final class DeliveryWorker implements LeasedWorkLoop.Work<Delivery> {

  private final Pool pool;
  private final DeliveryProcessor processor;
  /** The round under way (the loop runs one at a time), or null between rounds. */
  private RoundTransaction round;

  DeliveryWorker(Pool pool, DeliveryProcessor processor) {
    this.pool = pool;
    this.processor = processor;
  }

  static LeasedWorkLoop.Options loopOptions(WebhookOptions options) {
    return new LeasedWorkLoop.Options("webhook-deliveries", options.batchSize(), options.concurrency(), options.lease(),
        options.sweepInterval());
  }

  @Override
  public Future<List<Delivery>> claim(int batchSize, Duration lease) {
    return RoundTransaction.begin(pool, lease).compose(tx -> tx.connection().preparedQuery(WebhookSql.CLAIM_DUE)
        .execute(Tuple.of(batchSize))
        .map(rows -> {
          round = tx;
          List<Delivery> batch = new ArrayList<>(rows.size());
          rows.forEach(row -> batch.add(Delivery.of(row)));
          return batch;
        })
        .onFailure(err -> tx.rollback()));
  }

  @Override
  public Object laneKey(Delivery delivery) {
    return delivery.generationId();
  }

  /**
   * Settles the delivery in the round. When that fails (its settlement was undone to its savepoint), it is put off
   * with the retry backoff in the same round, so a delivery that cannot be applied is not taken again at once.
   */
  @Override
  public Future<?> process(Delivery delivery, Round loopRound) {
    RoundTransaction tx = round;
    return processor.process(delivery, tx)
        .recover(err -> processor.failed(delivery, tx, err).transform(v -> Future.failedFuture(err)));
  }

  @Override
  public Future<Void> endRound(List<Delivery> batch) {
    RoundTransaction tx = round;
    round = null;
    return tx == null ? Future.succeededFuture() : tx.commit();
  }
}
