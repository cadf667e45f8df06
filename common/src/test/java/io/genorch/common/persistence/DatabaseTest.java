package io.genorch.common.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.testing.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import org.junit.jupiter.api.Test;

class DatabaseTest {

  @Test
  void migrationsLandInTheSchemaTheServiceQueries() {
    try (TestDatabase db = TestDatabase.create()) {
      db.execute("CREATE SCHEMA tenant_a");
      String url = db.url() + (db.url().contains("?") ? "&" : "?") + "search_path=tenant_a&application_name=genorch-test";
      Database database = Database.external(url);
      assertTrue(database.jdbcUrl().contains("currentSchema=tenant_a"), database.jdbcUrl());

      database.migrate();

      assertEquals(1, db.count("SELECT count(*) FROM information_schema.tables"
          + " WHERE table_schema = 'tenant_a' AND table_name = 'generations'"));
      Vertx vertx = Vertx.vertx();
      try {
        Pool pool = database.pool(vertx, 1, 16);
        long rows = pool.query("SELECT count(*) FROM generations").execute().await().iterator().next().getLong(0);
        assertEquals(0, rows, "the pool finds the table the migration created");
      } finally {
        vertx.close().await();
      }
    }
  }
}
