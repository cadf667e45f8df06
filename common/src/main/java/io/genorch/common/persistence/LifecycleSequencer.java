package io.genorch.common.persistence;

import io.genorch.common.work.Coalescer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
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
 * <p>After {@link #start}, the passes of this process run one at a time, through one {@link Coalescer}: a pass runs
 * when this process commits a transition ({@link #wake}), when a reader asks for one ({@link #passBeforeRead}; every
 * reader that asks while a pass is under way shares the next one), {@value #RETRY_MS} ms after a pass that found
 * another instance's pass holding the lock while events waited, and every {@value #FALLBACK_MS} ms (for events of
 * instances that stopped before positioning theirs). An idle process runs one pass a second.
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

  /** Who asked for a pass: a reader waits for the lock (boundedly), a wake does not. */
  private enum Ask { WAKE, READER }

  private final Pool pool;
  private final AtomicBoolean started = new AtomicBoolean();
  /** A wake is queued and not yet taken into a pass: further wakes until then add nothing. */
  private final AtomicBoolean wakeQueued = new AtomicBoolean();
  private volatile boolean stopped;
  private volatile Coalescer<Ask, Void> passes;
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
      passes = new Coalescer<>(vertx.getOrCreateContext(), Integer.MAX_VALUE, 1, this::passFor, null);
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
      passes.submit(Ask.WAKE);
    }
  }

  /**
   * Completes after a pass that started after this call, so that the reader sees every event committed before it;
   * readers asking together share one pass, which waits a bounded time for a pass elsewhere. When the pass cannot
   * run, the reader still reads what is positioned. Before {@link #start} (tests) each reader runs its own pass.
   */
  Future<Void> passBeforeRead() {
    Coalescer<Ask, Void> running = passes;
    Future<Void> pass = running == null ? pass(true).mapEmpty() : running.submit(Ask.READER);
    return pass.recover(err -> {
      LOG.warn(READ_PASS_FAILED, err.toString());
      return Future.succeededFuture();
    });
  }

  /** One pass for everyone who asked since the last one began; a reader among them makes it wait for the lock. */
  private List<Future<Void>> passFor(List<Ask> asks) {
    boolean forReader = asks.contains(Ask.READER);
    if (asks.contains(Ask.WAKE)) {
      wakeQueued.set(false);
    }
    Future<Void> answer = pass(forReader).<Void>map(positioned -> {
      if (positioned < 0 && lagSeconds > 0 && !stopped) {
        vertx.setTimer(RETRY_MS, id -> wake());
      }
      return null;
    }).recover(err -> {
      if (!stopped) {
        LOG.warn(forReader
            ? READ_PASS_FAILED
            : "Lifecycle sequencer pass failed; the next one retries: {}", err.toString());
      }
      return Future.succeededFuture();
    });
    return asks.stream().map(ask -> answer).toList();
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
    return pool.preparedQuery(Sql.SEQUENCE_LIFECYCLE_EVENTS).execute(Tuple.of(BATCH, waitForLock)).compose(rows -> {
      Row row = rows.iterator().next();
      int positioned = row.getLong("positioned").intValue();
      if (positionedSoFar == 0) {
        recordLag(row.getDouble("lag_seconds"));
      }
      if (positioned < 0) {
        return Future.succeededFuture(positionedSoFar == 0 ? -1 : positionedSoFar);
      }
      return positioned == BATCH
          ? positionAll(waitForLock, positionedSoFar + positioned)
          : Future.succeededFuture(positionedSoFar + positioned);
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
