package io.genorch.common.metrics;

import io.genorch.common.domain.Generation;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says in the log when a generation ends: one INFO line each (id, status, provider, resolvedBy, time since it was
 * accepted). Under load the lines would drown everything else, so each instance logs at most
 * {@link #LINES_PER_SECOND} of them in a second; the endings beyond that are counted by provider and status and
 * logged as one summary line every {@link #SUMMARY_EVERY}. Every ending thus appears in the log exactly once, in a
 * line of its own or in a summary's counts. Thread-safe: endings are reported from every event loop.
 */
public final class GenerationEndLog {

  private static final Logger LOG = LoggerFactory.getLogger(GenerationEndLog.class);

  public static final int LINES_PER_SECOND = 20;
  public static final Duration SUMMARY_EVERY = Duration.ofSeconds(10);

  private final LongSupplier nanoClock;
  private long secondStart;
  private int linesThisSecond;
  /** "provider status" → endings not logged one by one since the last summary. */
  private final Map<String, Long> summarized = new TreeMap<>();

  public GenerationEndLog() {
    this(System::nanoTime);
  }

  GenerationEndLog(LongSupplier nanoClock) {
    this.nanoClock = nanoClock;
    this.secondStart = nanoClock.getAsLong();
  }

  /** Called after every committed change of status; logs the terminal ones. */
  public void advanced(Generation g) {
    if (!g.status().isTerminal()) {
      return;
    }
    if (!takeLine()) {
      synchronized (this) {
        summarized.merge(g.provider() + " " + g.status().wire(), 1L, Long::sum);
      }
      return;
    }
    String resolvedBy = g.resolvedBy() == null ? null : g.resolvedBy().wire();
    Long millis = g.createdAt() == null || g.completedAt() == null
        ? null : Duration.between(g.createdAt(), g.completedAt()).toMillis();
    LOG.atInfo()
        .addKeyValue("generationId", g.id())
        .addKeyValue("status", g.status().wire())
        .addKeyValue("provider", g.provider())
        .addKeyValue("resolvedBy", resolvedBy)
        .addKeyValue("durationMs", millis)
        .log("Generation {} ended {}: provider {}, resolved by {}, {} after it was accepted",
            g.id(), g.status().wire(), g.provider(), resolvedBy, millis == null ? "?" : seconds(millis));
  }

  private synchronized boolean takeLine() {
    long now = nanoClock.getAsLong();
    if (now - secondStart >= 1_000_000_000L) {
      secondStart = now;
      linesThisSecond = 0;
    }
    return linesThisSecond++ < LINES_PER_SECOND;
  }

  /** Logs the endings counted since the last summary, if any; called every {@link #SUMMARY_EVERY}. */
  public void summarize() {
    Map<String, Long> counts;
    synchronized (this) {
      if (summarized.isEmpty()) {
        return;
      }
      counts = new TreeMap<>(summarized);
      summarized.clear();
    }
    long total = counts.values().stream().mapToLong(Long::longValue).sum();
    StringBuilder byKind = new StringBuilder();
    counts.forEach((kind, n) -> byKind.append(byKind.length() == 0 ? "" : ", ").append(kind).append(' ').append(n));
    LOG.atInfo()
        .addKeyValue("endedNotLoggedSingly", total)
        .addKeyValue("byProviderAndStatus", byKind.toString())
        .log("{} more generations ended (over {} a second, not logged one by one): {}", total, LINES_PER_SECOND, byKind);
  }

  private static String seconds(long millis) {
    return String.format(java.util.Locale.ROOT, "%.1f s", millis / 1000.0);
  }
}
