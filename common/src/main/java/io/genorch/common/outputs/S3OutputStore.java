package io.genorch.common.outputs;

import io.genorch.common.outputs.StorageOptions.S3Options;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.core.FileRequestBodyConfiguration;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.NoSuchUploadException;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * Copies in an S3-compatible store ({@code ORCH_STORAGE=s3}), through the AWS SDK's async client. The download is
 * spooled to a local temporary file first (checked: whole, within the size limit, its hash known) and uploaded only
 * then, so an object in the bucket is always a whole, checked copy. Large files go up in parts, driven here rather
 * than by the SDK's multipart client: that one sends {@code x-amz-mp-object-size}, a header S3 itself knows but
 * stricter S3-compatible servers refuse (s3proxy answers 501), and doing it here lets a failed upload be aborted and
 * the unfinished upload of a crashed attempt be found and aborted by the next one ({@link #discardPartial}).
 */
public final class S3OutputStore implements OutputStore {

  private static final Logger LOG = LoggerFactory.getLogger(S3OutputStore.class);

  /** Files above this go up in parts of {@link #PART_BYTES}, read from the spooled file part by part. */
  static final long MULTIPART_THRESHOLD = 16L << 20;
  static final long PART_BYTES = 8L << 20;

  private final Vertx vertx;
  private final Path spool;
  private final String bucket;
  private final S3AsyncClient client;
  private final S3Presigner presigner;

  public S3OutputStore(Vertx vertx, Path spool, S3Options options) {
    this.vertx = vertx;
    this.spool = spool.toAbsolutePath().normalize();
    this.bucket = options.bucket();
    AwsCredentialsProvider credentials = options.accessKeyId().isPresent()
        ? StaticCredentialsProvider.create(AwsBasicCredentials.create(
            options.accessKeyId().get(), options.secretAccessKey().orElse("")))
        : DefaultCredentialsProvider.builder().build();
    S3AsyncClientBuilder builder = S3AsyncClient.builder()
        .region(Region.of(options.region()))
        .credentialsProvider(credentials)
        .forcePathStyle(options.pathStyle())
        .requestChecksumCalculation(RequestChecksumCalculation.fromValue(options.checksums()))
        .responseChecksumValidation(ResponseChecksumValidation.fromValue(options.checksums()));
    S3Presigner.Builder presignerBuilder = S3Presigner.builder()
        .region(Region.of(options.region()))
        .credentialsProvider(credentials)
        .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(options.pathStyle()).build());
    options.endpoint().ifPresent(endpoint -> {
      builder.endpointOverride(URI.create(endpoint));
      presignerBuilder.endpointOverride(URI.create(endpoint));
    });
    this.client = builder.build();
    this.presigner = presignerBuilder.build();
  }

  @Override
  public Path newTempFile(String key) throws IOException {
    Files.createDirectories(spool);
    return Files.createTempFile(spool, tempPrefix(key), ".part");
  }

  private static String tempPrefix(String key) {
    return OutputStore.checkedKey(key).replace('/', '-') + ".";
  }

  @Override
  public Future<Void> commit(Path temp, String key, String contentType) {
    OutputStore.checkedKey(key);
    return vertx.executeBlocking(() -> Files.size(temp), false)
        .compose(size -> size > MULTIPART_THRESHOLD
            ? uploadInParts(temp, size, key, contentType)
            : on(client.putObject(b -> b.bucket(bucket).key(key).contentType(contentType),
                AsyncRequestBody.fromFile(temp))).<Void>mapEmpty())
        .eventually(() -> vertx.executeBlocking(() -> Files.deleteIfExists(temp), false));
  }

  /**
   * One part after the other, each read from its place in the file; completed only once every part is up, and
   * aborted on any failure, so the bucket never shows a part of an object nor keeps the parts of a failed upload.
   */
  private Future<Void> uploadInParts(Path file, long size, String key, String contentType) {
    return on(client.createMultipartUpload(b -> b.bucket(bucket).key(key).contentType(contentType)))
        .compose(created -> {
          String uploadId = created.uploadId();
          List<CompletedPart> parts = new ArrayList<>();
          return uploadParts(file, size, key, uploadId, 1, parts)
              .compose(v -> on(client.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId)
                  .multipartUpload(m -> m.parts(parts)))))
              .<Void>mapEmpty()
              .recover(err -> abort(key, uploadId).transform(ignored -> Future.<Void>failedFuture(err)));
        });
  }

  private Future<Void> uploadParts(Path file, long size, String key, String uploadId, int number,
      List<CompletedPart> parts) {
    long offset = (number - 1) * PART_BYTES;
    if (offset >= size) {
      return Future.succeededFuture();
    }
    long length = Math.min(PART_BYTES, size - offset);
    AsyncRequestBody body = AsyncRequestBody.fromFile(FileRequestBodyConfiguration.builder()
        .path(file).position(offset).numBytesToRead(length).build());
    return on(client.uploadPart(b -> b.bucket(bucket).key(key).uploadId(uploadId).partNumber(number)
            .contentLength(length), body))
        .compose(uploaded -> {
          parts.add(CompletedPart.builder().partNumber(number).eTag(uploaded.eTag()).build());
          return uploadParts(file, size, key, uploadId, number + 1, parts);
        });
  }

  private Future<Void> abort(String key, String uploadId) {
    return on(client.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId))).<Void>mapEmpty()
        .recover(err -> err instanceof NoSuchUploadException ? Future.succeededFuture() : Future.failedFuture(err))
        .onFailure(err -> LOG.warn("Aborting the unfinished upload {} of {} failed: {}", uploadId, key,
            unwrap(err).toString()));
  }

  /** Unfinished uploads to {@code key} (a crashed attempt's) are aborted; its spooled file here is deleted. */
  @Override
  public Future<Void> discardPartial(String key) {
    String prefix = tempPrefix(key);
    Future<Void> spooled = vertx.executeBlocking(() -> {
      if (Files.isDirectory(spool)) {
        try (Stream<Path> files = Files.list(spool)) {
          for (Path temp : (Iterable<Path>) files.filter(p -> p.getFileName().toString().startsWith(prefix)
              && p.getFileName().toString().endsWith(".part"))::iterator) {
            Files.deleteIfExists(temp);
          }
        }
      }
      return null;
    }, false);
    Future<Void> uploads = on(client.listMultipartUploads(b -> b.bucket(bucket).prefix(key)))
        .compose(listed -> Future.join(listed.uploads().stream()
            .filter(upload -> upload.key().equals(key))
            .map(upload -> abort(key, upload.uploadId()))
            .toList()))
        .mapEmpty();
    return Future.all(spooled, uploads).mapEmpty();
  }

  @Override
  public int sweepTempFiles(Duration untouchedFor) throws IOException {
    return FsOutputStore.sweep(spool, untouchedFor, p -> p.getFileName().toString().endsWith(".part"));
  }

  /** The SDK's future, completed on a Vert.x context, its failure unwrapped from the CompletionException. */
  private <T> Future<T> on(CompletableFuture<T> sdk) {
    return Future.fromCompletionStage(sdk, vertx.getOrCreateContext())
        .recover(err -> Future.failedFuture(unwrap(err)));
  }

  @Override
  public Future<Void> delete(String key) {
    return Future.fromCompletionStage(client.deleteObject(b -> b.bucket(bucket).key(OutputStore.checkedKey(key))),
        vertx.getOrCreateContext()).mapEmpty();
  }

  @Override
  public Future<ReadStream<Buffer>> read(String key, long offset, long length) {
    Context context = vertx.getOrCreateContext();
    String range = "bytes=" + offset + "-" + (offset + length - 1);
    return Future.fromCompletionStage(client.getObject(
            b -> b.bucket(bucket).key(OutputStore.checkedKey(key)).range(range),
            AsyncResponseTransformer.toPublisher()), context)
        .recover(err -> Future.failedFuture(unwrap(err) instanceof NoSuchKeyException
            ? new java.nio.file.NoSuchFileException(key) : unwrap(err)))
        .map(publisher -> {
          PublisherReadStream stream = new PublisherReadStream(context);
          publisher.subscribe(stream);
          return stream;
        });
  }

  private static Throwable unwrap(Throwable err) {
    return err instanceof java.util.concurrent.CompletionException && err.getCause() != null ? err.getCause() : err;
  }

  @Override
  public Future<String> presignedUrl(String key, Duration validity) {
    return vertx.executeBlocking(() -> presigner.presignGetObject(p -> p.signatureDuration(validity)
        .getObjectRequest(g -> g.bucket(bucket).key(OutputStore.checkedKey(key)))).url().toString(), false);
  }

  @Override
  public void close() {
    client.close();
    presigner.close();
  }
}
