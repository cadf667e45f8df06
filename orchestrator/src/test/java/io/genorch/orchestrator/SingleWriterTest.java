package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * GenerationStore is the only writer of generations and of the timeline: no main source of any module outside
 * common's persistence package holds SQL that writes those tables (DESIGN.md, "One writer of generations").
 */
class SingleWriterTest {

  static final Pattern WRITES = Pattern.compile(
      "\\b(UPDATE\\s+generations|INSERT\\s+INTO\\s+generations|DELETE\\s+FROM\\s+generations"
          + "|INSERT\\s+INTO\\s+generation_events|INSERT\\s+INTO\\s+lifecycle_events)\\b",
      Pattern.CASE_INSENSITIVE);

  private static final Path STORE_PACKAGE = Path.of("common", "src", "main", "java", "io", "genorch", "common", "persistence");

  @Test
  void onlyTheStoreWritesGenerationsAndTheirTimeline() throws IOException {
    Path root = Path.of("").toAbsolutePath().getParent(); // surefire runs in the module directory
    assertTrue(Files.isDirectory(root.resolve(STORE_PACKAGE)), "the project root is " + root);
    List<String> writers = new ArrayList<>();
    try (Stream<Path> modules = Files.list(root)) {
      for (Path mainSources : modules.map(m -> m.resolve("src").resolve("main")).filter(Files::isDirectory).toList()) {
        try (Stream<Path> files = Files.walk(mainSources)) {
          files.filter(Files::isRegularFile)
              .filter(f -> !f.startsWith(root.resolve(STORE_PACKAGE)))
              .forEach(f -> {
                Matcher m = WRITES.matcher(read(f));
                if (m.find()) {
                  writers.add(root.relativize(f) + ": " + m.group());
                }
              });
        }
      }
    }
    assertEquals(List.of(), writers, "only GenerationStore (common persistence) may write these tables");
  }

  @Test
  void thePatternSeesWritesWhateverTheirCaseAndSpacing() {
    assertTrue(WRITES.matcher("\"update  generations SET x = 1\"").find());
    assertTrue(WRITES.matcher("\"WITH g AS (...) Insert Into\n generation_events (a)\"").find());
    assertTrue(WRITES.matcher("INSERT INTO lifecycle_events").find());
    assertTrue(!WRITES.matcher("UPDATE generations_archive").find() && !WRITES.matcher("SELECT * FROM generations").find());
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(file.toString(), e);
    }
  }
}
