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
import java.util.concurrent.CompletableFuture;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.multipart.MultipartConfiguration;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * Copies in an S3-compatible store ({@code ORCH_STORAGE=s3}), through the AWS SDK's async client. The download is
 * spooled to a local temporary file first (checked: whole, within the size limit, its hash known) and uploaded only
 * then, with multipart upload for large files, so an object in the bucket is always a whole, checked copy.
 */
public final class S3OutputStore implements OutputStore {

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
        .responseChecksumValidation(ResponseChecksumValidation.fromValue(options.checksums()))
        .multipartEnabled(true)
        .multipartConfiguration(MultipartConfiguration.builder()
            .thresholdInBytes(MULTIPART_THRESHOLD).minimumPartSizeInBytes(PART_BYTES).build());
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
    return Files.createTempFile(spool, OutputStore.checkedKey(key).replace('/', '-') + ".", ".part");
  }

  @Override
  public Future<Void> commit(Path temp, String key, String contentType) {
    CompletableFuture<?> upload = client.putObject(
        b -> b.bucket(bucket).key(OutputStore.checkedKey(key)).contentType(contentType), AsyncRequestBody.fromFile(temp));
    return Future.fromCompletionStage(upload, vertx.getOrCreateContext())
        .eventually(() -> vertx.executeBlocking(() -> Files.deleteIfExists(temp), false))
        .mapEmpty();
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
