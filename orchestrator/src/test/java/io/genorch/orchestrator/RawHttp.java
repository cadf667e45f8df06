package io.genorch.orchestrator;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * HTTP/1.1 over a plain socket, for requests no regular client sends as written: raw bytes in the body, malformed
 * percent-escapes in the path, broken request lines. Each request is sent with {@code Connection: close}.
 */
final class RawHttp {

  record Response(int status, String headers, String body) {
    JsonObject error() {
      return new JsonObject(body).getJsonObject("error");
    }

    boolean isJson() {
      return headers.toLowerCase(Locale.ROOT).contains("content-type: application/json");
    }
  }

  private RawHttp() {}

  static Response get(int port, String rawTarget, String... headerLines) {
    return exchange(port, head("GET", rawTarget, headerLines).getBytes(StandardCharsets.ISO_8859_1));
  }

  static Response postJson(int port, String rawTarget, byte[] body, String... headerLines) {
    String head = "POST " + rawTarget + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n"
        + String.join("", java.util.Arrays.stream(headerLines).map(h -> h + "\r\n").toList()) + "\r\n";
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    request.writeBytes(head.getBytes(StandardCharsets.ISO_8859_1));
    request.writeBytes(body);
    return exchange(port, request.toByteArray());
  }

  static String head(String method, String rawTarget, String... headerLines) {
    return method + " " + rawTarget + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        + String.join("", java.util.Arrays.stream(headerLines).map(h -> h + "\r\n").toList()) + "\r\n";
  }

  /** Sends the bytes as they are and reads the answer until the server closes the connection. */
  static Response exchange(int port, byte[] request) {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(20_000);
      OutputStream out = socket.getOutputStream();
      out.write(request);
      out.flush();
      InputStream in = socket.getInputStream();
      String all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      int split = all.indexOf("\r\n\r\n");
      if (split < 0) {
        throw new AssertionError("no HTTP answer: " + all);
      }
      String headers = all.substring(0, split);
      String body = all.substring(split + 4);
      if (headers.toLowerCase(Locale.ROOT).contains("transfer-encoding: chunked")) {
        body = unchunk(body);
      }
      int status = Integer.parseInt(headers.substring(9, 12));
      return new Response(status, headers, body);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String unchunk(String chunked) {
    StringBuilder out = new StringBuilder();
    int at = 0;
    while (true) {
      int eol = chunked.indexOf("\r\n", at);
      int size = Integer.parseInt(chunked.substring(at, eol).trim(), 16);
      if (size == 0) {
        return out.toString();
      }
      out.append(chunked, eol + 2, eol + 2 + size);
      at = eol + 2 + size + 2;
    }
  }
}
