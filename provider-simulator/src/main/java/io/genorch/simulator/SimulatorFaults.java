package io.genorch.simulator;

import io.vertx.core.json.JsonObject;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

/**
 * Faults applied to every new job and every call of a simulator, on top of each job's own {@code [sim:...]}
 * directives (a job's directive wins where both set a value). Thread-safe; every setter returns {@code this}.
 *
 * <p>Job knobs (fail, noCallback, callbackDelayMs, neverFinish, duplicate, contradict, durationMs,
 * expiringLinks, urlString) are read when a job is created; call knobs (submitError, submitErrorTimes,
 * statusError, status404) when a call arrives.
 */
public final class SimulatorFaults {

  private final AtomicReference<Directives> current = new AtomicReference<>(Directives.NONE);

  /** The faults in effect now. */
  public Directives current() {
    return current.get();
  }

  /** Replaces every fault. */
  public SimulatorFaults set(Directives faults) {
    current.set(faults == null ? Directives.NONE : faults);
    return this;
  }

  /** Changes the faults atomically. */
  public SimulatorFaults update(UnaryOperator<Directives> change) {
    current.updateAndGet(change);
    return this;
  }

  /** Removes every fault. */
  public SimulatorFaults clear() {
    return set(Directives.NONE);
  }

  /** Replaces every fault with the JSON form of {@link Directives#toJson()} (absent fields: off). */
  public SimulatorFaults setJson(JsonObject json) {
    return set(Directives.fromJson(json));
  }

  public JsonObject toJson() {
    return current().toJson();
  }

  /** Every job ends failed with the provider's default failure. */
  public SimulatorFaults fail(boolean fail) {
    return update(d -> d.withFail(fail, fail ? d.failCode() : null));
  }

  /** Every job ends failed with this provider error code/message. */
  public SimulatorFaults fail(String code) {
    return update(d -> d.withFail(code != null, code));
  }

  public SimulatorFaults noCallback(boolean v) {
    return update(d -> d.withNoCallback(v));
  }

  /** Simulated milliseconds between a job's terminal state and its first callback attempt. */
  public SimulatorFaults callbackDelayMs(Long v) {
    return update(d -> d.withCallbackDelayMs(v));
  }

  public SimulatorFaults neverFinish(boolean v) {
    return update(d -> d.withNeverFinish(v));
  }

  /** Each terminal callback is delivered this many times (null: once). */
  public SimulatorFaults duplicate(Integer v) {
    return update(d -> d.withDuplicate(v));
  }

  public SimulatorFaults contradict(boolean v) {
    return update(d -> d.withContradict(v));
  }

  /** Simulated run time of every new job (null: the options' jobDuration). */
  public SimulatorFaults durationMs(Long v) {
    return update(d -> d.withDurationMs(v));
  }

  /** "500", "503", "429", "402", "422", "400", "timeout", "reset" or null. */
  public SimulatorFaults submitError(String v) {
    return update(d -> d.withSubmitError(v));
  }

  /** The submit fault applies to the first N submits of each distinct prompt only (null: always). */
  public SimulatorFaults submitErrorTimes(Integer v) {
    return update(d -> d.withSubmitErrorTimes(v));
  }

  /** "500", "503", "timeout" or null. */
  public SimulatorFaults statusError(String v) {
    return update(d -> d.withStatusError(v));
  }

  public SimulatorFaults status404(boolean v) {
    return update(d -> d.withStatus404(v));
  }

  /** Result links (apimart {@code expires_at}) already expired at completion. */
  public SimulatorFaults expiringLinks(boolean v) {
    return update(d -> d.withExpiringLinksSeconds(v ? Long.valueOf(Directives.EXPIRED_LINK_SECONDS) : null));
  }

  /** Result links expire this many real seconds after completion (negative: before). */
  public SimulatorFaults expiringLinksSeconds(Long v) {
    return update(d -> d.withExpiringLinksSeconds(v));
  }

  public SimulatorFaults urlString(boolean v) {
    return update(d -> d.withUrlString(v));
  }

  @Override
  public String toString() {
    return "SimulatorFaults" + toJson().encode();
  }
}
