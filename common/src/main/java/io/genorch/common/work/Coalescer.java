package io.genorch.common.work;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.function.Function;

/**
 * Gathers single requests made concurrently into batches, so that they share one database statement or transaction
 * (one round trip, one commit) instead of taking one each. Nothing waits on purpose: a request is sent at once while
 * fewer than {@code maxInFlight} batches are under way, and the requests that arrive meanwhile wait only for one of
 * those to finish and then go together; batches grow with the load, and an unloaded request is as fast as alone.
 * Two requests with the same non-null {@link #Coalescer key} never share a batch (the later one waits for the next,
 * keeping their order). State is touched only on {@code context}.
 *
 * <p>{@link #gatheringEachTurn} makes one that also gathers what is submitted during one run of the context's event
 * loop (e.g. the items of a claimed batch, started one after the other in one callback): the first of them is sent
 * at the end of that run, with the others, instead of alone while they queue behind it.
 *
 * @param <I> one request
 * @param <O> its answer
 */
public final class Coalescer<I, O> {

  private record Waiting<I, O>(I item, Promise<O> answer) {}

  private final Context context;
  private final int maxBatch;
  private final int maxInFlight;
  private final Function<List<I>, List<Future<O>>> run;
  private final Function<I, Object> key;
  private final boolean gatherEachTurn;
  private final Queue<Waiting<I, O>> waiting = new ArrayDeque<>();
  private int inFlight;
  private boolean sendScheduled;

  /**
   * @param run does one batch and answers one future per request, in the order given (may throw: every request of
   *     the batch then fails)
   * @param key requests with the same non-null key go in different batches; null for no such rule
   */
  public Coalescer(Context context, int maxBatch, int maxInFlight, Function<List<I>, List<Future<O>>> run,
      Function<I, Object> key) {
    this(context, maxBatch, maxInFlight, run, key, false);
  }

  /**
   * A coalescer that sends what was submitted during one run of the context's event loop together: a request waits
   * at most until the code that submitted it returns to the event loop (no timer, nothing slower).
   */
  public static <I, O> Coalescer<I, O> gatheringEachTurn(Context context, int maxBatch, int maxInFlight,
      Function<List<I>, List<Future<O>>> run, Function<I, Object> key) {
    return new Coalescer<>(context, maxBatch, maxInFlight, run, key, true);
  }

  private Coalescer(Context context, int maxBatch, int maxInFlight, Function<List<I>, List<Future<O>>> run,
      Function<I, Object> key, boolean gatherEachTurn) {
    if (maxBatch < 1 || maxInFlight < 1) {
      throw new IllegalArgumentException("maxBatch and maxInFlight must be at least 1");
    }
    this.context = Objects.requireNonNull(context, "context");
    this.maxBatch = maxBatch;
    this.maxInFlight = maxInFlight;
    this.run = run;
    this.key = key;
    this.gatherEachTurn = gatherEachTurn;
  }

  /** Queues one request; callable from any thread. */
  public Future<O> submit(I item) {
    Promise<O> answer = Promise.promise();
    if (Vertx.currentContext() == context) {
      enqueue(new Waiting<>(item, answer));
    } else {
      context.runOnContext(v -> enqueue(new Waiting<>(item, answer)));
    }
    return answer.future();
  }

  private void enqueue(Waiting<I, O> w) {
    waiting.add(w);
    if (!gatherEachTurn) {
      send();
    } else if (!sendScheduled) {
      sendScheduled = true;
      context.runOnContext(v -> {
        sendScheduled = false;
        send();
      });
    }
  }

  private void send() {
    while (inFlight < maxInFlight && !waiting.isEmpty()) {
      List<Waiting<I, O>> batch = takeBatch();
      inFlight++;
      List<Future<O>> results;
      try {
        results = run.apply(batch.stream().map(Waiting::item).toList());
        if (results.size() != batch.size()) {
          throw new IllegalStateException(results.size() + " answers for a batch of " + batch.size());
        }
      } catch (RuntimeException e) {
        results = batch.stream().map(w -> Future.<O>failedFuture(e)).toList();
      }
      for (int i = 0; i < batch.size(); i++) {
        results.get(i).onComplete(batch.get(i).answer());
      }
      Future.join(results).onComplete(ar -> {
        if (Vertx.currentContext() == context) {
          finished();
        } else {
          context.runOnContext(v -> finished());
        }
      });
    }
  }

  private void finished() {
    inFlight--;
    send();
  }

  private List<Waiting<I, O>> takeBatch() {
    List<Waiting<I, O>> batch = new ArrayList<>(Math.min(maxBatch, waiting.size()));
    if (key == null) {
      while (batch.size() < maxBatch && !waiting.isEmpty()) {
        batch.add(waiting.poll());
      }
      return batch;
    }
    Set<Object> keys = new HashSet<>();
    Queue<Waiting<I, O>> later = new ArrayDeque<>();
    while (batch.size() < maxBatch && !waiting.isEmpty()) {
      Waiting<I, O> next = waiting.poll();
      Object k = key.apply(next.item());
      if (k == null || keys.add(k)) {
        batch.add(next);
      } else {
        later.add(next);
      }
    }
    later.addAll(waiting);
    waiting.clear();
    waiting.addAll(later);
    return batch;
  }
}
