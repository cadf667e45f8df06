package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.config.Settings;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The command line: what ends the process before anything starts, and with which exit code. */
class MainArgumentsTest {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private Integer run(String... args) {
    return Main.exitWithoutStarting(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void helpPrintsTheUsageAndEverySettingAndExitsZero() {
    assertEquals(0, run("--help"));
    assertTrue(out().contains(Main.USAGE), out());
    Settings.ALL.forEach(s -> assertTrue(out().contains(s.name()), s.name() + " in --help"));
    assertTrue(out().contains("..._API_KEY"), out());
    assertEquals("", err());
  }

  @Test
  void versionPrintsTheVersionAndExitsZero() {
    assertEquals(0, run("--version"));
    assertEquals("genorch " + Main.version() + System.lineSeparator(), out());
  }

  @Test
  void anUnknownArgumentIsRefusedWithTheUsageLineAndExitTwo() {
    assertEquals(2, run("--demo", "--port=9000"));
    assertTrue(err().contains("unknown argument '--port=9000'"), err());
    assertTrue(err().contains(Main.USAGE), err());
    assertEquals("", out());
  }

  @Test
  void noArgumentsOrDemoStartTheService() {
    assertNull(run());
    assertNull(run("--demo"));
    assertEquals("", out() + err());
  }
}
