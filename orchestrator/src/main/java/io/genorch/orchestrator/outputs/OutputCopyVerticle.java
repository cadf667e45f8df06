package io.genorch.orchestrator.outputs;

import io.genorch.common.ServiceContext;
import io.genorch.common.bus.Addresses;
import io.genorch.common.outputs.OutputStore;
import io.genorch.common.outputs.StorageOptions;
import io.genorch.common.work.LeasedWorkLoop;
import io.genorch.common.work.LeasedWorkLoop.Round;
import io.genorch.common.net.PublicAddresses;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.http.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a copy of every output of every succeeded generation (docs/API.md section 7). The copies to make are rows
 * of {@code output_copies}, written with the succeeded change itself; this verticle works through them with the
 * shared {@link LeasedWorkLoop} (several instances never copy the same output at once: the claim is renewed while the
 * copy runs and checked before it is committed; a copy cut short by a crash is due again when its lease ends, and
 * what it left in the store is removed before it is tried again), streams each from the provider's link into the store, and records the result
 * through the {@code GenerationStore}. A copy that keeps failing is retried with backoff until the link expires, then
 * given up: the output keeps the provider's link. With ORCH_STORAGE_RETENTION_DAYS it also deletes old copies.
 */
public final class OutputCopyVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(OutputCopyVerticle.class);

  /**
   * Temporary files untouched this long are left by a crash and deleted at start: an attempt writes its file at least
   * every read timeout while downloading and ends its download within the 25-minute deadline. (A crashed copy's own
   * files are deleted sooner, when the copy is tried again.)
   */
  static final Duration STALE_TEMP = Duration.ofHours(1);

  /** One claimed copy. */
  record Copy(String generationId, int index, String sourceUrl, int attempt, Instant retryUntil) {
    String key() {
      return generationId + "/" + index;
    }

    @Override
    public String toString() {
      return "output " + index + " of " + generationId;
    }
  }

  private final ServiceContext ctx;
  private final OutputCopyOptions options;
  private final OutputStore store;
  private final Predicate<InetAddress> refusedAddress;
  private HttpClient client;
  private OutputDownloader downloader;
  private LeasedWorkLoop<Copy> loop;

  public OutputCopyVerticle(ServiceContext ctx, OutputCopyOptions options, OutputStore store) {
    this(ctx, options, store, options.storage().allowPrivate() ? null : a -> !PublicAddresses.isPublic(a));
  }

  /** @param refusedAddress source addresses never fetched; null: any (ORCH_CALLBACK_ALLOW_PRIVATE=true) */
  OutputCopyVerticle(ServiceContext ctx, OutputCopyOptions options, OutputStore store,
      Predicate<InetAddress> refusedAddress) {
    this.ctx = ctx;
    this.options = options;
    this.store = store;
    this.refusedAddress = refusedAddress;
  }

  @Override
  public Future<?> start() {
    client = vertx.createHttpClient(new HttpClientOptions().setMaxRedirects(0),
        new PoolOptions().setHttp1MaxSize(options.concurrency()));
    StorageOptions storage = options.storage();
    downloader = new OutputDownloader(vertx, client, refusedAddress, storage.maxBytes(), options.readTimeout(),
        options.deadline());
    loop = new LeasedWorkLoop<>(vertx, new LeasedWorkLoop.Options("output-copies", options.batchSize(),
        options.concurrency(), options.lease(), options.sweepInterval()), new LeasedWorkLoop.Work<>() {
          @Override
          public Future<List<Copy>> claim(int batchSize, Duration lease) {
            return ctx.pool().preparedQuery(OutputCopySql.CLAIM_DUE).execute(Tuple.of(batchSize, lease.toSeconds()))
                .map(rows -> {
                  List<Copy> copies = new ArrayList<>();
                  rows.forEach(row -> copies.add(copy(row)));
                  return copies;
                });
          }

          @Override
          public Future<?> process(Copy item, Round round) {
            return copy(item);
          }

          @Override
          public Future<Long> countDue() {
            return ctx.pool().query(OutputCopySql.COUNT_DUE).execute().map(rows -> rows.iterator().next().getLong("due"));
          }
        });
    loop.start();
    vertx.executeBlocking(() -> store.sweepTempFiles(STALE_TEMP), false)
        .onSuccess(n -> {
          if (n > 0) {
            LOG.info("Deleted {} temporary files of copies cut off by an earlier stop", n);
          }
        })
        .onFailure(err -> LOG.warn("Looking for temporary files of cut-off copies failed: {}", err.toString()));
    storage.retention().ifPresent(retention ->
        vertx.setPeriodic(options.sweepInterval().toMillis(), t -> deleteOld(retention)));
    return vertx.eventBus().<JsonObject>localConsumer(Addresses.EVENTS, m -> {
      if ("generation.succeeded".equals(m.body().getString("type"))) {
        loop.wake();
      }
    }).completion();
  }

  private static Copy copy(Row row) {
    return new Copy(row.getString("generation_id"), row.getInteger("idx"), row.getString("source_url"),
        row.getInteger("attempts"), row.getOffsetDateTime("retry_until").toInstant());
  }

  Future<Void> copy(Copy copy) {
    Claim claim = new Claim(copy);
    // renewed at once: a copy that waited in its batch may be near the end of its claim
    return claim.renew()
        .compose(v -> copy.attempt() > 1 ? store.discardPartial(copy.key()) : Future.<Void>succeededFuture())
        .compose(v -> vertx.executeBlocking(() -> store.newTempFile(copy.key()), false))
        .compose(temp -> downloader.download(copy.sourceUrl(), temp, claim.lost())
            .compose(downloaded -> claim.renew().map(downloaded)) // still this attempt's copy when it is committed
            .compose(downloaded -> store.commit(temp, copy.key(), downloaded.contentType()).map(downloaded))
            .onFailure(err -> deleteQuietly(temp)))
        .compose(d -> ctx.store().outputStored(copy.generationId(), copy.index(),
                options.storage().publicUrl(copy.generationId(), copy.index()), d.bytes(), d.sha256(), d.contentType())
            .compose(g -> ctx.pool().preparedQuery(OutputCopySql.MARK_STORED).execute(Tuple.of(copy.generationId(),
                copy.index(), copy.key(), d.bytes(), d.sha256(), d.contentType())))
            .onSuccess(v -> LOG.debug("Kept {}: {} bytes", copy, d.bytes())))
        .<Void>mapEmpty()
        .recover(err -> {
          if (err instanceof ClaimLost) {
            LOG.warn("Stopped copying {}: {}", copy, err.getMessage());
            return Future.succeededFuture(); // the instance that holds the claim now records the outcome
          }
          return failed(copy, err);
        })
        .eventually(() -> {
          claim.end();
          return Future.succeededFuture();
        });
  }

  /** The claim of a copy was found taken by another instance (this one's lease had run out). */
  static final class ClaimLost extends RuntimeException {
    ClaimLost(Copy copy) {
      super("the claim of " + copy + " (attempt " + copy.attempt() + ") ran out and was taken by another instance",
          null, false, false);
    }
  }

  /**
   * The claim of one copy in progress, renewed every third of the lease so that a long copy is never taken by a
   * second instance, while a crashed instance's copy is due again one lease after its last renewal.
   */
  private final class Claim {
    private final Copy copy;
    private final Promise<Void> lost = Promise.promise();
    private final long timer;

    Claim(Copy copy) {
      this.copy = copy;
      this.timer = vertx.setPeriodic(Math.max(1, options.lease().toMillis() / 3), t -> renew()
          .onFailure(err -> LOG.warn("Renewing the claim of {} failed: {}", copy, err.toString())));
    }

    /** Fails with {@link ClaimLost} (and so ends the download) when the claim is no longer this attempt's. */
    Future<Void> renew() {
      return ctx.pool().preparedQuery(OutputCopySql.RENEW).execute(Tuple.of(copy.generationId(), copy.index(),
              copy.attempt(), options.lease().toMillis() / 1000.0))
          .compose(rows -> {
            if (rows.rowCount() == 0) {
              ClaimLost err = new ClaimLost(copy);
              lost.tryFail(err);
              return Future.failedFuture(err);
            }
            return Future.succeededFuture();
          });
    }

    Future<Void> lost() {
      return lost.future();
    }

    void end() {
      vertx.cancelTimer(timer);
    }
  }

  private Future<Void> failed(Copy copy, Throwable err) {
    String reason = err.getMessage() == null ? err.toString() : err.getMessage();
    Duration wait = backoff(copy.attempt());
    boolean gaveUp = err instanceof OutputDownloader.Refused || Instant.now().plus(wait).isAfter(copy.retryUntil());
    if (gaveUp) {
      LOG.warn("Gave up keeping {} after attempt {}: {}; it keeps the provider's link", copy, copy.attempt(), reason);
    } else {
      LOG.info("Keeping {} failed at attempt {}, tried again in {} ms: {}", copy, copy.attempt(), wait.toMillis(), reason);
    }
    Future<?> row = gaveUp
        ? ctx.pool().preparedQuery(OutputCopySql.GIVE_UP).execute(Tuple.of(copy.generationId(), copy.index(), reason))
        : ctx.pool().preparedQuery(OutputCopySql.RESCHEDULE).execute(Tuple.of(copy.generationId(), copy.index(),
            wait.toMillis() / 1000.0, reason));
    return row.compose(v -> ctx.store().outputStoreFailed(copy.generationId(), copy.index(), reason, copy.attempt(), gaveUp));
  }

  /** Exponential from the base, capped, with up to 20 % jitter. */
  private Duration backoff(int attempt) {
    long base = options.retryBase().toMillis() << Math.min(attempt - 1, 20);
    long capped = Math.min(base, options.retryCap().toMillis());
    return Duration.ofMillis(capped + ThreadLocalRandom.current().nextLong(capped / 5 + 1));
  }

  private void deleteQuietly(Path temp) {
    vertx.executeBlocking(() -> Files.deleteIfExists(temp), false)
        .onFailure(err -> LOG.warn("Could not delete {}: {}", temp, err.toString()));
  }

  /**
   * Retention: the object is deleted first, and only then is the output shown unstored and the copy marked deleted,
   * so nothing is shown deleted that is still in the store; a copy whose delete failed stays stored and is taken again
   * when its lease ends.
   */
  private void deleteOld(Duration retention) {
    ctx.pool().preparedQuery(OutputCopySql.TAKE_EXPIRED)
        .execute(Tuple.of(retention.toSeconds(), 100, options.lease().toMillis() / 1000.0))
        .onFailure(err -> LOG.warn("Looking for old output copies failed: {}", err.toString()))
        .onSuccess(rows -> rows.forEach(row -> {
          String generationId = row.getString("generation_id");
          int index = row.getInteger("idx");
          store.delete(row.getString("storage_key"))
              .compose(v -> ctx.store().outputDeleted(generationId, index,
                  "older than ORCH_STORAGE_RETENTION_DAYS (" + retention.toDays() + ")"))
              .compose(g -> ctx.pool().preparedQuery(OutputCopySql.MARK_DELETED).execute(Tuple.of(generationId, index)))
              .onFailure(err -> LOG.warn("Deleting the copy of output {} of {} failed, tried again in {} s: {}", index,
                  generationId, options.lease().toSeconds(), err.toString()));
        }));
  }

  public LeasedWorkLoop.Stats stats() {
    return loop.stats();
  }

  @Override
  public Future<?> stop() {
    // closing the client first ends the downloads in flight (their copies are due again), so stopping never waits
    // for a slow source
    return client.close().eventually(() -> loop.stop());
  }
}
