package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.testing.Await;
import io.genorch.common.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A slow client cannot hold either port (client API, provider webhooks): headers and bodies trickled a byte at a
 * time are cut off at their bounds, and connections beyond the limit are closed, over raw sockets on loopback.
 */
class SlowClientTest {

  private static final long HEADER_TIMEOUT_MS = 500;
  private static final long BODY_TIMEOUT_MS = 800;
  /** The bound plus the guard's check interval, with room for a loaded machine; the trickle alone would go on. */
  private static final long CLOSED_WITHIN_MS = 4_000;

  @RegisterExtension
  static final ServiceUnderTest service = ServiceUnderTest.withoutProviders()
      .set("ORCH_HTTP_HEADER_TIMEOUT_MS", String.valueOf(HEADER_TIMEOUT_MS))
      .set("ORCH_HTTP_BODY_TIMEOUT_MS", String.valueOf(BODY_TIMEOUT_MS));

  private static int port(String which) {
    return which.equals("api") ? service.httpPort() : service.webhookPort();
  }

  private static String postHead(String which, int contentLength) {
    String path = which.equals("api") ? "/v1/generations" : "/webhooks/vidgo/some-token";
    return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TestOrchestrators.API_KEY
        + "\r\nContent-Type: application/json\r\nContent-Length: " + contentLength + "\r\n\r\n";
  }

  /** Writes {@code bytes} one every 100 ms on its own thread until done or the connection fails. */
  private static Thread trickle(Socket socket, byte[] bytes) {
    Thread writer = new Thread(() -> {
      try {
        OutputStream out = socket.getOutputStream();
        for (byte b : bytes) {
          out.write(b);
          out.flush();
          Thread.sleep(100);
        }
      } catch (IOException | InterruptedException e) {
        // the server closed the connection: what the test waits for
      }
    }, "trickle");
    writer.setDaemon(true);
    writer.start();
    return writer;
  }

  /** Everything the server sends until it closes the connection; fails if it keeps it open too long. */
  private static String readUntilClosed(Socket socket, long withinMs) throws IOException {
    socket.setSoTimeout((int) withinMs);
    ByteArrayOutputStream received = new ByteArrayOutputStream();
    InputStream in = socket.getInputStream();
    byte[] buffer = new byte[4096];
    try {
      for (int n; (n = in.read(buffer)) != -1; ) {
        received.write(buffer, 0, n);
      }
    } catch (SocketException reset) {
      // closed with unread bytes of ours in its buffer: a reset is a close as well
    }
    return received.toString(StandardCharsets.UTF_8);
  }

  @ParameterizedTest
  @ValueSource(strings = {"api", "webhook"})
  void tricklingHeadersIsCutOff(String which) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port(which))) {
      long started = System.nanoTime();
      Thread writer = trickle(socket, postHead(which, 2).getBytes(StandardCharsets.US_ASCII)); // ~13 s of trickle
      String answer = readUntilClosed(socket, CLOSED_WITHIN_MS);
      long tookMs = (System.nanoTime() - started) / 1_000_000;
      assertTrue(writer.isAlive(), "closed while the headers were still arriving");
      assertTrue(tookMs >= HEADER_TIMEOUT_MS && tookMs < CLOSED_WITHIN_MS, "closed after " + tookMs + " ms");
      assertEquals("", answer, "there is no request to answer yet");
      writer.interrupt();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"api", "webhook"})
  void tricklingTheBodyIsAnswered408AndClosed(String which) throws Exception {
    byte[] body = new JsonObject().put("provider", "vidgo").put("prompt", "slow").encode().getBytes(StandardCharsets.UTF_8);
    try (Socket socket = new Socket("127.0.0.1", port(which))) {
      OutputStream out = socket.getOutputStream();
      out.write(postHead(which, body.length).getBytes(StandardCharsets.US_ASCII));
      out.flush();
      long started = System.nanoTime();
      Thread writer = trickle(socket, body); // ~4 s of trickle
      String answer = readUntilClosed(socket, CLOSED_WITHIN_MS);
      long tookMs = (System.nanoTime() - started) / 1_000_000;
      assertTrue(writer.isAlive(), "closed while the body was still arriving");
      assertTrue(tookMs >= BODY_TIMEOUT_MS && tookMs < CLOSED_WITHIN_MS, "closed after " + tookMs + " ms");
      assertTrue(answer.startsWith("HTTP/1.1 408"), answer);
      JsonObject error = new JsonObject(answer.substring(answer.indexOf("\r\n\r\n") + 4)).getJsonObject("error");
      assertEquals("request_timeout", error.getString("code"), answer);
      writer.interrupt();
    }
  }

  @Test
  void aRequestSentAtNormalSpeedOnAKeptAliveConnectionIsServed() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", service.httpPort())) {
      for (int i = 0; i < 2; i++) {
        assertEquals("HTTP/1.1 200 OK", exchange(socket, "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
      }
    }
  }

  @Test
  void tricklingTheNextRequestsHeadersOnAKeptAliveConnectionIsCutOff() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", service.httpPort())) {
      assertEquals("HTTP/1.1 200 OK", exchange(socket, "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
      long started = System.nanoTime();
      Thread writer = trickle(socket, "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      assertEquals("", readUntilClosed(socket, CLOSED_WITHIN_MS));
      long tookMs = (System.nanoTime() - started) / 1_000_000;
      assertTrue(writer.isAlive(), "closed while the headers were still arriving");
      assertTrue(tookMs < CLOSED_WITHIN_MS, "closed after " + tookMs + " ms");
      writer.interrupt();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"api", "webhook"})
  void connectionsAboveTheLimitAreClosedUntilOthersClose(String which) throws Exception {
    TestDatabase ownDb = TestDatabase.create();
    Map<String, String> env = TestOrchestrators.baseConfig(ownDb);
    env.put("ORCH_HTTP_MAX_CONNECTIONS", "3");
    Orchestrator limited = TestOrchestrators.start(env);
    List<Socket> held = new ArrayList<>();
    try {
      int port = which.equals("api") ? limited.httpPort() : limited.webhookPort();
      String probe = which.equals("api") ? "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
          : "GET /webhooks/vidgo/t HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
      String served = which.equals("api") ? "HTTP/1.1 200 OK" : "HTTP/1.1 405 Method Not Allowed";
      for (int i = 0; i < 3; i++) {
        Socket socket = new Socket("127.0.0.1", port);
        held.add(socket);
        assertEquals(served, exchange(socket, probe), "connection " + (i + 1) + " is within the limit and kept alive");
      }

      try (Socket over = new Socket("127.0.0.1", port)) {
        over.getOutputStream().write(probe.getBytes(StandardCharsets.US_ASCII));
        assertEquals("", readUntilClosed(over, CLOSED_WITHIN_MS), "the fourth connection is closed unanswered");
      }

      held.remove(0).close();
      Await.until("a new connection served once one closed", Duration.ofSeconds(10), () -> {
        try (Socket again = new Socket("127.0.0.1", port)) {
          return exchange(again, probe);
        } catch (IOException e) {
          return e.toString();
        }
      }, served::equals);
    } finally {
      for (Socket socket : held) {
        socket.close();
      }
      TestOrchestrators.stop(limited);
      ownDb.close();
    }
  }

  /** Sends one request and reads the response (headers and a Content-Length body); returns the status line. */
  private static String exchange(Socket socket, String request) throws IOException {
    socket.setSoTimeout(5_000);
    socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
    InputStream in = socket.getInputStream();
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b == -1) {
        return head.length() == 0 ? "closed" : head.toString();
      }
      head.append((char) b);
    }
    int length = 0;
    for (String line : head.toString().split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    in.readNBytes(length);
    return head.substring(0, head.indexOf("\r\n"));
  }
}
