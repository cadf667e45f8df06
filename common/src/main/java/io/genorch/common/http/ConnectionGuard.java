package io.genorch.common.http;

import io.genorch.common.config.OrchConfig;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounds what slow or greedy clients can hold on one HTTP port. The idle timeout alone does not: a client that
 * sends a byte a second is never idle. So a connection must deliver a request's headers within
 * {@link Limits#headerTimeout} of opening, or of its previous response (an idle keep-alive connection waits no
 * longer than that either), each request's body must arrive whole within {@link Limits#bodyTimeout} of its headers
 * (else 408 with the JSON error body, and the connection is closed), and connections beyond
 * {@link Limits#maxConnections} are closed as soon as they open.
 *
 * <p>One guard serves one server of one verticle instance and is used from that instance's event loop: install it
 * from the verticle's {@code start} ({@link #createServer}). The deadlines are checked by one periodic timer, so a connection is closed at
 * most a tick (a quarter of the shorter bound, at most a second) after its deadline.
 */
public final class ConnectionGuard {

  private static final Logger LOG = LoggerFactory.getLogger(ConnectionGuard.class);

  /**
   * @param headerTimeout time to receive a request's headers (ORCH_HTTP_HEADER_TIMEOUT_MS)
   * @param bodyTimeout time to receive a request's body once its headers arrived (ORCH_HTTP_BODY_TIMEOUT_MS)
   * @param maxConnections open connections per port (ORCH_HTTP_MAX_CONNECTIONS)
   */
  public record Limits(Duration headerTimeout, Duration bodyTimeout, int maxConnections) {

    public Limits {
      if (headerTimeout.toMillis() < 1 || bodyTimeout.toMillis() < 1 || maxConnections < 1) {
        throw new IllegalArgumentException("ORCH_HTTP_HEADER_TIMEOUT_MS, ORCH_HTTP_BODY_TIMEOUT_MS and"
            + " ORCH_HTTP_MAX_CONNECTIONS must be at least 1");
      }
    }

    public static Limits from(OrchConfig config) {
      return new Limits(config.httpHeaderTimeout(), config.httpBodyTimeout(), config.httpMaxConnections());
    }
  }

  /** What the guard knows of one open connection; touched only on the event loop. */
  private static final class Tracked {
    final Map<HttpServerRequest, Long> inFlight = new HashMap<>();
    long waitingSince;

    Tracked(long now) {
      waitingSince = now;
    }
  }

  private final Vertx vertx;
  private final Limits limits;
  private final String port;
  private final Map<HttpConnection, Tracked> connections = new ConcurrentHashMap<>();
  private final AtomicInteger open = new AtomicInteger();
  private boolean refusing;

  private ConnectionGuard(Vertx vertx, Limits limits, String port) {
    this.vertx = vertx;
    this.limits = limits;
    this.port = port;
  }

  /**
   * An HTTP server whose connections and requests pass through a new guard before {@code requests} sees them.
   *
   * <p>Cleartext HTTP/2 is switched off: with it on, Vert.x makes the HTTP/1 connection only once the first request
   * head has arrived (to tell an h2c upgrade from a plain request), so a client trickling that head would be
   * invisible to the guard. Neither port needs h2c.
   *
   * @param options the server's options, which this changes as said
   * @param port names the port in logs, e.g. "client API"
   */
  public static HttpServer createServer(Vertx vertx, HttpServerOptions options, Limits limits, String port,
      Handler<HttpServerRequest> requests) {
    ConnectionGuard guard = new ConnectionGuard(vertx, limits, port);
    HttpServer server = vertx.createHttpServer(options.setHttp2ClearTextEnabled(false));
    server.connectionHandler(guard::connected).requestHandler(guard.track(requests));
    long shorter = Math.min(limits.headerTimeout().toMillis(), limits.bodyTimeout().toMillis());
    vertx.setPeriodic(Math.max(10, Math.min(shorter / 4, 1_000)), t -> guard.sweep());
    return server;
  }

  /** {@code handler}, with each request noted first so that its body deadline runs. */
  private Handler<HttpServerRequest> track(Handler<HttpServerRequest> handler) {
    return request -> {
      Tracked tracked = connections.get(request.connection());
      if (tracked != null) {
        tracked.inFlight.put(request, System.currentTimeMillis());
        tracked.waitingSince = 0;
      }
      handler.handle(request);
    };
  }

  private void connected(HttpConnection connection) {
    if (open.incrementAndGet() > limits.maxConnections()) {
      open.decrementAndGet();
      if (!refusing) {
        refusing = true;
        LOG.warn("{} port: {} connections open, the limit (ORCH_HTTP_MAX_CONNECTIONS); closing new ones until some"
            + " close", port, limits.maxConnections());
      }
      connection.close();
      return;
    }
    refusing = false;
    connections.put(connection, new Tracked(System.currentTimeMillis()));
    connection.closeHandler(v -> {
      if (connections.remove(connection) != null) {
        open.decrementAndGet();
      }
    });
  }

  private void sweep() {
    long now = System.currentTimeMillis();
    connections.forEach((connection, tracked) -> {
      tracked.inFlight.keySet().removeIf(request -> request.response().ended());
      for (Map.Entry<HttpServerRequest, Long> entry : tracked.inFlight.entrySet()) {
        HttpServerRequest request = entry.getKey();
        if (!request.isEnded() && now - entry.getValue() > limits.bodyTimeout().toMillis()) {
          bodyTimedOut(connection, request);
          return;
        }
      }
      if (!tracked.inFlight.isEmpty()) {
        tracked.waitingSince = 0;
      } else if (tracked.waitingSince == 0) {
        tracked.waitingSince = now; // its last response has ended: the next request's headers are due
      } else if (now - tracked.waitingSince > limits.headerTimeout().toMillis()) {
        // no request object exists before the headers are read, so there is nothing to answer with
        LOG.debug("{} port: closing a connection from {} that sent no complete request headers in time", port,
            connection.remoteAddress());
        connection.close();
      }
    });
  }

  private void bodyTimedOut(HttpConnection connection, HttpServerRequest request) {
    LOG.debug("{} port: request body from {} not received within {} ms, answered 408", port,
        connection.remoteAddress(), limits.bodyTimeout().toMillis());
    HttpServerResponse response = request.response();
    if (response.headWritten()) {
      connection.close();
      return;
    }
    JsonObject error = new JsonObject().put("error", new JsonObject().put("code", "request_timeout")
        .put("message", "the request body did not arrive within " + limits.bodyTimeout().toMillis() + " ms"));
    response.setStatusCode(408)
        .putHeader("Content-Type", "application/json")
        .putHeader("Connection", "close")
        .end(error.toBuffer())
        .onComplete(done -> connection.close());
  }
}
