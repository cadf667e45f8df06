package io.genorch.common.work;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.persistence.RoundTransaction;
import io.genorch.common.testing.Await;
import io.genorch.common.testing.TestDatabase;
import io.genorch.common.work.LeasedWorkLoop.Options;
import io.genorch.common.work.LeasedWorkLoop.Round;
import io.genorch.common.work.LeasedWorkLoop.Work;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The loop over a real table claimed with SKIP LOCKED, as every background job of the service claims its rows. */
class LeasedWorkLoopTest {

  private static TestDatabase db;
  private static Vertx vertx;
  private final List<LeasedWorkLoop<Item>> loops = new ArrayList<>();
  private final List<Pool> pools = new ArrayList<>();

  record Item(int id, String lane) {}

  @BeforeAll
  static void setUp() {
    db = TestDatabase.create();
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void tearDown() {
    Await.result(vertx.close());
    db.close();
  }

  @BeforeEach
  void table() {
    db.execute("DROP TABLE IF EXISTS work_items");
    db.execute("CREATE TABLE work_items (id int PRIMARY KEY, lane text, due_at timestamptz NOT NULL DEFAULT now(),"
        + " done_count int NOT NULL DEFAULT 0)");
  }

  @AfterEach
  void stopLoops() {
    loops.forEach(loop -> Await.result(loop.stop()));
    pools.forEach(pool -> Await.result(pool.close()));
  }

  private void insert(int count, int lanes) {
    db.execute("INSERT INTO work_items (id, lane) SELECT i, 'lane-' || (i % " + lanes + ") FROM generate_series(1, "
        + count + ") i");
  }

  /** A loop over work_items whose items are done by {@code process}; lane keys from the lane column. */
  private LeasedWorkLoop<Item> loop(Options options, BiFunction<Item, Round, Future<?>> process) {
    Pool pool = db.open().pool(vertx, 4, 100);
    pools.add(pool);
    LeasedWorkLoop<Item> loop = new LeasedWorkLoop<>(vertx, options, new Work<>() {
      @Override
      public Future<List<Item>> claim(int batchSize, Duration lease) {
        return pool.preparedQuery("UPDATE work_items w SET due_at = now() + make_interval(secs => $2)"
                + " FROM (SELECT id FROM work_items WHERE due_at <= now() AND done_count = 0 ORDER BY id LIMIT $1"
                + " FOR UPDATE SKIP LOCKED) c WHERE w.id = c.id RETURNING w.id, w.lane")
            .execute(Tuple.of(batchSize, lease.toMillis() / 1000.0))
            .map(rows -> {
              List<Item> items = new ArrayList<>();
              rows.forEach(r -> items.add(new Item(r.getInteger("id"), r.getString("lane"))));
              items.sort(Comparator.comparingInt(Item::id));
              return items;
            });
      }

      @Override
      public Future<?> process(Item item, Round round) {
        return process.apply(item, round).compose(v -> pool.preparedQuery(
            "UPDATE work_items SET done_count = done_count + 1 WHERE id = $1").execute(Tuple.of(item.id())));
      }

      @Override
      public Object laneKey(Item item) {
        return item.lane();
      }

      @Override
      public Future<Long> countDue() {
        return pool.query("SELECT count(*) FROM work_items WHERE done_count = 0").execute()
            .map(rows -> rows.iterator().next().getLong(0));
      }
    });
    loops.add(loop);
    return loop;
  }

  private static Options options(String name, int batch, int concurrency, Duration lease) {
    return new Options(name, batch, concurrency, lease, Duration.ofHours(1));
  }

  private long notDone() {
    return db.count("SELECT count(*) FROM work_items WHERE done_count = 0");
  }

  @Test
  void twoInstancesDoEveryItemExactlyOnce() {
    insert(600, 600);
    BiFunction<Item, Round, Future<?>> work = (item, round) -> Future.succeededFuture();
    LeasedWorkLoop<Item> a = loop(options("a", 25, 4, Duration.ofMinutes(1)), work);
    LeasedWorkLoop<Item> b = loop(options("b", 25, 4, Duration.ofMinutes(1)), work);
    a.start();
    b.start();
    Await.until("every item done", this::notDone, n -> n == 0);
    assertEquals(0, db.count("SELECT count(*) FROM work_items WHERE done_count <> 1"));
    assertEquals(600, a.stats().done() + b.stats().done());
    assertEquals(600, a.stats().claimed() + b.stats().claimed());
  }

  @Test
  void itemsOfOneLaneRunOneAfterTheOtherInClaimOrder() {
    assertLanesRunOneAfterTheOtherInClaimOrder(options("lanes", 120, 8, Duration.ofMinutes(1)));
  }

  /**
   * Runs 120 items in 3 lanes under {@code options}, each taking a few milliseconds: no two items of a lane run at
   * once, the three lanes run side by side, and each lane's items run in claim order.
   */
  private void assertLanesRunOneAfterTheOtherInClaimOrder(Options options) {
    insert(120, 3);
    Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
    Map<String, List<Integer>> order = new ConcurrentHashMap<>();
    AtomicInteger overlaps = new AtomicInteger();
    AtomicInteger maxParallel = new AtomicInteger();
    AtomicInteger parallel = new AtomicInteger();
    LeasedWorkLoop<Item> loop = loop(options, (item, round) -> {
      if (running.computeIfAbsent(item.lane(), k -> new AtomicInteger()).incrementAndGet() > 1) {
        overlaps.incrementAndGet();
      }
      maxParallel.accumulateAndGet(parallel.incrementAndGet(), Math::max);
      order.computeIfAbsent(item.lane(), k -> new CopyOnWriteArrayList<>()).add(item.id());
      Promise<Void> done = Promise.promise();
      vertx.setTimer(2, t -> {
        running.get(item.lane()).decrementAndGet();
        parallel.decrementAndGet();
        done.complete();
      });
      return done.future();
    });
    loop.start();
    Await.until("every item done", this::notDone, n -> n == 0);
    assertEquals(0, overlaps.get(), "two items of one lane ran at once");
    assertEquals(3, maxParallel.get(), "three lanes, run side by side");
    order.values().forEach(ids -> assertEquals(ids.stream().sorted().toList(), ids));
  }

  @Test
  void stopLetsTheItemInFlightFinishAndStartsNothingNew() {
    insert(5, 1);
    Promise<Void> first = Promise.promise();
    AtomicInteger started = new AtomicInteger();
    LeasedWorkLoop<Item> loop = loop(options("stop", 5, 1, Duration.ofMinutes(1)), (item, round) -> {
      started.incrementAndGet();
      return first.future();
    });
    loop.start();
    Await.until("the first item started", started::get, n -> n == 1);
    Future<Void> stopped = loop.stop();
    assertFalse(stopped.isComplete(), "stop completes only once the item in flight is done");
    first.complete();
    Await.result(stopped);
    assertEquals(1, started.get(), "nothing new started after stop");
    assertEquals(4, loop.stats().skipped());
    assertEquals(4, notDone(), "the rest stays due for whoever claims it next");
  }

  @Test
  void itemsWhoseClaimRanOutAreLeftToTheNextClaim() {
    insert(4, 1);
    Duration lease = Duration.ofMillis(300);
    AtomicInteger started = new AtomicInteger();
    LeasedWorkLoop<Item> slow = loop(options("slow", 5, 1, lease), (item, round) -> {
      started.incrementAndGet();
      Promise<Void> outlivesTheLease = Promise.promise();
      vertx.setTimer(lease.toMillis() + 100, t -> outlivesTheLease.complete());
      return outlivesTheLease.future();
    });
    slow.start();
    Await.until("the first round ended", () -> slow.stats().done() + slow.stats().skipped(), n -> n == 4);
    assertEquals(1, started.get());
    assertEquals(3, slow.stats().skipped());
    Await.result(slow.stop());
    LeasedWorkLoop<Item> next = loop(options("next", 4, 1, Duration.ofMinutes(1)), (item, round) -> Future.succeededFuture());
    next.start();
    Await.until("the skipped items done by the next claim", this::notDone, n -> n == 0);
    assertEquals(3, next.stats().done());
    assertEquals(0, db.count("SELECT count(*) FROM work_items WHERE done_count <> 1"));
  }

  @Test
  void aPermitRefusedInARoundIsNotAskedForAgainInThatRound() {
    insert(10, 10);
    AtomicInteger asked = new AtomicInteger();
    LeasedWorkLoop<Item> loop = loop(options("permits", 10, 2, Duration.ofMinutes(1)), (item, round) -> {
      if (round.wasRefused("provider-x")) {
        return Future.failedFuture("no permit this round");
      }
      asked.incrementAndGet();
      round.refused("provider-x");
      return Future.failedFuture("refused");
    });
    loop.start();
    Await.until("the round ended", () -> loop.stats().failed(), n -> n == 10);
    assertEquals(1, asked.get());
    assertEquals(10, notDone());
  }

  @Test
  void wakesDuringARoundCoalesceIntoOneMoreRound() {
    insert(1, 1);
    Promise<Void> held = Promise.promise();
    AtomicInteger started = new AtomicInteger();
    LeasedWorkLoop<Item> loop = loop(options("wake", 10, 1, Duration.ofMinutes(1)), (item, round) -> {
      started.incrementAndGet();
      return held.future();
    });
    loop.start();
    Await.until("the round is busy", started::get, n -> n == 1);
    for (int i = 0; i < 10; i++) {
      loop.wake();
    }
    // the wakes are queued on the loop's context before the held item's end, which is handed to that context too
    held.complete();
    Await.until("one more round, then idle", () -> loop.stats().rounds(), n -> n >= 2);
    Await.result(loop.stop());
    assertEquals(2, loop.stats().rounds());
    assertTrue(loop.stats().claimed() >= 1);
  }

  @Test
  void countsWhatIsDue() {
    insert(7, 7);
    LeasedWorkLoop<Item> loop = new LeasedWorkLoop<>(vertx, new Options("due", 1, 1, Duration.ofMinutes(1),
        Duration.ofMillis(20)), new Work<>() {
          @Override
          public Future<List<Item>> claim(int batchSize, Duration lease) {
            return Future.succeededFuture(List.of());
          }

          @Override
          public Future<?> process(Item item, Round round) {
            return Future.succeededFuture();
          }

          @Override
          public Future<Long> countDue() {
            return Future.succeededFuture(db.count("SELECT count(*) FROM work_items"));
          }
        });
    loops.add(loop);
    loop.start();
    Await.until("the backlog measured", () -> loop.stats().due(), n -> n != null && n == 7);
  }

  @Test
  void itemsClaimedInTheRoundsTransactionAreSettledInItAndCommittedOnceWhenTheRoundEnds() {
    insert(6, 6);
    Pool pool = db.open().pool(vertx, 4, 100);
    pools.add(pool);
    AtomicInteger rounds = new AtomicInteger();
    List<String> afterCommit = new CopyOnWriteArrayList<>();
    LeasedWorkLoop<Item> loop = new LeasedWorkLoop<>(vertx, options("round", 10, 3, Duration.ofMinutes(1)),
        new Work<>() {
          private RoundTransaction round;

          @Override
          public Future<List<Item>> claim(int batchSize, Duration lease) {
            // the row locks are the claim: nothing written
            return RoundTransaction.begin(pool, lease).compose(tx -> tx.connection()
                .preparedQuery("SELECT id, lane FROM work_items WHERE done_count = 0 ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED")
                .execute(Tuple.of(batchSize))
                .map(rows -> {
                  round = tx;
                  List<Item> items = new ArrayList<>();
                  rows.forEach(r -> items.add(new Item(r.getInteger("id"), r.getString("lane"))));
                  return items;
                }));
          }

          @Override
          public Future<?> process(Item item, Round loopRound) {
            // item 3 fails in the database (division by zero): its savepoint is undone, the others stay
            return round.run(conn -> conn.preparedQuery("UPDATE work_items SET done_count = done_count + sign(abs(1.0 / (id - 3)))::int"
                + " WHERE id = $1").execute(Tuple.of(item.id())))
                .onSuccess(v -> round.afterCommit(() -> afterCommit.add("item " + item.id())));
          }

          @Override
          public Future<Void> endRound(List<Item> batch) {
            RoundTransaction tx = round;
            round = null;
            // the first round dies before its commit: everything it did is undone
            return rounds.incrementAndGet() == 1
                ? tx.rollback().compose(v -> Future.failedFuture(new IllegalStateException("died before the commit")))
                : tx.commit();
          }
        });
    loops.add(loop);
    loop.start();
    Await.until("the first round ended", rounds::get, n -> n >= 1);
    Await.result(loop.wakeAndAwaitIdle());
    assertEquals(0, db.count("SELECT count(*) FROM work_items WHERE done_count > 1"), "nothing done twice");
    assertEquals(5, db.count("SELECT count(*) FROM work_items WHERE done_count = 1"));
    assertEquals(1, db.count("SELECT count(*) FROM work_items WHERE done_count = 0 AND id = 3"),
        "the failed unit alone was undone, and its item is due again");
    assertEquals(5, afterCommit.size(), "what waited for the commit ran once, only for the committed round: " + afterCommit);
    assertTrue(loop.stats().failed() >= 6, "the rolled-back round counts its items as failed: " + loop.stats());
    assertEquals(0, db.count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        + " AND state LIKE 'idle in transaction%'"), "no connection left inside a transaction");
  }

  private static Options ahead(String name, int batch, int concurrency) {
    return new Options(name, batch, concurrency, Duration.ofMinutes(1), Duration.ofHours(1), true);
  }

  @Test
  void claimingAheadDoesNotWaitForASlowItemOfTheRound() {
    insert(20, 20);
    Promise<Void> held = Promise.promise();
    LeasedWorkLoop<Item> loop = loop(ahead("ahead", 5, 4), (item, round) ->
        item.id() == 1 ? held.future() : Future.succeededFuture());
    loop.start();
    // round by round, item 1 would hold its round and so every later claim: here the other 19 get done meanwhile
    Await.until("every item but the held one done", this::notDone, n -> n == 1);
    assertTrue(loop.stats().rounds() >= 4, "later batches were claimed while item 1 ran: " + loop.stats());
    held.complete();
    Await.until("the held one done too", this::notDone, n -> n == 0);
    assertEquals(0, db.count("SELECT count(*) FROM work_items WHERE done_count <> 1"), "each item done once");
    assertEquals(20, loop.stats().claimed());
  }

  @Test
  void claimingAheadKeepsEachLaneInClaimOrderAcrossRoundsAndTheLaneBound() {
    // batches of 10, so the lanes span rounds
    assertLanesRunOneAfterTheOtherInClaimOrder(ahead("ahead-lanes", 10, 8));
    assertEquals(0, db.count("SELECT count(*) FROM work_items WHERE done_count <> 1"), "each item done once");
  }

  @Test
  void claimingAheadNeverRunsMoreThanConcurrency() {
    insert(200, 200);
    AtomicInteger parallel = new AtomicInteger();
    AtomicInteger maxParallel = new AtomicInteger();
    LeasedWorkLoop<Item> loop = loop(ahead("ahead-bound", 7, 5), (item, round) -> {
      maxParallel.accumulateAndGet(parallel.incrementAndGet(), Math::max);
      Promise<Void> done = Promise.promise();
      vertx.setTimer(1, t -> {
        parallel.decrementAndGet();
        done.complete();
      });
      return done.future();
    });
    loop.start();
    Await.until("every item done", this::notDone, n -> n == 0);
    assertEquals(5, maxParallel.get());
    assertEquals(200, loop.stats().done());
  }

  @Test
  void stopWhileClaimingAheadLetsTheItemInFlightFinishAndStartsNothingNew() {
    insert(10, 1);
    Promise<Void> first = Promise.promise();
    AtomicInteger started = new AtomicInteger();
    LeasedWorkLoop<Item> loop = loop(ahead("ahead-stop", 5, 1), (item, round) -> {
      started.incrementAndGet();
      return first.future();
    });
    loop.start();
    Await.until("the first item started", started::get, n -> n == 1);
    Future<Void> stopped = loop.stop();
    assertFalse(stopped.isComplete(), "stop completes only once the item in flight is done");
    first.complete();
    Await.result(stopped);
    assertEquals(1, started.get(), "nothing new started after stop");
    assertEquals(9, notDone(), "the rest stays due for whoever claims it next");
    assertEquals(loop.stats().claimed() - 1, loop.stats().skipped(), "every other claimed item skipped");
  }
  @Test
  void anItemThatYieldsItsLaneLetsTheLanesNextStartAndCountsUntilItEnds() {
    insert(6, 1);
    List<Promise<Void>> held = new CopyOnWriteArrayList<>();
    LeasedWorkLoop<Item> loop = loop(ahead("yield", 10, 2), (item, round) -> {
      Promise<Void> finishing = Promise.promise();
      held.add(finishing);
      round.yieldLane(item);
      return finishing.future();
    });
    loop.start();
    // one lane: without the yield its second item would wait for the first to end
    Await.until("two items of one lane in progress", held::size, n -> n == 2);
    held.get(0).complete();
    Await.until("the next started once one ended (at most concurrency yielded ones)", held::size, n -> n == 3);
    Future<Void> stopped = loop.stop();
    assertFalse(stopped.isComplete(), "stop waits for the items that yielded their lanes");
    held.forEach(Promise::tryComplete);
    Await.result(stopped);
    assertEquals(3, loop.stats().done());
    assertEquals(3, notDone(), "nothing started after stop");
  }
}
