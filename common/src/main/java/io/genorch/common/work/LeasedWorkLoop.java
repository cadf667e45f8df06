package io.genorch.common.work;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way background work is done: claim a batch of due rows with {@code FOR UPDATE SKIP LOCKED} and a lease,
 * work through it in lanes, and claim again at once while batches come back full or something woke the loop
 * meanwhile. Several instances share the work through the database; nothing waits in memory, so a crash loses
 * nothing (what was claimed is due again when its lease runs out) and a backlog never grows the heap.
 *
 * <p>The loop owns when to claim (a periodic sweep, plus {@link #wake()} coalesced into at most one extra round),
 * how many items run at once ({@code concurrency} lanes; items sharing a {@link Work#laneKey lane key} run one
 * after the other in claim order), the lease (an item whose turn comes after its claim ran out is left to whoever
 * claims it next), the per-round memo of refused permits ({@link Round}), and {@link #stop()}, which starts nothing
 * new and completes when the round in flight has finished. A {@link Work} only says how to claim and how to do one
 * item. All state is touched on the context that started the loop. With {@link Options#claimAhead} rounds overlap:
 * the next batch is claimed while the previous one's items still run (see there).
 *
 * @param <T> one claimed item
 */
public final class LeasedWorkLoop<T> {

  private static final Logger LOG = LoggerFactory.getLogger(LeasedWorkLoop.class);

  /**
   * @param name          for logs and metrics, e.g. {@code webhook-deliveries}
   * @param batchSize     items claimed in one statement
   * @param concurrency   items in progress at once
   * @param lease         how long a claim is held; the claim statement pushes the item's due time this far
   * @param sweepInterval how often the loop looks for due work without being woken
   * @param claimAhead    rounds overlap: the next batch is claimed as soon as fewer items wait to start than there
   *     are lanes, while the previous batches' items still run, instead of after the whole round has finished, so
   *     one slow item does not hold back the next claim. The lanes, the order per lane key and {@code concurrency}
   *     span the rounds (an item waits behind the earlier items of its key, whatever round claimed them).
   */
  public record Options(String name, int batchSize, int concurrency, Duration lease, Duration sweepInterval,
      boolean claimAhead) {

    /** Rounds one after the other (each drained before the next claim). */
    public Options(String name, int batchSize, int concurrency, Duration lease, Duration sweepInterval) {
      this(name, batchSize, concurrency, lease, sweepInterval, false);
    }

    public Options {
      Objects.requireNonNull(name, "name");
      if (batchSize < 1 || concurrency < 1) {
        throw new IllegalArgumentException(name + ": batch size and concurrency must be at least 1");
      }
      if (lease.isNegative() || lease.isZero() || sweepInterval.isNegative() || sweepInterval.isZero()) {
        throw new IllegalArgumentException(name + ": lease and sweep interval must be positive");
      }
    }
  }

  /** What one loop does. */
  public interface Work<T> {

    /**
     * Claims up to {@code batchSize} due items and makes them not due for {@code lease}, in one statement, so that
     * no other instance takes them meanwhile ({@code FOR UPDATE SKIP LOCKED}).
     */
    Future<List<T>> claim(int batchSize, Duration lease);

    /** Does one claimed item. A failure is logged and counted; the item is due again when its lease ends. */
    Future<?> process(T item, Round round);

    /** Items with the same non-null key run one after the other, in claim order; null: no order needed. */
    default Object laneKey(T item) {
      return null;
    }

    /**
     * Ends a round, once each of its items is done, failed or skipped (also a round that claimed nothing). For a work
     * whose claim is the row locks of a transaction kept open through the round (its items are settled in that
     * transaction, so a crash only rolls back and nothing needs a lease written), this commits it; the next round is
     * claimed only after it. A failure is logged and counted as the round's items failing: they are due again.
     */
    default Future<Void> endRound(List<T> batch) {
      return Future.succeededFuture();
    }

    /** How many items are due now, for the backlog metric; null when the work cannot tell cheaply. */
    default Future<Long> countDue() {
      return null;
    }
  }

  /**
   * One round: a claimed batch. Remembers the permits refused during it (a provider's rate budget, say), so the
   * rest of the batch does not ask again for what was just refused.
   */
  public static final class Round {
    private final Set<String> refused = new HashSet<>();
    private final long leaseEndNanos;
    private final Consumer<Object> yieldLane;

    Round(long leaseEndNanos, Consumer<Object> yieldLane) {
      this.leaseEndNanos = leaseEndNanos;
      this.yieldLane = yieldLane;
    }

    /**
     * What is left of {@code item} (recording its outcome, say) needs no lane: its lane's next item may start now.
     * The item still counts as in progress (for {@link #stop()} and idleness) until its future completes; at most
     * {@code concurrency} items are in that state at once. Only with {@link Options#claimAhead} (else nothing
     * happens); callable from any thread, once or more.
     */
    public void yieldLane(Object item) {
      yieldLane.accept(item);
    }

    public boolean wasRefused(String permit) {
      return refused.contains(permit);
    }

    public void refused(String permit) {
      refused.add(permit);
    }

    /** How long the claim still holds (negative once it has run out): work that could outlast it should not start. */
    public Duration leaseLeft() {
      return Duration.ofNanos(leaseEndNanos - System.nanoTime());
    }

    /** The claim has run out: the items not started yet may be another instance's by now. */
    public boolean leaseExpired() {
      return System.nanoTime() - leaseEndNanos > 0;
    }
  }

  /** Counts since start, for metrics and tests. */
  public record Stats(long rounds, long claimed, long done, long failed, long skipped, Long due) {}

  private final Vertx vertx;
  private final Options options;
  private final Work<T> work;
  private final AtomicLong rounds = new AtomicLong();
  private final AtomicLong claimed = new AtomicLong();
  private final AtomicLong done = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong skipped = new AtomicLong();
  private volatile Long due;
  private Context context;
  private long timer = -1;
  private boolean running;
  private boolean woken;
  private boolean stopped;
  private Promise<Void> idle = Promise.promise();

  public LeasedWorkLoop(Vertx vertx, Options options, Work<T> work) {
    this.vertx = vertx;
    this.options = options;
    this.work = work;
    idle.tryComplete();
  }

  public Options options() {
    return options;
  }

  /** Starts the periodic sweep on the caller's context and runs a first round at once (work left by a restart). */
  public void start() {
    context = vertx.getOrCreateContext();
    timer = vertx.setPeriodic(options.sweepInterval().toMillis(), t -> {
      refreshDue();
      wake();
    });
    wake();
  }

  /** Something may be due: a round now, or one more right after the round in progress. Callable from any thread. */
  public void wake() {
    if (context == null) {
      return; // not started: the first round of start() covers it
    }
    if (Vertx.currentContext() == context) {
      wakeOnContext();
    } else {
      context.runOnContext(v -> wakeOnContext());
    }
  }

  /**
   * Starts nothing new; completes once the round in flight has finished. What was claimed and not done is due
   * again when its lease runs out.
   */
  public Future<Void> stop() {
    if (context == null) {
      return Future.succeededFuture();
    }
    Promise<Void> stoppedPromise = Promise.promise();
    context.runOnContext(v -> {
      stopped = true;
      if (timer >= 0) {
        vertx.cancelTimer(timer);
      }
      if (options.claimAhead()) {
        dispatch(); // skips what waits to start
        settleIdle();
      }
      idle.future().onComplete(stoppedPromise);
    });
    return stoppedPromise.future();
  }

  /**
   * Wakes the loop and completes, with its counts, once it is idle again: after the round this started, or the round
   * in flight and the one it chains. For tests and tools that need a round to have happened rather than a wait.
   */
  public Future<Stats> wakeAndAwaitIdle() {
    if (context == null) {
      return Future.failedFuture(new IllegalStateException(options.name() + ": not started"));
    }
    Promise<Stats> idleAgain = Promise.promise();
    context.runOnContext(v -> {
      wakeOnContext();
      idle.future().onComplete(ar -> idleAgain.complete(stats()));
    });
    return idleAgain.future();
  }

  public Stats stats() {
    return new Stats(rounds.get(), claimed.get(), done.get(), failed.get(), skipped.get(), due);
  }

  private void wakeOnContext() {
    if (stopped) {
      return;
    }
    if (options.claimAhead()) {
      woken = true;
      if (idle.future().isComplete()) {
        idle = Promise.promise();
      }
      claimAhead();
      return;
    }
    if (running) {
      woken = true;
      return;
    }
    running = true;
    idle = Promise.promise();
    round();
  }

  private void round() {
    woken = false;
    rounds.incrementAndGet();
    Round round = new Round(System.nanoTime() + options.lease().toNanos(), item -> {});
    onLoopContext(work.claim(options.batchSize(), options.lease()))
        .compose(batch -> {
          claimed.addAndGet(batch.size());
          return drain(batch, round)
              .transform(drained -> onLoopContext(endRound(batch)).otherwiseEmpty())
              .map(batch.size());
        })
        .onComplete(ar -> {
          if (ar.failed()) {
            LOG.warn("{}: claiming failed; the next sweep tries again: {}", options.name(), ar.cause().toString());
          }
          boolean more = ar.succeeded() && (ar.result() >= options.batchSize() || woken);
          if (more && !stopped) {
            round();
          } else {
            running = false;
            idle.tryComplete();
          }
        });
  }

  /** The work's end of the round; when it fails, the round's items count as failed (a commit undone, say). */
  private Future<Void> endRound(List<T> batch) {
    Future<Void> ended;
    try {
      ended = work.endRound(batch);
    } catch (RuntimeException e) {
      ended = Future.failedFuture(e);
    }
    return ended.onFailure(err -> {
      failed.addAndGet(batch.size());
      LOG.warn("{}: ending a round of {} failed; its items are due again: {}", options.name(), batch.size(), err.toString());
    });
  }

  /** Runs the batch in at most {@code concurrency} lanes. Never fails. */
  private Future<Void> drain(List<T> batch, Round round) {
    Map<Object, List<T>> ordered = new LinkedHashMap<>();
    for (T item : batch) {
      Object key = work.laneKey(item);
      ordered.computeIfAbsent(key == null ? new Object() : key, k -> new ArrayList<>()).add(item);
    }
    Iterator<List<T>> groups = ordered.values().iterator();
    List<Future<Void>> lanes = new ArrayList<>();
    for (int i = 0; i < Math.min(options.concurrency(), ordered.size()); i++) {
      lanes.add(lane(groups, round));
    }
    return Future.join(lanes).mapEmpty();
  }

  private Future<Void> lane(Iterator<List<T>> groups, Round round) {
    if (!groups.hasNext()) {
      return Future.succeededFuture();
    }
    return inOrder(groups.next().iterator(), round).compose(v -> lane(groups, round));
  }

  private Future<Void> inOrder(Iterator<T> items, Round round) {
    if (!items.hasNext()) {
      return Future.succeededFuture();
    }
    T item = items.next();
    if (stopped || round.leaseExpired()) {
      skipped.incrementAndGet();
      return inOrder(items, round);
    }
    Future<?> processed;
    try {
      processed = work.process(item, round);
    } catch (RuntimeException e) {
      processed = Future.failedFuture(e);
    }
    return onLoopContext(processed).transform(ar -> {
      if (ar.succeeded()) {
        done.incrementAndGet();
      } else {
        failed.incrementAndGet();
        LOG.warn("{}: {} not done now, due again when its lease ends: {}", options.name(), item, ar.cause().toString());
      }
      return inOrder(items, round);
    });
  }

  // Claiming ahead (Options.claimAhead): the items of every claimed round wait in one queue per lane key; at most
  // `concurrency` lanes run an item at once, each lane one item at a time in claim order. A claim is made while
  // something is due (a wake, or the last claim came back full) and fewer items wait to start than there are lanes.

  /** An item waiting to start, with the round that claimed it (its lease and refusal memo). */
  private record Waiting<T>(T item, Round round) {}

  /** Items waiting to start, per lane key, lanes in the order they became ready. Only touched on the context. */
  private final Map<Object, ArrayDeque<Waiting<T>>> lanes = new HashMap<>();
  private final ArrayDeque<Object> readyLanes = new ArrayDeque<>();
  private int waitingCount;
  private int activeCount;
  /** Items in progress that yielded their lane. */
  private int yieldedCount;
  /** Items holding a lane, by identity, to the action that frees it. */
  private final Map<Object, Runnable> holding = new IdentityHashMap<>();
  private boolean claiming;
  private boolean dispatching;

  private boolean busy() {
    return claiming || activeCount > 0 || yieldedCount > 0 || waitingCount > 0;
  }

  private void claimAhead() {
    if (stopped || claiming || !woken || waitingCount >= options.concurrency()) {
      return;
    }
    claiming = true;
    woken = false;
    rounds.incrementAndGet();
    Round round = new Round(System.nanoTime() + options.lease().toNanos(), this::yieldLaneOf);
    onLoopContext(work.claim(options.batchSize(), options.lease())).onComplete(ar -> {
      claiming = false;
      if (ar.failed()) {
        LOG.warn("{}: claiming failed; the next sweep tries again: {}", options.name(), ar.cause().toString());
      } else {
        List<T> batch = ar.result();
        claimed.addAndGet(batch.size());
        for (T item : batch) {
          Object key = work.laneKey(item);
          Object lane = key == null ? new Object() : key;
          ArrayDeque<Waiting<T>> queue = lanes.get(lane);
          if (queue == null) {
            queue = new ArrayDeque<>();
            lanes.put(lane, queue);
            readyLanes.add(lane); // a lane with a queue is either ready or running an item, never both
          }
          queue.add(new Waiting<>(item, round));
          waitingCount++;
        }
        if (batch.size() >= options.batchSize()) {
          woken = true; // a full batch: more is probably due
        }
      }
      dispatch();
      claimAhead();
      settleIdle();
    });
  }

  /**
   * Starts items of ready lanes while fewer than {@code concurrency} hold a lane (and fewer than that many have
   * yielded theirs and are still finishing); skips them once stopped or run out.
   */
  private void dispatch() {
    if (dispatching) {
      return; // an item that ended at once, inside the loop below: the loop goes on (no recursion per item)
    }
    dispatching = true;
    while (activeCount < options.concurrency() && yieldedCount < options.concurrency() && !readyLanes.isEmpty()) {
      Object lane = readyLanes.poll();
      ArrayDeque<Waiting<T>> queue = lanes.get(lane);
      Waiting<T> next = queue.poll();
      waitingCount--;
      if (stopped || next.round().leaseExpired()) {
        skipped.incrementAndGet();
        laneFree(lane, queue);
        continue;
      }
      activeCount++;
      // runs once: when the work yields the lane, or when the item ends without having yielded it
      Runnable freeLane = () -> {
        activeCount--;
        laneFree(lane, queue);
      };
      holding.put(next.item(), freeLane);
      Future<?> processed;
      try {
        processed = work.process(next.item(), next.round());
      } catch (RuntimeException e) {
        processed = Future.failedFuture(e);
      }
      onLoopContext(processed).onComplete(ar -> {
        if (ar.succeeded()) {
          done.incrementAndGet();
        } else {
          failed.incrementAndGet();
          LOG.warn("{}: {} not done now, due again when its lease ends: {}", options.name(), next.item(),
              ar.cause().toString());
        }
        if (holding.remove(next.item()) != null) {
          freeLane.run();
        } else {
          yieldedCount--;
        }
        dispatch();
        claimAhead();
        settleIdle();
      });
    }
    dispatching = false;
  }

  /** {@link Round#yieldLane}: frees the lane of an item still in progress. */
  private void yieldLaneOf(Object item) {
    if (Vertx.currentContext() != context) {
      context.runOnContext(v -> yieldLaneOf(item));
      return;
    }
    Runnable freeLane = holding.remove(item);
    if (freeLane != null) {
      yieldedCount++;
      freeLane.run();
      dispatch();
      claimAhead();
    }
  }

  /** The lane's item ended (or was skipped): its next item is ready, behind the lanes already waiting. */
  private void laneFree(Object lane, ArrayDeque<Waiting<T>> queue) {
    if (queue.isEmpty()) {
      lanes.remove(lane);
    } else {
      readyLanes.add(lane);
    }
  }

  private void settleIdle() {
    if (!busy() && (stopped || !woken)) {
      idle.tryComplete();
    }
  }

  /** Continues on the loop's context whatever thread completes the work's future, so loop state stays confined. */
  private <X> Future<X> onLoopContext(Future<X> future) {
    Promise<X> promise = Promise.promise();
    future.onComplete(ar -> {
      if (Vertx.currentContext() == context) {
        promise.handle(ar);
      } else {
        context.runOnContext(v -> promise.handle(ar));
      }
    });
    return promise.future();
  }

  private void refreshDue() {
    Future<Long> count = work.countDue();
    if (count != null) {
      count.onSuccess(n -> due = n);
    }
  }
}
