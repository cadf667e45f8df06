package io.genorch.simulator;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.function.BooleanSupplier;

/** Non-blocking waits for tests. */
final class Await {

  private Await() {
  }

  /** Completes once {@code condition} holds (checked every 5 ms), fails after {@code timeoutMs}. */
  static Future<Void> until(Vertx vertx, BooleanSupplier condition, long timeoutMs, String what) {
    Promise<Void> p = Promise.promise();
    long deadline = System.currentTimeMillis() + timeoutMs;
    check(vertx, condition, deadline, what, p);
    return p.future();
  }

  private static void check(Vertx vertx, BooleanSupplier condition, long deadline, String what, Promise<Void> p) {
    boolean ok;
    try {
      ok = condition.getAsBoolean();
    } catch (RuntimeException e) {
      p.fail(e);
      return;
    }
    if (ok) {
      p.complete();
    } else if (System.currentTimeMillis() > deadline) {
      p.fail(new AssertionError("timed out waiting for " + what));
    } else {
      vertx.setTimer(5, id -> check(vertx, condition, deadline, what, p));
    }
  }

  /** Completes after {@code ms}. */
  static Future<Void> sleep(Vertx vertx, long ms) {
    Promise<Void> p = Promise.promise();
    vertx.setTimer(Math.max(1, ms), id -> p.complete());
    return p.future();
  }
}
