package io.genorch.poller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CallSlotsTest {

  @Test
  void atMostSizeAtOnceTheRestInTurn() {
    CallSlots slots = new CallSlots(2);
    List<Future<Void>> asked = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      asked.add(slots.acquire());
    }
    assertTrue(asked.get(0).succeeded());
    assertTrue(asked.get(1).succeeded());
    assertFalse(asked.get(2).isComplete(), "the third waits for a slot");
    assertEquals(2, slots.taken());
    assertEquals(3, slots.waiting());

    slots.release();
    assertTrue(asked.get(2).succeeded(), "a released slot goes to the longest waiting");
    assertFalse(asked.get(3).isComplete());
    assertEquals(2, slots.taken());

    slots.release();
    slots.release();
    assertTrue(asked.get(3).succeeded());
    assertTrue(asked.get(4).succeeded());
    assertEquals(0, slots.waiting());
    assertEquals(2, slots.taken());

    slots.release();
    slots.release();
    assertEquals(0, slots.taken(), "every slot back once nobody waits");
  }
}
