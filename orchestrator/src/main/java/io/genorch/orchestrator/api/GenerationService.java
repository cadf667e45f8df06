package io.genorch.orchestrator.api;

import io.genorch.common.bus.Addresses;
import io.genorch.common.domain.Generation;
import io.genorch.common.domain.GenerationRequest;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.domain.WebhookTokens;
import io.genorch.common.net.PublicAddresses;
import io.genorch.common.persistence.GenerationStore;
import io.genorch.common.persistence.GenerationStore.IdempotencyKey;
import io.genorch.common.persistence.GenerationStore.NewGeneration;
import io.genorch.common.work.Coalescer;
import io.genorch.common.provider.Providers;
import io.genorch.orchestrator.callbacks.CallbackAddresses;
import io.genorch.common.catalog.Catalog;
import io.genorch.common.catalog.CatalogModel;
import io.genorch.common.domain.GenerationRequest;
import io.genorch.common.persistence.ProviderHealth;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.function.Predicate;

/**
 * What clients can do with generations, the same over HTTP and the event bus: failures are {@link ApiException}s
 * carrying the HTTP status.
 */
public final class GenerationService {

  public static final int DEFAULT_PAGE = 50;
  public static final int MAX_PAGE = 200;
  private static final int MAX_IDEMPOTENCY_KEY = 255;
  /** Accepts stored together at most; one batch under way per event loop, so that those arriving meanwhile share the next. */
  private static final int CREATE_BATCH = 64;
  private static final int CREATES_IN_FLIGHT = 1;

  private final GenerationStore store;
  private final RequestValidator validator;
  private final Providers providers;
  private final Predicate<String> providerEnabled;
  private final EventBus eventBus;
  private final CallbackAddresses callbackAddresses;
  private final Supplier<Catalog> catalog;
  private final ProviderHealth health;
  /** One per event loop that accepts (the client API's, the event bus verticle's): each touched only on its own. */
  private final Map<Context, Coalescer<NewGeneration, GenerationStore.Created>> creates = new ConcurrentHashMap<>();

  public GenerationService(
      GenerationStore store, RequestValidator validator, CallbackAddresses callbackAddresses, Providers providers,
      Predicate<String> providerEnabled, EventBus eventBus, Supplier<Catalog> catalog, ProviderHealth health) {
    this.catalog = catalog;
    this.health = health;
    this.store = store;
    this.validator = validator;
    this.callbackAddresses = callbackAddresses;
    this.providers = providers;
    this.providerEnabled = providerEnabled;
    this.eventBus = eventBus;
  }

  /** The stored generation and whether it was an idempotent replay (200) rather than a new one (202). */
  public record Accepted(Generation generation, boolean replayed) {}

  /**
   * Validates and stores a generation, then wakes the submitter; nothing is stored for a refused request.
   *
   * @param callerScope whose Idempotency-Keys these are (a hash of the API key, or "eventbus")
   */
  public Future<Accepted> create(JsonObject body, Set<String> transportFields, String idempotencyKey, String callerScope) {
    // only routing needs the circuits: a request naming its provider costs no extra query
    Future<Map<String, ProviderHealth.Circuit>> circuits = body.getValue("provider") == null
        ? health.circuits()
        : Future.succeededFuture(Map.of());
    return circuits.compose(known -> create(body, transportFields, idempotencyKey, callerScope, known));
  }

  private Future<Accepted> create(JsonObject body, Set<String> transportFields, String idempotencyKey, String callerScope,
      Map<String, ProviderHealth.Circuit> circuits) {
    RequestValidator.Validated validated;
    IdempotencyKey key = null;
    try {
      validated = validator.validate(body, transportFields, circuits);
      if (idempotencyKey != null) {
        if (idempotencyKey.isEmpty() || idempotencyKey.length() > MAX_IDEMPOTENCY_KEY) {
          throw ApiException.invalid("Idempotency-Key", "Idempotency-Key must have 1 to 255 characters");
        }
        JsonObject hashed = body.copy();
        transportFields.forEach(hashed::remove);
        key = new IdempotencyKey(callerScope, idempotencyKey,
            WebhookTokens.sha256(canonical(hashed).getBytes(StandardCharsets.UTF_8)));
      }
    } catch (ApiException e) {
      return Future.failedFuture(e);
    }
    IdempotencyKey idempotency = key;
    GenerationRequest request = validated.request();
    return checkCallbackDestination(request.callbackUrl())
        .compose(checked -> store(new NewGeneration(request, idempotency, validated.routed(), validated.routes())))
        .recover(err -> Future.failedFuture(err instanceof GenerationStore.IdempotencyConflictException
            ? new ApiException(409, "idempotency_conflict", err.getMessage(), null)
            : err))
        .map(created -> new Accepted(created.generation(), created.replayed()));
  }

  /**
   * Stores one generation together with those accepted at the same time on this event loop (one round trip and one
   * commit for all, {@link GenerationStore#createAll}); outside an event loop, on its own.
   */
  private Future<GenerationStore.Created> store(NewGeneration generation) {
    Context current = Vertx.currentContext();
    if (current == null || !current.isEventLoopContext()) {
      return createAll(List.of(generation)).get(0);
    }
    // each HTTP request runs on a context of its own duplicated from the verticle's: the batches are the verticle's
    Context context = ((ContextInternal) current).unwrap();
    return creates.computeIfAbsent(context, c -> new Coalescer<>(c, CREATE_BATCH, CREATES_IN_FLIGHT, this::createAll,
        g -> g.idempotencyKey() == null ? null : List.of(g.idempotencyKey().scope(), g.idempotencyKey().key())))
        .submit(generation);
  }

  /** Stores a batch, then wakes the submitter once for whatever of it is new (it claims all that is due). */
  private List<Future<GenerationStore.Created>> createAll(List<NewGeneration> batch) {
    List<Future<GenerationStore.Created>> created = store.createAll(batch);
    Future.join(created).onComplete(done -> {
      if (created.stream().anyMatch(c -> c.succeeded() && !c.result().replayed())) {
        eventBus.send(Addresses.SUBMISSION_WAKE, new JsonObject());
      }
    });
    return created;
  }

  /**
   * Refuses a callback URL whose host is not a public address or whose name does not resolve, or resolves to any
   * address that is not public, now, rather than accepting a generation whose callback can never be delivered.
   */
  private Future<Void> checkCallbackDestination(String callbackUrl) {
    if (callbackUrl == null) {
      return Future.succeededFuture();
    }
    String host = URI.create(callbackUrl).getHost();
    return callbackAddresses.resolve(host).<Void>mapEmpty().recover(err -> Future.failedFuture(
        err instanceof PublicAddresses.NotPublicException
            ? ApiException.invalid("callbackUrl", "callbackUrl must point to a public address: " + err.getMessage())
            : err instanceof UnknownHostException
                ? ApiException.invalid("callbackUrl", "callbackUrl host " + host + " does not resolve")
                : err));
  }

  public Future<Generation> get(String id) {
    if (!ClientJson.isStorable(id)) {
      return Future.failedFuture(ApiException.notFound("no generation with this id"));
    }
    return store.find(id).compose(g -> g
        .map(Future::succeededFuture)
        .orElseGet(() -> Future.failedFuture(ApiException.notFound("no generation " + id))));
  }

  public Future<JsonObject> list(String status, String provider, String limitParam, String cursor) {
    if (status != null && GenerationStatus.fromWire(status).isEmpty()) {
      return Future.failedFuture(ApiException.invalid("status", "unknown status '" + status + "'"));
    }
    if (provider != null && providers.find(provider).isEmpty()) {
      return Future.failedFuture(ApiException.invalid("provider", "unknown provider '" + provider + "'"));
    }
    int limit;
    String afterId;
    try {
      limit = parseLimit(limitParam, DEFAULT_PAGE, MAX_PAGE);
      afterId = cursor == null ? null : decodeCursor(cursor);
    } catch (ApiException e) {
      return Future.failedFuture(e);
    }
    return store.list(status, provider, afterId, limit).map(page -> {
      JsonArray data = new JsonArray();
      page.items().forEach(g -> data.add(g.toJson()));
      return new JsonObject()
          .put("data", data)
          .put("nextCursor", page.nextCursor() == null ? null : encodeCursor(page.nextCursor()));
    });
  }

  public Future<JsonObject> timeline(String id) {
    if (!ClientJson.isStorable(id)) {
      return Future.failedFuture(ApiException.notFound("no generation with this id"));
    }
    return store.timeline(id).compose(entries -> entries
        .map(list -> {
          JsonArray data = new JsonArray();
          list.forEach(e -> data.add(e.toJson()));
          return Future.succeededFuture(new JsonObject().put("data", data));
        })
        .orElseGet(() -> Future.failedFuture(ApiException.notFound("no generation " + id))));
  }

  public Future<JsonObject> lifecycleEvents(String afterParam, String limitParam) {
    long after;
    int limit;
    try {
      after = afterParam == null ? 0 : Long.parseLong(afterParam);
      if (after < 0) {
        throw new NumberFormatException();
      }
      limit = parseLimit(limitParam, 100, 1000);
    } catch (NumberFormatException e) {
      return Future.failedFuture(ApiException.invalid("after", "after must be a sequence number (0 or more)"));
    } catch (ApiException e) {
      return Future.failedFuture(e);
    }
    return store.lifecycleEventsAfter(after, limit).map(events -> {
      long last = events.isEmpty() ? after : events.get(events.size() - 1).getLong("seq");
      return new JsonObject().put("data", new JsonArray(List.copyOf(events))).put("lastSeq", last);
    });
  }

  /** Each provider with its settings, the models the catalog routes to it, and its circuit. */
  public Future<JsonObject> providers() {
    Catalog current = catalog.get();
    return health.circuits().map(circuits -> {
      JsonArray data = new JsonArray();
      providers.list().forEach(a -> {
        ProviderHealth.Circuit circuit = circuits.getOrDefault(a.id(), ProviderHealth.Circuit.closed(a.id()));
        JsonArray models = new JsonArray();
        current.routesAt(a.id()).forEach(e -> models.add(new JsonObject().put("model", e.getKey().id())
            .put("providerModel", e.getValue().providerModel()).put("retired", e.getKey().retired())));
        data.add(a.spec().toJson()
            .put("enabled", providerEnabled.test(a.id()))
            .put("models", models)
            .put("health", circuit.health().wire())
            .put("circuit", circuit.toJson()));
      });
      return new JsonObject().put("data", data);
    });
  }

  /** GET /v1/models: the catalog in force, each route with whether its provider is enabled and its health. */
  public Future<JsonObject> models() {
    Catalog current = catalog.get();
    return health.circuits().map(circuits -> {
      JsonArray data = new JsonArray();
      for (CatalogModel model : current.models()) {
        JsonObject json = model.toJson();
        json.getJsonArray("routes").forEach(r -> {
          JsonObject route = (JsonObject) r;
          String provider = route.getString("provider");
          route.put("enabled", providerEnabled.test(provider))
              .put("health", circuits.getOrDefault(provider, ProviderHealth.Circuit.closed(provider)).health().wire());
        });
        data.add(json);
      }
      return new JsonObject().put("data", data);
    });
  }

  private static int parseLimit(String value, int fallback, int max) {
    if (value == null) {
      return fallback;
    }
    try {
      int limit = Integer.parseInt(value);
      if (limit >= 1 && limit <= max) {
        return limit;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw ApiException.invalid("limit", "limit must be a whole number from 1 to " + max);
  }

  private static String encodeCursor(String lastId) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(lastId.getBytes(StandardCharsets.UTF_8));
  }

  private static String decodeCursor(String cursor) {
    try {
      String id = StandardCharsets.UTF_8.newDecoder()
          .decode(ByteBuffer.wrap(Base64.getUrlDecoder().decode(cursor)))
          .toString();
      if (id.startsWith("gen_") && ClientJson.isStorable(id)) {
        return id;
      }
    } catch (IllegalArgumentException | CharacterCodingException ignored) {
      // reported below
    }
    throw ApiException.invalid("cursor", "cursor is not one this service handed out");
  }

  /** JSON with object keys sorted at every level: the same body sent with its fields in another order is the same. */
  static String canonical(Object value) {
    if (value instanceof JsonObject object) {
      StringBuilder out = new StringBuilder("{");
      object.fieldNames().stream().sorted().forEach(name -> {
        if (out.length() > 1) {
          out.append(',');
        }
        out.append(io.vertx.core.json.Json.encode(name)).append(':').append(canonical(object.getValue(name)));
      });
      return out.append('}').toString();
    }
    if (value instanceof io.vertx.core.json.JsonArray array) {
      StringBuilder out = new StringBuilder("[");
      for (int i = 0; i < array.size(); i++) {
        out.append(i == 0 ? "" : ",").append(canonical(array.getValue(i)));
      }
      return out.append(']').toString();
    }
    return io.vertx.core.json.Json.encode(value);
  }
}
