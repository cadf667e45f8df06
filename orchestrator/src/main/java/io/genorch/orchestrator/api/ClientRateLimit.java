package io.genorch.orchestrator.api;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code ORCH_API_MAX_RPS}: requests a second per API key on this instance, as a token bucket that allows a burst of
 * one second's worth; over it, 429 {@code rate_limited} with Retry-After. Per instance, not fleet-wide: it protects
 * an instance from one client's flood, it is not a quota.
 */
final class ClientRateLimit implements Handler<RoutingContext> {

  private final double perSecond;
  private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

  private static final class Bucket {
    double tokens;
    long refilledAt;

    Bucket(double tokens, long now) {
      this.tokens = tokens;
      this.refilledAt = now;
    }
  }

  ClientRateLimit(int perSecond) {
    if (perSecond <= 0) {
      throw new IllegalArgumentException("ORCH_API_MAX_RPS must be positive when set");
    }
    this.perSecond = perSecond;
  }

  @Override
  public void handle(RoutingContext ctx) {
    String caller = ctx.get(ApiKeys.CALLER_SCOPE);
    if (take(caller == null ? "anonymous" : caller, System.nanoTime())) {
      ctx.next();
      return;
    }
    ctx.response().putHeader("Retry-After", "1");
    ctx.fail(new ApiException(429, "rate_limited", "more than " + (int) perSecond + " requests a second with this key", null));
  }

  boolean take(String caller, long nowNanos) {
    Bucket bucket = buckets.computeIfAbsent(caller, c -> new Bucket(perSecond, nowNanos));
    synchronized (bucket) {
      double elapsedSeconds = (nowNanos - bucket.refilledAt) / 1e9;
      bucket.tokens = Math.min(perSecond, bucket.tokens + elapsedSeconds * perSecond);
      bucket.refilledAt = nowNanos;
      if (bucket.tokens < 1) {
        return false;
      }
      bucket.tokens -= 1;
      return true;
    }
  }
}
