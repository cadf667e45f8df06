package io.genorch.common.work;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.genorch.common.testing.Await;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** How requests submitted together are batched: at once, or gathered over one run of the event loop. */
class CoalescerTest {

  private static Vertx vertx;

  @BeforeAll
  static void setUp() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void tearDown() {
    Await.result(vertx.close());
  }

  @Test
  void aPlainCoalescerSendsTheFirstRequestAloneAndTheOthersTogetherAfterIt() {
    List<List<Integer>> batches = submitFiveInOneCallback(false);
    assertEquals(List.of(List.of(1), List.of(2, 3, 4, 5)), batches);
  }

  @Test
  void oneGatheringEachTurnSendsWhatOneCallbackSubmittedAsOneBatch() {
    List<List<Integer>> batches = submitFiveInOneCallback(true);
    assertEquals(List.of(List.of(1, 2, 3, 4, 5)), batches);
  }

  @Test
  void oneGatheringEachTurnStillKeepsRequestsOfOneKeyInDifferentBatches() {
    Context context = vertx.getOrCreateContext();
    List<List<String>> batches = new CopyOnWriteArrayList<>();
    Coalescer<String, String> coalescer = Coalescer.gatheringEachTurn(context, 10, 1, batch -> {
      batches.add(batch);
      return batch.stream().map(CoalescerTest::later).toList();
    }, item -> item.substring(0, 1));
    Promise<List<String>> all = Promise.promise();
    context.runOnContext(v -> Future.all(List.of(coalescer.submit("a1"), coalescer.submit("b1"), coalescer.submit("a2")))
        .map(f -> f.<String>list()).onComplete(all));
    assertEquals(List.of("a1", "b1", "a2"), Await.result(all.future()));
    assertEquals(List.of(List.of("a1", "b1"), List.of("a2")), batches);
  }

  /** Answered on a later run of the event loop, as a database answers. */
  private static <T> Future<T> later(T value) {
    Promise<T> answer = Promise.promise();
    vertx.getOrCreateContext().runOnContext(v -> answer.complete(value));
    return answer.future();
  }

  /** Five requests submitted in one callback on the context, one batch in flight at most; the batches run. */
  private static List<List<Integer>> submitFiveInOneCallback(boolean gatherEachTurn) {
    Context context = vertx.getOrCreateContext();
    List<List<Integer>> batches = new CopyOnWriteArrayList<>();
    java.util.function.Function<List<Integer>, List<Future<Integer>>> run = batch -> {
      batches.add(batch);
      return batch.stream().map(CoalescerTest::later).toList();
    };
    Coalescer<Integer, Integer> coalescer = gatherEachTurn
        ? Coalescer.gatheringEachTurn(context, 10, 1, run, null)
        : new Coalescer<>(context, 10, 1, run, null);
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      List<Future<Integer>> answers = new ArrayList<>();
      for (int i = 1; i <= 5; i++) {
        answers.add(coalescer.submit(i));
      }
      Future.all(answers).<Void>mapEmpty().onComplete(done);
    });
    Await.result(done.future());
    return batches;
  }
}
