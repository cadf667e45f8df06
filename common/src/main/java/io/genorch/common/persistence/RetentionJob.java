package io.genorch.common.persistence;

import io.genorch.common.config.OrchConfig;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Deletes what is kept only for a while: processed provider webhook deliveries, Idempotency-Keys, and lifecycle
 * events with their settled client-callback rows (ORCH_RETENTION_*). Generations and their timelines stay.
 * Each statement deletes one small batch in its own transaction, so none holds locks or writes WAL for long, and
 * skips rows others hold, so every instance may run the job at the same time. Non-blocking: the reactive pool only.
 */
public final class RetentionJob {

  /** What one kind of row is deleted by, and after how long; a zero age keeps that kind forever. */
  public enum Kind {
    WEBHOOK_DELIVERIES(Sql.DELETE_OLD_WEBHOOK_DELIVERIES),
    IDEMPOTENCY_KEYS(Sql.DELETE_OLD_IDEMPOTENCY_KEYS),
    // before the events: an event is deleted only once no callback row references it
    SETTLED_CALLBACKS(Sql.DELETE_OLD_SETTLED_CALLBACKS),
    LIFECYCLE_EVENTS(Sql.DELETE_OLD_LIFECYCLE_EVENTS);

    private final String sql;

    Kind(String sql) {
      this.sql = sql;
    }
  }

  private final Pool pool;
  private final Map<Kind, Duration> maxAge;
  private final int batchSize;

  public RetentionJob(Pool pool, Map<Kind, Duration> maxAge, int batchSize) {
    this.pool = pool;
    this.maxAge = Map.copyOf(maxAge);
    this.batchSize = batchSize;
  }

  public static RetentionJob fromConfig(Pool pool, OrchConfig config) {
    return new RetentionJob(pool, Map.of(
        Kind.WEBHOOK_DELIVERIES, config.webhookDeliveryRetention(),
        Kind.IDEMPOTENCY_KEYS, config.idempotencyKeyRetention(),
        Kind.SETTLED_CALLBACKS, config.lifecycleEventRetention(),
        Kind.LIFECYCLE_EVENTS, config.lifecycleEventRetention()), config.retentionBatchSize());
  }

  /** One pass: each kind, batch after batch until a batch comes back short. The rows deleted, by kind. */
  public Future<Map<Kind, Long>> run() {
    Map<Kind, Long> deleted = new LinkedHashMap<>();
    Future<Void> pass = Future.succeededFuture();
    for (Kind kind : Kind.values()) {
      pass = pass.compose(v -> drain(kind, 0)).map(n -> {
        deleted.put(kind, n);
        return null;
      });
    }
    return pass.map(v -> deleted);
  }

  private Future<Long> drain(Kind kind, long deletedSoFar) {
    return deleteBatch(kind).compose(n -> n < batchSize
        ? Future.succeededFuture(deletedSoFar + n)
        : drain(kind, deletedSoFar + n));
  }

  /** One statement: deletes at most the batch size of this kind's rows that are old enough. */
  public Future<Integer> deleteBatch(Kind kind) {
    Duration age = maxAge.getOrDefault(kind, Duration.ZERO);
    if (age.isZero()) {
      return Future.succeededFuture(0);
    }
    return pool.preparedQuery(kind.sql).execute(Tuple.of(age.toSeconds(), batchSize)).map(rows -> rows.rowCount());
  }
}
