package io.genorch.common.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.genorch.common.testing.Await;
import io.genorch.common.work.LeasedWorkLoop;
import io.genorch.common.work.LeasedWorkLoop.Round;
import io.genorch.common.work.LeasedWorkLoop.Work;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A work loop's counts and backlog, as the registry serves them. */
class GenorchMetricsWorkLoopTest {

  private final Vertx vertx = Vertx.vertx();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  @Test
  void claimedDoneFailedAndDueAreServedPerLoop() {
    AtomicBoolean handedOut = new AtomicBoolean();
    LeasedWorkLoop<Integer> loop = new LeasedWorkLoop<>(vertx,
        new LeasedWorkLoop.Options("numbers", 10, 2, Duration.ofSeconds(30), Duration.ofMillis(20)), new Work<>() {
          @Override
          public Future<List<Integer>> claim(int batchSize, Duration lease) {
            return Future.succeededFuture(handedOut.getAndSet(true) ? List.of() : List.of(1, 2, 3, 4, 5));
          }

          @Override
          public Future<?> process(Integer item, Round round) {
            return item % 2 == 0 ? Future.failedFuture("even numbers fail") : Future.succeededFuture();
          }

          @Override
          public Future<Long> countDue() {
            return Future.succeededFuture(7L);
          }
        });
    GenorchMetrics.in(registry).workLoop(loop);
    assertEquals(Double.NaN, registry.get("genorch.work.due").tag("loop", "numbers").gauge().value(),
        "not counted yet: unknown, not zero");
    loop.start();
    loop.wakeAndAwaitIdle().await();

    assertEquals(5, items("claimed"));
    assertEquals(3, items("done"));
    assertEquals(2, items("failed"));
    assertEquals(0, items("skipped"));
    Await.until("the backlog count of the next sweep", Duration.ofSeconds(5),
        () -> registry.get("genorch.work.due").tag("loop", "numbers").gauge().value(), due -> due == 7);
    loop.stop().await();
  }

  private double items(String outcome) {
    return registry.get("genorch.work.items").tags("loop", "numbers", "outcome", outcome).functionCounter().count();
  }
}
