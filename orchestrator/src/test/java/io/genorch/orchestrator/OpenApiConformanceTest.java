package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Holds GET /openapi.json against the service's real answers: each answer's status must be documented for its
 * operation, and its body must match the documented schema.
 */
class OpenApiConformanceTest {

  @RegisterExtension
  static final ServiceUnderTest service = ServiceUnderTest.withoutProviders();

  private static JsonObject doc;

  @BeforeAll
  static void readDocument() {
    doc = new ApiClient(service.httpPort(), null).get("/openapi.json").json();
  }

  private static JsonObject body() {
    return new JsonObject().put("provider", "runblob-kling-o3").put("prompt", "a cat").put("aspectRatio", "1:1")
        .put("durationSeconds", 10).put("options", new JsonObject().put("mode", "pro"));
  }

  @Test
  void everyAnswerMatchesTheDocument() {
    ApiClient.Response created = service.api().createGeneration(body(), "Idempotency-Key", "doc-1");
    conforms("/v1/generations", "post", created);
    String id = created.json().getString("id");
    conforms("/v1/generations", "post", service.api().createGeneration(body(), "Idempotency-Key", "doc-1"));
    conforms("/v1/generations", "post", service.api().createGeneration(body().put("prompt", "x"), "Idempotency-Key", "doc-1"));
    conforms("/v1/generations", "post", service.api().createGeneration(body().put("durationSeconds", 7)));
    conforms("/v1/generations", "post", service.api().post("/v1/generations", "nope"));
    conforms("/v1/generations", "post", service.api().post("/v1/generations", "{\"prompt\":\"" + "a".repeat(1_100_000) + "\"}"));
    conforms("/v1/generations", "post", service.api().postRaw("/v1/generations",
        java.net.http.HttpRequest.BodyPublishers.ofString("{}"), "Content-Type", "text/plain"));
    conforms("/v1/generations", "post", new ApiClient(service.httpPort(), "bad").createGeneration(body()));
    conforms("/v1/generations", "get", service.api().get("/v1/generations?limit=1"));
    conforms("/v1/generations", "get", service.api().get("/v1/generations?limit=0"));
    conforms("/v1/generations/{id}", "get", service.api().get("/v1/generations/" + id));
    conforms("/v1/generations/{id}", "get", service.api().get("/v1/generations/gen_missing"));
    conforms("/v1/generations/{id}/events", "get", service.api().get("/v1/generations/" + id + "/events"));
    conforms("/v1/generations/{id}/outputs/{index}", "get", service.api().get("/v1/generations/" + id + "/outputs/0"));
    conforms("/v1/generations/{id}/outputs/{index}", "get", service.api().get("/v1/generations/gen_missing/outputs/0"));
    conforms("/v1/providers", "get", service.api().get("/v1/providers"));
    conforms("/v1/models", "get", service.api().get("/v1/models"));
    JsonObject routed = new JsonObject().put("model", "sora-2").put("prompt", "a cat");
    conforms("/v1/generations", "post", service.api().createGeneration(routed));
    conforms("/v1/generations", "post", service.api().createGeneration(routed.copy().put("durationSeconds", 7)));
    conforms("/v1/events", "get", service.api().get("/v1/events?after=0&limit=10"));
  }

  @Test
  void theDocumentDescribesBothPorts() {
    JsonObject paths = doc.getJsonObject("paths");
    for (String path : new String[] {"/v1/generations", "/v1/generations/{id}", "/v1/generations/{id}/events",
        "/v1/generations/{id}/outputs/{index}",
        "/v1/providers", "/v1/models", "/v1/events", "/health/live", "/health/ready", "/metrics", "/openapi.json",
        "/webhooks/{provider}/{token}", "/webhooks/{provider}/{token}/callback"}) {
      assertNotNull(paths.getJsonObject(path), path + " is documented");
    }
  }

  private static void conforms(String path, String method, ApiClient.Response response) {
    JsonObject operation = doc.getJsonObject("paths").getJsonObject(path).getJsonObject(method);
    JsonObject documented = operation.getJsonObject("responses").getJsonObject(String.valueOf(response.status()));
    assertNotNull(documented, method + " " + path + " answered " + response.status() + ", which is not documented: " + response.body());
    JsonObject schema = documented.getJsonObject("content").getJsonObject("application/json").getJsonObject("schema");
    Validator validator = Validator.create(JsonSchema.of((JsonObject) inline(schema)),
        new JsonSchemaOptions().setDraft(Draft.DRAFT202012).setBaseUri("https://genorch.invalid/"));
    OutputUnit result = validator.validate(response.json());
    assertTrue(result.getValid(), method + " " + path + " " + response.status() + " does not match the document: "
        + result.getErrors() + "\n" + response.body());
  }

  /** Replaces each {@code $ref} to #/components/schemas/… with the schema itself (the document has no cycles). */
  private static Object inline(Object node) {
    if (node instanceof JsonObject object) {
      String ref = object.getString("$ref");
      if (ref != null) {
        assertTrue(ref.startsWith("#/components/schemas/"), ref);
        return inline(doc.getJsonObject("components").getJsonObject("schemas").getJsonObject(ref.substring(21)));
      }
      JsonObject copy = new JsonObject();
      for (Map.Entry<String, Object> e : object) {
        copy.put(e.getKey(), inline(e.getValue()));
      }
      return copy;
    }
    if (node instanceof JsonArray array) {
      JsonArray copy = new JsonArray();
      array.forEach(v -> copy.add(inline(v)));
      return copy;
    }
    return node;
  }

  @Test
  void aMismatchIsCaught() {
    JsonObject generationSchema = (JsonObject) inline(new JsonObject().put("$ref", "#/components/schemas/Generation"));
    Validator validator = Validator.create(JsonSchema.of(generationSchema),
        new JsonSchemaOptions().setDraft(Draft.DRAFT202012).setBaseUri("https://genorch.invalid/"));
    JsonObject good = service.api().createGeneration(body()).json();
    assertTrue(validator.validate(good).getValid());
    assertFalse(validator.validate(good.copy().put("status", "done")).getValid(), "the check would notice a wrong status word");
    assertEquals(false, validator.validate(good.copy().put("id", "x")).getValid());
  }
}
