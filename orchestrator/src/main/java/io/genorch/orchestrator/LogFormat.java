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
        // swapped in place: the appender keeps its stream, and nothing else logs yet
        appender.setEncoder(jsonEncoder(context));
      }
    }
  }

  /**
   * The message as read ({@code formattedMessage}) rather than Logback's default template plus arguments, and
   * without the per-line logger-context block and sequence numbers, which say nothing here.
   */
  private static JsonEncoder jsonEncoder(LoggerContext context) {
    JsonEncoder encoder = new JsonEncoder();
    encoder.setContext(context);
    encoder.setWithFormattedMessage(true);
    encoder.setWithMessage(false);
    encoder.setWithArguments(false);
    encoder.setWithContext(false);
    encoder.setWithSequenceNumber(false);
    encoder.setWithNanoseconds(false);
    encoder.start();
    return encoder;
  }
}
