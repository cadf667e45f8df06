package io.genorch.poller;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.Queue;

/**
 * At most {@code size} status calls to one provider from one instance at once (ORCH_POLL_CONCURRENCY; the
 * {@link Reconciler} keeps one per provider), the rest waiting in turn. Only
 * generations already claimed wait here, so the queue is bounded by the claim's batch size; the wait is for a call
 * of this instance to end, never for a provider's budget (a refused permit hands the generation back instead).
 */
final class CallSlots {

  private final int size;
  private final Queue<Promise<Void>> waiting = new ArrayDeque<>();
  private int taken;

  CallSlots(int size) {
    if (size < 1) {
      throw new IllegalArgumentException("at least one call slot");
    }
    this.size = size;
  }

  /** Completes once a slot is this caller's; give it back with {@link #release()} exactly once. */
  Future<Void> acquire() {
    synchronized (this) {
      if (taken < size) {
        taken++;
        return Future.succeededFuture();
      }
      Promise<Void> turn = Promise.promise();
      waiting.add(turn);
      return turn.future();
    }
  }

  /** Gives a slot back: to the longest waiting caller, if any. */
  void release() {
    Promise<Void> next;
    synchronized (this) {
      next = waiting.poll();
      if (next == null) {
        taken--;
        return;
      }
    }
    next.complete(); // the slot passes on as it is, outside the lock: the next caller's work may run right here
  }

  /** Slots in use (for tests). */
  synchronized int taken() {
    return taken;
  }

  /** Callers waiting for a slot (for tests). */
  synchronized int waiting() {
    return waiting.size();
  }
}
