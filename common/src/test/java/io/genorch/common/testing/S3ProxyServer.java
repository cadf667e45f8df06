package io.genorch.common.testing;

import io.genorch.common.outputs.StorageOptions.S3Options;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;
import org.jclouds.blobstore.domain.MultipartPart;
import org.jclouds.blobstore.domain.MultipartUpload;
import org.jclouds.blobstore.util.ForwardingBlobStore;
import org.jclouds.io.Payload;

/** A real S3 API server (s3proxy over jclouds' filesystem store) on a loopback port, for tests of ORCH_STORAGE=s3. */
public final class S3ProxyServer implements AutoCloseable {

  public static final String BUCKET = "genorch-test";
  public static final String ACCESS_KEY = "test-access";
  public static final String SECRET_KEY = "test-secret";

  private final S3Proxy proxy;
  private final BlobStoreContext context;
  private final Path dir;

  public S3ProxyServer() {
    try {
      dir = Files.createTempDirectory("s3proxy");
      Properties properties = new Properties();
      properties.setProperty("jclouds.filesystem.basedir", dir.toString());
      context = ContextBuilder.newBuilder("filesystem").credentials(ACCESS_KEY, SECRET_KEY).overrides(properties)
          .build(BlobStoreContext.class);
      context.getBlobStore().createContainerInLocation(null, BUCKET);
      // strict about headers, as s3proxy is by default: an x-amz- header it does not implement is answered 501
      proxy = S3Proxy.builder().blobStore(new FaultyParts(context.getBlobStore())).endpoint(URI.create("http://127.0.0.1:0"))
          .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY).build();
      proxy.start();
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (!"STARTED".equals(proxy.getState())) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("s3proxy did not start");
        }
        Thread.onSpinWait();
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public String endpoint() {
    return "http://127.0.0.1:" + proxy.getPort();
  }

  public S3Options options() {
    return new S3Options(Optional.of(endpoint()), "us-east-1", BUCKET, Optional.of(ACCESS_KEY), Optional.of(SECRET_KEY),
        true, "WHEN_REQUIRED", false);
  }

  /** The service's settings for this server. */
  public Map<String, String> settings() {
    return Map.of("ORCH_STORAGE", "s3", "ORCH_S3_ENDPOINT", endpoint(), "ORCH_S3_BUCKET", BUCKET,
        "ORCH_S3_ACCESS_KEY_ID", ACCESS_KEY, "ORCH_S3_SECRET_ACCESS_KEY", SECRET_KEY, "ORCH_S3_PATH_STYLE", "true");
  }

  /** Whether the bucket holds {@code key}, asked of the backing store, not through the service. */
  public boolean holds(String key) {
    return context.getBlobStore().blobExists(BUCKET, key);
  }

  /** While true, every part uploaded after the first of a multipart upload fails (500), as a store's outage would. */
  public void failPartsAfterTheFirst(boolean fail) {
    failParts.set(fail);
  }

  /** The keys of the multipart uploads begun and neither completed nor aborted. */
  public List<String> unfinishedUploads() {
    return context.getBlobStore().listMultipartUploads(BUCKET).stream().map(MultipartUpload::blobName).toList();
  }

  private final java.util.concurrent.atomic.AtomicBoolean failParts = new java.util.concurrent.atomic.AtomicBoolean();

  private final class FaultyParts extends ForwardingBlobStore {
    FaultyParts(BlobStore delegate) {
      super(delegate);
    }

    @Override
    public MultipartPart uploadMultipartPart(MultipartUpload mpu, int partNumber, Payload payload) {
      if (partNumber > 1 && failParts.get()) {
        throw new IllegalStateException("part " + partNumber + " refused (S3ProxyServer.failPartsAfterTheFirst)");
      }
      return super.uploadMultipartPart(mpu, partNumber, payload);
    }
  }

  public long objectCount() {
    return context.getBlobStore().countBlobs(BUCKET);
  }

  @Override
  public void close() {
    try {
      proxy.stop();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    context.close();
  }
}
