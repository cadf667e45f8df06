package io.genorch.webhook;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drains the stored deliveries that are due: woken after every acknowledgement, and on a timer for what a stopped
 * instance left behind (its leases run out) or what waits for a retry. Each round claims a batch with
 * {@code FOR UPDATE SKIP LOCKED} and a lease, so several instances share the work without taking the same
 * delivery, and processes it {@code concurrency} at a time. Nothing is queued in memory: a delivery not yet
 * claimed is simply still due in the database, so a crash loses nothing and a burst never grows the heap.
 * Runs on the verticle's event loop; its state is only touched there.
 */
final class DeliveryWorker {

  private static final Logger LOG = LoggerFactory.getLogger(DeliveryWorker.class);

  private final Vertx vertx;
  private final Pool pool;
  private final DeliveryProcessor processor;
  private final WebhookOptions options;
  private long timer = -1;
  private boolean running;
  private boolean woken;
  private boolean stopped;

  DeliveryWorker(Vertx vertx, Pool pool, DeliveryProcessor processor, WebhookOptions options) {
    this.vertx = vertx;
    this.pool = pool;
    this.processor = processor;
    this.options = options;
  }

  /** Starts the periodic sweep and drains what is due now: deliveries left unprocessed before a restart. */
  void start() {
    timer = vertx.setPeriodic(options.sweepInterval().toMillis(), t -> wake());
    wake();
  }

  void stop() {
    stopped = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  /** Something may be due: drain now, or right after the round in progress. */
  void wake() {
    if (stopped) {
      return;
    }
    if (running) {
      woken = true;
      return;
    }
    running = true;
    round();
  }

  private void round() {
    woken = false;
    claim().compose(batch -> processAll(batch).map(batch.size())).onComplete(ar -> {
      if (ar.failed()) {
        LOG.warn("Claiming webhook deliveries failed; the next sweep tries again: {}", ar.cause().toString());
      }
      boolean more = ar.succeeded() && (ar.result() >= options.batchSize() || woken);
      if (more && !stopped) {
        round();
      } else {
        running = false;
      }
    });
  }

  private Future<List<Delivery>> claim() {
    double leaseSeconds = options.lease().toMillis() / 1000.0;
    return pool.preparedQuery(WebhookSql.CLAIM_DUE).execute(Tuple.of(options.batchSize(), leaseSeconds)).map(rows -> {
      List<Delivery> batch = new ArrayList<>(rows.size());
      rows.forEach(row -> batch.add(Delivery.of(row)));
      return batch;
    });
  }

  /**
   * Runs the batch through the processor, at most {@code concurrency} deliveries at once, and the deliveries of one
   * generation one after the other in the order they arrived (a repeat then finds its first copy processed, and a
   * terminal generation is seen as terminal). Never fails.
   */
  private Future<Void> processAll(List<Delivery> batch) {
    // the claim is taken just before this; a delivery whose turn comes after its lease ran out may be another
    // instance's by then, so it is left alone (it is due anyway)
    long leaseEnd = System.nanoTime() + options.lease().toNanos();
    Map<String, List<Delivery>> byGeneration = new LinkedHashMap<>();
    batch.forEach(d -> byGeneration.computeIfAbsent(d.generationId(), id -> new ArrayList<>()).add(d));
    Iterator<List<Delivery>> next = byGeneration.values().iterator();
    List<Future<Void>> lanes = new ArrayList<>();
    for (int i = 0; i < Math.min(options.concurrency(), byGeneration.size()); i++) {
      lanes.add(lane(next, leaseEnd));
    }
    return Future.join(lanes).mapEmpty();
  }

  private Future<Void> lane(Iterator<List<Delivery>> next, long leaseEnd) {
    if (!next.hasNext() || stopped) {
      return Future.succeededFuture();
    }
    return inOrder(next.next().iterator(), leaseEnd).compose(v -> lane(next, leaseEnd));
  }

  private Future<Void> inOrder(Iterator<Delivery> deliveries, long leaseEnd) {
    if (!deliveries.hasNext() || stopped || System.nanoTime() - leaseEnd > 0) {
      return Future.succeededFuture();
    }
    Delivery delivery = deliveries.next();
    return processor.process(delivery).transform(ar -> {
      if (ar.failed()) {
        LOG.warn("Webhook delivery {} for {} not processed now, due again when its lease ends: {}", delivery.id(),
            delivery.generationId(), ar.cause().toString());
      }
      return inOrder(deliveries, leaseEnd);
    });
  }
}
