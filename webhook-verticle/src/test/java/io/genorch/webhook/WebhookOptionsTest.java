package io.genorch.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.config.OrchConfig;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WebhookOptionsTest {

  @Test
  void retryWaitDoublesUpToTheCap() {
    WebhookOptions options = WebhookOptions.from(OrchConfig.of(Map.of(
        "ORCH_WEBHOOK_RETRY_BASE_MS", "1000", "ORCH_WEBHOOK_RETRY_CAP_MS", "5000")));
    assertEquals(Duration.ofSeconds(1), options.retryDelay(1));
    assertEquals(Duration.ofSeconds(2), options.retryDelay(2));
    assertEquals(Duration.ofSeconds(4), options.retryDelay(3));
    assertEquals(Duration.ofSeconds(5), options.retryDelay(4));
    assertEquals(Duration.ofSeconds(5), options.retryDelay(60));
  }

  @Test
  void leaseOutlastsTheProviderTimeoutByDefault() {
    WebhookOptions options = WebhookOptions.from(OrchConfig.of(Map.of("ORCH_PROVIDER_TIMEOUT_MS", "45000")));
    assertTrue(options.lease().compareTo(Duration.ofSeconds(45)) > 0, options.lease().toString());
  }

  @Test
  void theLanesDeliveriesShareOneSettlementBatchUpToItsCap() {
    // a round's settlements are savepoints of its transaction, one at a time: every lane's delivery fits in one
    assertEquals(32, DeliveryProcessor.settlementBatch(32), "the default concurrency: one batch of all 32 lanes");
    assertEquals(1, DeliveryProcessor.settlementBatch(1));
    assertEquals(3, DeliveryProcessor.settlementBatch(3));
    assertEquals(DeliveryProcessor.SETTLEMENT_BATCH, DeliveryProcessor.settlementBatch(10_000));
  }
}
