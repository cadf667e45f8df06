package io.genorch.common.persistence;

import io.genorch.common.bus.Addresses;
import io.genorch.common.bus.LifecycleEvent;
import io.genorch.common.domain.Generation;
import io.genorch.common.domain.GenerationError;
import io.genorch.common.domain.GenerationRequest;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.domain.Ids;
import io.genorch.common.domain.Output;
import io.genorch.common.domain.ResolvedBy;
import io.genorch.common.statemachine.Change;
import io.genorch.common.statemachine.Source;
import io.genorch.common.statemachine.GenerationStateMachine;
import io.genorch.common.statemachine.Verdict;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Generations in PostgreSQL. Every status change goes through {@link #apply}, which runs the proposal through
 * {@link GenerationStateMachine} under a row lock and records the timeline and the lifecycle event in the same
 * transaction; the lifecycle event is published on the event bus once committed.
 */
public final class GenerationStore {

  private final Pool pool;
  private final EventBus eventBus;
  private final Consumer<Generation> onAdvanced;
  private final Duration copyOutputsFor;

  public GenerationStore(Pool pool, EventBus eventBus) {
    this(pool, eventBus, generation -> {});
  }

  /** @param onAdvanced told of every committed change of status (metrics, the log), after the event is published */
  public GenerationStore(Pool pool, EventBus eventBus, Consumer<Generation> onAdvanced) {
    this(pool, eventBus, onAdvanced, null);
  }

  /**
   * @param copyOutputsFor with outputs kept (CONTRACT.md section 7): how long a copy is retried when the provider gave
   *     no expiry; null: no copies are scheduled (ORCH_STORAGE=off)
   */
  public GenerationStore(Pool pool, EventBus eventBus, Consumer<Generation> onAdvanced, Duration copyOutputsFor) {
    this.pool = pool;
    this.eventBus = eventBus;
    this.onAdvanced = onAdvanced;
    this.copyOutputsFor = copyOutputsFor;
  }

  public Pool pool() {
    return pool;
  }

  /** An Idempotency-Key with the caller it belongs to and a hash of the request it came with. */
  public record IdempotencyKey(String scope, String key, byte[] requestHash) {}

  /** @param replayed an earlier request with the same key and body created it */
  public record Created(Generation generation, boolean replayed) {}

  public static final class IdempotencyConflictException extends RuntimeException {
    public IdempotencyConflictException(String key) {
      super("Idempotency-Key '" + key + "' was already used with a different request body");
    }
  }

  /** The result of {@link #apply}: {@code event} is the lifecycle event written, or null when nothing advanced. */
  public record Applied(Verdict verdict, Generation before, Generation after, LifecycleEvent event) {}

  public record TimelineEntry(String type, Instant at, JsonObject detail) {
    public JsonObject toJson() {
      return new JsonObject().put("type", type).put("at", at.toString()).put("detail", detail);
    }
  }

  public record Page(List<Generation> items, String nextCursor) {}

  /** Stores a new queued generation with its {@code accepted} timeline entry, honouring an Idempotency-Key. */
  public Future<Created> create(GenerationRequest request, IdempotencyKey idempotencyKey) {
    String id = Ids.generationId();
    return pool.<Created>withTransaction(conn -> insertGeneration(conn, id, request)
            .compose(generation -> idempotencyKey == null
                ? Future.succeededFuture(generation)
                : claimKey(conn, idempotencyKey, id).map(generation))
            .compose(generation -> insertTimeline(conn, id, "accepted", new JsonObject()
                    .put("provider", generation.provider()).put("model", generation.model()))
                .map(new Created(generation, false))))
        .recover(err -> err instanceof KeyTakenException
            ? replay(idempotencyKey)
            : Future.failedFuture(err));
  }

  /**
   * Claims the key for the generation this transaction just inserted (the key references it). A concurrent request
   * with the same key waits on the key's unique index until this transaction ends and then finds the key taken: its
   * own generation is rolled back and it answers with ours.
   */
  private static Future<Void> claimKey(SqlConnection conn, IdempotencyKey key, String generationId) {
    return conn.preparedQuery(Sql.CLAIM_IDEMPOTENCY_KEY)
        .execute(Tuple.of(key.scope(), key.key(), Buffer.buffer(key.requestHash()), generationId))
        .compose(rows -> rows.rowCount() == 1
            ? Future.<Void>succeededFuture()
            : Future.failedFuture(new KeyTakenException()));
  }

  /** Control flow only: the key belongs to an earlier request. */
  private static final class KeyTakenException extends RuntimeException {
    KeyTakenException() {
      super(null, null, false, false);
    }
  }

  private Future<Created> replay(IdempotencyKey key) {
    return pool.preparedQuery(Sql.FIND_IDEMPOTENCY_KEY).execute(Tuple.of(key.scope(), key.key()))
        .compose(rows -> {
          Row row = rows.iterator().next();
          if (!Arrays.equals(row.getBuffer("request_hash").getBytes(), key.requestHash())) {
            return Future.failedFuture(new IdempotencyConflictException(key.key()));
          }
          return find(row.getString("generation_id")).map(g -> new Created(g.orElseThrow(), true));
        });
  }

  private Future<Generation> insertGeneration(SqlConnection conn, String id, GenerationRequest r) {
    Tuple params = Tuple.tuple()
        .addString(id)
        .addString(r.provider())
        .addString(r.model())
        .addString(r.prompt())
        .addString(r.imageUrl())
        .addString(r.aspectRatio())
        .addInteger(r.durationSeconds())
        .addValue(r.options())
        .addValue(r.metadata())
        .addString(r.callbackUrl())
        .addOffsetDateTime(OffsetDateTime.now(ZoneOffset.UTC));
    return conn.preparedQuery(Sql.INSERT_GENERATION).execute(params).map(rows -> toGeneration(rows.iterator().next()));
  }

  public Future<Optional<Generation>> find(String id) {
    return selectGeneration(pool, id);
  }

  public Future<Optional<Generation>> findByWebhookTokenHash(byte[] tokenHash) {
    return pool.preparedQuery(Sql.SELECT_GENERATION_BY_TOKEN)
        .execute(Tuple.of(Buffer.buffer(tokenHash)))
        .map(GenerationStore::firstGeneration);
  }

  private static Future<Optional<Generation>> selectGeneration(io.vertx.sqlclient.SqlClient client, String id) {
    return client.preparedQuery(Sql.SELECT_GENERATION).execute(Tuple.of(id)).map(GenerationStore::firstGeneration);
  }

  /** Newest first; {@code afterId} is the last id of the previous page. */
  public Future<Page> list(String status, String provider, String afterId, int limit) {
    StringBuilder sql = new StringBuilder(Sql.LIST_PREFIX);
    List<Object> params = new ArrayList<>();
    List<String> where = new ArrayList<>();
    if (status != null) {
      params.add(status);
      where.add("status = $" + params.size());
    }
    if (provider != null) {
      params.add(provider);
      where.add("provider = $" + params.size());
    }
    if (afterId != null) {
      params.add(afterId);
      where.add("id < $" + params.size());
    }
    if (!where.isEmpty()) {
      sql.append(" WHERE ").append(String.join(" AND ", where));
    }
    sql.append(Sql.LIST_ORDER).append(limit + 1);
    return pool.preparedQuery(sql.toString()).execute(Tuple.from(params)).map(rows -> {
      List<Generation> items = new ArrayList<>();
      rows.forEach(row -> items.add(toGeneration(row)));
      String next = null;
      if (items.size() > limit) {
        items.remove(items.size() - 1);
        next = items.get(items.size() - 1).id();
      }
      return new Page(items, next);
    });
  }

  /** The timeline, oldest first; empty when the generation does not exist. */
  public Future<Optional<List<TimelineEntry>>> timeline(String id) {
    return find(id).compose(g -> g.isEmpty()
        ? Future.succeededFuture(Optional.empty())
        : pool.preparedQuery(Sql.SELECT_TIMELINE).execute(Tuple.of(id)).map(rows -> {
          List<TimelineEntry> entries = new ArrayList<>();
          rows.forEach(row -> entries.add(new TimelineEntry(
              row.getString("type"), instant(row, "at"), (JsonObject) row.getValue("detail"))));
          return Optional.of(entries);
        }));
  }

  /** Lifecycle events after {@code seq}, each as published plus its {@code seq}. */
  public Future<List<JsonObject>> lifecycleEventsAfter(long seq, int limit) {
    return pool.preparedQuery(Sql.SELECT_LIFECYCLE_EVENTS_AFTER).execute(Tuple.of(seq, limit)).map(rows -> {
      List<JsonObject> events = new ArrayList<>();
      rows.forEach(row -> events.add(((JsonObject) row.getValue("payload")).copy().put("seq", row.getLong("seq"))));
      return events;
    });
  }

  /** Adds a timeline entry that changes nothing else (a retried submit, a check that learned nothing new). */
  public Future<Void> recordEvent(String id, String type, JsonObject detail) {
    return insertTimeline(pool, id, type, detail);
  }

  public Future<Void> ping() {
    return pool.query(Sql.PING).execute().mapEmpty();
  }

  /**
   * Runs a proposed change through the state machine under a row lock and stores what follows from it. Fails with
   * {@link java.util.NoSuchElementException} when the generation does not exist.
   */
  public Future<Applied> apply(String id, Change change) {
    return pool.<Applied>withTransaction(conn -> conn.preparedQuery(Sql.SELECT_GENERATION_FOR_UPDATE)
            .execute(Tuple.of(id))
            .compose(rows -> {
              Generation before = firstGeneration(rows).orElseThrow();
              return conn.preparedQuery(Sql.SELECT_SCHEDULE).execute(Tuple.of(id))
                  .compose(schedule -> applyLocked(conn, before, schedule.iterator().next(), change));
            }))
        .onSuccess(applied -> {
          if (applied.event() != null) {
            eventBus.publish(Addresses.EVENTS, applied.event().toJson());
            onAdvanced.accept(applied.after());
          }
        });
  }

  private Future<Applied> applyLocked(SqlConnection conn, Generation before, Row schedule, Change change) {
    Verdict verdict = GenerationStateMachine.decide(before.status(), change.proposed());
    String causeType = GenerationStateMachine.causeEventType(change.source(), verdict);
    JsonObject causeDetail = change.detail().copy()
        .put("verdict", verdict.name().toLowerCase())
        .put("reportedStatus", change.proposed().wire());
    Future<Void> cause = causeType == null
        ? Future.succeededFuture()
        : insertTimeline(conn, before.id(), causeType, causeDetail);
    if (verdict == Verdict.DUPLICATE || verdict == Verdict.REJECT) {
      return cause.map(v -> new Applied(verdict, before, before, null));
    }
    Instant now = Instant.now();
    boolean advance = verdict == Verdict.ADVANCE;
    GenerationStatus status = advance ? change.proposed() : before.status();
    boolean terminal = status.isTerminal();
    Integer progress = newProgress(before, change, status);
    List<Output> outputs = terminal && status == GenerationStatus.SUCCEEDED ? change.outputs() : before.outputs();
    GenerationError error = terminal && status != GenerationStatus.SUCCEEDED ? change.error() : before.error();
    ResolvedBy resolvedBy = advance && terminal ? GenerationStateMachine.resolvedBy(change.source()) : before.resolvedBy();
    String taskId = before.providerTaskId() != null ? before.providerTaskId() : change.providerTaskId();
    Instant submittedAt = before.submittedAt() == null && status != GenerationStatus.QUEUED ? now : before.submittedAt();
    Instant completedAt = advance && terminal ? now : before.completedAt();
    OffsetDateTime storedCheck = schedule.getOffsetDateTime("next_check_at");
    // the submitter and the poller set the schedule; a webhook only fills in one that is missing (it beat the
    // submit answer), so callbacks never push the safety-net check away
    boolean keepStored = change.source() == Source.WEBHOOK && storedCheck != null;
    OffsetDateTime nextCheck = terminal ? null
        : keepStored || change.nextCheckAt() == null ? storedCheck : utc(change.nextCheckAt());
    OffsetDateTime deadline = schedule.getOffsetDateTime("deadline_at") != null
        ? schedule.getOffsetDateTime("deadline_at") : utc(change.deadlineAt());
    String submitState = status != GenerationStatus.QUEUED ? "done" : schedule.getString("submit_state");
    OffsetDateTime nextSubmit = status != GenerationStatus.QUEUED ? null : schedule.getOffsetDateTime("next_submit_at");

    Tuple params = Tuple.tuple()
        .addString(before.id())
        .addString(status.wire())
        .addString(taskId)
        .addInteger(progress)
        .addValue(outputsJson(outputs))
        .addValue(error == null ? null : error.toJson())
        .addString(resolvedBy == null ? null : resolvedBy.wire())
        .addOffsetDateTime(utc(submittedAt))
        .addOffsetDateTime(utc(completedAt))
        .addOffsetDateTime(utc(now))
        .addOffsetDateTime(nextCheck)
        .addOffsetDateTime(deadline)
        .addString(submitState)
        .addOffsetDateTime(nextSubmit);
    return cause
        .compose(v -> conn.preparedQuery(Sql.UPDATE_GENERATION).execute(params))
        .map(rows -> toGeneration(rows.iterator().next()))
        .compose(after -> {
          if (!advance) {
            return Future.succeededFuture(new Applied(verdict, before, after, null));
          }
          LifecycleEvent event = LifecycleEvent.of(after);
          JsonObject statusDetail = new JsonObject().put("resolvedBy", after.resolvedBy() == null ? null : after.resolvedBy().wire());
          if (after.providerTaskId() != null) {
            statusDetail.put("providerTaskId", after.providerTaskId());
          }
          if (after.error() != null && terminal) {
            statusDetail.put("error", after.error().toJson());
          }
          return insertTimeline(conn, after.id(), GenerationStateMachine.statusEventType(status), statusDetail)
              .compose(v -> conn.preparedQuery(Sql.INSERT_LIFECYCLE_EVENT).execute(Tuple.of(
                  event.id(), event.type(), after.id(), utc(event.occurredAt()), event.toJson())))
              .compose(v -> terminal && after.callbackUrl() != null
                  ? conn.preparedQuery(Sql.INSERT_CLIENT_CALLBACK).execute(Tuple.of(event.id(), after.id(), after.callbackUrl()))
                      .<Void>mapEmpty()
                  : Future.<Void>succeededFuture())
              .compose(v -> status == GenerationStatus.SUCCEEDED ? scheduleOutputCopies(conn, after.id()) : Future.<Void>succeededFuture())
              .map(v -> new Applied(verdict, before, after, event));
        });
  }

  /** Outputs kept: the copies of a generation that just succeeded, scheduled in its transaction (one statement). */
  private Future<Void> scheduleOutputCopies(SqlConnection conn, String id) {
    return copyOutputsFor == null
        ? Future.succeededFuture()
        : conn.preparedQuery(Sql.SCHEDULE_OUTPUT_COPIES).execute(Tuple.of(id, copyOutputsFor.toSeconds())).mapEmpty();
  }

  /**
   * A copy of output {@code index} is kept: the output shows the service's link and the copy's size, hash and type,
   * the timeline gets {@code output_stored}, and once every output is kept the lifecycle event
   * {@code generation.outputs_stored} is written (and published after commit).
   */
  public Future<Generation> outputStored(String id, int index, String ownUrl, long bytes, String sha256, String contentType) {
    Instant now = Instant.now();
    return changeOutput(id, index, output -> output.stored(ownUrl, now, bytes, sha256, contentType), "output_stored",
        new JsonObject().put("index", index).put("bytes", bytes).put("sha256", sha256), true);
  }

  /** The copy of output {@code index} was deleted (retention): the output shows the provider's link again. */
  public Future<Generation> outputDeleted(String id, int index, String reason) {
    return changeOutput(id, index, Output::unstored, "output_deleted",
        new JsonObject().put("index", index).put("reason", reason), false);
  }

  /** A copy attempt failed; with {@code gaveUp} no more are made and the output keeps the provider's link. */
  public Future<Void> outputStoreFailed(String id, int index, String reason, int attempt, boolean gaveUp) {
    return insertTimeline(pool, id, "output_store_failed", new JsonObject()
        .put("index", index).put("reason", reason).put("attempt", attempt).put("gaveUp", gaveUp));
  }

  private record OutputChange(Generation after, LifecycleEvent event) {}

  private Future<Generation> changeOutput(String id, int index, java.util.function.UnaryOperator<Output> change,
      String timelineType, JsonObject detail, boolean announceAllStored) {
    return pool.<OutputChange>withTransaction(conn -> conn.preparedQuery(Sql.SELECT_GENERATION_FOR_UPDATE)
            .execute(Tuple.of(id))
            .compose(rows -> {
              Generation before = firstGeneration(rows).orElseThrow();
              List<Output> outputs = new ArrayList<>(before.outputs());
              outputs.set(index, change.apply(outputs.get(index)));
              return conn.preparedQuery(Sql.UPDATE_OUTPUTS)
                  .execute(Tuple.of(id, outputsJson(outputs), utc(Instant.now())))
                  .map(updated -> toGeneration(updated.iterator().next()))
                  .compose(after -> insertTimeline(conn, id, timelineType, detail).compose(v -> {
                    boolean allStored = after.outputs().stream().allMatch(o -> o.storedAt() != null);
                    if (!announceAllStored || !allStored) {
                      return Future.succeededFuture(new OutputChange(after, null));
                    }
                    LifecycleEvent event = new LifecycleEvent(Ids.eventId(), LifecycleEvent.OUTPUTS_STORED,
                        after.updatedAt(), after);
                    return conn.preparedQuery(Sql.INSERT_LIFECYCLE_EVENT).execute(Tuple.of(
                            event.id(), event.type(), id, utc(event.occurredAt()), event.toJson()))
                        .map(v2 -> new OutputChange(after, event));
                  }));
            }))
        .map(result -> {
          if (result.event() != null) {
            eventBus.publish(Addresses.EVENTS, result.event().toJson());
          }
          return result.after();
        });
  }

  private static Integer newProgress(Generation before, Change change, GenerationStatus status) {
    if (status == GenerationStatus.SUCCEEDED) {
      return 100;
    }
    if (change.progress() == null) {
      return before.progress();
    }
    return before.progress() == null ? change.progress() : Math.max(before.progress(), change.progress());
  }

  private static Future<Void> insertTimeline(io.vertx.sqlclient.SqlClient client, String id, String type, JsonObject detail) {
    return client.preparedQuery(Sql.INSERT_TIMELINE_EVENT).execute(Tuple.of(id, type, detail)).mapEmpty();
  }

  private static Optional<Generation> firstGeneration(RowSet<Row> rows) {
    return rows.size() == 0 ? Optional.empty() : Optional.of(toGeneration(rows.iterator().next()));
  }

  private static JsonArray outputsJson(List<Output> outputs) {
    JsonArray array = new JsonArray();
    outputs.forEach(o -> array.add(o.toJson()));
    return array;
  }

  static Generation toGeneration(Row row) {
    JsonArray outputsJson = (JsonArray) row.getValue("outputs");
    List<Output> outputs = new ArrayList<>();
    if (outputsJson != null) {
      outputsJson.forEach(o -> outputs.add(Output.fromJson((JsonObject) o)));
    }
    String resolvedBy = row.getString("resolved_by");
    return new Generation(
        row.getString("id"),
        row.getString("provider"),
        row.getString("model"),
        GenerationStatus.fromWire(row.getString("status")).orElseThrow(),
        row.getString("prompt"),
        row.getString("image_url"),
        row.getString("aspect_ratio"),
        row.getInteger("duration_seconds"),
        (JsonObject) row.getValue("options"),
        (JsonObject) row.getValue("metadata"),
        row.getString("callback_url"),
        row.getString("provider_task_id"),
        row.getInteger("progress"),
        outputs,
        GenerationError.fromJson((JsonObject) row.getValue("error")),
        resolvedBy == null ? null : ResolvedBy.fromWire(resolvedBy),
        instant(row, "created_at"),
        instant(row, "submitted_at"),
        instant(row, "completed_at"),
        instant(row, "updated_at"));
  }

  private static Instant instant(Row row, String column) {
    OffsetDateTime value = row.getOffsetDateTime(column);
    return value == null ? null : value.toInstant();
  }

  private static OffsetDateTime utc(Instant instant) {
    return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
  }
}
