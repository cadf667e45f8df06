package io.genorch.common.outputs;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.streams.ReadStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.stream.Stream;

/**
 * Copies as files under one directory ({@code ORCH_STORAGE=fs}). A copy is written to a temporary file in the
 * object's own directory, synced to disk, and renamed over the object's name atomically, so the name only ever
 * shows a whole object.
 */
public final class FsOutputStore implements OutputStore {

  private final Vertx vertx;
  private final Path root;

  public FsOutputStore(Vertx vertx, Path root) {
    this.vertx = vertx;
    this.root = root.toAbsolutePath().normalize();
  }

  public Path root() {
    return root;
  }

  Path path(String key) {
    return root.resolve(OutputStore.checkedKey(key));
  }

  @Override
  public Path newTempFile(String key) throws IOException {
    Path target = path(key);
    Files.createDirectories(target.getParent());
    return Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".part");
  }

  @Override
  public Future<Void> discardPartial(String key) {
    return vertx.executeBlocking(() -> {
      Path target = path(key);
      String prefix = "." + target.getFileName() + ".";
      if (Files.isDirectory(target.getParent())) {
        try (Stream<Path> siblings = Files.list(target.getParent())) {
          for (Path temp : (Iterable<Path>) siblings.filter(p -> isTemp(p, prefix))::iterator) {
            Files.deleteIfExists(temp);
          }
        }
      }
      return null;
    }, false);
  }

  private static boolean isTemp(Path file, String prefix) {
    String name = file.getFileName().toString();
    return name.startsWith(prefix) && name.endsWith(".part");
  }

  @Override
  public int sweepTempFiles(Duration untouchedFor) throws IOException {
    return sweep(root, untouchedFor, p -> isTemp(p, "."));
  }

  /** Deletes the files under {@code dir} that {@code temp} matches and that were last written before the cutoff. */
  static int sweep(Path dir, Duration untouchedFor, java.util.function.Predicate<Path> temp) throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    FileTime cutoff = FileTime.from(Instant.now().minus(untouchedFor));
    int deleted = 0;
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile).filter(temp)::iterator) {
        try {
          if (Files.getLastModifiedTime(file).compareTo(cutoff) < 0 && Files.deleteIfExists(file)) {
            deleted++;
          }
        } catch (NoSuchFileException gone) {
          // finished (renamed) or removed meanwhile
        }
      }
    }
    return deleted;
  }

  @Override
  public Future<Void> commit(Path temp, String key, String contentType) {
    return vertx.executeBlocking(() -> {
      Path target = path(key);
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        channel.force(true);
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      syncDirectory(target.getParent());
      return null;
    }, false);
  }

  /** The rename itself is durable only once the directory entry is on disk. */
  private static void syncDirectory(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // some file systems cannot open a directory for sync; the rename is still atomic
    }
  }

  @Override
  public Future<Void> delete(String key) {
    return vertx.executeBlocking(() -> {
      Files.deleteIfExists(path(key));
      return null;
    }, false);
  }

  @Override
  public Future<ReadStream<Buffer>> read(String key, long offset, long length) {
    Path file = path(key);
    return vertx.fileSystem().open(file.toString(), new OpenOptions().setRead(true).setWrite(false).setCreate(false))
        .<ReadStream<Buffer>>map(f -> f.setReadPos(offset).setReadLength(length))
        .recover(err -> Future.failedFuture(err.getCause() instanceof NoSuchFileException
            ? new NoSuchFileException(key) : err));
  }
}
