package io.genorch.webhook;

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
 * swept for what a stopped instance left behind (its leases run out) or what waits for a retry. A claim takes a
 * batch with {@code FOR UPDATE SKIP LOCKED} and a lease, so several instances share the work without taking the same
 * delivery. The deliveries of one generation run one after the other in the order they arrived (a repeat then finds
 * its first copy processed, and a terminal generation is seen as terminal). Nothing is queued in memory: a delivery
 * not yet claimed is simply still due in the database, so a crash loses nothing and a burst never grows the heap.
 */
final class DeliveryWorker implements LeasedWorkLoop.Work<Delivery> {

  private final Pool pool;
  private final DeliveryProcessor processor;

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
    return pool.preparedQuery(WebhookSql.CLAIM_DUE).execute(Tuple.of(batchSize, lease.toMillis() / 1000.0)).map(rows -> {
      List<Delivery> batch = new ArrayList<>(rows.size());
      rows.forEach(row -> batch.add(Delivery.of(row)));
      return batch;
    });
  }

  @Override
  public Object laneKey(Delivery delivery) {
    return delivery.generationId();
  }

  @Override
  public Future<?> process(Delivery delivery, Round round) {
    return processor.process(delivery);
  }
}
