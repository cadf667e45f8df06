package io.genorch.simulator;

import io.vertx.core.Vertx;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Vert.x timers the simulator owns, so that reset and close can cancel them all. */
final class Timers {

  private final Vertx vertx;
  private final Set<Long> active = ConcurrentHashMap.newKeySet();

  Timers(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Runs {@code task} after {@code delayMs} real milliseconds (at least 1). */
  long schedule(long delayMs, Runnable task) {
    long[] holder = new long[1];
    holder[0] = vertx.setTimer(Math.max(1L, delayMs), id -> {
      active.remove(id);
      task.run();
    });
    active.add(holder[0]);
    return holder[0];
  }

  void cancel(long id) {
    if (id >= 0 && active.remove(id)) {
      vertx.cancelTimer(id);
    }
  }

  void cancelAll() {
    for (Long id : active.toArray(new Long[0])) {
      cancel(id);
    }
  }
}
