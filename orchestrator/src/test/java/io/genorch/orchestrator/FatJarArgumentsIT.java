package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The packaged jar's command line as a user meets it: --help and --version print and exit 0, an unknown argument
 * and a wrong setting exit 2 with a message, and none of them starts a database (ORCH_DATA_DIR stays empty).
 */
class FatJarArgumentsIT {

  private static final Path JAR = Path.of("target", "genorch.jar");

  private record Run(int exit, String output) {}

  private static Run run(Map<String, String> env, String... args) throws IOException, InterruptedException {
    assertTrue(Files.exists(JAR), "run after package: " + JAR.toAbsolutePath());
    Path dataDir = Files.createTempDirectory("genorch-args");
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toAbsolutePath().toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).directory(new File("."));
    builder.environment().keySet().removeIf(k -> k.startsWith("ORCH_"));
    builder.environment().put("ORCH_DATA_DIR", dataDir.toString());
    builder.environment().putAll(env);
    Process process = builder.start();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "exits by itself: " + String.join(" ", args));
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try (var files = Files.list(dataDir)) {
      assertEquals(0, files.count(), "nothing was started under ORCH_DATA_DIR: " + output);
    }
    return new Run(process.exitValue(), output);
  }

  @Test
  void versionAndHelpPrintAndExitZero() throws Exception {
    Run version = run(Map.of(), "--version");
    assertEquals(0, version.exit(), version.output());
    assertTrue(version.output().startsWith("genorch 0."), version.output());
    Run help = run(Map.of(), "--help");
    assertEquals(0, help.exit(), help.output());
    assertTrue(help.output().contains(Main.USAGE) && help.output().contains("ORCH_HTTP_PORT"), help.output());
  }

  @Test
  void anUnknownArgumentAndAWrongSettingExitTwoWithAMessage() throws Exception {
    Run unknown = run(Map.of(), "--verbose");
    assertEquals(2, unknown.exit(), unknown.output());
    assertTrue(unknown.output().contains("unknown argument '--verbose'") && unknown.output().contains(Main.USAGE));
    Run wrong = run(Map.of("ORCH_HTTP_PORT", "abc"));
    assertEquals(2, wrong.exit(), wrong.output());
    assertTrue(wrong.output().contains("ORCH_HTTP_PORT=abc is not valid: expected a port number"), wrong.output());
    assertFalse(wrong.output().contains("\tat "), "no stack trace for a wrong setting: " + wrong.output());
  }
}
