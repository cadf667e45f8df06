package io.genorch.common.provider;

import io.genorch.common.config.ProviderSettings;
import io.genorch.common.domain.GenerationRequest;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.RequestOptions;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the adapters' requests: base URL, bearer key, timeout, and the one judgement adapters cannot make from a
 * body, namely what a transport failure means. A failure before the request left (refused connection, unknown
 * host, connect timeout) is transient: the provider never saw it. A failure after it left (no answer in time,
 * connection reset) is ambiguous for a submit, since the provider may have taken and billed the job.
 *
 * <p>Each call has a total deadline (ORCH_PROVIDER_TIMEOUT_MS) from asking for a connection to the answer's last
 * byte, not only connect and idle timeouts: a provider that trickles its answer is cut off (the request is reset)
 * when the deadline passes, so a call never outlives the leases derived from it
 * ({@link io.genorch.common.config.OrchConfig#providerCallLease()}).
 */
public final class ProviderClient {

  private static final Logger LOG = LoggerFactory.getLogger(ProviderClient.class);

  private final HttpClient client;
  private final Duration timeout;

  public ProviderClient(HttpClient client, Duration timeout) {
    this.client = client;
    this.timeout = timeout;
  }

  public Future<SubmitResult> submit(
      ProviderAdapter adapter, ProviderSettings settings, GenerationRequest request, String callbackUrl) {
    ProviderCall call = adapter.submitCall(request, callbackUrl);
    return send(settings, call)
        .map(adapter::parseSubmitResponse)
        .recover(failure -> {
          LOG.warn("Submit to {} failed in transport: {}", adapter.id(), failure.toString());
          return Future.succeededFuture(neverSent(failure)
              ? new SubmitResult.Transient(describe(failure), null)
              : new SubmitResult.Ambiguous(describe(failure)));
        });
  }

  public Future<StatusResult> status(ProviderAdapter adapter, ProviderSettings settings, String providerTaskId) {
    return send(settings, adapter.statusCall(providerTaskId))
        .map(response -> adapter.parseStatusResponse(providerTaskId, response))
        .recover(failure -> Future.succeededFuture(new StatusResult.Transient(describe(failure), null)));
  }

  private Future<ProviderResponse> send(ProviderSettings settings, ProviderCall call) {
    RequestOptions options = new RequestOptions()
        .setMethod(call.method())
        .setAbsoluteURI(trimSlash(settings.baseUrl()) + call.path())
        .putHeader("Authorization", "Bearer " + settings.apiKey())
        .putHeader("Accept", "application/json")
        .putHeader("User-Agent", "genorch")
        .setConnectTimeout(timeout.toMillis())
        .setIdleTimeout(timeout.toMillis());
    Buffer body = call.body() == null ? null : call.body().toBuffer();
    if (body != null) {
      options.putHeader("Content-Type", "application/json");
    }
    AtomicReference<HttpClientRequest> opened = new AtomicReference<>();
    Future<ProviderResponse> exchange = client.request(options).compose(request -> {
      opened.set(request);
      Future<HttpClientResponse> sent = body == null ? request.send() : request.send(body);
      return sent.compose(response -> response.body()
          .map(content -> new ProviderResponse(response.statusCode(), content, response.getHeader("Retry-After"))));
    });
    return exchange.timeout(timeout.toMillis(), TimeUnit.MILLISECONDS).recover(failure -> {
      if (exchange.isComplete()) {
        return exchange; // failed on its own (or answered just as the deadline passed)
      }
      HttpClientRequest request = opened.get();
      if (request == null) {
        return Future.failedFuture(new NoConnectionInTime(timeout));
      }
      TimeoutException deadline = new TimeoutException("no complete answer within " + timeout.toMillis() + " ms");
      request.reset(0, deadline); // frees the connection instead of reading the trickle to its end
      return Future.failedFuture(deadline);
    });
  }

  /** The deadline passed before a connection was had: nothing was written. */
  private static final class NoConnectionInTime extends TimeoutException {
    NoConnectionInTime(Duration timeout) {
      super("no connection within " + timeout.toMillis() + " ms");
    }
  }

  private static boolean neverSent(Throwable failure) {
    // netty's ConnectTimeoutException is a ConnectException too; Vert.x reports a timeout that ran out while
    // waiting for a pooled or new connection with this wording, before anything was written
    boolean noConnection = failure instanceof TimeoutException && String.valueOf(failure.getMessage()).contains("getting a connection");
    return noConnection || failure instanceof NoConnectionInTime || failure instanceof ConnectException || failure instanceof UnknownHostException
        || (failure.getCause() != null && failure.getCause() != failure && neverSent(failure.getCause()));
  }

  private static String describe(Throwable failure) {
    String kind = failure instanceof HttpClosedException ? "connection closed before an answer" : failure.getClass().getSimpleName();
    return kind + (failure.getMessage() == null ? "" : ": " + failure.getMessage());
  }

  private static String trimSlash(String baseUrl) {
    return baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
  }
}
