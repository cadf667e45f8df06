package io.genorch.common.provider;

import io.genorch.common.config.ProviderSettings;
import io.genorch.common.domain.GenerationRequest;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClosedException;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the adapters' requests: base URL, bearer key, timeout, and the one judgement adapters cannot make from a
 * body, namely what a transport failure means. A failure before the request left (refused connection, unknown
 * host, connect timeout) is transient: the provider never saw it. A failure after it left (no answer in time,
 * connection reset) is ambiguous for a submit, since the provider may have taken and billed the job.
 */
public final class ProviderClient {

  private static final Logger LOG = LoggerFactory.getLogger(ProviderClient.class);

  private final WebClient client;
  private final Duration timeout;

  public ProviderClient(WebClient client, Duration timeout) {
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
    HttpRequest<Buffer> request = client
        .requestAbs(call.method(), trimSlash(settings.baseUrl()) + call.path())
        .putHeader("Authorization", "Bearer " + settings.apiKey())
        .putHeader("Accept", "application/json")
        .timeout(timeout.toMillis());
    Future<HttpResponse<Buffer>> sent = call.body() == null ? request.send() : request.sendJsonObject(call.body());
    return sent.map(r -> new ProviderResponse(r.statusCode(), r.body(), r.getHeader("Retry-After")));
  }

  private static boolean neverSent(Throwable failure) {
    // netty's ConnectTimeoutException is a ConnectException too; Vert.x reports a timeout that ran out while
    // waiting for a pooled or new connection with this wording, before anything was written
    boolean noConnection = failure instanceof TimeoutException && String.valueOf(failure.getMessage()).contains("getting a connection");
    return noConnection || failure instanceof ConnectException || failure instanceof UnknownHostException
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
