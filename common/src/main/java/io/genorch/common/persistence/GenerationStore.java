package io.genorch.common.persistence;

import io.genorch.common.bus.Addresses;
import io.genorch.common.bus.LifecycleEvent;
import io.genorch.common.domain.Attempt;
import io.genorch.common.domain.Generation;
import io.genorch.common.domain.GenerationError;
import io.genorch.common.domain.GenerationRequest;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.domain.Ids;
import io.genorch.common.domain.Output;
import io.genorch.common.domain.ResolvedBy;
import io.genorch.common.statemachine.Change;
import io.genorch.common.statemachine.GenerationStateMachine;
import io.genorch.common.statemachine.Schedule;
import io.genorch.common.statemachine.Transition;
import io.genorch.common.statemachine.Verdict;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;

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
  private final LifecycleSequencer sequencer;
  private final int maxAttempts;
  private volatile Consumer<Generation> onRerun = generation -> {};

  public GenerationStore(Pool pool, EventBus eventBus) {
    this(pool, eventBus, generation -> {});
  }

  /** @param onAdvanced told of every committed change of status (metrics, the log), after the event is published */
  public GenerationStore(Pool pool, EventBus eventBus, Consumer<Generation> onAdvanced) {
    this(pool, eventBus, onAdvanced, null);
  }

  /**
   * @param copyOutputsFor with outputs kept (docs/API.md section 7): how long a copy is retried when the provider gave
   *     no expiry; null: no copies are scheduled (ORCH_STORAGE=off)
   */
  public GenerationStore(Pool pool, EventBus eventBus, Consumer<Generation> onAdvanced, Duration copyOutputsFor) {
    this(pool, eventBus, onAdvanced, copyOutputsFor, GenerationStateMachine.NO_RERUNS);
  }

  /** @param maxAttempts jobs a generation may run (ORCH_MAX_ATTEMPTS): a retryable failure before the last is re-run */
  public GenerationStore(Pool pool, EventBus eventBus, Consumer<Generation> onAdvanced, Duration copyOutputsFor,
      int maxAttempts) {
    this(pool, pool, eventBus, onAdvanced, copyOutputsFor, maxAttempts);
  }

  /**
   * @param eventLogPool connections of their own for the lifecycle event log (sequencer passes and {@link
   *     #lifecycleEventsAfter} reads), so that positioning and reading events never wait in line behind the
   *     service's other work for one of {@code pool}'s
   */
  public GenerationStore(Pool pool, Pool eventLogPool, EventBus eventBus, Consumer<Generation> onAdvanced,
      Duration copyOutputsFor, int maxAttempts) {
    this.maxAttempts = maxAttempts;
    this.pool = pool;
    this.eventBus = eventBus;
    this.onAdvanced = onAdvanced;
    this.copyOutputsFor = copyOutputsFor;
    this.sequencer = new LifecycleSequencer(eventLogPool);
  }

  /** Positions committed lifecycle events for {@link #lifecycleEventsAfter}; started once per process. */
  public LifecycleSequencer sequencer() {
    return sequencer;
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
    return create(request, idempotencyKey, null);
  }

  /**
   * The same, for a generation whose provider the service chose: {@code routed} (the model asked for, the route
   * taken and the candidates considered) becomes a {@code routed} timeline entry after {@code accepted}.
   */
  public Future<Created> create(GenerationRequest request, IdempotencyKey idempotencyKey, JsonObject routed) {
    return create(request, idempotencyKey, routed, null);
  }

  /**
   * The same, keeping the routes the generation may fail over to ({@code [{provider, providerModel}]}, in routing
   * order, the chosen one included), read back by {@link #routes}.
   */
  public Future<Created> create(GenerationRequest request, IdempotencyKey idempotencyKey, JsonObject routed,
      JsonArray routes) {
    return createAll(List.of(new NewGeneration(request, idempotencyKey, routed, routes))).get(0);
  }

  /** One generation to store: what {@link #create(GenerationRequest, IdempotencyKey, JsonObject, JsonArray)} takes. */
  public record NewGeneration(GenerationRequest request, IdempotencyKey idempotencyKey, JsonObject routed,
      JsonArray routes) {}

  /**
   * Stores generations as {@link #create} does each, in one transaction: the rows are sent together and one commit
   * covers them, so every answer comes after that commit. When the server refuses the transaction (a bad row),
   * nothing of it was stored and each generation is stored on its own, so one bad row never costs the others; any
   * other failure (the connection lost) fails them all, as nobody can tell whether the commit happened. A key used by
   * an earlier request is answered as {@link #create} answers it (a replay, or {@link IdempotencyConflictException}).
   * Answers one future per generation, in the order given.
   *
   * @throws IllegalArgumentException when two generations carry the same Idempotency-Key (which one wins would
   *     depend on their order)
   */
  public List<Future<Created>> createAll(List<NewGeneration> generations) {
    int n = generations.size();
    // the keys are claimed in one order in every batch, so two concurrent batches never wait on each other in a cycle
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparing((Integer i) -> keyOf(generations.get(i)),
        Comparator.nullsFirst(Comparator.naturalOrder())));
    for (int i = 1; i < n; i++) {
      String key = keyOf(generations.get(order[i]));
      if (key != null && key.equals(keyOf(generations.get(order[i - 1])))) {
        throw new IllegalArgumentException("two generations with one Idempotency-Key in a batch");
      }
    }
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    List<Tuple> rows = new ArrayList<>(n);
    for (Integer i : order) {
      rows.add(insertParams(generations.get(i), now));
    }
    List<Promise<Created>> answers = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      answers.add(Promise.promise());
    }
    pool.preparedQuery(Sql.INSERT_GENERATION).executeBatch(rows).onComplete(ar -> {
      if (ar.succeeded()) {
        RowSet<Row> result = ar.result();
        for (Integer i : order) {
          created(result, generations.get(i).idempotencyKey()).onComplete(answers.get(i));
          result = result.next();
        }
      } else if (n > 1 && ar.cause() instanceof PgException) {
        for (int i = 0; i < n; i++) {
          createAll(List.of(generations.get(i))).get(0).onComplete(answers.get(i));
        }
      } else {
        answers.forEach(answer -> answer.fail(ar.cause()));
      }
    });
    return answers.stream().map(Promise::future).toList();
  }

  private static String keyOf(NewGeneration generation) {
    IdempotencyKey key = generation.idempotencyKey();
    // the scope (a hash, or "eventbus") never holds a line break, so the joined text names one (scope, key)
    return key == null ? null : key.scope() + "\n" + key.key();
  }

  private static Tuple insertParams(NewGeneration generation, OffsetDateTime now) {
    GenerationRequest request = generation.request();
    IdempotencyKey idempotencyKey = generation.idempotencyKey();
    return Tuple.tuple()
        .addString(Ids.generationId())
        .addString(request.provider())
        .addString(request.model())
        .addString(request.prompt())
        .addString(request.imageUrl())
        .addString(request.aspectRatio())
        .addInteger(request.durationSeconds())
        .addValue(request.options())
        .addValue(request.metadata())
        .addString(request.callbackUrl())
        .addOffsetDateTime(now)
        .addString(idempotencyKey == null ? null : idempotencyKey.scope())
        .addString(idempotencyKey == null ? null : idempotencyKey.key())
        .addValue(idempotencyKey == null ? null : Buffer.buffer(idempotencyKey.requestHash()))
        .addValue(new JsonObject().put("provider", request.provider()).put("model", request.model()))
        .addValue(generation.routed())
        .addValue(generation.routes());
  }

  private Future<Created> created(RowSet<Row> rows, IdempotencyKey idempotencyKey) {
    return rows.size() == 1
        ? Future.succeededFuture(new Created(toGeneration(rows.iterator().next()), false))
        : replay(idempotencyKey); // the key belongs to an earlier request: nothing was inserted
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

  public Future<Optional<Generation>> find(String id) {
    return selectGeneration(pool, id);
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

  /**
   * Lifecycle events after {@code seq}, each as published plus its {@code seq}. A sequencer pass that starts after
   * this call runs first (shared with the readers that ask meanwhile, and sent with their reads in one go), so every
   * event committed before this call is there; if the pass cannot run (another one hangs), what is positioned is
   * still read: a later read gets the rest, after these. Both go through the event log's own connections.
   */
  public Future<List<JsonObject>> lifecycleEventsAfter(long seq, int limit) {
    return sequencer.readAfterPass(seq, limit).map(rows -> {
      List<JsonObject> events = new ArrayList<>();
      rows.forEach(row -> events.add(((JsonObject) row.getValue("payload")).copy().put("seq", row.getLong("seq"))));
      return events;
    });
  }

  /** Adds a timeline entry that changes nothing else (a retried submit, a check that learned nothing new). */
  public Future<Void> recordEvent(String id, String type, JsonObject detail) {
    return insertTimeline(pool, id, type, detail);
  }

  // Submission: the submitter's writes of the submit state (claim, sending, retry, release, abandoned work).

  /**
   * A generation claimed for sending: the row as claimed, this attempt's number, and which of the token hashes given
   * to {@link #claimForSending} was bound to it (an index into that list), and for a routed generation its candidate
   * routes in order ({@code [{provider, providerModel}]}; null when the client named the provider), read with the
   * claim so that sending needs no second query.
   */
  public record SubmitClaim(Generation generation, int attempt, int token, JsonArray routes) {}

  /**
   * Claims up to {@code tokenHashes.size()} due, pending generations of {@code providers} for sending, in one
   * statement, each for {@code lease} and each with one of the given callback token hashes bound to this attempt;
   * earliest due first, each provider's own earliest first. What another instance is claiming at the same moment is
   * passed over.
   */
  public Future<List<SubmitClaim>> claimForSending(String[] providers, List<byte[]> tokenHashes, Duration lease) {
    Buffer[] hashes = tokenHashes.stream().map(Buffer::buffer).toArray(Buffer[]::new);
    return pool.preparedQuery(Sql.CLAIM_FOR_SENDING)
        .execute(Tuple.of(providers, hashes, hashes.length, seconds(lease)))
        .map(rows -> {
          List<SubmitClaim> claimed = new ArrayList<>(rows.size());
          for (Row row : rows) {
            claimed.add(new SubmitClaim(toGeneration(row), row.getInteger("submit_attempts"),
                (int) (row.getLong("n") - 1), (JsonArray) row.getValue("routes")));
          }
          return claimed;
        });
  }

  /**
   * Takes permit slots of {@code provider}'s per-minute budget ({@code budget} in any 60 s) for the first of the
   * claims {@code ids} it can, and marks those claims 'sending' (with the request's {@code lease}), in one statement,
   * so one commit covers both: if it fails, neither happened and the claims are still 'claimed'. The database side of
   * {@link ProviderGate#tryAcquireFor}, which holds the in-flight bound.
   */
  public Future<ProviderGate.Taken<String>> takePermitsAndMarkSending(String provider, int budget, List<String> ids,
      Duration lease) {
    return pool.preparedQuery(Sql.TAKE_PERMITS_AND_MARK_SENDING)
        .execute(Tuple.of(provider, budget, null, ids.size(), ids.toArray(String[]::new), seconds(lease)))
        .map(rows -> {
          Row row = rows.iterator().next();
          Set<String> marked = new HashSet<>(Arrays.asList(row.getArrayOfStrings("marked")));
          return new ProviderGate.Taken<>(row.getLong("granted").intValue(), row.getLong("raced").intValue(), marked);
        });
  }

  /** Sending → pending, due again after {@code wait} (a transient failure). */
  public Future<Void> retrySubmitLater(String id, Duration wait) {
    return pool.preparedQuery(Sql.RETRY_SUBMIT_LATER).execute(Tuple.of(id, seconds(wait))).mapEmpty();
  }

  /** Claimed → pending, due again after {@code wait}, the claim not counted as an attempt (nothing was sent). */
  public Future<Void> releaseSubmitClaim(String id, Duration wait) {
    return pool.preparedQuery(Sql.RELEASE_SUBMIT_CLAIM).execute(Tuple.of(id, seconds(wait))).mapEmpty();
  }

  /**
   * What {@link #claimAbandonedSubmissions} found: with {@code sent} false, a claim whose holder stopped before
   * sending, now pending and due again; with {@code sent} true, a request that may be on the wire, taken (for
   * {@code lease}) to be settled as ambiguous; {@code attempt}: the number of that send (its attempt).
   */
  public record AbandonedSubmission(String id, String provider, boolean sent, int attempt) {}

  /**
   * Up to {@code limit} claims of the given providers whose holder stopped before sending go back to pending, and up
   * to {@code limit} sends whose holder stopped before the answer are taken to be settled, in one statement.
   */
  public Future<List<AbandonedSubmission>> claimAbandonedSubmissions(String[] providers, int limit, Duration lease) {
    return pool.preparedQuery(Sql.CLAIM_ABANDONED_SUBMISSIONS).execute(Tuple.of(providers, limit, seconds(lease)))
        .map(rows -> {
          List<AbandonedSubmission> found = new ArrayList<>(rows.size());
          for (Row row : rows) {
            found.add(new AbandonedSubmission(row.getString("id"), row.getString("provider"),
                "send".equals(row.getString("kind")), row.getInteger("submit_attempts")));
          }
          return found;
        });
  }

  // Polling: the poller's claim of due checks and its schedule writes.

  /**
   * A generation the poller claimed; {@code checks} counts this one, {@code attempt} is the attempt in flight (the
   * latest sent, at {@code provider}), whose task is asked about.
   */
  public record ClaimedCheck(String id, String provider, String providerTaskId, Instant submittedAt, Instant deadlineAt,
      int checks, int attempt) {

    public ClaimedCheck(String id, String provider, String providerTaskId, Instant submittedAt, Instant deadlineAt,
        int checks) {
      this(id, provider, providerTaskId, submittedAt, deadlineAt, checks, 0);
    }
  }

  /** Claims up to {@code limit} generations whose check is due, keeping other instances away for {@code lease}. */
  public Future<List<ClaimedCheck>> claimDueChecks(int limit, Duration lease) {
    return pool.preparedQuery(Sql.CLAIM_DUE_CHECKS).execute(Tuple.of(limit, seconds(lease))).map(rows -> {
      List<ClaimedCheck> claimed = new ArrayList<>(rows.size());
      for (Row row : rows) {
        claimed.add(new ClaimedCheck(row.getString("id"), row.getString("provider"), row.getString("provider_task_id"),
            instantOrNull(row.getOffsetDateTime("submitted_at")), instantOrNull(row.getOffsetDateTime("deadline_at")),
            row.getInteger("poll_attempts"), row.getInteger("submit_attempts")));
      }
      return claimed;
    });
  }

  /** Returns a claimed generation unchecked: due again at {@code at}, the claim not counted as a check. */
  public Future<Void> handBackCheck(String id, Instant at) {
    return pool.preparedQuery(Sql.HAND_BACK_CHECK).execute(Tuple.of(id, at.atOffset(ZoneOffset.UTC))).mapEmpty();
  }

  /** A check that learned nothing: due again at {@code next}, with a {@code polled} timeline entry. */
  public Future<Void> polledLater(String id, Instant next, JsonObject detail) {
    return pool.preparedQuery(Sql.POLLED_LATER).execute(Tuple.of(id, next.atOffset(ZoneOffset.UTC), detail)).mapEmpty();
  }

  private static double seconds(Duration duration) {
    return duration.toMillis() / 1000.0;
  }

  private static Instant instantOrNull(OffsetDateTime value) {
    return value == null ? null : value.toInstant();
  }

  public Future<Void> ping() {
    return pool.query(Sql.PING).execute().mapEmpty();
  }

  /**
   * Runs a proposed change through the state machine under a row lock and stores what follows from it. Fails with
   * {@link NoSuchElementException} when the generation does not exist.
   */
  public Future<Applied> apply(String id, Change change) {
    return pool.<Applied>withTransaction(conn -> conn.preparedQuery(Sql.SELECT_GENERATION_FOR_TRANSITION)
            .execute(Tuple.of(id))
            .compose(rows -> {
              if (rows.size() == 0) {
                throw new NoSuchElementException("no generation " + id);
              }
              Row row = rows.iterator().next();
              Generation before = toGeneration(row);
              Transition transition = GenerationStateMachine.transition(
                  before, toSchedule(row), change, Instant.now().truncatedTo(ChronoUnit.MICROS), maxAttempts);
              return write(conn, transition).map(event -> new Applied(transition.verdict(), before, transition.after(), event));
            }))
        .onSuccess(this::published);
  }

  /** Told of every committed re-run (with the generation as it was before: the attempt that failed). */
  public void onRerun(Consumer<Generation> listener) {
    this.onRerun = listener;
  }

  /** One change of {@link #applyAll}: a proposed change to generation {@code id}. */
  public record ChangeOf(String id, Change change) {}

  /**
   * Applies changes to different generations as {@link #apply} does each, in one transaction: one statement locks
   * every generation (in id order, so two such batches never deadlock), the writes are sent together, one commit
   * covers them. When that transaction fails (a generation gone, a bad row), each change is applied on its own, so
   * one failure never costs the others. Answers one future per change, in the order given.
   *
   * @throws IllegalArgumentException when two changes are of one generation (their order would matter)
   */
  public List<Future<Applied>> applyAll(List<ChangeOf> changes) {
    if (changes.size() == 1) {
      return List.of(apply(changes.get(0).id(), changes.get(0).change()));
    }
    int n = changes.size();
    String[] ids = new String[n];
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < n; i++) {
      ids[i] = changes.get(i).id();
      if (index.put(ids[i], i) != null) {
        throw new IllegalArgumentException("two changes of " + ids[i] + " in one batch");
      }
    }
    Future<List<Applied>> together = pool.withTransaction(conn -> conn
        .preparedQuery(Sql.SELECT_GENERATIONS_FOR_TRANSITIONS)
        .execute(Tuple.of(ids))
        .compose(rows -> {
          if (rows.size() != n) {
            throw new NoSuchElementException((n - rows.size()) + " of " + n + " generations not found");
          }
          List<Future<Applied>> each = new ArrayList<>(n);
          Row[] locked = new Row[n];
          rows.forEach(row -> locked[index.get(row.getString("id"))] = row);
          Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
          for (int i = 0; i < n; i++) {
            Generation before = toGeneration(locked[i]);
            Transition transition = GenerationStateMachine.transition(before, toSchedule(locked[i]), changes.get(i).change(), now,
                maxAttempts);
            each.add(write(conn, transition).map(event -> new Applied(transition.verdict(), before, transition.after(), event)));
          }
          return Future.all(each).map(all -> each.stream().map(Future::result).toList());
        }));
    List<Promise<Applied>> answers = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      answers.add(Promise.promise());
    }
    together.onComplete(ar -> {
      for (int i = 0; i < n; i++) {
        if (ar.succeeded()) {
          published(ar.result().get(i));
          answers.get(i).complete(ar.result().get(i));
        } else {
          apply(changes.get(i).id(), changes.get(i).change()).onComplete(answers.get(i));
        }
      }
    });
    return answers.stream().map(Promise::future).toList();
  }

  /** After commit: the lifecycle event of a transition that advanced is positioned, published and told. */
  private void published(Applied applied) {
    if (applied != null && applied.verdict() == Verdict.RERUN) {
      onRerun.accept(applied.before());
    }
    if (applied != null && applied.event() != null) {
      sequencer.wake();
      eventBus.publish(Addresses.EVENTS, applied.event().toJson());
      onAdvanced.accept(applied.after());
    }
  }

  // Webhooks: a stored delivery is applied and marked processed in one transaction.

  /** A stored webhook delivery, as far as settling it goes. */
  public record WebhookDelivery(long id, String generationId, byte[] bodySha256) {}

  /** What a webhook delivery does, decided once its generation is locked. */
  public sealed interface WebhookDecision {

    /** Runs {@code change} through the state machine; {@code outcome} names what that made of the delivery. */
    record Apply(Change change, Function<Verdict, String> outcome) implements WebhookDecision {}

    /** Changes no state: a timeline entry ({@code type}, {@code detail}) and the delivery's {@code outcome}. */
    record Record(String type, JsonObject detail, String outcome) implements WebhookDecision {}
  }

  /** @param applied what the state machine did, or null when the decision only recorded */
  public record WebhookSettled(String outcome, Applied applied) {}

  /**
   * Settles a stored webhook delivery in one transaction: locks its generation, finds an identical earlier delivery
   * that was applied (its id, or null, is given to {@code decide} with the generation), then stores what
   * {@code decide} chose (a transition through {@link GenerationStateMachine}, or a timeline entry) and marks the
   * delivery processed with its outcome. Committing both together means a delivery is never marked without its
   * effect nor left unmarked after it. Fails with {@link NoSuchElementException} when the generation does not
   * exist.
   */
  public Future<WebhookSettled> settleWebhook(WebhookDelivery delivery, BiFunction<Generation, Long, WebhookDecision> decide) {
    return settleTogether(List.of(new WebhookSettlement(delivery, decide)), TransactionScope.of(pool))
        .map(settled -> settled.get(0));
  }

  /** One delivery for {@link #settleWebhooks}: what it is and how to decide once its generation is locked. */
  public record WebhookSettlement(WebhookDelivery delivery, BiFunction<Generation, Long, WebhookDecision> decide) {}

  /**
   * Settles deliveries of different generations as {@link #settleWebhook} does each, in one transaction of two
   * statements whatever the batch's size: one locks every generation (in id order, so two such batches never
   * deadlock) and finds each delivery's applied twin; one writes everything that follows (every transition's row
   * update, timeline entries, lifecycle event, client callback and output copies, the entries of the deliveries
   * that only record, and every delivery's marking); one commit covers them. When that transaction fails (a
   * generation gone, a deadlock with another writer, a bad row), each delivery is settled on its own, so one failure
   * never loses the others. Answers one future per settlement, in the order given.
   *
   * @throws IllegalArgumentException when two settlements are of one generation (their order would matter)
   */
  public List<Future<WebhookSettled>> settleWebhooks(List<WebhookSettlement> settlements) {
    return settleWebhooks(settlements, TransactionScope.of(pool));
  }

  /**
   * {@link #settleWebhooks(List)} in {@code scope}: in a round of the webhook worker, whose transaction holds the
   * claimed deliveries and commits them with their settling (each batch then a savepoint of it); what advanced is
   * published once the scope commits.
   */
  public List<Future<WebhookSettled>> settleWebhooks(List<WebhookSettlement> settlements, TransactionScope scope) {
    if (settlements.size() == 1) {
      return List.of(settleTogether(settlements, scope).map(settled -> settled.get(0)));
    }
    Set<String> generations = new HashSet<>();
    for (WebhookSettlement settlement : settlements) {
      if (!generations.add(settlement.delivery().generationId())) {
        throw new IllegalArgumentException("two deliveries of " + settlement.delivery().generationId() + " in one batch");
      }
    }
    int n = settlements.size();
    List<Promise<WebhookSettled>> answers = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      answers.add(Promise.promise());
    }
    settleTogether(settlements, scope).onComplete(ar -> {
      for (int i = 0; i < n; i++) {
        if (ar.succeeded()) {
          answers.get(i).complete(ar.result().get(i));
        } else {
          settleTogether(List.of(settlements.get(i)), scope).map(settled -> settled.get(0)).onComplete(answers.get(i));
        }
      }
    });
    return answers.stream().map(Promise::future).toList();
  }

  /** The one transaction of {@link #settleWebhooks} (of one generation each); publishes what advanced once committed. */
  private Future<List<WebhookSettled>> settleTogether(List<WebhookSettlement> settlements, TransactionScope scope) {
    int n = settlements.size();
    String[] generationIds = new String[n];
    Buffer[] shas = new Buffer[n];
    Long[] deliveryIds = new Long[n];
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < n; i++) {
      WebhookDelivery d = settlements.get(i).delivery();
      index.put(d.generationId(), i);
      generationIds[i] = d.generationId();
      shas[i] = Buffer.buffer(d.bodySha256());
      deliveryIds[i] = d.id();
    }
    return scope.<List<WebhookSettled>>run(conn -> conn
        .preparedQuery(Sql.SELECT_GENERATIONS_FOR_WEBHOOKS)
        .execute(Tuple.of(generationIds, shas, deliveryIds))
        .compose(rows -> {
          if (rows.size() != n) {
            throw new NoSuchElementException(n == 1 ? "no generation " + generationIds[0]
                : (n - rows.size()) + " of " + n + " generations not found");
          }
          Row[] locked = new Row[n];
          rows.forEach(row -> locked[index.get(row.getString("id"))] = row);
          Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
          List<WebhookSettled> settled = new ArrayList<>(n);
          String[] outcomes = new String[n];
          JsonArray transitions = new JsonArray();
          JsonArray timeline = new JsonArray();
          for (int i = 0; i < n; i++) {
            Generation before = toGeneration(locked[i]);
            WebhookDecision decision = settlements.get(i).decide().apply(before, locked[i].getLong("twin_id"));
            if (decision instanceof WebhookDecision.Record record) {
              outcomes[i] = record.outcome();
              timeline.add(new JsonObject().put("generation_id", generationIds[i]).put("type", record.type())
                  .put("detail", record.detail()));
              settled.add(new WebhookSettled(record.outcome(), null));
            } else {
              WebhookDecision.Apply apply = (WebhookDecision.Apply) decision;
              Transition transition = GenerationStateMachine.transition(
                  before, toSchedule(locked[i]), apply.change(), now, maxAttempts);
              outcomes[i] = apply.outcome().apply(transition.verdict());
              LifecycleEvent event = transitionJson(transition, transitions, timeline);
              settled.add(new WebhookSettled(outcomes[i],
                  new Applied(transition.verdict(), before, transition.after(), event)));
            }
          }
          return conn.preparedQuery(Sql.SETTLE_WEBHOOKS)
              .execute(Tuple.of(transitions, timeline, deliveryIds, outcomes,
                  copyOutputsFor == null ? null : (double) copyOutputsFor.toSeconds()))
              .map(settled);
        }))
        .onSuccess(settled -> scope.afterCommit(() -> settled.forEach(s -> published(s.applied()))));
  }

  /**
   * A transition as {@link Sql#SETTLE_WEBHOOKS} takes it: its row and event added to {@code transitions}, its
   * timeline entries to {@code timeline}; answers its lifecycle event, or null.
   */
  private LifecycleEvent transitionJson(Transition t, JsonArray transitions, JsonArray timeline) {
    Generation after = t.after();
    Schedule schedule = t.schedule();
    LifecycleEvent event = t.lifecycleEvent() ? LifecycleEvent.of(after) : null;
    t.timeline().forEach(e -> timeline.add(new JsonObject().put("generation_id", after.id()).put("type", e.type())
        .put("detail", e.detail())));
    transitions.add(new JsonObject()
        .put("id", after.id())
        .put("updates", t.updatesGeneration())
        .put("status", after.status().wire())
        .put("provider_task_id", after.providerTaskId())
        .put("progress", after.progress())
        .put("outputs", outputsJson(after.outputs()))
        .put("error", after.error() == null ? null : after.error().toJson())
        .put("resolved_by", after.resolvedBy() == null ? null : after.resolvedBy().wire())
        .put("submitted_at", iso(after.submittedAt()))
        .put("completed_at", iso(after.completedAt()))
        .put("updated_at", iso(after.updatedAt()))
        .put("next_check_at", iso(schedule.nextCheckAt()))
        .put("deadline_at", iso(schedule.deadlineAt()))
        .put("submit_state", schedule.submitState())
        .put("next_submit_at", iso(schedule.nextSubmitAt()))
        .put("provider", after.provider())
        .put("model", after.model())
        .put("attempts", Generation.attemptsJson(after.attempts()))
        .put("event_id", event == null ? null : event.id())
        .put("event_type", event == null ? null : event.type())
        .put("event_at", event == null ? null : iso(event.occurredAt()))
        .put("event_payload", event == null ? null : event.toJson())
        .put("callback_url", t.clientCallback() ? after.callbackUrl() : null)
        .put("copy_outputs", t.lifecycleEvent() && after.status() == GenerationStatus.SUCCEEDED));
    return event;
  }

  private static String iso(Instant instant) {
    return instant == null ? null : instant.toString();
  }

  /**
   * A timeline entry about a webhook delivery that changes no state (e.g. {@code webhook_rejected} for a task the
   * provider does not know), written with the delivery's outcome ({@code error}: why, for operators) in one statement.
   */
  public Future<Void> recordWebhookEntry(long deliveryId, String type, JsonObject detail, String outcome, String error) {
    return recordWebhookEntry(deliveryId, type, detail, outcome, error, TransactionScope.of(pool));
  }

  /** {@link #recordWebhookEntry(long, String, JsonObject, String, String)} in {@code scope} (a worker's round). */
  public Future<Void> recordWebhookEntry(long deliveryId, String type, JsonObject detail, String outcome, String error,
      TransactionScope scope) {
    return scope.run(conn -> conn.preparedQuery(Sql.RECORD_WEBHOOK_ENTRY)
        .execute(Tuple.of(deliveryId, outcome, error, type, detail))
        .mapEmpty());
  }

  /**
   * Stores a transition the state machine decided, in one statement (lifecycle events are inserted without a
   * position: {@link LifecycleSequencer} gives them one once committed); answers the lifecycle event, or null.
   */
  private Future<LifecycleEvent> write(SqlConnection conn, Transition t) {
    Generation after = t.after();
    Schedule schedule = t.schedule();
    LifecycleEvent event = t.lifecycleEvent() ? LifecycleEvent.of(after) : null;
    JsonArray timeline = new JsonArray();
    t.timeline().forEach(e -> timeline.add(new JsonObject().put("type", e.type()).put("detail", e.detail())));
    Tuple params = Tuple.tuple()
        .addString(after.id())
        .addString(after.status().wire())
        .addString(after.providerTaskId())
        .addInteger(after.progress())
        .addValue(outputsJson(after.outputs()))
        .addValue(after.error() == null ? null : after.error().toJson())
        .addString(after.resolvedBy() == null ? null : after.resolvedBy().wire())
        .addOffsetDateTime(utc(after.submittedAt()))
        .addOffsetDateTime(utc(after.completedAt()))
        .addOffsetDateTime(utc(after.updatedAt()))
        .addOffsetDateTime(utc(schedule.nextCheckAt()))
        .addOffsetDateTime(utc(schedule.deadlineAt()))
        .addString(schedule.submitState())
        .addOffsetDateTime(utc(schedule.nextSubmitAt()))
        .addBoolean(t.updatesGeneration())
        .addValue(timeline)
        .addString(event == null ? null : event.id())
        .addString(event == null ? null : event.type())
        .addOffsetDateTime(event == null ? null : utc(event.occurredAt()))
        .addValue(event == null ? null : event.toJson())
        .addString(t.clientCallback() ? after.callbackUrl() : null)
        .addString(after.provider())
        .addString(after.model())
        .addValue(Generation.attemptsJson(after.attempts()));
    Future<LifecycleEvent> written = conn.preparedQuery(Sql.WRITE_TRANSITION).execute(params).map(rows -> event);
    // outputs kept: a generation that just succeeded gets its copies scheduled in the same transaction
    return t.lifecycleEvent() && after.status() == GenerationStatus.SUCCEEDED
        ? written.compose(e -> scheduleOutputCopies(conn, after.id()).map(e))
        : written;
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
    return pool.<OutputChange>withTransaction(conn -> conn.preparedQuery(Sql.SELECT_GENERATION_FOR_TRANSITION)
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
            sequencer.wake();
            eventBus.publish(Addresses.EVENTS, result.event().toJson());
          }
          return result.after();
        });
  }

  private static Schedule toSchedule(Row row) {
    return new Schedule(
        instant(row, "next_check_at"), instant(row, "deadline_at"), row.getString("submit_state"),
        instant(row, "next_submit_at"), Boolean.TRUE.equals(row.getBoolean("routed")));
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
        instant(row, "updated_at"),
        attempts((JsonArray) row.getValue("attempts")));
  }

  private static List<Attempt> attempts(JsonArray json) {
    List<Attempt> attempts = new ArrayList<>();
    if (json != null) {
      json.forEach(a -> attempts.add(Attempt.fromJson((JsonObject) a)));
    }
    return attempts;
  }

  private static Instant instant(Row row, String column) {
    OffsetDateTime value = row.getOffsetDateTime(column);
    return value == null ? null : value.toInstant();
  }

  private static OffsetDateTime utc(Instant instant) {
    return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
  }
}
