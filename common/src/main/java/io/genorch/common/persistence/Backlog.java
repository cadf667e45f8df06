package io.genorch.common.persistence;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;

/**
 * What waits, fleet-wide: generations not yet submitted, generations whose callback is overdue (the poller's work),
 * webhook deliveries and client callbacks due now.
 */
public record Backlog(long queuedGenerations, long overdueGenerations, long webhookDeliveriesDue, long clientCallbacksDue) {

  /** One round trip; the counts use the partial indexes the claims use. */
  public static Future<Backlog> read(Pool pool) {
    return pool.query(Sql.BACKLOG).execute().map(rows -> {
      Row row = rows.iterator().next();
      return new Backlog(row.getLong("queued"), row.getLong("overdue"), row.getLong("deliveries_due"),
          row.getLong("callbacks_due"));
    });
  }
}
