package io.genorch.orchestrator.callbacks;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs client callbacks per the Standard Webhooks spec: {@code webhook-signature: v1,<base64 HMAC-SHA256>} over
 * {@code <webhook-id>.<webhook-timestamp>.<body>}, keyed with the base64 bytes after the {@code whsec_} prefix of
 * {@code ORCH_CALLBACK_SECRET}, so clients can verify with any Standard Webhooks library.
 */
public final class CallbackSigner {

  private static final String PREFIX = "whsec_";
  private final byte[] key;

  public CallbackSigner(String secret) {
    if (secret == null || !secret.startsWith(PREFIX)) {
      throw new IllegalArgumentException("ORCH_CALLBACK_SECRET must be whsec_ followed by base64");
    }
    try {
      this.key = Base64.getDecoder().decode(secret.substring(PREFIX.length()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("ORCH_CALLBACK_SECRET must be whsec_ followed by base64", e);
    }
    if (key.length < 16) {
      throw new IllegalArgumentException("ORCH_CALLBACK_SECRET must hold at least 16 bytes");
    }
  }

  /** The {@code webhook-signature} header value. */
  public String signature(String messageId, long timestampSeconds, String body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      byte[] digest = mac.doFinal((messageId + "." + timestampSeconds + "." + body).getBytes(StandardCharsets.UTF_8));
      return "v1," + Base64.getEncoder().encodeToString(digest);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
