package io.genorch.common.persistence;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;

/**
 * Admission to a provider's API: at most ORCH_PROVIDER_&lt;ID&gt;_MAX_IN_FLIGHT requests at once in this instance,
 * and at most ORCH_PROVIDER_&lt;ID&gt;_MAX_RPM in any 60 seconds across every instance sharing the database (submit
 * and status calls together). The fleet-wide budget is a sliding window kept as one row per request a minute
 * ({@link Sql#TAKE_PERMIT_SLOT}): a permit is one statement that reuses a slot idle for over 60 s (or adds one, up
 * to the budget), so the budget holds across any boundary, concurrent permits update different rows, and a refusal
 * writes nothing. A caller that
 * is refused does not wait here: it keeps its work due and asks again later, so a waiting generation stays in the
 * database, not in memory.
 */
public final class ProviderGate {

  /** How often one request asks again after another took the slot it was adding (a burst on new slots). */
  private static final int MAX_SLOT_RACES = 64;

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
    return tryAcquire(provider, null);
  }

  /** As {@link #tryAcquire(String)}, with the window measured at {@code at} instead of the database's clock. */
  Future<Optional<Permit>> tryAcquire(String provider, Instant at) {
    AtomicInteger counter = counter(provider);
    if (counter.incrementAndGet() > maxInFlight.applyAsInt(provider)) {
      counter.decrementAndGet();
      return Future.succeededFuture(Optional.empty());
    }
    Permit permit = new Permit(provider);
    return takeSlot(provider, maxRpm.applyAsInt(provider), at, MAX_SLOT_RACES)
        .map(granted -> {
          if (granted) {
            return Optional.of(permit);
          }
          permit.release();
          return Optional.<Permit>empty();
        })
        .onFailure(err -> permit.release());
  }

  /**
   * Up to {@code wanted} permits in one statement ({@link Sql#TAKE_PERMIT_SLOTS}), as many as the in-flight and
   * per-minute budgets allow now; the list may be shorter than asked, or empty.
   */
  public Future<List<Permit>> tryAcquireMany(String provider, int wanted) {
    return tryAcquireMany(provider, wanted, null);
  }

  /**
   * One permit (or none) per request of a batch, asking each provider in it once ({@link #tryAcquireMany}): each
   * provider's first requests get what its budgets grant now, the rest none. The batch function of a
   * {@link io.genorch.common.work.Coalescer} that gathers permit requests.
   *
   * @param providers the provider of each request
   * @return one answer per request, in the order given
   */
  public List<Future<Optional<Permit>>> tryAcquireEach(List<String> providers) {
    List<Promise<Optional<Permit>>> answers = new ArrayList<>(providers.size());
    Map<String, List<Integer>> byProvider = new LinkedHashMap<>();
    for (int i = 0; i < providers.size(); i++) {
      answers.add(Promise.promise());
      byProvider.computeIfAbsent(providers.get(i), p -> new ArrayList<>()).add(i);
    }
    byProvider.forEach((provider, asking) -> tryAcquireMany(provider, asking.size()).onComplete(ar -> {
      for (int k = 0; k < asking.size(); k++) {
        Promise<Optional<Permit>> answer = answers.get(asking.get(k));
        if (ar.failed()) {
          answer.fail(ar.cause());
        } else {
          answer.complete(k < ar.result().size() ? Optional.of(ar.result().get(k)) : Optional.empty());
        }
      }
    }));
    return answers.stream().map(Promise::future).toList();
  }

  /** As {@link #tryAcquireMany(String, int)}, with the window measured at {@code at} instead of the database's clock. */
  Future<List<Permit>> tryAcquireMany(String provider, int wanted, Instant at) {
    AtomicInteger counter = counter(provider);
    int max = maxInFlight.applyAsInt(provider);
    int reserved;
    while (true) {
      int current = counter.get();
      reserved = Math.max(0, Math.min(wanted, max - current));
      if (reserved == 0 || counter.compareAndSet(current, current + reserved)) {
        break;
      }
    }
    if (reserved == 0) {
      return Future.succeededFuture(List.of());
    }
    int asked = reserved;
    return takeSlots(provider, maxRpm.applyAsInt(provider), at, asked, MAX_SLOT_RACES)
        .map(granted -> {
          counter.addAndGet(granted - asked);
          List<Permit> permits = new ArrayList<>(granted);
          for (int i = 0; i < granted; i++) {
            permits.add(new Permit(provider));
          }
          return permits;
        })
        .onFailure(err -> counter.addAndGet(-asked));
  }

  /**
   * What one statement that takes slots for some requests did ({@link #tryAcquireFor}): how many slots it took (for
   * the first {@code granted} requests given, in order), how many it lost in a race to add a new slot (asked again),
   * and which of the granted requests it let go ahead in the same statement (e.g. the rows it marked as being sent).
   */
  public record Taken<T>(int granted, int raced, Set<T> admitted) {}

  /** One request's answer from {@link #tryAcquireFor}. */
  public record Admission(Permit permit, boolean refused) {
    /** The budget (in flight or per minute) is spent: nothing was written for this request. */
    static final Admission REFUSED = new Admission(null, true);
    /** A slot was taken but the statement did not admit the request: its permit is already given back. */
    static final Admission NOT_ADMITTED = new Admission(null, false);

    public boolean admitted() {
      return permit != null;
    }
  }

  /**
   * Permits for some requests to one provider, as {@link #tryAcquireMany} grants them, with {@code take} doing the
   * database part: given the provider's per-minute budget and the requests that have an in-flight place, it takes a
   * slot for each of the first ones it can in one statement, which may do more in the same transaction (the
   * submitter marks the granted rows 'sending' there, so a permit and the mark are one commit and a failure leaves
   * neither). Requests granted a slot but not admitted get their in-flight place back at once (the slot stays
   * spent: the budget is never exceeded, only underused). Answers one admission per request, in the order given.
   */
  public <T> Future<List<Admission>> tryAcquireFor(String provider, List<T> requests,
      BiFunction<Integer, List<T>, Future<Taken<T>>> take) {
    AtomicInteger counter = counter(provider);
    int max = maxInFlight.applyAsInt(provider);
    int reserved;
    while (true) {
      int current = counter.get();
      reserved = Math.max(0, Math.min(requests.size(), max - current));
      if (reserved == 0 || counter.compareAndSet(current, current + reserved)) {
        break;
      }
    }
    if (reserved == 0) {
      return Future.succeededFuture(requests.stream().map(r -> Admission.REFUSED).toList());
    }
    int asked = reserved;
    Set<T> admitted = new HashSet<>();
    return takeFor(maxRpm.applyAsInt(provider), requests.subList(0, asked), take, admitted, MAX_SLOT_RACES)
        .map(granted -> {
          counter.addAndGet(admitted.size() - asked);
          List<Admission> answers = new ArrayList<>(requests.size());
          for (int i = 0; i < requests.size(); i++) {
            T request = requests.get(i);
            answers.add(i >= granted ? Admission.REFUSED
                : admitted.contains(request) ? new Admission(new Permit(provider), false) : Admission.NOT_ADMITTED);
          }
          return answers;
        })
        .onFailure(err -> counter.addAndGet(-asked));
  }

  /** How many of {@code requests} (the first ones) got a slot; asks again for those lost in a race to add a slot. */
  private <T> Future<Integer> takeFor(int budget, List<T> requests, BiFunction<Integer, List<T>, Future<Taken<T>>> take,
      Set<T> admitted, int racesLeft) {
    return take.apply(budget, requests).compose(taken -> {
      admitted.addAll(taken.admitted());
      int granted = taken.granted();
      if (taken.raced() == 0 || granted >= requests.size() || racesLeft == 0) {
        return Future.succeededFuture(granted);
      }
      // what the first statement took is committed (the submitter's rows are marked 'sending' by then), so a
      // failed second try refuses only the rest and never fails the requests already let through
      return takeFor(budget, requests.subList(granted, requests.size()), take, admitted, racesLeft - 1)
          .map(more -> granted + more)
          .otherwise(err -> granted);
    });
  }

  /** How many slots were taken, up to {@code wanted}; asks again for the ones lost in a race to add a slot. */
  private Future<Integer> takeSlots(String provider, int budget, Instant at, int wanted, int racesLeft) {
    return pool.preparedQuery(Sql.TAKE_PERMIT_SLOTS)
        .execute(Tuple.of(provider, budget, at == null ? null : at.atOffset(ZoneOffset.UTC), wanted))
        .compose(rows -> {
          Row row = rows.iterator().next();
          int granted = row.getLong("granted").intValue();
          long raced = row.getLong("raced");
          if (raced == 0 || granted >= wanted || racesLeft == 0) {
            return Future.succeededFuture(granted);
          }
          return takeSlots(provider, budget, at, wanted - granted, racesLeft - 1).map(more -> granted + more);
        });
  }

  /** True when a slot was taken; asks again, a bounded number of times, after losing a race to add a slot. */
  private Future<Boolean> takeSlot(String provider, int budget, Instant at, int racesLeft) {
    return pool.preparedQuery(Sql.TAKE_PERMIT_SLOT)
        .execute(Tuple.of(provider, budget, at == null ? null : at.atOffset(ZoneOffset.UTC)))
        .compose(rows -> {
          if (rows.size() == 0) {
            return Future.succeededFuture(false);
          }
          boolean granted = rows.iterator().next().getBoolean("granted");
          return granted || racesLeft == 0 ? Future.succeededFuture(granted) : takeSlot(provider, budget, at, racesLeft - 1);
        });
  }

  /**
   * Runs {@code granted} under a permit, released whatever it ends in, or {@code refused} when there is none.
   */
  public <T> Future<T> withPermit(String provider, Supplier<Future<T>> granted, Supplier<Future<T>> refused) {
    return underPermit(tryAcquire(provider), granted, refused);
  }

  /** The same for a permit asked for elsewhere (e.g. gathered into {@link #tryAcquireMany}). */
  public static <T> Future<T> underPermit(Future<Optional<Permit>> asked, Supplier<Future<T>> granted,
      Supplier<Future<T>> refused) {
    return asked.compose(permit -> {
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

  private AtomicInteger counter(String provider) {
    return inFlight.computeIfAbsent(provider, p -> new AtomicInteger());
  }
}
