package io.genorch.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.junit5.VertxTestContext;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Webhook delivery: attempt counts, schedules, when retries stop, and what an attempt records. */
class WebhookRetryTest extends SimulatorTestBase {

  /** Longest scaled retry delay of any provider (runblob-sora 480 s at 0.001) plus a margin. */
  private static final long QUIET_MS = 700;

  @ParameterizedTest
  @CsvSource({"heo365-sora2,4", "runblob-sora,6", "vidgo,4", "apimart,4", "runblob-kling-o3,6"})
  void aReceiverAnswering500GetsTheFirstAttemptPlusEveryDocumentedRetry(String p, int attempts,
      VertxTestContext ctx) {
    Receiver.answering(vertx, 500)
        .compose(failing -> submitOk(p, "hello", hookUrl(failing, p))
            .compose(id -> untilReceived(failing, attempts))
            .compose(v -> Await.sleep(vertx, QUIET_MS))
            .map(v -> {
              assertEquals(attempts, failing.count());
              List<WebhookAttempt> recorded = sim.webhookAttempts(p);
              assertEquals(attempts, recorded.size());
              assertEquals(sim.webhookRetryDelays(p).size() + 1, attempts);
              for (int i = 0; i < attempts; i++) {
                assertEquals(500, recorded.get(i).statusCode());
                assertEquals(i + 1, recorded.get(i).attempt());
                assertEquals(1, recorded.get(i).delivery());
              }
              return null;
            })
            .eventually(failing::close))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void heo365RetriesFollowTheTenThirtyNinetySecondSchedule(VertxTestContext ctx) {
    String p = "heo365-sora2";
    // scale 0.01: retries 100, 300 and 900 ms after each failure
    ProviderSimulator.start(vertx, options().withTimeScale(0.01))
        .compose(slow -> Receiver.answering(vertx, 503).compose(failing -> {
          sim.close();
          sim = slow;
          return submitOk(p, "hello", hookUrl(failing, p))
              .compose(id -> Await.until(vertx, () -> failing.count() >= 4, 5000, "4 attempts"))
              .map(v -> {
                List<Receiver.Received> got = failing.received();
                long[] expected = {100, 300, 900};
                for (int i = 0; i < 3; i++) {
                  long gap = got.get(i + 1).atMillis() - got.get(i).atMillis();
                  assertTrue(gap >= expected[i] - 5 && gap < expected[i] + 400,
                      "gap " + (i + 1) + " was " + gap + " ms, expected about " + expected[i]);
                }
                return null;
              })
              .eventually(failing::close);
        }))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void apimartStopsRetryingAfterA4xx(VertxTestContext ctx) {
    String p = "apimart";
    Receiver.answering(vertx, 400)
        .compose(rejecting -> submitOk(p, "hello", hookUrl(rejecting, p))
            .compose(id -> untilReceived(rejecting, 1))
            .compose(v -> Await.sleep(vertx, 300))
            .map(v -> {
              assertEquals(1, rejecting.count());
              assertEquals(400, sim.webhookAttempts(p).get(0).statusCode());
              return null;
            })
            .eventually(rejecting::close))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void otherProvidersRetryAfterA4xx(VertxTestContext ctx) {
    String p = "vidgo";
    Receiver.answering(vertx, 404)
        .compose(rejecting -> submitOk(p, "hello", hookUrl(rejecting, p))
            .compose(id -> untilReceived(rejecting, 4))
            .compose(v -> Await.sleep(vertx, 100))
            .map(v -> {
              assertEquals(4, rejecting.count());
              return null;
            })
            .eventually(rejecting::close))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void aTwoHundredAnswerStopsTheRetries(VertxTestContext ctx) {
    String p = "runblob-kling-o3";
    Receiver.start(vertx, n -> n == 1 ? 500 : 200)
        .compose(flaky -> submitOk(p, "hello", hookUrl(flaky, p))
            .compose(id -> untilReceived(flaky, 2))
            .compose(v -> Await.sleep(vertx, 200))
            .map(v -> {
              assertEquals(2, flaky.count());
              List<WebhookAttempt> recorded = sim.webhookAttempts(p);
              assertEquals(500, recorded.get(0).statusCode());
              assertTrue(recorded.get(1).delivered());
              assertEquals(recorded.get(0).body(), recorded.get(1).body());
              return null;
            })
            .eventually(flaky::close))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void anUnreachableReceiverIsRecordedAsAnErrorAndRetried(VertxTestContext ctx) {
    String p = "vidgo";
    Receiver.answering(vertx, 200)
        .compose(gone -> {
          String url = hookUrl(gone, p);
          return gone.close().compose(v -> submitOk(p, "hello", url));
        })
        .compose(id -> Await.until(vertx, () -> sim.webhookAttempts(p).size() >= 4, 5000, "4 attempts")
            .compose(v -> Await.sleep(vertx, 100))
            .map(v -> {
              List<WebhookAttempt> recorded = sim.webhookAttempts(p, id);
              assertEquals(4, recorded.size());
              for (WebhookAttempt a : recorded) {
                assertNull(a.statusCode());
                assertNotNull(a.error());
              }
              return null;
            }))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void callbackDelayDirectiveDelaysTheFirstAttempt(VertxTestContext ctx) {
    String p = "runblob-sora";
    // 300 simulated seconds at scale 0.001 = 300 ms after the job ends
    submitOk(p, "hello [sim:callback-delay=300000]", hookUrl(receiver, p))
        .compose(id -> untilTerminal(p, id).map(v -> id))
        .compose(id -> untilReceived(receiver, 1).map(v -> {
          long completedAt = sim.job(p, id).orElseThrow().completedAt().toEpochMilli();
          long waited = receiver.first().atMillis() - completedAt;
          assertTrue(waited >= 280, "first callback came " + waited + " ms after completion");
          return null;
        }))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void noCallbackIsSentWithoutACallbackUrl(VertxTestContext ctx) {
    String p = "heo365-sora2";
    submitOk(p, "hello", null)
        .compose(id -> untilTerminal(p, id))
        .compose(v -> Await.sleep(vertx, 100))
        .map(v -> {
          assertTrue(sim.webhookAttempts(p).isEmpty());
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }
}
