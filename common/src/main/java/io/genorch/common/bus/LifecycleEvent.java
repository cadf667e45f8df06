package io.genorch.common.bus;

import io.genorch.common.domain.Generation;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.domain.Ids;
import io.genorch.common.statemachine.GenerationStateMachine;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/** A change of a generation's status as it is published and stored (docs/API.md section 5). */
public record LifecycleEvent(String id, String type, Instant occurredAt, Generation generation) {

  /** Every output of a succeeded generation has a kept copy (docs/API.md section 7). */
  public static final String OUTPUTS_STORED = "generation.outputs_stored";

  public static LifecycleEvent of(Generation generation) {
    GenerationStatus status = generation.status();
    return new LifecycleEvent(
        Ids.eventId(), GenerationStateMachine.lifecycleEventType(status), generation.updatedAt(), generation);
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("type", type)
        .put("id", id)
        .put("occurredAt", occurredAt.toString())
        .put("generation", generation.toJson());
  }
}
