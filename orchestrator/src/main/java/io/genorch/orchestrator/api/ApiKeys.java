package io.genorch.orchestrator.api;

import io.genorch.common.domain.WebhookTokens;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

/** Bearer API keys for /v1: compared in constant time; the caller's identity is a hash of its key. */
public final class ApiKeys implements Handler<RoutingContext> {

  static final String CALLER_SCOPE = "genorch.callerScope";

  private final List<byte[]> keys;

  public ApiKeys(List<String> keys) {
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("at least one API key is needed");
    }
    this.keys = keys.stream().map(k -> k.getBytes(StandardCharsets.UTF_8)).toList();
  }

  @Override
  public void handle(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      byte[] presented = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
      boolean known = false;
      for (byte[] key : keys) {
        known |= MessageDigest.isEqual(key, presented);
      }
      if (known) {
        ctx.put(CALLER_SCOPE, "key:" + HexFormat.of().formatHex(WebhookTokens.sha256(presented)).substring(0, 32));
        ctx.next();
        return;
      }
    }
    ctx.response().putHeader("WWW-Authenticate", "Bearer");
    ctx.fail(new ApiException(401, "unauthorized", "a valid 'Authorization: Bearer <key>' header is required", null));
  }
}
