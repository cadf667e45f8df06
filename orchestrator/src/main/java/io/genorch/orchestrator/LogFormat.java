package io.genorch.orchestrator;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import java.util.Iterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ORCH_LOG_FORMAT=json: the console appender of logback.xml writes one JSON object a line with Logback's own
 * {@link JsonEncoder} (timestamp, level, logger, message, the key-value pairs of structured lines, the exception)
 * instead of its text pattern. Switched before the service starts, so every line of a run has one format.
 */
final class LogFormat {

  private LogFormat() {}

  /** @param format {@code text} (nothing changes) or {@code json}, as {@code OrchConfig.logFormat()} checked it */
  static void apply(String format) {
    if (format.equals("json") && LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      apply(format, context);
    }
  }

  static void apply(String format, LoggerContext context) {
    if (!format.equals("json")) {
      return;
    }
    Iterator<Appender<ILoggingEvent>> appenders = context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders();
    while (appenders.hasNext()) {
      if (appenders.next() instanceof OutputStreamAppender<ILoggingEvent> appender) {
        JsonEncoder encoder = new JsonEncoder();
        encoder.setContext(context);
        encoder.start();
        appender.stop();
        appender.setEncoder(encoder);
        appender.start();
      }
    }
  }
}
