package io.genorch.orchestrator.api;

import io.genorch.common.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.Set;

/**
 * The request-reply addresses of docs/API.md section 5: the same validation and answers as HTTP; a failure's code
 * is the HTTP status it would have had.
 */
public final class GenerationBusVerticle extends VerticleBase {

  static final String IDEMPOTENCY_FIELD = "idempotencyKey";

  private final GenerationService service;

  public GenerationBusVerticle(GenerationService service) {
    this.service = service;
  }

  @Override
  public Future<?> start() {
    var submit = vertx.eventBus().<Object>consumer(Addresses.SUBMIT, this::submit);
    var get = vertx.eventBus().<Object>consumer(Addresses.GET, this::get);
    return Future.all(submit.completion(), get.completion());
  }

  private void submit(Message<Object> message) {
    if (!(message.body() instanceof JsonObject body)) {
      message.fail(400, "the body must be a JSON object");
      return;
    }
    Object key = body.getValue(IDEMPOTENCY_FIELD);
    if (key != null && !(key instanceof String)) {
      message.fail(400, "idempotencyKey must be a string");
      return;
    }
    service.create(body, Set.of(IDEMPOTENCY_FIELD), (String) key, "eventbus")
        .onSuccess(accepted -> message.reply(accepted.generation().toJson()))
        .onFailure(err -> fail(message, err));
  }

  private void get(Message<Object> message) {
    if (!(message.body() instanceof JsonObject body) || !(body.getValue("id") instanceof String id)) {
      message.fail(400, "the body must be {\"id\": \"…\"}");
      return;
    }
    service.get(id).onSuccess(g -> message.reply(g.toJson())).onFailure(err -> fail(message, err));
  }

  private static void fail(Message<?> message, Throwable err) {
    if (err instanceof ApiException api) {
      message.fail(api.status(), api.getMessage());
    } else {
      message.fail(503, "the service could not complete the request; try again");
    }
  }
}
