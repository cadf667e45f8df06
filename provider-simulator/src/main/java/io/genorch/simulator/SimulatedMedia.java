package io.genorch.simulator;

import io.genorch.simulator.dialect.ApimartDialect;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The result files at a job's links, {@code /<providerId>/_media/<taskId>.mp4[?part=N]}: real bytes, the same for
 * the same link every time (a seed from the link), generated on the fly with back-pressure so no file is held in
 * memory; the size, the faults and, for apimart, the number of links come from {@link MediaDirectives}. A link
 * answers 403 once the expiry the provider reported has passed ({@code [sim:expiring-links=N]}; apimart's default
 * 24 h), as CDNs do.
 */
final class SimulatedMedia {

  private static final int CHUNK = 64 * 1024;
  /** The first bytes of an MP4 file (an {@code ftyp} box). */
  private static final byte[] MP4_HEADER = {
      0, 0, 0, 0x18, 'f', 't', 'y', 'p', 'i', 's', 'o', 'm', 0, 0, 0, 1, 'i', 's', 'o', 'm', 'm', 'p', '4', '1'};

  private final Vertx vertx;
  private final JobStore store;
  private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
  private final AtomicInteger maxInFlightPerLink = new AtomicInteger();

  SimulatedMedia(Vertx vertx, JobStore store) {
    this.vertx = vertx;
    this.store = store;
  }

  /** How often a link was fetched. */
  int requests(String path) {
    AtomicInteger n = requests.get(path);
    return n == null ? 0 : n.get();
  }

  /** The most downloads of one link that were ever in progress at once. */
  int maxConcurrentDownloadsOfOneLink() {
    return maxInFlightPerLink.get();
  }

  void serve(RoutingContext ctx, String provider, String file) {
    String part = ctx.request().getParam("part");
    String link = "/" + provider + "/_media/" + file + (part == null ? "" : "?part=" + part);
    int attempt = requests.computeIfAbsent(link, k -> new AtomicInteger()).incrementAndGet();
    String taskId = file.endsWith(".mp4") ? file.substring(0, file.length() - 4) : file;
    JobRecord job = store.job(provider, taskId);
    MediaDirectives media = MediaDirectives.parse(job == null ? null : job.prompt);
    HttpServerResponse response = ctx.response();
    Instant expiry = job == null ? null : expiry(provider, job);
    if (expiry != null && Instant.now().isAfter(expiry)) {
      response.setStatusCode(403).putHeader("Content-Type", "application/xml")
          .end("<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>");
      return;
    }
    String fault = media.fault() == null ? "" : media.fault();
    switch (fault) {
      case "html" -> {
        response.putHeader("Content-Type", "text/html; charset=utf-8")
            .end("<html><body><h1>Service temporarily unavailable</h1></body></html>");
        return;
      }
      case "redirect-loopback" -> {
        redirect(response, "http://127.0.0.2:" + ctx.request().localAddress().port() + link);
        return;
      }
      case "redirect-metadata" -> {
        redirect(response, "http://169.254.169.254/latest/meta-data/");
        return;
      }
      case "redirect-loop" -> {
        redirect(response, link);
        return;
      }
      default -> { }
    }
    long size = media.bytes();
    boolean truncate = fault.equals("truncate") && attempt == 1;
    long send = truncate ? size / 2 : size;
    long delayMs = fault.equals("slow") ? 50 : 0;
    AtomicInteger current = inFlight.computeIfAbsent(link, k -> new AtomicInteger());
    maxInFlightPerLink.accumulateAndGet(current.incrementAndGet(), Math::max);
    response.putHeader("Content-Type", "video/mp4").putHeader("Content-Length", Long.toString(size));
    java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();
    Runnable release = () -> {
      if (released.compareAndSet(false, true)) {
        current.decrementAndGet();
      }
    };
    response.closeHandler(v -> release.run());
    response.endHandler(v -> release.run());
    new Body(response, seed(link), send, delayMs, () -> {
      if (truncate) {
        response.reset(); // cut off: fewer bytes than Content-Length said
      } else {
        response.end();
      }
    }).next();
  }

  private static void redirect(HttpServerResponse response, String location) {
    response.setStatusCode(302).putHeader("Location", location).end();
  }

  /** The expiry the provider reported for the job's links (apimart always reports one), or null for none. */
  private static Instant expiry(String provider, JobRecord job) {
    Instant completed = job.view().completedAt();
    if (completed == null) {
      return null;
    }
    Long ttl = job.directives.expiringLinksSeconds();
    if (ttl == null) {
      return provider.equals("apimart") ? completed.plusSeconds(ApimartDialect.DEFAULT_LINK_TTL_SECONDS) : null;
    }
    return completed.plusSeconds(ttl);
  }

  /** Writes the body chunk by chunk, waiting for the connection to drain, so memory stays at one chunk. */
  private final class Body {
    private final HttpServerResponse response;
    private final SplittableRandom random;
    private final long total;
    private final long delayMs;
    private final Runnable done;
    private long written;
    private boolean finished;

    Body(HttpServerResponse response, long seed, long total, long delayMs, Runnable done) {
      this.response = response;
      this.random = new SplittableRandom(seed);
      this.total = total;
      this.delayMs = delayMs;
      this.done = done;
    }

    /** Called again by a later drain after the last chunk: finishes once. */
    void next() {
      if (finished) {
        return;
      }
      while (written < total) {
        if (response.closed()) {
          return;
        }
        byte[] chunk = chunk(random, written, (int) Math.min(CHUNK, total - written));
        written += chunk.length;
        response.write(Buffer.buffer(chunk));
        if (delayMs > 0) {
          vertx.setTimer(delayMs, t -> next());
          return;
        }
        if (response.writeQueueFull()) {
          response.drainHandler(v -> next());
          return;
        }
      }
      finished = true;
      if (!response.closed()) {
        done.run();
      }
    }
  }

  private static byte[] chunk(SplittableRandom random, long offset, int length) {
    byte[] bytes = new byte[length];
    for (int i = 0; i < length; i += 8) {
      long r = random.nextLong();
      for (int j = 0; j < 8 && i + j < length; j++) {
        bytes[i + j] = (byte) (r >>> (8 * j));
      }
    }
    for (int i = 0; offset + i < MP4_HEADER.length && i < length; i++) {
      bytes[i] = MP4_HEADER[(int) offset + i];
    }
    return bytes;
  }

  private static long seed(String link) {
    return link.hashCode() * 0x9E3779B97F4A7C15L;
  }

  /** The sha256 (lowercase hex) of the file at {@code link} ({@code /<providerId>/_media/…}) with {@code size} bytes. */
  static String sha256(String link, long size) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      SplittableRandom random = new SplittableRandom(seed(link));
      for (long done = 0; done < size; ) {
        byte[] chunk = chunk(random, done, (int) Math.min(CHUNK, size - done));
        digest.update(chunk);
        done += chunk.length;
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
