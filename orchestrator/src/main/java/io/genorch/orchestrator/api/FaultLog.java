package io.genorch.orchestrator.api;

import io.genorch.common.persistence.GenerationStore;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs the faults behind 503 answers without one stack trace per request: while the database does not answer,
 * one line when that starts and one when it answers again, however many requests fail meanwhile; a fault while
 * the database answers is a bug of ours, logged with its stack trace. Used from the API verticle's event loop only.
 */
final class FaultLog {

  private static final Logger LOG = LoggerFactory.getLogger(FaultLog.class);
  private static final long PROBE_INTERVAL_MS = 1_000;

  private final Vertx vertx;
  private final GenerationStore store;
  private boolean outage;
  private long outageStartNanos;
  private long answeredDuringOutage;

  FaultLog(Vertx vertx, GenerationStore store) {
    this.vertx = vertx;
    this.store = store;
  }

  /** A request answered 503 because of {@code cause}; {@code request} is its method and path. */
  void failed(String request, Throwable cause) {
    if (outage) {
      answeredDuringOutage++;
      return;
    }
    store.ping().onComplete(
        answers -> LOG.error("Request {} failed, answered 503", request, cause),
        down -> {
          if (outage) {
            answeredDuringOutage++;
            return;
          }
          outage = true;
          outageStartNanos = System.nanoTime();
          answeredDuringOutage = 1;
          LOG.error("The database does not answer ({}); client requests are answered 503 until it does", down.toString());
          probeUntilBack();
        });
  }

  private void probeUntilBack() {
    vertx.setTimer(PROBE_INTERVAL_MS, id -> store.ping().onComplete(
        answers -> {
          outage = false;
          LOG.info("The database answers again after {} s; {} client requests were answered 503 meanwhile",
              TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - outageStartNanos), answeredDuringOutage);
        },
        down -> probeUntilBack()));
  }
}
