package io.genorch.common.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedDatabaseTest {

  @Test
  void aSecondServiceOnTheSameDataDirectoryIsRefusedAndTheFirstKeepsRunning(@TempDir Path dataDir) throws Exception {
    try (EmbeddedDatabase first = EmbeddedDatabase.start(dataDir)) {
      IllegalStateException refused = assertThrows(IllegalStateException.class, () -> EmbeddedDatabase.start(dataDir));
      assertTrue(refused.getMessage().contains("ORCH_DATA_DIR"), refused.getMessage());
      try (var connection = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + first.port() + "/postgres", "postgres", "");
          var rs = connection.createStatement().executeQuery("SELECT 1")) {
        assertTrue(rs.next(), "the first server was left alone");
      }
    }
    assertTrue(Files.exists(dataDir.resolve("PG_VERSION")), "the data stays for the next start");
  }

  @Test
  void theServerIsDurableAgainstAnOsCrash(@TempDir Path dataDir) throws Exception {
    try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir);
        var connection = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + db.port() + "/postgres", "postgres", "")) {
      for (String setting : new String[] {"fsync", "synchronous_commit", "full_page_writes"}) {
        try (var rs = connection.createStatement().executeQuery("SHOW " + setting)) {
          assertTrue(rs.next());
          assertEquals("on", rs.getString(1), setting);
        }
      }
    }
  }
}
