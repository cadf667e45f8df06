package io.genorch.webhook;

import io.vertx.sqlclient.Row;

/**
 * One stored webhook delivery, as claimed for processing.
 *
 * @param attempts how many times it has been claimed, this claim included
 */
record Delivery(long id, String provider, String generationId, String body, byte[] bodySha256, int attempts) {

  static Delivery of(Row row) {
    return new Delivery(
        row.getLong("id"),
        row.getString("provider"),
        row.getString("generation_id"),
        row.getString("body"),
        row.getBuffer("body_sha256").getBytes(),
        row.getInteger("attempts"));
  }
}
