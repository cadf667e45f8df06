package io.genorch.webhook;

import io.genorch.common.persistence.GenerationStore;
import io.genorch.common.persistence.GenerationStore.WebhookSettled;
import io.genorch.common.persistence.GenerationStore.WebhookSettlement;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;

/**
 * Gathers the settlements the lanes ask for into {@link GenerationStore#settleWebhooks} batches, so that concurrent
 * deliveries share one transaction and one commit instead of one each: a settlement asked for while
 * {@code maxInFlight} transactions are under way waits for the next one, which takes up to {@code maxBatch} of
 * the waiting. Never two of one generation in a batch (the lanes never ask for that; should it happen, the second
 * waits for the next batch, keeping their order). Its state is touched only on {@code context}.
 */
final class SettlementBatcher {

  private record Waiting(WebhookSettlement settlement, Promise<WebhookSettled> answer) {}

  private final Context context;
  private final GenerationStore store;
  private final int maxBatch;
  private final int maxInFlight;
  private final Queue<Waiting> waiting = new ArrayDeque<>();
  private int inFlight;

  SettlementBatcher(Context context, GenerationStore store, int maxBatch, int maxInFlight) {
    this.context = context;
    this.store = store;
    this.maxBatch = maxBatch;
    this.maxInFlight = maxInFlight;
  }

  Future<WebhookSettled> settle(WebhookSettlement settlement) {
    Promise<WebhookSettled> answer = Promise.promise();
    context.runOnContext(v -> {
      waiting.add(new Waiting(settlement, answer));
      send();
    });
    return answer.future();
  }

  private void send() {
    while (inFlight < maxInFlight && !waiting.isEmpty()) {
      List<Waiting> batch = takeBatch();
      inFlight++;
      List<Future<WebhookSettled>> results;
      try {
        results = store.settleWebhooks(batch.stream().map(Waiting::settlement).toList());
      } catch (RuntimeException e) {
        results = batch.stream().map(w -> Future.<WebhookSettled>failedFuture(e)).toList();
      }
      for (int i = 0; i < batch.size(); i++) {
        results.get(i).onComplete(batch.get(i).answer());
      }
      Future.join(results).onComplete(ar -> context.runOnContext(v -> {
        inFlight--;
        send();
      }));
    }
  }

  private List<Waiting> takeBatch() {
    List<Waiting> batch = new ArrayList<>();
    Set<String> generations = new HashSet<>();
    Queue<Waiting> later = new ArrayDeque<>();
    while (batch.size() < maxBatch && !waiting.isEmpty()) {
      Waiting next = waiting.poll();
      if (generations.add(next.settlement().delivery().generationId())) {
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
