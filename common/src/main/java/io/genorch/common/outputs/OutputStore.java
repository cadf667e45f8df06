package io.genorch.common.outputs;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Where copies of outputs are kept (docs/API.md section 7). A copy is written to a temporary file first and only
 * {@link #commit committed} once it is whole and checked, so no reader ever sees a half-written object. Keys are
 * {@code {generationId}/{index}}.
 */
public interface OutputStore {

  /** A new, empty temporary file for the bytes of {@code key}: never visible as the object. Blocking (file IO). */
  Path newTempFile(String key) throws java.io.IOException;

  /** Makes the whole, checked {@code temp} file the object {@code key}, durably; {@code temp} is gone afterwards. */
  Future<Void> commit(Path temp, String key, String contentType);

  /**
   * Removes what an earlier attempt at {@code key} left behind when it was cut off (a crash, {@code kill -9}): its
   * temporary files, and with s3 its unfinished multipart uploads. Only the holder of the copy's claim calls it, so
   * nothing it removes belongs to an attempt still running.
   */
  Future<Void> discardPartial(String key);

  /**
   * Deletes the temporary files of this store not written to for {@code untouchedFor}: left by a crash, since an
   * attempt in progress writes to its file at least every read timeout. Blocking (file IO). Returns how many.
   */
  int sweepTempFiles(Duration untouchedFor) throws java.io.IOException;

  /** Deletes the object; no error when it is gone already. */
  Future<Void> delete(String key);

  /** The object's bytes from {@code offset}, {@code length} of them, as a stream with back-pressure. */
  Future<ReadStream<Buffer>> read(String key, long offset, long length);

  /** A URL that reads the object directly for {@code validity}, or null when this store has none to give. */
  default Future<String> presignedUrl(String key, Duration validity) {
    return Future.succeededFuture(null);
  }

  /** Releases the store's clients and threads. Blocking: call it off the event loop. */
  default void close() {}

  /** Keys are made by the service, never from input; this keeps a wrong one from leaving the store's directory. */
  static String checkedKey(String key) {
    if (!key.matches("[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*")) {
      throw new IllegalArgumentException("not a storage key: " + key);
    }
    return key;
  }
}
