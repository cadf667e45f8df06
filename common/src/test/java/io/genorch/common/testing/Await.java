package io.genorch.common.testing;

import io.vertx.core.Future;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** The tests' one way to wait: for a future, or for a condition the service reaches in the background. */
public final class Await {

  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(20);

  private Await() {}

  /** The future's result, failing the test when it fails or takes longer than {@link #DEFAULT_TIMEOUT}. */
  public static <T> T result(Future<T> future) {
    return result(future, DEFAULT_TIMEOUT);
  }

  public static <T> T result(Future<T> future, Duration timeout) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("awaiting a future failed", e);
    }
  }

  /** Why the future failed, failing the test when it succeeds or takes longer than {@link #DEFAULT_TIMEOUT}. */
  public static Throwable failure(Future<?> future) {
    try {
      Object value = future.toCompletionStage().toCompletableFuture().get(DEFAULT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      throw new AssertionError("expected a failure, got " + value);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError("awaiting a future failed", e);
    }
  }

  /** Polls {@code probe} until {@code done} accepts what it returns, within {@link #DEFAULT_TIMEOUT}; returns that. */
  public static <T> T until(String what, Supplier<T> probe, Predicate<T> done) {
    return until(what, DEFAULT_TIMEOUT, probe, done);
  }

  public static <T> T until(String what, Duration timeout, Supplier<T> probe, Predicate<T> done) {
    T last = lastSeen(timeout, probe, done);
    if (!done.test(last)) {
      throw new AssertionError("timed out waiting for " + what + "; last seen: " + last);
    }
    return last;
  }

  /**
   * Polls {@code probe} until {@code done} accepts what it returns or {@code timeout} has passed; returns the last
   * value either way. For benchmarks, which report how far they got instead of failing at once.
   */
  public static <T> T lastSeen(Duration timeout, Supplier<T> probe, Predicate<T> done) {
    long deadline = System.nanoTime() + timeout.toNanos();
    T last = probe.get();
    while (!done.test(last) && System.nanoTime() - deadline < 0) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
      last = probe.get();
    }
    return last;
  }
}
