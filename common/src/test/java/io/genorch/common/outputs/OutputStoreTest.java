package io.genorch.common.outputs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.outputs.StorageOptions.S3Options;
import io.genorch.common.testing.Await;
import io.genorch.common.testing.S3ProxyServer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Both stores against the real thing: a directory, and a real S3 API server (s3proxy) in-process. */
class OutputStoreTest {

  private static Vertx vertx;
  private static S3ProxyServer s3;
  private static Path dir;

  @BeforeAll
  static void setUp() throws Exception {
    vertx = Vertx.vertx();
    s3 = new S3ProxyServer();
    dir = Files.createTempDirectory("outputs-store");
  }

  @AfterAll
  static void tearDown() {
    Await.result(vertx.close());
    s3.close();
  }

  static Stream<String> kinds() {
    return Stream.of("fs", "s3");
  }

  private static OutputStore store(String kind) {
    return kind.equals("fs")
        ? new FsOutputStore(vertx, dir.resolve("fs"))
        : new S3OutputStore(vertx, dir.resolve("spool"), s3.options());
  }

  private static byte[] bytes(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static byte[] readAll(OutputStore store, String key, long offset, long length) {
    Promise<Buffer> all = Promise.promise();
    Buffer collected = Buffer.buffer();
    Future<ReadStream<Buffer>> opened = store.read(key, offset, length);
    opened.onFailure(all::fail).onSuccess(stream -> {
      stream.exceptionHandler(all::fail);
      stream.endHandler(v -> all.tryComplete(collected));
      stream.handler(collected::appendBuffer);
    });
    return Await.result(all.future()).getBytes();
  }

  private static void commit(OutputStore store, String key, byte[] content) throws Exception {
    Path temp = store.newTempFile(key);
    Files.write(temp, content);
    Await.result(store.commit(temp, key, "video/mp4"));
    assertFalse(Files.exists(temp), "the temporary file is gone once committed");
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void aCommittedObjectReadsBackWholeAndInRanges(String kind) throws Exception {
    OutputStore store = store(kind);
    byte[] content = bytes(100_000, 1);
    String key = "gen_" + kind + "a/0";
    commit(store, key, content);
    assertArrayEquals(content, readAll(store, key, 0, content.length));
    assertArrayEquals(Arrays.copyOfRange(content, 100, 200), readAll(store, key, 100, 100));
    assertArrayEquals(Arrays.copyOfRange(content, 99_990, 100_000), readAll(store, key, 99_990, 10));
    store.close();
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void nothingIsVisibleBeforeTheCommitAndNothingAfterTheDelete(String kind) throws Exception {
    OutputStore store = store(kind);
    String key = "gen_" + kind + "b/0";
    Path temp = store.newTempFile(key);
    Files.write(temp, bytes(1000, 2));
    assertNoSuchObject(store, key);
    Await.result(store.commit(temp, key, "video/mp4"));
    assertEquals(1000, readAll(store, key, 0, 1000).length);
    Await.result(store.delete(key));
    assertNoSuchObject(store, key);
    Await.result(store.delete(key)); // gone already: no error
    store.close();
  }

  private static void assertNoSuchObject(OutputStore store, String key) {
    Throwable failure = Await.result(store.read(key, 0, 10).transform(ar -> Future.succeededFuture(ar.cause())));
    assertInstanceOf(NoSuchFileException.class, failure instanceof CompletionException ? failure.getCause() : failure);
  }

  @Test
  void aLargeFileGoesUpInPartsAndComesBackTheSame() throws Exception {
    OutputStore store = store("s3");
    byte[] content = bytes(20 << 20, 3); // above the multipart threshold: uploaded in parts
    commit(store, "gen_large/0", content);
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    assertArrayEquals(sha.digest(content), sha.digest(readAll(store, "gen_large/0", 0, content.length)));
    store.close();
  }

  @Test
  void aPresignedUrlReadsTheObjectWithoutTheService() throws Exception {
    OutputStore store = store("s3");
    byte[] content = bytes(5000, 4);
    commit(store, "gen_presigned/0", content);
    String url = Await.result(store.presignedUrl("gen_presigned/0", Duration.ofMinutes(5)));
    HttpResponse<byte[]> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, response.statusCode());
    assertArrayEquals(content, response.body());
    assertTrue(s3.holds("gen_presigned/0"));
    store.close();
  }

  @Test
  void keysAreCheckedSoNoneLeavesTheDirectory() {
    OutputStore store = store("fs");
    for (String bad : new String[] {"../x", "a/../../b", "/etc/passwd", "a b"}) {
      try {
        store.newTempFile(bad);
        throw new AssertionError(bad + " was accepted");
      } catch (IllegalArgumentException expected) {
        // refused
      } catch (java.io.IOException e) {
        throw new AssertionError(e);
      }
    }
  }

  @Test
  void aMultipartUploadThatFailsIsAbortedAndShowsNothing() throws Exception {
    OutputStore store = store("s3");
    String key = "gen_failedparts/0";
    Path temp = store.newTempFile(key);
    Files.write(temp, bytes(20 << 20, 5)); // three parts: the second one fails
    s3.failPartsAfterTheFirst(true);
    try {
      Throwable failure = Await.result(store.commit(temp, key, "video/mp4")
          .transform(ar -> Future.succeededFuture(ar.cause())));
      assertNotNull(failure, "the upload failed");
    } finally {
      s3.failPartsAfterTheFirst(false);
    }
    assertFalse(s3.holds(key), "no object from a part of the upload");
    assertFalse(s3.unfinishedUploads().contains(key), "the upload was aborted, so no parts stay in the bucket");
    assertFalse(Files.exists(temp));
    store.close();
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void whatACutOffAttemptLeftIsDiscardedBeforeTheCopyIsTriedAgain(String kind) throws Exception {
    OutputStore store = store(kind);
    String key = "gen_" + kind + "crash/1";
    Path left = store.newTempFile(key);
    Files.write(left, bytes(1000, 6));
    Path otherOutput = store.newTempFile("gen_" + kind + "crash/10"); // another copy's, perhaps running now
    if (kind.equals("s3")) {
      beginUpload(key, bytes(5 << 20, 7));
      assertTrue(s3.unfinishedUploads().contains(key));
    }
    Await.result(store.discardPartial(key));
    assertFalse(Files.exists(left), "the cut-off attempt's temporary file is gone");
    assertTrue(Files.exists(otherOutput), "another output's is not touched");
    if (kind.equals("s3")) {
      assertFalse(s3.unfinishedUploads().contains(key), "the cut-off attempt's multipart upload was aborted");
    }
    Await.result(store.discardPartial("gen_" + kind + "nothing/0")); // nothing left: no error
    Files.delete(otherOutput);
    store.close();
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void theStartDeletesOnlyTemporaryFilesLeftUntouched(String kind) throws Exception {
    Path root = dir.resolve("sweep-" + kind);
    OutputStore store = kind.equals("fs") ? new FsOutputStore(vertx, root)
        : new S3OutputStore(vertx, root.resolve("spool"), s3.options());
    commit(store, "gen_" + kind + "sweep/0", bytes(100, 8));
    Path stale = store.newTempFile("gen_" + kind + "sweep/1");
    Files.setLastModifiedTime(stale, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
    Path fresh = store.newTempFile("gen_" + kind + "sweep/2");
    assertEquals(1, store.sweepTempFiles(Duration.ofHours(1)));
    assertFalse(Files.exists(stale));
    assertTrue(Files.exists(fresh), "a file written just now may be a copy in progress");
    assertEquals(100, readAll(store, "gen_" + kind + "sweep/0", 0, 100).length, "objects are not temporary files");
    store.close();
  }

  /** Begins a multipart upload of {@code key} over the S3 API and uploads one part, as a cut-off attempt leaves. */
  private static void beginUpload(String key, byte[] firstPart) {
    S3Options o = s3.options();
    try (S3AsyncClient client = S3AsyncClient.builder().region(Region.of(o.region()))
        .endpointOverride(URI.create(o.endpoint().orElseThrow())).forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(
            o.accessKeyId().orElseThrow(), o.secretAccessKey().orElseThrow())))
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED).build()) {
      String uploadId = client.createMultipartUpload(b -> b.bucket(o.bucket()).key(key)).join().uploadId();
      client.uploadPart(b -> b.bucket(o.bucket()).key(key).uploadId(uploadId).partNumber(1),
          AsyncRequestBody.fromBytes(firstPart)).join();
    }
  }

  @Test
  void aClosedS3StoreMakesNoMoreRequests() {
    OutputStore store = store("s3");
    Await.result(store.delete("gen_closed/0"));
    store.close();
    assertThrows(Throwable.class, () -> Await.result(store.delete("gen_closed/0")));
  }
}
