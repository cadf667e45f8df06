package io.genorch.orchestrator.outputs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.testing.Await;
import io.genorch.common.net.PublicAddresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpServer;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The private-address rule on every hop of a download, and the limits, against a real HTTP source on loopback. The
 * rule under test admits exactly 127.0.0.1 (where the source runs) and refuses every other private address, as the
 * service refuses all of them unless ORCH_CALLBACK_ALLOW_PRIVATE=true.
 */
class OutputDownloaderTest {

  private static final Predicate<InetAddress> ALL_PRIVATE_BUT_THE_SOURCE =
      a -> !PublicAddresses.isPublic(a) && !a.getHostAddress().equals("127.0.0.1");

  private static Vertx vertx;
  private static HttpServer source;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    source = Await.result(vertx.createHttpServer().requestHandler(req -> {
      switch (req.path()) {
        case "/file" -> req.response().putHeader("Content-Type", "video/mp4").end(Buffer.buffer(new byte[1000]));
        case "/chunked" -> {
          req.response().setChunked(true).putHeader("Content-Type", "video/mp4");
          for (int i = 0; i < 10; i++) {
            req.response().write(Buffer.buffer(new byte[1000]));
          }
          req.response().end();
        }
        case "/to-metadata" -> redirect(req, "http://169.254.169.254/latest/meta-data/");
        case "/to-loopback" -> redirect(req, "http://127.0.0.2:" + req.localAddress().port() + "/file");
        case "/to-file" -> redirect(req, "/file");
        case "/loop" -> redirect(req, "/loop");
        default -> req.response().setStatusCode(404).end();
      }
    }).listen(0, "127.0.0.1"));
  }

  private static void redirect(io.vertx.core.http.HttpServerRequest req, String location) {
    req.response().setStatusCode(302).putHeader("Location", location).end();
  }

  @AfterAll
  static void stop() {
    Await.result(vertx.close());
  }

  private static Throwable failure(Predicate<InetAddress> refused, long maxBytes, String path) throws Exception {
    // a client per download: a refused download closes its connection, and a shared pool may hand that connection
    // to the next download in the instant before the close lands (an attempt the copier would simply retry)
    HttpClient client = vertx.createHttpClient();
    OutputDownloader downloader = new OutputDownloader(vertx, client, refused, maxBytes, Duration.ofSeconds(5),
        Duration.ofSeconds(10));
    Path file = Files.createTempFile("download", ".part");
    return Await.result(downloader.download("http://127.0.0.1:" + source.actualPort() + path, file)
        .transform(ar -> Future.succeededFuture(ar.cause())));
  }

  @Test
  void aRedirectToTheMetadataAddressIsRefusedBeforeAnyConnection() throws Exception {
    Throwable refused = failure(ALL_PRIVATE_BUT_THE_SOURCE, 1_000_000, "/to-metadata");
    assertInstanceOf(OutputDownloader.Refused.class, refused);
    assertTrue(refused.getMessage().contains("169.254.169.254"), refused.getMessage());
  }

  @Test
  void aRedirectToAnotherLoopbackAddressIsRefused() throws Exception {
    Throwable refused = failure(ALL_PRIVATE_BUT_THE_SOURCE, 1_000_000, "/to-loopback");
    assertInstanceOf(OutputDownloader.Refused.class, refused);
    assertTrue(refused.getMessage().contains("127.0.0.2"), refused.getMessage());
  }

  @Test
  void aLoopbackSourceIsRefusedByTheServiceRule() throws Exception {
    Throwable refused = failure(a -> !PublicAddresses.isPublic(a), 1_000_000, "/file");
    assertInstanceOf(OutputDownloader.Refused.class, refused);
    assertTrue(refused.getMessage().contains("127.0.0.1"), refused.getMessage());
  }

  @Test
  void aPermittedRedirectIsFollowedAndMoreThanThreeAreRefused() throws Exception {
    assertEquals(null, failure(ALL_PRIVATE_BUT_THE_SOURCE, 1_000_000, "/to-file"));
    Throwable loop = failure(ALL_PRIVATE_BUT_THE_SOURCE, 1_000_000, "/loop");
    assertInstanceOf(OutputDownloader.Refused.class, loop);
    assertTrue(loop.getMessage().contains("more than 3 redirects"), loop.getMessage());
  }

  @Test
  void aBodyWithoutLengthIsCutOffAtTheLimit() throws Exception {
    Throwable refused = failure(null, 5_000, "/chunked");
    assertInstanceOf(OutputDownloader.Refused.class, refused);
    assertTrue(refused.getMessage().contains("ORCH_STORAGE_MAX_BYTES"), refused.getMessage());
    assertEquals(null, failure(null, 10_000, "/chunked"));
  }
}
