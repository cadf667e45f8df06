package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.junit.jupiter.api.Test;

/**
 * The embedded PostgreSQL the fat jar can start is the one the README promises, on every platform it carries
 * binaries for: the same major version everywhere, and exactly the platforms the README names.
 */
class FatJarBinariesIT {

  private static final Path JAR = Path.of("target", "genorch.jar");

  @Test
  void everyBundledPostgresIsVersion17AndThePlatformsAreTheDocumentedOnes() throws IOException {
    assertTrue(Files.exists(JAR), "run after package: " + JAR.toAbsolutePath());
    Map<String, String> versions = new TreeMap<>();
    try (JarFile jar = new JarFile(JAR.toFile())) {
      for (JarEntry entry : jar.stream().filter(e -> e.getName().matches("postgres-[^/]*\\.txz")).toList()) {
        try (InputStream in = jar.getInputStream(entry)) {
          versions.put(entry.getName(), bundledVersion(in));
        }
      }
    }
    assertEquals(Map.of(
        "postgres-darwin-x86_64.txz", "PostgreSQL 17",
        "postgres-linux-x86_64-alpine_linux.txz", "PostgreSQL 17",
        "postgres-linux-x86_64.txz", "PostgreSQL 17",
        "postgres-windows-x86_64.txz", "PostgreSQL 17"), versions);
  }

  /** The major version a binaries archive holds: the first line of its bootstrap catalog names it. */
  private static String bundledVersion(InputStream txz) throws IOException {
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new XZCompressorInputStream(txz))) {
      for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
        if (entry.getName().endsWith("postgres.bki")) { // share/ or share/postgresql/, by platform
          String firstLine = new BufferedReader(new InputStreamReader(tar, StandardCharsets.UTF_8)).readLine();
          return firstLine.replaceFirst("^#\\s*", "").trim();
        }
      }
    }
    return "no postgres.bki";
  }
}
