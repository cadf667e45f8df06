package io.genorch.common.http;

import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;

/**
 * Requests HTTP itself cannot read (a broken request line or header, a URI or headers over the decoder's limits),
 * answered in the contract's error shape instead of Vert.x's empty default, on whichever port they arrive. They
 * are the sender's fault, so nothing is logged. The connection is closed afterwards: the decoder has lost its
 * place in the stream.
 */
public final class InvalidRequests {

  private InvalidRequests() {}

  /** Sets this answer as the server's invalid request handler. */
  public static HttpServer answerAsJson(HttpServer server) {
    return server.invalidRequestHandler(InvalidRequests::answer);
  }

  static void answer(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    int status;
    String code;
    String message;
    if (cause instanceof TooLongHttpLineException) {
      status = 414;
      code = "uri_too_long";
      message = "the request line is longer than this server reads";
    } else if (cause instanceof TooLongHttpHeaderException) {
      status = 431;
      code = "headers_too_large";
      message = "the request headers are larger than this server reads";
    } else {
      status = 400;
      code = "invalid_request";
      message = "the request is not well-formed HTTP";
    }
    String body = new JsonObject()
        .put("error", new JsonObject().put("code", code).put("message", message))
        .encode();
    request.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .putHeader("Connection", "close")
        .end(body)
        .onComplete(done -> request.connection().close());
  }
}
