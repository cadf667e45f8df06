package io.genorch.common.persistence;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.Map;

/**
 * A circuit per provider (CONTRACT.md section 8), kept in the table {@code provider_health} so that every instance
 * of a deployment sees the same state, and every transition is one statement, decided under the row lock with the
 * database's clock.
 *
 * <ul>
 *   <li>closed: requests go; {@link #recordFailure} counts provider-side failures in a row ({@link #recordSuccess}
 *       resets the count); at {@code failuresToOpen} the circuit opens.</li>
 *   <li>open: routing skips the provider; after {@code openFor}, {@link #allowRequest} lets exactly one caller
 *       through as a probe (the circuit turns half_open), across all instances.</li>
 *   <li>half_open: the probe is out; its success closes the circuit, its failure opens it again for {@code openFor}.
 *       A probe not settled within {@code openFor} (its sender died) is handed to the next caller.</li>
 * </ul>
 *
 * <p>How a submitter uses it: before sending a submit to a provider, {@code allowRequest(provider)}; when false,
 * send to the next route instead (or wait). After the answer: {@code recordSuccess(provider)} for an accepted
 * submit (or any answer that shows the provider works), {@code recordFailure(provider)} only for provider-side
 * failures: 5xx or connection failures after the submit retries, 429 beyond its budget, maintenance, model
 * unavailable, insufficient balance. Never for a refusal caused by the request (a 4xx about it, content policy),
 * and not for an ambiguous submit.
 */
public final class ProviderHealth {

  /** What {@code GET /v1/providers} and {@code GET /v1/models} show for a route. */
  public enum Health {
    OK("ok"), DEGRADED("degraded"), OPEN("open");

    private final String wire;

    Health(String wire) {
      this.wire = wire;
    }

    public String wire() {
      return wire;
    }
  }

  /**
   * One provider's circuit as read.
   *
   * @param state closed, open or half_open
   * @param waitOver an open circuit's wait is over: the next request may be its probe
   */
  public record Circuit(String provider, String state, int consecutiveFailures, OffsetDateTime openedAt,
      OffsetDateTime probeAt, boolean waitOver) {

    public static Circuit closed(String provider) {
      return new Circuit(provider, "closed", 0, null, null, false);
    }

    /** Routing skips a provider whose circuit is open and still waiting, or whose probe is out. */
    public boolean skipped() {
      return !state.equals("closed") && !waitOver;
    }

    /** ok: closed without recent failures; open: skipped; degraded: failing, or its probe is due or out. */
    public Health health() {
      if (skipped() && state.equals("open")) {
        return Health.OPEN;
      }
      return state.equals("closed") && consecutiveFailures == 0 ? Health.OK : Health.DEGRADED;
    }

    public JsonObject toJson() {
      return new JsonObject()
          .put("health", health().wire())
          .put("state", state)
          .put("consecutiveFailures", consecutiveFailures)
          .put("openedAt", openedAt == null ? null : openedAt.toInstant().toString());
    }
  }

  private final Pool pool;
  private final int failuresToOpen;
  private final Duration openFor;

  public ProviderHealth(Pool pool, int failuresToOpen, Duration openFor) {
    this.pool = pool;
    this.failuresToOpen = failuresToOpen;
    this.openFor = openFor;
  }

  /** The provider answered as it should: the circuit closes and its failure count starts again. */
  public Future<Void> recordSuccess(String provider) {
    return pool.preparedQuery(Sql.CIRCUIT_SUCCESS).execute(Tuple.of(provider)).mapEmpty();
  }

  /** A provider-side failure; the answer is the circuit's state after it (closed or open). */
  public Future<String> recordFailure(String provider) {
    return pool.preparedQuery(Sql.CIRCUIT_FAILURE).execute(Tuple.of(provider, failuresToOpen))
        .map(rows -> rows.iterator().next().getString("state"));
  }

  /**
   * Whether a request may go to the provider now: always while closed; when open, false until {@code openFor} has
   * passed and then true for exactly one caller (the probe), whichever instance it is on.
   */
  public Future<Boolean> allowRequest(String provider) {
    return pool.preparedQuery(Sql.CIRCUIT_ALLOW).execute(Tuple.of(provider, openFor.toSeconds()))
        .map(rows -> {
          Row row = rows.iterator().next();
          String state = row.getString("state");
          return row.getBoolean("probe") || state == null || state.equals("closed");
        });
  }

  /** Every provider's circuit; a provider without a row has never failed (closed). */
  public Future<Map<String, Circuit>> circuits() {
    return pool.preparedQuery(Sql.CIRCUIT_STATES).execute(Tuple.of(openFor.toSeconds())).map(rows -> {
      Map<String, Circuit> circuits = new HashMap<>();
      for (Row row : rows) {
        String provider = row.getString("provider");
        circuits.put(provider, new Circuit(provider, row.getString("state"), row.getInteger("consecutive_failures"),
            row.getOffsetDateTime("opened_at"), row.getOffsetDateTime("probe_at"), row.getBoolean("wait_over")));
      }
      return circuits;
    });
  }

  /** One provider's circuit. */
  public Future<Circuit> state(String provider) {
    return circuits().map(all -> all.getOrDefault(provider, Circuit.closed(provider)));
  }
}
