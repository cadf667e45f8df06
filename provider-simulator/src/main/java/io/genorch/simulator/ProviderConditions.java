package io.genorch.simulator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What holds for one provider as a whole, unlike the faults of one job: a maintenance window (every submit is
 * refused with the provider's maintenance answer until it ends, in real time), an empty balance (402 in the
 * provider's shape), and models it has retired (a submit for one is "model not found"). Thread-safe.
 */
final class ProviderConditions {

  private final Map<String, Instant> maintenanceUntil = new ConcurrentHashMap<>();
  private final Set<String> outOfBalance = ConcurrentHashMap.newKeySet();
  private final Map<String, Set<String>> retiredModels = new ConcurrentHashMap<>();

  void maintenance(String provider, Duration window) {
    if (window == null || window.isZero() || window.isNegative()) {
      maintenanceUntil.remove(provider);
    } else {
      maintenanceUntil.put(provider, Instant.now().plus(window));
    }
  }

  boolean inMaintenance(String provider) {
    Instant until = maintenanceUntil.get(provider);
    return until != null && Instant.now().isBefore(until);
  }

  void insufficientBalance(String provider, boolean empty) {
    if (empty) {
      outOfBalance.add(provider);
    } else {
      outOfBalance.remove(provider);
    }
  }

  boolean outOfBalance(String provider) {
    return outOfBalance.contains(provider);
  }

  void retireModel(String provider, String model) {
    retiredModels.computeIfAbsent(provider, p -> ConcurrentHashMap.newKeySet()).add(model);
  }

  boolean retired(String provider, String model) {
    return model != null && retiredModels.getOrDefault(provider, Set.of()).contains(model);
  }

  void clear() {
    maintenanceUntil.clear();
    outOfBalance.clear();
    retiredModels.clear();
  }

  /** {@code {"maintenanceUntil": ISO | null, "insufficientBalance": bool, "retiredModels": [...]}}. */
  JsonObject toJson(String provider) {
    Instant until = maintenanceUntil.get(provider);
    return new JsonObject()
        .put("maintenanceUntil", until == null || !inMaintenance(provider) ? null : until.toString())
        .put("insufficientBalance", outOfBalance(provider))
        .put("retiredModels", new JsonArray(retiredModels.getOrDefault(provider, Set.of()).stream().sorted().toList()));
  }

  /**
   * Applies {@code {"maintenanceSeconds": n (0 ends it), "insufficientBalance": bool, "retiredModels": [...]}};
   * absent members leave that condition as it is.
   */
  void apply(String provider, JsonObject body) {
    if (body.containsKey("maintenanceSeconds")) {
      maintenance(provider, Duration.ofMillis((long) (body.getNumber("maintenanceSeconds").doubleValue() * 1000)));
    }
    if (body.containsKey("insufficientBalance")) {
      insufficientBalance(provider, body.getBoolean("insufficientBalance"));
    }
    if (body.containsKey("retiredModels")) {
      retiredModels.remove(provider);
      body.getJsonArray("retiredModels").forEach(m -> retireModel(provider, (String) m));
    }
  }
}
