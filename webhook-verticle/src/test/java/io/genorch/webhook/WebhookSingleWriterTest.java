package io.genorch.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The webhook module writes only its own tables: the generation and its timeline are written by common's
 * {@code GenerationStore} alone, so the state machine sees every change.
 */
class WebhookSingleWriterTest {

  private static final Pattern FOREIGN_WRITE = Pattern.compile(
      "(insert\\s+into|update|delete\\s+from)\\s+(generations|generation_events|lifecycle_events)\\b"
          + "|\\.recordEvent\\(|\\.apply\\(\\s*d\\.generationId");

  @Test
  void noWebhookSourceWritesGenerationsOrTheirTimeline() throws IOException {
    List<Path> sources;
    try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
      sources = files.filter(p -> p.toString().endsWith(".java")).toList();
    }
    assertFalse(sources.isEmpty(), "run from the module directory");
    List<String> offenders = sources.stream()
        .filter(p -> FOREIGN_WRITE.matcher(read(p).toLowerCase(Locale.ROOT)).find())
        .map(Path::toString)
        .toList();
    assertEquals(List.of(), offenders);
  }

  private static String read(Path path) {
    try {
      return Files.readString(path);
    } catch (IOException e) {
      throw new IllegalStateException(path.toString(), e);
    }
  }
}
