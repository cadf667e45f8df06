package io.genorch.webhook;

import io.genorch.common.work.Coalescer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores the deliveries of concurrent webhook requests together: one {@link WebhookSql#INGEST} statement (one
 * commit, one WAL flush) for all that are waiting, instead of one statement and one commit each ({@link Coalescer}:
 * nothing waits on a timer, a delivery waits at most for the end of the event loop's run that read it, so the
 * requests read together go together; batches grow with the load).
 * Each delivery is answered only after its statement committed, so an acknowledgement stays as durable as before
 * (synchronous_commit as the server has it).
 */
final class IngestBatcher {

  private static final Logger LOG = LoggerFactory.getLogger(IngestBatcher.class);

  /** One delivery to store: a row of what {@link WebhookSql#INGEST} takes. */
  record Ingest(Buffer tokenHash, String provider, String taskId, String source, JsonObject headers, Buffer body,
      Buffer bodySha256) {

  }

  /**
   * What became of one: empty for an unknown token; else the generation's id, provider and bound task, and the
   * stored delivery's id, or null when it was not stored (another provider or another task: the caller tells which).
   */
  record Stored(String generationId, String provider, String providerTaskId, Long deliveryId) {

    static Stored of(Row row) {
      return new Stored(row.getString("id"), row.getString("provider"), row.getString("provider_task_id"),
          row.getLong("delivery_id"));
    }
  }

  private final Pool pool;
  private final Coalescer<Ingest, Optional<Stored>> coalescer;

  IngestBatcher(Context context, Pool pool, int maxBatch, int maxInFlight) {
    this.pool = pool;
    // requests read in one run of the event loop are stored together, the first one included
    this.coalescer = Coalescer.gatheringEachTurn(context, maxBatch, maxInFlight, this::storeAll, null);
  }

  Future<Optional<Stored>> store(Ingest ingest) {
    return coalescer.submit(ingest);
  }

  /**
   * One statement for the batch; when it fails, each delivery on its own, so one bad row does not cost the others
   * their acknowledgement.
   */
  private List<Future<Optional<Stored>>> storeAll(List<Ingest> batch) {
    List<Promise<Optional<Stored>>> answers = new ArrayList<>(batch.size());
    batch.forEach(i -> answers.add(Promise.promise()));
    execute(batch).onComplete(ar -> {
      if (ar.succeeded()) {
        for (int i = 0; i < batch.size(); i++) {
          answers.get(i).complete(ar.result().get(i));
        }
      } else if (batch.size() == 1) {
        answers.get(0).fail(ar.cause());
      } else {
        LOG.warn("{} webhook deliveries could not be stored together, storing each on its own: {}", batch.size(),
            ar.cause().toString());
        for (int i = 0; i < batch.size(); i++) {
          execute(List.of(batch.get(i))).map(one -> one.get(0)).onComplete(answers.get(i));
        }
      }
    });
    return answers.stream().map(Promise::future).toList();
  }

  private Future<List<Optional<Stored>>> execute(List<Ingest> batch) {
    int n = batch.size();
    Buffer[] tokenHashes = new Buffer[n];
    String[] providers = new String[n];
    String[] taskIds = new String[n];
    String[] sources = new String[n];
    String[] headers = new String[n];
    Buffer[] bodies = new Buffer[n];
    Buffer[] shas = new Buffer[n];
    for (int i = 0; i < n; i++) {
      Ingest in = batch.get(i);
      tokenHashes[i] = in.tokenHash();
      providers[i] = in.provider();
      taskIds[i] = in.taskId();
      sources[i] = in.source();
      headers[i] = in.headers().encode();
      bodies[i] = in.body();
      shas[i] = in.bodySha256();
    }
    Tuple params = Tuple.tuple().addValue(tokenHashes).addValue(providers).addValue(taskIds).addValue(sources)
        .addValue(headers).addValue(bodies).addValue(shas);
    return pool.preparedQuery(WebhookSql.INGEST).execute(params).map(rows -> {
      Map<Long, Row> byOrdinal = new HashMap<>();
      rows.forEach(row -> byOrdinal.put(row.getLong("n"), row));
      List<Optional<Stored>> stored = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        Row row = byOrdinal.get((long) i + 1);
        stored.add(row == null ? Optional.empty() : Optional.of(Stored.of(row)));
      }
      return stored;
    });
  }
}
