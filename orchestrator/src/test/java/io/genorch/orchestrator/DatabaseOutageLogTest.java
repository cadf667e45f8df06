package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.spi.ILoggingEvent;
import io.genorch.common.testing.Await;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** While the database does not answer, the client API answers 503 and logs that once, and once when it is back. */
class DatabaseOutageLogTest {

  @RegisterExtension
  static final ServiceUnderTest service = ServiceUnderTest.withoutProviders();

  private static final String FAULT_LOG = "io.genorch.orchestrator.api.FaultLog";

  @Test
  void anOutageIsLoggedOnceAndItsEndOnce() {
    assertEquals(200, service.api().get("/v1/generations").status());
    try (LogCapture logs = new LogCapture()) {
      service.db().refuseConnections();

      Await.until("the outage to be logged", Duration.ofSeconds(20), () -> {
        assertUnavailable(service.api().get("/v1/generations"));
        return faultLines(logs);
      }, lines -> !lines.isEmpty());
      for (int i = 0; i < 10; i++) {
        assertUnavailable(service.api().get("/v1/generations"));
        assertUnavailable(service.api().get("/v1/generations/gen_01M8F3YCNNZY25VXR5082SR31M"));
      }

      service.db().allowConnections();
      Await.until("the end of the outage to be logged", Duration.ofSeconds(20), () -> faultLines(logs),
          lines -> lines.size() >= 2);
      assertEquals(200, service.api().get("/v1/generations").status());

      List<ILoggingEvent> lines = faultLines(logs);
      assertEquals(2, lines.size(), lines.toString());
      assertEquals("ERROR", lines.get(0).getLevel().toString());
      assertEquals(null, lines.get(0).getThrowableProxy(), "the outage line carries no stack trace");
      assertEquals("INFO", lines.get(1).getLevel().toString());
      assertEquals(List.of(), logs.events().stream()
          .filter(e -> e.getLoggerName().startsWith("io.genorch.orchestrator.api") && e.getThrowableProxy() != null)
          .map(ILoggingEvent::getFormattedMessage).toList(), "no stack trace per failed request");
    }
  }

  private static void assertUnavailable(ApiClient.Response r) {
    assertEquals(503, r.status(), r.body());
    assertEquals("unavailable", r.error().getString("code"));
  }

  private static List<ILoggingEvent> faultLines(LogCapture logs) {
    return logs.events().stream().filter(e -> e.getLoggerName().equals(FAULT_LOG)).toList();
  }
}
