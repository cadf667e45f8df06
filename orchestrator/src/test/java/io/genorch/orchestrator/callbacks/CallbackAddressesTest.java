package io.genorch.orchestrator.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.genorch.common.net.PublicAddresses.NotPublicException;
import io.vertx.core.Vertx;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Callback destinations are resolved and checked unless private destinations are allowed. */
class CallbackAddressesTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close();
  }

  private static Throwable failure(io.vertx.core.Future<?> future) throws Exception {
    try {
      future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      throw new AssertionError("expected a failure");
    } catch (java.util.concurrent.ExecutionException e) {
      return e.getCause();
    }
  }

  @Test
  void aNameResolvingToAPrivateAddressIsRefused() throws Exception {
    CallbackAddresses addresses = new CallbackAddresses(vertx, false, host -> new InetAddress[] {InetAddress.getByName("10.1.2.3")});
    assertInstanceOf(NotPublicException.class, failure(addresses.resolve("hooks.example.com")));
  }

  @Test
  void aPublicNameGivesItsAddresses() throws Exception {
    InetAddress address = InetAddress.getByName("93.184.215.14");
    CallbackAddresses addresses = new CallbackAddresses(vertx, false, host -> new InetAddress[] {address});
    assertEquals(List.of(address), addresses.resolve("hooks.example.com").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS));
  }

  @Test
  void allowingPrivateDestinationsChecksNothing() throws Exception {
    CallbackAddresses addresses = new CallbackAddresses(vertx, true, host -> {
      throw new AssertionError("nothing is resolved");
    });
    assertEquals(List.of(), addresses.resolve("0x7f000001").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS));
  }
}
