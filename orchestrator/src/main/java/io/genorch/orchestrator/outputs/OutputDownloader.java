package io.genorch.orchestrator.outputs;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * Streams one output from its source link into a file: with back-pressure (the response is paused while the file's
 * write queue is full, so memory does not grow with the size), the sha256 computed on the way, at most
 * {@link #MAX_REDIRECTS} redirects followed here so that every hop's address is checked, a size limit, a read
 * timeout and a total deadline. A body shorter than its Content-Length, or cut off, is an error, never a result.
 */
final class OutputDownloader {

  static final int MAX_REDIRECTS = 3;

  /** What was downloaded into the file. */
  record Downloaded(long bytes, String sha256, String contentType) {}

  /** A failure that will not go away by trying again (an HTML page, a private address, too large). */
  static final class Refused extends RuntimeException {
    Refused(String message) {
      super(message, null, false, false);
    }
  }

  private final Vertx vertx;
  private final HttpClient client;
  private final Predicate<InetAddress> refusedAddress;
  private final long maxBytes;
  private final Duration readTimeout;
  private final Duration deadline;

  /**
   * @param refusedAddress addresses never fetched (loopback, private, link-local, metadata); null: any address
   */
  OutputDownloader(Vertx vertx, HttpClient client, Predicate<InetAddress> refusedAddress, long maxBytes,
      Duration readTimeout, Duration deadline) {
    this.vertx = vertx;
    this.client = client;
    this.refusedAddress = refusedAddress;
    this.maxBytes = maxBytes;
    this.readTimeout = readTimeout;
    this.deadline = deadline;
  }

  Future<Downloaded> download(String url, Path file) {
    return download(url, file, Promise.<Void>promise().future());
  }

  /** @param cancel failing it ends the download with its failure (the claim of the copy was lost) */
  Future<Downloaded> download(String url, Path file, Future<Void> cancel) {
    Promise<Downloaded> result = Promise.promise();
    cancel.onFailure(result::tryFail);
    long timer = vertx.setTimer(deadline.toMillis(),
        t -> result.tryFail("no complete answer within " + deadline.toSeconds() + " s"));
    fetch(url, file, MAX_REDIRECTS, result);
    return result.future().onComplete(ar -> vertx.cancelTimer(timer));
  }

  private void fetch(String url, Path file, int redirectsLeft, Promise<Downloaded> result) {
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      result.tryFail(new Refused("not a URL: " + url));
      return;
    }
    String scheme = String.valueOf(uri.getScheme()).toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
      result.tryFail(new Refused("not an http(s) URL: " + url));
      return;
    }
    checkedServer(uri)
        .compose(server -> {
          RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(url)
              .setIdleTimeout(readTimeout.toMillis()).setConnectTimeout(readTimeout.toMillis()).setFollowRedirects(false);
          if (server != null) {
            options.setServer(server);
          }
          return client.request(options);
        })
        .onFailure(result::tryFail)
        .onSuccess(request -> {
          result.future().onFailure(err -> discard(request)); // the deadline, or a refusal: stop the transfer
          request.send().onFailure(result::tryFail).onSuccess(response -> answered(url, file, redirectsLeft, request,
              response, result));
        });
  }

  /**
   * The address to connect to: the host's resolved address once checked, so that the name cannot resolve elsewhere
   * between the check and the connection; null when every address is allowed.
   */
  private Future<SocketAddress> checkedServer(URI uri) {
    if (refusedAddress == null) {
      return Future.succeededFuture(null);
    }
    String host = uri.getHost();
    String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    int port = uri.getPort() != -1 ? uri.getPort() : uri.getScheme().equalsIgnoreCase("https") ? 443 : 80;
    return vertx.executeBlocking(() -> InetAddress.getAllByName(bare), false).compose(addresses -> {
      for (InetAddress address : addresses) {
        if (refusedAddress.test(address)) {
          return Future.failedFuture(new Refused(
              "source host " + host + " is a private address (" + address.getHostAddress() + ")"));
        }
      }
      return Future.succeededFuture(SocketAddress.inetSocketAddress(port, addresses[0].getHostAddress()));
    });
  }

  private void answered(String url, Path file, int redirectsLeft, HttpClientRequest request,
      HttpClientResponse response, Promise<Downloaded> result) {
    // at once: the connection can close while the file is being opened, before stream() takes over
    response.exceptionHandler(err -> result.tryFail("the body was cut off: " + err));
    int status = response.statusCode();
    String location = response.getHeader("Location");
    if (status / 100 == 3 && location != null) {
      discard(request);
      if (redirectsLeft == 0) {
        result.tryFail(new Refused("more than " + MAX_REDIRECTS + " redirects"));
      } else {
        fetch(URI.create(url).resolve(location).toString(), file, redirectsLeft - 1, result);
      }
      return;
    }
    if (status != 200) {
      discard(request);
      result.tryFail("HTTP " + status);
      return;
    }
    String contentType = response.getHeader("Content-Type");
    if (contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith("text/html")) {
      discard(request);
      result.tryFail(new Refused("the source answered an HTML page (" + contentType + "), not an output"));
      return;
    }
    String lengthHeader = response.getHeader("Content-Length");
    long expected = lengthHeader == null ? -1 : Long.parseLong(lengthHeader.trim());
    if (expected > maxBytes) {
      discard(request);
      result.tryFail(new Refused("the output has " + expected + " bytes, over ORCH_STORAGE_MAX_BYTES " + maxBytes));
      return;
    }
    response.pause();
    vertx.fileSystem().open(file.toString(), new OpenOptions().setWrite(true).setTruncateExisting(true))
        .onFailure(err -> {
          discard(request);
          result.tryFail(err);
        })
        .onSuccess(out -> stream(response, out, expected,
            contentType == null ? "application/octet-stream" : contentType, request, result));
  }

  private void stream(HttpClientResponse response, AsyncFile out, long expected, String contentType,
      HttpClientRequest request, Promise<Downloaded> result) {
    result.future().onFailure(err -> out.close());
    if (result.future().isComplete()) {
      return; // cut off (or past the deadline) while the file was being opened
    }
    MessageDigest sha256 = sha256();
    long[] count = {0};
    response.exceptionHandler(err -> result.tryFail("the body was cut off after " + count[0] + " bytes: " + err));
    response.handler(chunk -> {
      if (result.future().isComplete()) {
        return;
      }
      count[0] += chunk.length();
      if (count[0] > maxBytes) {
        result.tryFail(new Refused("the output is over ORCH_STORAGE_MAX_BYTES " + maxBytes));
        return;
      }
      sha256.update(chunk.getBytes());
      out.write(chunk);
      if (out.writeQueueFull()) {
        response.pause();
        out.drainHandler(v -> response.resume());
      }
    });
    response.endHandler(v -> {
      if (result.future().isComplete()) {
        return;
      }
      if (expected >= 0 && count[0] != expected) {
        result.tryFail("the body ended after " + count[0] + " of " + expected + " bytes");
        return;
      }
      out.end().onFailure(result::tryFail).onSuccess(
          done -> result.tryComplete(new Downloaded(count[0], HexFormat.of().formatHex(sha256.digest()), contentType)));
    });
    response.resume();
  }

  /**
   * Drops the exchange by closing its connection: the rest of a body not wanted is never read, and the connection's
   * place in the pool is freed (a reset HTTP/1 exchange whose answer had begun was seen to keep it).
   */
  private static void discard(HttpClientRequest request) {
    request.connection().close();
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
