package io.genorch.simulator.dialect;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * One field-level validation problem, in the FastAPI/pydantic form {@code {type, loc, msg, input}}.
 *
 * @param type  pydantic error type (missing, string_type, string_too_short, enum, ...)
 * @param field the body field (loc is {@code ["body", field]})
 * @param msg   the message
 * @param input the offending input (may be null)
 */
public record FieldProblem(String type, String field, String msg, Object input) {

  public JsonObject toJson() {
    return new JsonObject()
        .put("type", type)
        .put("loc", new JsonArray().add("body").add(field))
        .put("msg", msg)
        .put("input", input);
  }
}
