package io.genorch.webhook;

import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;

/**
 * One stored webhook delivery, as claimed for processing.
 *
 * @param body the body as received, byte for byte, with our token redacted
 * @param attempts the number of this try: the tries that ended without settling it (retried later, failed), plus one
 * @param tokenAttempt the submit attempt whose callback URL it came through (null for deliveries stored before V6)
 * @param boundTaskId the task the generation follows at claim time, or null when none is bound yet
 */
record Delivery(long id, String provider, String generationId, Buffer body, byte[] bodySha256, int attempts,
    Integer tokenAttempt, String boundTaskId) {

  static Delivery of(Row row) {
    return new Delivery(
        row.getLong("id"),
        row.getString("provider"),
        row.getString("generation_id"),
        row.getBuffer("body"),
        row.getBuffer("body_sha256").getBytes(),
        row.getInteger("attempts"),
        row.getInteger("token_attempt"),
        row.getString("bound_task_id"));
  }

  /** For logs: which delivery, never its body. */
  @Override
  public String toString() {
    return "webhook delivery " + id + " for " + generationId;
  }
}
