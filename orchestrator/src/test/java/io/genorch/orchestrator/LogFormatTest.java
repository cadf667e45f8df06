package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.OutputStreamAppender;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** ORCH_LOG_FORMAT=json turns the console appender into one JSON object a line; text leaves it as configured. */
class LogFormatTest {

  /** A logger context of its own with one appender writing into memory, as logback.xml's console appender does. */
  private static LoggerContext contextWritingTo(ByteArrayOutputStream out) {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new LogbackMDCAdapter());
    PatternLayoutEncoder pattern = new PatternLayoutEncoder();
    pattern.setContext(context);
    pattern.setPattern("%level %logger - %msg%n");
    pattern.start();
    OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
    appender.setContext(context);
    appender.setEncoder(pattern);
    appender.setOutputStream(out);
    appender.start();
    context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(appender);
    return context;
  }

  @Test
  void jsonFormatWritesOneParseableObjectPerLineWithTheStructuredFields() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    LoggerContext context = contextWritingTo(out);
    LogFormat.apply("json", context);

    Logger logger = context.getLogger("io.genorch.test");
    logger.atInfo().addKeyValue("generationId", "gen_1").addKeyValue("status", "succeeded")
        .log("Generation {} ended {}", "gen_1", "succeeded");
    logger.warn("second line with \"quotes\"\nand a newline", new IllegalStateException("boom"));

    List<String> lines = out.toString(StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
    assertEquals(2, lines.size(), String.join("\n", lines));
    JsonObject first = new JsonObject(lines.get(0));
    assertEquals("INFO", first.getString("level"));
    assertEquals("io.genorch.test", first.getString("loggerName"));
    assertEquals("Generation gen_1 ended succeeded", first.getString("formattedMessage"));
    JsonArray kvp = first.getJsonArray("kvpList");
    assertTrue(kvp.encode().contains("\"generationId\":\"gen_1\"") && kvp.encode().contains("\"status\":\"succeeded\""), kvp.encode());
    JsonObject second = new JsonObject(lines.get(1));
    assertEquals("WARN", second.getString("level"));
    assertTrue(second.encode().contains("boom"), "the exception is in the object: " + second.encode());
  }

  @Test
  void textFormatLeavesThePatternAsConfigured() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    LoggerContext context = contextWritingTo(out);
    LogFormat.apply("text", context);

    context.getLogger("io.genorch.test").info("plain");

    assertEquals("INFO io.genorch.test - plain", out.toString(StandardCharsets.UTF_8).trim());
  }
}
