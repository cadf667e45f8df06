package io.genorch.common.persistence;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives committed lifecycle events their position in {@code GET /v1/events} (docs/DESIGN.md, "The lifecycle event
 * log"). Transitions insert their event without a seq and never wait for each other; a pass positions, in one
 * transaction, every committed event that has none. Passes exclude each other fleet-wide by an advisory lock, so
 * any number of instances may run one, and nothing is kept in memory between passes, so a restart loses nothing.
 * After {@link #start} a pass runs every {@value #INTERVAL_MS} ms and whenever this process commits a transition.
 */
public final class LifecycleSequencer {

  private static final Logger LOG = LoggerFactory.getLogger(LifecycleSequencer.class);
  static final long INTERVAL_MS = 25;
  private static final int BATCH = 5_000;
  /** A pass whose oldest event waited longer than this is logged: the stream is falling behind. */
  private static final double SLOW_SECONDS = 1.0;
  /** A stalled stream is measured every pass; it is logged at most this often. */
  private static final long WARN_EVERY_SECONDS = 10;

  private final Pool pool;
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean running = new AtomicBoolean();
  private final AtomicBoolean wanted = new AtomicBoolean();
  private volatile boolean stopped;
  private Vertx vertx;
  private long timer = -1;
  private volatile double lagSeconds;
  private volatile long lastSlowWarning = System.nanoTime() - TimeUnit.SECONDS.toNanos(WARN_EVERY_SECONDS);

  LifecycleSequencer(Pool pool) {
    this.pool = pool;
  }

  /** Runs passes from now on, until Vert.x closes. */
  public void start(Vertx vertx) {
    if (started.compareAndSet(false, true)) {
      this.vertx = vertx;
      timer = vertx.setPeriodic(INTERVAL_MS, id -> wake());
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
   * from its transition, or, when the pass found another holding the lock, how long the oldest committed event
   * still without a position has waited. It grows while a pass elsewhere hangs holding the lock.
   */
  public double lagSeconds() {
    return lagSeconds;
  }

  /** Asks for a pass soon; passes never overlap in this process and wakes during one are coalesced into the next. */
  void wake() {
    if (!started.get() || stopped || wanted.getAndSet(true)) {
      return;
    }
    if (running.compareAndSet(false, true)) {
      runWanted();
    }
  }

  private void runWanted() {
    wanted.set(false);
    pass(false).compose(positioned -> positioned < 0 ? measureWaiting() : Future.<Void>succeededFuture()).onComplete(ar -> {
      if (ar.failed() && !stopped) {
        LOG.warn("Lifecycle sequencer pass failed; the next one retries: {}", ar.cause().toString());
      }
      running.set(false);
      if (wanted.get() && running.compareAndSet(false, true)) {
        runWanted();
      }
    });
  }

  /**
   * The pass a reader runs before it reads, so that it sees every event committed before it; waits a bounded time
   * for a pass elsewhere. When it cannot run, the reader still reads what is positioned.
   */
  Future<Void> passBeforeRead() {
    return pass(true).<Void>mapEmpty().recover(err -> {
      LOG.warn("Lifecycle sequencer pass before a read failed; reading what is positioned: {}", err.toString());
      return Future.succeededFuture();
    });
  }

  /**
   * One pass; {@code waitForLock} waits (boundedly) for a pass elsewhere instead of skipping, so that a reader that
   * runs one afterwards sees every event committed before it. Answers how many events it positioned, or -1 when it
   * skipped because another pass held the lock.
   */
  Future<Integer> pass(boolean waitForLock) {
    return pool.withTransaction(conn -> lock(conn, waitForLock)
        .compose(locked -> locked ? positionAll(conn, 0) : Future.succeededFuture(-1)));
  }

  private static Future<Boolean> lock(SqlConnection conn, boolean waitForLock) {
    Future<Void> timeout = waitForLock
        ? conn.query(Sql.SEQUENCER_LOCK_TIMEOUT).execute().mapEmpty()
        : Future.succeededFuture();
    return timeout
        .compose(v -> conn.query(waitForLock ? Sql.LOCK_SEQUENCER : Sql.TRY_LOCK_SEQUENCER).execute())
        .map(rows -> rows.iterator().next().getBoolean("locked"));
  }

  private Future<Integer> positionAll(SqlConnection conn, int positionedSoFar) {
    return conn.preparedQuery(Sql.SEQUENCE_LIFECYCLE_EVENTS).execute(Tuple.of(BATCH)).compose(rows -> {
      Row row = rows.iterator().next();
      int positioned = row.getLong("positioned").intValue();
      if (positionedSoFar == 0) {
        recordLag(row.getDouble("lag_seconds"));
      }
      return positioned == BATCH
          ? positionAll(conn, positionedSoFar + positioned)
          : Future.succeededFuture(positionedSoFar + positioned);
    });
  }

  /** Another pass holds the lock: normally one just running elsewhere, but one that hangs stalls the stream. */
  private Future<Void> measureWaiting() {
    return pool.query(Sql.OLDEST_UNSEQUENCED_AGE).execute()
        .map(rows -> {
          recordLag(rows.iterator().next().getDouble("lag_seconds"));
          return null;
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
