package io.genorch.common.metrics;

import io.genorch.common.domain.Generation;
import io.genorch.common.persistence.Backlog;
import io.genorch.common.work.LeasedWorkLoop;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter.MeterProvider;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every meter of the service's own, in one place. In Prometheus they are named {@code genorch_…}; labels hold only
 * values from fixed sets (provider ids, statuses, outcome words), never ids or tokens.
 */
public final class GenorchMetrics {

  private static final Logger LOG = LoggerFactory.getLogger(GenorchMetrics.class);

  /** How often the backlog gauges are recounted: a scrape reads the last count and never queries the database. */
  public static final Duration BACKLOG_REFRESH = Duration.ofSeconds(5);

  /** Time-to-terminal buckets: video generations take tens of seconds to tens of minutes. */
  private static final Duration[] TIME_TO_TERMINAL_BUCKETS = {
      Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(2),
      Duration.ofMinutes(5), Duration.ofMinutes(10), Duration.ofMinutes(20), Duration.ofMinutes(30),
      Duration.ofHours(1), Duration.ofHours(3)};

  private final MeterRegistry registry;
  private final MeterProvider<Counter> transitions;
  private final MeterProvider<Timer> timeToTerminal;
  private final MeterProvider<Counter> webhookRequests;
  private final MeterProvider<Counter> webhookDeliveries;
  private final MeterProvider<Counter> statusCalls;
  private final MeterProvider<Counter> clientCallbacks;
  private final MeterProvider<Counter> submits;
  private final MeterProvider<Counter> failovers;
  private final MeterProvider<Counter> reruns;
  private final AtomicLong queued = new AtomicLong();
  private final AtomicLong overdue = new AtomicLong();
  private final AtomicLong deliveriesDue = new AtomicLong();
  private final AtomicLong callbacksDue = new AtomicLong();

  private GenorchMetrics(MeterRegistry registry) {
    this.registry = registry;
    transitions = Counter.builder("genorch.generation.transitions")
        .description("Generations that entered a status, by provider and status").withRegistry(registry);
    timeToTerminal = Timer.builder("genorch.generation.time.to.terminal")
        .description("From acceptance to a terminal status, by provider and terminal status")
        .serviceLevelObjectives(TIME_TO_TERMINAL_BUCKETS).withRegistry(registry);
    webhookRequests = Counter.builder("genorch.webhook.requests")
        .description("Provider webhook requests by provider and answer: stored (200), refused_<4xx status>, unavailable (503)")
        .withRegistry(registry);
    webhookDeliveries = Counter.builder("genorch.webhook.deliveries")
        .description("Stored webhook deliveries processed, by provider and outcome"
            + " (advanced, stayed, duplicate, rejected, unconfirmed, invalid, abandoned, retry_later)")
        .withRegistry(registry);
    statusCalls = Counter.builder("genorch.status.calls")
        .description("Status calls of the poller, by provider and result (running, terminal, not_found, transient, error)")
        .withRegistry(registry);
    clientCallbacks = Counter.builder("genorch.client.callbacks")
        .description("Client callback attempts by outcome (delivered, failed, gave_up)").withRegistry(registry);
    submits = Counter.builder("genorch.submits")
        .description("Submissions sent to a provider, by provider and outcome (accepted, refused: the request's fault,"
            + " refused_provider: the provider's condition, transient, ambiguous)").withRegistry(registry);
    failovers = Counter.builder("genorch.failovers")
        .description("Generations moved to another route before acceptance, by the provider left and the reason"
            + " (maintenance, refused, unavailable, circuit_open)").withRegistry(registry);
    reruns = Counter.builder("genorch.reruns")
        .description("Jobs that failed with a retryable reason and were queued to run again, by provider")
        .withRegistry(registry);
    Gauge.builder("genorch.generations.queued", queued, AtomicLong::get)
        .description("Generations accepted and not yet submitted, fleet-wide").register(registry);
    Gauge.builder("genorch.generations.overdue", overdue, AtomicLong::get)
        .description("Generations whose callback is overdue and whose status check is due, fleet-wide").register(registry);
    Gauge.builder("genorch.webhook.deliveries.due", deliveriesDue, AtomicLong::get)
        .description("Stored webhook deliveries due for processing, fleet-wide").register(registry);
    Gauge.builder("genorch.client.callbacks.due", callbacksDue, AtomicLong::get)
        .description("Client callbacks due for an attempt, fleet-wide").register(registry);
  }

  /** Meters in the given registry (the one Vert.x serves on /metrics). */
  public static GenorchMetrics in(MeterRegistry registry) {
    return new GenorchMetrics(registry);
  }

  /** Meters that record nothing: a composite registry without members hands out no-op meters. */
  public static GenorchMetrics noop() {
    return new GenorchMetrics(new CompositeMeterRegistry());
  }

  /** A committed change of status. */
  public void generationAdvanced(Generation after) {
    String status = after.status().wire();
    transitions.withTags("provider", after.provider(), "status", status).increment();
    if (after.status().isTerminal() && after.completedAt() != null && after.createdAt() != null) {
      timeToTerminal.withTags("provider", after.provider(), "status", status)
          .record(Duration.between(after.createdAt(), after.completedAt()));
    }
  }

  /** @param provider a known provider id, or "unknown" */
  public void webhookRequest(String provider, String answer) {
    webhookRequests.withTags("provider", provider, "outcome", answer).increment();
  }

  public void webhookDelivery(String provider, String outcome) {
    webhookDeliveries.withTags("provider", provider, "outcome", outcome).increment();
  }

  public void statusCall(String provider, String result) {
    statusCalls.withTags("provider", provider, "result", result).increment();
  }

  /** A submission's outcome at a provider (docs/API.md section 8). */
  public void submit(String provider, String outcome) {
    submits.withTags("provider", provider, "outcome", outcome).increment();
  }

  /** A generation left {@code provider} for another route before acceptance. */
  public void failover(String provider, String reason) {
    failovers.withTags("provider", provider, "reason", reason).increment();
  }

  /** A job at {@code provider} failed with a retryable reason and its generation was queued to run again. */
  public void rerun(String provider) {
    reruns.withTags("provider", provider).increment();
  }

  public void clientCallback(String outcome) {
    clientCallbacks.withTags("outcome", outcome).increment();
  }

  /**
   * A {@link LeasedWorkLoop}'s counts: {@code genorch_work_items_total{loop, outcome=claimed|done|failed|skipped}}
   * and {@code genorch_work_due{loop}} (NaN while its work cannot tell). Every loop registers here, once.
   */
  public void workLoop(LeasedWorkLoop<?> loop) {
    String name = loop.options().name();
    String description = "Items of a background work loop: claimed, done, failed, skipped (lease ran out or stopping)";
    FunctionCounter.builder("genorch.work.items", loop, l -> l.stats().claimed())
        .description(description).tags("loop", name, "outcome", "claimed").register(registry);
    FunctionCounter.builder("genorch.work.items", loop, l -> l.stats().done())
        .description(description).tags("loop", name, "outcome", "done").register(registry);
    FunctionCounter.builder("genorch.work.items", loop, l -> l.stats().failed())
        .description(description).tags("loop", name, "outcome", "failed").register(registry);
    FunctionCounter.builder("genorch.work.items", loop, l -> l.stats().skipped())
        .description(description).tags("loop", name, "outcome", "skipped").register(registry);
    Gauge.builder("genorch.work.due", loop, l -> l.stats().due() == null ? Double.NaN : l.stats().due())
        .description("Items due for a background work loop, as its work last counted them").tag("loop", name)
        .register(registry);
  }

  /** Recounts the backlog now and every {@link #BACKLOG_REFRESH}; a failed count keeps the last values. */
  public void refreshBacklog(Vertx vertx, Pool pool) {
    recountBacklog(pool);
    vertx.setPeriodic(BACKLOG_REFRESH.toMillis(), id -> recountBacklog(pool));
  }

  private void recountBacklog(Pool pool) {
    Backlog.read(pool).onComplete(ar -> {
      if (ar.failed()) {
        LOG.debug("Backlog count failed; the gauges keep their last values: {}", ar.cause().toString());
        return;
      }
      Backlog b = ar.result();
      queued.set(b.queuedGenerations());
      overdue.set(b.overdueGenerations());
      deliveriesDue.set(b.webhookDeliveriesDue());
      callbacksDue.set(b.clientCallbacksDue());
    });
  }
}
