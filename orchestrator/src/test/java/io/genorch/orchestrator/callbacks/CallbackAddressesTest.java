package io.genorch.orchestrator.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.genorch.common.net.PublicAddresses.NotPublicException;
import io.genorch.common.testing.Await;
import io.vertx.core.Vertx;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Callback destinations are resolved and checked unless private destinations are allowed. */
class CallbackAddressesTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close();
  }

  @Test
  void aNameResolvingToAPrivateAddressIsRefused() throws Exception {
    CallbackAddresses addresses = new CallbackAddresses(vertx, false, host -> new InetAddress[] {InetAddress.getByName("10.1.2.3")});
    assertInstanceOf(NotPublicException.class, Await.failure(addresses.resolve("hooks.example.com")));
  }

  @Test
  void aPublicNameGivesItsAddresses() throws Exception {
    InetAddress address = InetAddress.getByName("93.184.215.14");
    CallbackAddresses addresses = new CallbackAddresses(vertx, false, host -> new InetAddress[] {address});
    assertEquals(List.of(address), Await.result(addresses.resolve("hooks.example.com")));
  }

  @Test
  void allowingPrivateDestinationsChecksNothing() throws Exception {
    CallbackAddresses addresses = new CallbackAddresses(vertx, true, host -> {
      throw new AssertionError("nothing is resolved");
    });
    assertEquals(List.of(), Await.result(addresses.resolve("0x7f000001")));
  }
}
