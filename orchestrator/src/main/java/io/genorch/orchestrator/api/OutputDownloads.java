package io.genorch.orchestrator.api;

import io.genorch.common.domain.Generation;
import io.genorch.common.domain.Output;
import io.genorch.common.outputs.OutputStore;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /v1/generations/{id}/outputs/{index}} (docs/API.md section 7): the kept copy of one output, streamed
 * from the store with its type, length and sha256 as ETag, and one {@code Range} answered 206 (players seek); or,
 * with {@code ORCH_S3_PRESIGNED_REDIRECT}, a 302 to a presigned URL. {@code 409 not_stored} (with the provider's
 * {@code sourceUrl}) while no copy exists.
 */
final class OutputDownloads implements Handler<RoutingContext> {

  private static final Logger LOG = LoggerFactory.getLogger(OutputDownloads.class);
  static final Duration PRESIGNED_VALIDITY = Duration.ofMinutes(15);

  private final GenerationService service;
  private final OutputStore store;
  private final boolean presignedRedirect;

  /** @param store null when ORCH_STORAGE=off */
  OutputDownloads(GenerationService service, OutputStore store, boolean presignedRedirect) {
    this.service = service;
    this.store = store;
    this.presignedRedirect = presignedRedirect;
  }

  @Override
  public void handle(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    int index;
    try {
      index = Integer.parseInt(ctx.pathParam("index"));
    } catch (NumberFormatException e) {
      index = -1;
    }
    int wanted = index;
    service.get(id).onFailure(ctx::fail).onSuccess(generation -> {
      if (wanted < 0 || wanted >= generation.outputs().size()) {
        ctx.fail(ApiException.notFound("generation " + id + " has no output " + ctx.pathParam("index")));
        return;
      }
      serve(ctx, generation, wanted);
    });
  }

  private void serve(RoutingContext ctx, Generation generation, int index) {
    Output output = generation.outputs().get(index);
    if (output.storedAt() == null || store == null) {
      notStored(ctx, output);
      return;
    }
    String key = generation.id() + "/" + index;
    if (presignedRedirect) {
      store.presignedUrl(key, PRESIGNED_VALIDITY).onFailure(ctx::fail).onSuccess(url -> {
        if (url == null) {
          stream(ctx, output, key);
        } else {
          ctx.response().setStatusCode(302).putHeader("Location", url).end();
        }
      });
      return;
    }
    stream(ctx, output, key);
  }

  private void stream(RoutingContext ctx, Output output, String key) {
    long size = output.bytes();
    ByteRange range = ByteRange.parse(ctx.request().getHeader("Range"), size);
    HttpServerResponse response = ctx.response()
        .putHeader("Accept-Ranges", "bytes")
        .putHeader("ETag", "\"" + output.sha256() + "\"");
    if (range == ByteRange.UNSATISFIABLE) {
      response.setStatusCode(416).putHeader("Content-Range", "bytes */" + size).end();
      return;
    }
    long start = range == null ? 0 : range.start();
    long length = range == null ? size : range.length();
    Future<?> opened = length == 0 ? Future.succeededFuture() : store.read(key, start, length);
    opened.onFailure(err -> {
      if (err instanceof NoSuchFileException) {
        notStored(ctx, output); // deleted meanwhile
      } else {
        ctx.fail(err);
      }
    }).onSuccess(stream -> {
      response.setStatusCode(range == null ? 200 : 206)
          .putHeader("Content-Type", output.contentType())
          .putHeader("Content-Length", Long.toString(length));
      if (range != null) {
        response.putHeader("Content-Range", "bytes " + range.start() + "-" + range.end() + "/" + size);
      }
      if (stream == null) {
        response.end();
        return;
      }
      @SuppressWarnings("unchecked")
      io.vertx.core.streams.ReadStream<io.vertx.core.buffer.Buffer> body =
          (io.vertx.core.streams.ReadStream<io.vertx.core.buffer.Buffer>) stream;
      body.pipeTo(response).onComplete(ar -> {
        if (body instanceof AsyncFile file) {
          file.close();
        }
        if (ar.failed()) {
          LOG.debug("Serving {} ended early: {}", key, ar.cause().toString());
        }
      });
    });
  }

  private static void notStored(RoutingContext ctx, Output output) {
    JsonObject error = new JsonObject().put("code", "not_stored")
        .put("message", "no copy of this output is kept (yet); sourceUrl is the provider's link")
        .put("sourceUrl", output.sourceUrl());
    ctx.response().setStatusCode(409).putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("error", error).encode());
  }
}
