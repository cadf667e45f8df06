package io.genorch.common.persistence;

import io.genorch.common.work.Coalescer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives committed lifecycle events their position in {@code GET /v1/events} (docs/DESIGN.md, "The lifecycle event
 * log"). Transitions insert their event without a seq and never wait for each other; a pass positions, in one
 * transaction, every committed event that has none. Passes exclude each other fleet-wide by an advisory lock, so
 * any number of instances may run one, and nothing is kept in memory between passes, so a restart loses nothing.
 *
 * <p>After {@link #start}, this process runs two kinds of pass, each one at a time through a {@link Coalescer} of its
 * own: <em>wake</em> passes when this process commits a transition ({@link #wake}), {@value #RETRY_MS} ms after one
 * that found another pass holding the lock while events waited, and every {@value #FALLBACK_MS} ms (for events of
 * instances that stopped before positioning theirs; an idle process runs one pass a second); and <em>read</em>
 * passes ({@link #readAfterPass}), each followed on its connection by the reads of every reader that asked while
 * the previous one ran. The two kinds run side by side, each on one of the event log's two connections: a read pass
 * that comes while a wake pass holds the lock waits for it inside PostgreSQL and starts the moment it commits.
 */
public final class LifecycleSequencer {

  private static final Logger LOG = LoggerFactory.getLogger(LifecycleSequencer.class);
  /** Without a wake or a reader, a pass runs this often: for events whose own instance did not position them. */
  static final long FALLBACK_MS = 1_000;
  /** A pass that found the lock taken while events waited is tried again this soon. */
  static final long RETRY_MS = 25;
  private static final int BATCH = 5_000;
  /** A pass whose oldest event waited longer than this is logged: the stream is falling behind. */
  private static final double SLOW_SECONDS = 1.0;
  /** A stalled stream is measured every pass; it is logged at most this often. */
  private static final long WARN_EVERY_SECONDS = 10;

  private static final String READ_PASS_FAILED = "Lifecycle sequencer pass before a read failed; reading what is positioned: {}";

  /** One reader's page: positions after {@code after}, at most {@code limit}. */
  private record Read(long after, int limit) {}

  private final Pool pool;
  private final AtomicBoolean started = new AtomicBoolean();
  /** A wake is queued and not yet taken into a pass: further wakes until then add nothing. */
  private final AtomicBoolean wakeQueued = new AtomicBoolean();
  private volatile boolean stopped;
  private volatile Coalescer<Boolean, Void> passes;
  private volatile Coalescer<Read, RowSet<Row>> reads;
  private Vertx vertx;
  private long timer = -1;
  private final AtomicLong passesRun = new AtomicLong();
  private final AtomicLong passesForReaders = new AtomicLong();
  private volatile double lagSeconds;
  private volatile long lastSlowWarning = System.nanoTime() - TimeUnit.SECONDS.toNanos(WARN_EVERY_SECONDS);

  /** @param pool the event log's own connections, so that passes and reads never queue behind the service's work */
  LifecycleSequencer(Pool pool) {
    this.pool = pool;
  }

  /** Runs passes from now on, until {@link #stop} or Vert.x closes. */
  public void start(Vertx vertx) {
    if (started.compareAndSet(false, true)) {
      this.vertx = vertx;
      io.vertx.core.Context context = vertx.getOrCreateContext();
      passes = new Coalescer<>(context, Integer.MAX_VALUE, 1, this::wakePass, null);
      reads = new Coalescer<>(context, Integer.MAX_VALUE, 1, this::readAfterPass, null);
      timer = vertx.setPeriodic(FALLBACK_MS, id -> wake());
    }
  }

  /**
   * No more passes from this process; a pass in flight may still fail as the pool closes, which is then expected
   * and not logged. Whatever it did not position, the next pass of any instance does.
   */
  public void stop() {
    stopped = true;
    if (vertx != null) {
      vertx.cancelTimer(timer);
    }
  }

  /**
   * The stream's visibility lag, as of this process's latest pass: how long the oldest event it positioned waited
   * from its transition, or, when the pass found another holding the lock, how long the next committed event in line
   * still without a position has waited. It grows while a pass elsewhere hangs holding the lock.
   */
  public double lagSeconds() {
    return lagSeconds;
  }

  /** How many passes this process has run. */
  long passesRun() {
    return passesRun.get();
  }

  /** How many of those were run for readers (readers asking together share one). */
  long passesForReaders() {
    return passesForReaders.get();
  }

  /** Asks for a pass soon; wakes that come while one is queued or under way are coalesced into the next pass. */
  void wake() {
    if (started.get() && !stopped && !wakeQueued.getAndSet(true)) {
      passes.submit(Boolean.TRUE);
    }
  }

  /**
   * The positioned events after {@code after} ({@link Sql#SELECT_LIFECYCLE_EVENTS_AFTER}), read after a pass that
   * started after this call, so that the reader sees every event committed before it (with more than {@value
   * #BATCH} waiting, the first {@value #BATCH} of them; the next read gets the rest, after these). Readers asking
   * together share one pass, which waits a bounded time for a pass elsewhere; when it cannot run, the reads still
   * answer what is positioned. Before {@link #start} (tests) each reader runs its own pass.
   */
  Future<RowSet<Row>> readAfterPass(long after, int limit) {
    Coalescer<Read, RowSet<Row>> running = reads;
    Read read = new Read(after, limit);
    return running == null ? readAfterPass(List.of(read)).get(0) : running.submit(read);
  }

  /**
   * One read pass and then every read asked for, on one connection, sent together: PostgreSQL runs them in order,
   * each in its own transaction, so the reads see the pass's positions without a round trip in between (under load
   * each wait for an answer and the next turn of the event loop cost several ms).
   */
  private List<Future<RowSet<Row>>> readAfterPass(List<Read> asked) {
    passesRun.incrementAndGet();
    passesForReaders.incrementAndGet();
    Future<List<RowSet<Row>>> answered = pool.withConnection(conn -> {
      Future<Integer> pass = position(conn, true);
      List<Future<RowSet<Row>>> each = asked.stream().map(read -> conn.preparedQuery(Sql.SELECT_LIFECYCLE_EVENTS_AFTER)
          .execute(Tuple.of(read.after(), read.limit()))).toList();
      Future<Void> passed = pass.<Void>map(positioned -> {
        if (positioned == BATCH) {
          wake(); // more were waiting: the wake passes position the rest
        }
        return null;
      }).recover(err -> {
        if (!stopped) {
          LOG.warn(READ_PASS_FAILED, err.toString());
        }
        return Future.succeededFuture();
      });
      return passed.compose(v -> Future.all(each)).map(all -> all.<RowSet<Row>>list());
    });
    List<Future<RowSet<Row>>> answers = new java.util.ArrayList<>(asked.size());
    for (int i = 0; i < asked.size(); i++) {
      int at = i;
      answers.add(answered.map(all -> all.get(at)));
    }
    return answers;
  }

  /** One wake pass for every wake since the last one began. */
  private List<Future<Void>> wakePass(List<Boolean> wakes) {
    wakeQueued.set(false);
    Future<Void> answer = pass(false).<Void>map(positioned -> {
      if (positioned < 0 && lagSeconds > 0 && !stopped) {
        vertx.setTimer(RETRY_MS, id -> wake());
      }
      return null;
    }).recover(err -> {
      if (!stopped) {
        LOG.warn("Lifecycle sequencer pass failed; the next one retries: {}", err.toString());
      }
      return Future.succeededFuture();
    });
    return wakes.stream().map(wake -> answer).toList();
  }

  /**
   * One pass; {@code waitForLock} waits (boundedly) for a pass elsewhere instead of skipping, so that a reader that
   * runs one afterwards sees every event committed before it. Each statement is a transaction of its own that
   * positions up to {@value #BATCH} events; a full one is followed by the next. Answers how many events it
   * positioned, or -1 when it skipped because another pass held the lock (then the lag recorded is how long the
   * next event in line for a position has waited: normally a pass just running elsewhere, but one that hangs with
   * the lock stalls the stream).
   */
  Future<Integer> pass(boolean waitForLock) {
    passesRun.incrementAndGet();
    if (waitForLock) {
      passesForReaders.incrementAndGet();
    }
    return positionAll(waitForLock, 0);
  }

  private Future<Integer> positionAll(boolean waitForLock, int positionedSoFar) {
    return position(pool, waitForLock).compose(positioned -> {
      if (positioned < 0) {
        return Future.succeededFuture(positionedSoFar == 0 ? -1 : positionedSoFar);
      }
      return positioned == BATCH
          ? positionAll(waitForLock, positionedSoFar + positioned)
          : Future.succeededFuture(positionedSoFar + positioned);
    });
  }

  /** One statement of a pass, in its own transaction: at most {@value #BATCH} positioned, -1 when it skipped. */
  private Future<Integer> position(SqlClient client, boolean waitForLock) {
    return client.preparedQuery(Sql.SEQUENCE_LIFECYCLE_EVENTS).execute(Tuple.of(BATCH, waitForLock)).map(rows -> {
      Row row = rows.iterator().next();
      recordLag(row.getDouble("lag_seconds"));
      return row.getLong("positioned").intValue();
    });
  }

  private void recordLag(double seconds) {
    lagSeconds = seconds;
    long now = System.nanoTime();
    if (seconds > SLOW_SECONDS && now - lastSlowWarning >= TimeUnit.SECONDS.toNanos(WARN_EVERY_SECONDS)) {
      lastSlowWarning = now;
      LOG.warn("Lifecycle events waited {} s for their position in /v1/events (a pass hanging with the lock, or failing)",
          String.format("%.1f", seconds));
    }
  }
}
