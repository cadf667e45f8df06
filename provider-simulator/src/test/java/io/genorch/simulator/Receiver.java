package io.genorch.simulator;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntUnaryOperator;

/** A tiny webhook receiver on loopback: records every POST and answers with a status chosen per request number. */
final class Receiver {

  /** One request received. */
  record Received(String path, JsonObject body, long atMillis) {
  }

  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final IntUnaryOperator statusForNth;
  private HttpServer server;

  private Receiver(IntUnaryOperator statusForNth) {
    this.statusForNth = statusForNth;
  }

  /** A receiver that answers {@code statusForNth.applyAsInt(n)} to its n-th request (1-based). */
  static Future<Receiver> start(Vertx vertx, IntUnaryOperator statusForNth) {
    Receiver r = new Receiver(statusForNth);
    return vertx.createHttpServer()
        .requestHandler(req -> req.body().onSuccess(buf -> {
          JsonObject body;
          try {
            body = buf.length() == 0 ? null : buf.toJsonObject();
          } catch (RuntimeException e) {
            body = null;
          }
          int n;
          synchronized (r) {
            r.received.add(new Received(req.path(), body, System.currentTimeMillis()));
            n = r.received.size();
          }
          req.response().setStatusCode(r.statusForNth.applyAsInt(n)).end("{\"ok\":true}");
        }))
        .listen(0, "127.0.0.1")
        .map(s -> {
          r.server = s;
          return r;
        });
  }

  static Future<Receiver> answering(Vertx vertx, int status) {
    return start(vertx, n -> status);
  }

  String url(String path) {
    return "http://127.0.0.1:" + server.actualPort() + path;
  }

  int count() {
    return received.size();
  }

  List<Received> received() {
    return new ArrayList<>(received);
  }

  Received first() {
    return received.get(0);
  }

  Future<Void> close() {
    return server.close();
  }
}
