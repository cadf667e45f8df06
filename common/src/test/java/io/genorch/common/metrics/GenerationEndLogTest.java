package io.genorch.common.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.genorch.common.domain.Generation;
import io.genorch.common.domain.GenerationError;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.domain.ResolvedBy;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class GenerationEndLogTest {

  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final Logger logger = (Logger) LoggerFactory.getLogger(GenerationEndLog.class);
  private final AtomicLong nanos = new AtomicLong();
  private final GenerationEndLog log = new GenerationEndLog(nanos::get);

  @BeforeEach
  void attach() {
    appender.start();
    logger.addAppender(appender);
  }

  @AfterEach
  void detach() {
    logger.detachAppender(appender);
  }

  private static Generation generation(String id, String provider, GenerationStatus status, ResolvedBy resolvedBy) {
    Instant created = Instant.parse("2026-01-01T10:00:00Z");
    GenerationError error = status == GenerationStatus.FAILED ? new GenerationError("X", "x", false) : null;
    return new Generation(id, provider, "m", status, "p", null, null, null, new JsonObject(), new JsonObject(), null,
        "task", null, List.of(), error, resolvedBy, created, created.plusSeconds(1),
        status.isTerminal() ? created.plusMillis(12_345) : null, created);
  }

  @Test
  void aTerminalTransitionIsOneInfoLineWithWhatEndedHowAndWhen() {
    log.advanced(generation("gen_running", "vidgo", GenerationStatus.PROCESSING, null));
    log.advanced(generation("gen_1", "vidgo", GenerationStatus.SUCCEEDED, ResolvedBy.WEBHOOK));

    assertEquals(1, appender.list.size(), "a running state is not an ending");
    ILoggingEvent line = appender.list.get(0);
    assertEquals(Level.INFO, line.getLevel());
    assertEquals("Generation gen_1 ended succeeded: provider vidgo, resolved by webhook, 12.3 s after it was accepted",
        line.getFormattedMessage());
    Map<String, Object> fields = line.getKeyValuePairs().stream().collect(Collectors.toMap(kv -> kv.key, kv -> kv.value));
    assertEquals(Map.of("generationId", "gen_1", "status", "succeeded", "provider", "vidgo", "resolvedBy", "webhook",
        "durationMs", 12_345L), fields);
  }

  @Test
  void overTheLineBudgetEndingsAreCountedIntoOnePeriodicSummary() {
    int burst = GenerationEndLog.LINES_PER_SECOND + 5;
    for (int i = 0; i < burst; i++) {
      log.advanced(generation("gen_" + i, "vidgo", GenerationStatus.SUCCEEDED, ResolvedBy.WEBHOOK));
    }
    log.advanced(generation("gen_f", "apimart", GenerationStatus.FAILED, ResolvedBy.POLL));
    assertEquals(GenerationEndLog.LINES_PER_SECOND, appender.list.size(), "one line each up to the budget");

    log.summarize();
    assertEquals(GenerationEndLog.LINES_PER_SECOND + 1, appender.list.size());
    String summary = appender.list.get(appender.list.size() - 1).getFormattedMessage();
    assertTrue(summary.startsWith("6 more generations ended"), summary);
    assertTrue(summary.endsWith("apimart failed 1, vidgo succeeded 5"), summary);

    log.summarize();
    assertEquals(GenerationEndLog.LINES_PER_SECOND + 1, appender.list.size(), "nothing new, no summary");

    nanos.addAndGet(1_000_000_000L);
    log.advanced(generation("gen_next", "vidgo", GenerationStatus.SUCCEEDED, ResolvedBy.WEBHOOK));
    assertTrue(appender.list.get(appender.list.size() - 1).getFormattedMessage().startsWith("Generation gen_next ended"),
        "a new second has its own budget");
  }
}
