package io.genorch.orchestrator.callbacks;

import io.genorch.common.net.PublicAddresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.InetAddress;
import java.util.List;

/**
 * Where client callbacks may go: only globally routable unicast addresses ({@link PublicAddresses}), unless
 * {@code ORCH_CALLBACK_ALLOW_PRIVATE=true}. Checked at submission (a name must resolve, and to public addresses
 * only) and again at each delivery on the freshly resolved addresses, since a name can be pointed elsewhere after it
 * was accepted.
 */
public final class CallbackAddresses {

  private final Vertx vertx;
  private final boolean allowPrivate;
  private final PublicAddresses addresses;

  public CallbackAddresses(Vertx vertx, boolean allowPrivate) {
    this(vertx, allowPrivate, PublicAddresses.SYSTEM);
  }

  public CallbackAddresses(Vertx vertx, boolean allowPrivate, PublicAddresses.Resolver resolver) {
    this.vertx = vertx;
    this.allowPrivate = allowPrivate;
    this.addresses = new PublicAddresses(resolver);
  }

  public boolean allowPrivate() {
    return allowPrivate;
  }

  /**
   * The addresses a callback to {@code host} (as in a URL) may use, resolved off the event loop; with private
   * destinations allowed, nothing is checked and the list is empty.
   *
   * @return fails with {@link PublicAddresses.NotPublicException} or {@link java.net.UnknownHostException}
   */
  public Future<List<InetAddress>> resolve(String host) {
    return allowPrivate ? Future.succeededFuture(List.of()) : addresses.resolvePublic(vertx, host);
  }
}
