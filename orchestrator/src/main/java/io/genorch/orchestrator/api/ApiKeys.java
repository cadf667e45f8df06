package io.genorch.orchestrator.api;

import io.genorch.common.domain.WebhookTokens;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

/**
 * Bearer API keys for /v1, held only as their SHA-256 (a key generated at first start is stored that way): a
 * presented key's hash is compared in constant time; the caller's identity is a prefix of that hash.
 */
public final class ApiKeys implements Handler<RoutingContext> {

  static final String CALLER_SCOPE = "genorch.callerScope";

  private final List<byte[]> keyHashes;

  private ApiKeys(List<byte[]> keyHashes) {
    if (keyHashes.isEmpty()) {
      throw new IllegalArgumentException("at least one API key is needed");
    }
    this.keyHashes = List.copyOf(keyHashes);
  }

  /** The SHA-256 of each key. */
  public static ApiKeys ofHashes(List<byte[]> keyHashes) {
    return new ApiKeys(keyHashes);
  }

  @Override
  public void handle(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      byte[] presented = WebhookTokens.hash(header.substring(7).trim());
      boolean known = false;
      for (byte[] keyHash : keyHashes) {
        known |= MessageDigest.isEqual(keyHash, presented);
      }
      if (known) {
        ctx.put(CALLER_SCOPE, "key:" + HexFormat.of().formatHex(presented).substring(0, 32));
        ctx.next();
        return;
      }
    }
    ctx.response().putHeader("WWW-Authenticate", "Bearer");
    ctx.fail(new ApiException(401, "unauthorized", "a valid 'Authorization: Bearer <key>' header is required", null));
  }
}
