package io.genorch.common.persistence;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;

/**
 * Admission to a provider's API: at most ORCH_PROVIDER_&lt;ID&gt;_MAX_IN_FLIGHT requests at once in this instance,
 * and at most ORCH_PROVIDER_&lt;ID&gt;_MAX_RPM a minute across every instance sharing the database (submit and status
 * calls together). A caller that is refused does not wait here: it keeps its work due and asks again later, so a
 * waiting generation stays in the database, not in memory.
 */
public final class ProviderGate {

  private final Pool pool;
  private final ToIntFunction<String> maxRpm;
  private final ToIntFunction<String> maxInFlight;
  private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();

  public ProviderGate(Pool pool, ToIntFunction<String> maxRpm, ToIntFunction<String> maxInFlight) {
    this.pool = pool;
    this.maxRpm = maxRpm;
    this.maxInFlight = maxInFlight;
  }

  /** A granted request slot; release it when the provider answered or the call failed. */
  public final class Permit {
    private final String provider;
    private boolean released;

    private Permit(String provider) {
      this.provider = provider;
    }

    public synchronized void release() {
      if (!released) {
        released = true;
        counter(provider).decrementAndGet();
      }
    }
  }

  /** A permit, or empty when the provider's in-flight or per-minute budget is used up for now. */
  public Future<Optional<Permit>> tryAcquire(String provider) {
    AtomicInteger counter = counter(provider);
    if (counter.incrementAndGet() > maxInFlight.applyAsInt(provider)) {
      counter.decrementAndGet();
      return Future.succeededFuture(Optional.empty());
    }
    Permit permit = new Permit(provider);
    return pool.preparedQuery(Sql.TAKE_RATE_PERMIT)
        .execute(Tuple.of(provider, maxRpm.applyAsInt(provider)))
        .map(rows -> {
          if (rows.size() == 1) {
            return Optional.of(permit);
          }
          permit.release();
          return Optional.<Permit>empty();
        })
        .onFailure(err -> permit.release());
  }

  /**
   * Runs {@code granted} under a permit, released whatever it ends in, or {@code refused} when there is none.
   */
  public <T> Future<T> withPermit(String provider, Supplier<Future<T>> granted, Supplier<Future<T>> refused) {
    return tryAcquire(provider).compose(permit -> {
      if (permit.isEmpty()) {
        return refused.get();
      }
      Future<T> call;
      try {
        call = granted.get();
      } catch (RuntimeException e) {
        call = Future.failedFuture(e);
      }
      return call.eventually(() -> {
        permit.get().release();
        return Future.succeededFuture();
      });
    });
  }

  public int inFlight(String provider) {
    return counter(provider).get();
  }

  /** Drops old per-minute counters; called now and then by a background timer. */
  public Future<Void> prune() {
    return pool.query(Sql.PRUNE_RATE_WINDOWS).execute().mapEmpty();
  }

  private AtomicInteger counter(String provider) {
    return inFlight.computeIfAbsent(provider, p -> new AtomicInteger());
  }
}
