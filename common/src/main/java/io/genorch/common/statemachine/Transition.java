package io.genorch.common.statemachine;

import io.genorch.common.domain.Generation;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * What one proposed change does to a generation, as {@link GenerationStateMachine#transition} decides it.
 *
 * @param updatesGeneration whether {@code after} and {@code schedule} are to be stored; when false only the timeline
 *     entries are written (a duplicate or a contradiction of a terminal status)
 * @param timeline the timeline entries to add, in order: the cause, then the status reached
 * @param lifecycleEvent whether a lifecycle event for {@code after} is written and published (the status advanced)
 * @param clientCallback whether that event is also queued for the client's callback URL
 */
public record Transition(
    Verdict verdict,
    Generation after,
    Schedule schedule,
    boolean updatesGeneration,
    List<Entry> timeline,
    boolean lifecycleEvent,
    boolean clientCallback) {

  public Transition {
    timeline = List.copyOf(timeline);
  }

  /** A timeline entry to add (CONTRACT.md section 1 types). */
  public record Entry(String type, JsonObject detail) {}
}
