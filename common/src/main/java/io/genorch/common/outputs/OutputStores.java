package io.genorch.common.outputs;

import io.vertx.core.Vertx;

/** The store {@code ORCH_STORAGE} names; null when it is off. */
public final class OutputStores {

  private OutputStores() {}

  public static OutputStore create(Vertx vertx, StorageOptions options) {
    return switch (options.kind()) {
      case "fs" -> new FsOutputStore(vertx, options.dir());
      case "s3" -> new S3OutputStore(vertx, options.dir().resolve(".spool"), options.s3());
      default -> null;
    };
  }
}
