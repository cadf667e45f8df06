package io.genorch.common.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.genorch.common.testing.Await;
import io.genorch.common.testing.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.Pool;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** V15 moves positions out of lifecycle_events: a database that already has events keeps its stream as it was. */
@ExtendWith(VertxExtension.class)
class LifecyclePositionsMigrationTest {

  /** Only a place to create and drop the database migrated step by step here. */
  @RegisterExtension
  static final TestDatabase server = TestDatabase.perClass();

  @Test
  void eventsWrittenBeforeTheMigrationKeepTheirSeqAndThoseWithoutOneGetTheNext(Vertx vertx) throws Exception {
    String name = "genorch_v15_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12).toLowerCase(Locale.ROOT);
    server.execute("CREATE DATABASE " + name);
    Database database = Database.external("postgresql://postgres@127.0.0.1:5432/" + name);
    try {
      Flyway.configure().dataSource(database.jdbcUrl(), "postgres", null).locations("classpath:db/migration")
          .target("13").load().migrate();
      try (var c = java.sql.DriverManager.getConnection(database.jdbcUrl(), "postgres", null); var st = c.createStatement()) {
        st.execute("INSERT INTO generations (id, provider, model, status, prompt, aspect_ratio, created_at, updated_at)"
            + " VALUES ('gen_m', 'vidgo', 'm', 'succeeded', 'p', '16:9', now(), now())");
        // two positioned long ago (seq 7 and 9: a gap left by retention), one committed but not yet positioned
        st.execute("INSERT INTO lifecycle_events (seq, id, type, generation_id, payload) VALUES"
            + " (7, 'evt_a', 'generation.submitted', 'gen_m', '{\"id\":\"evt_a\"}'),"
            + " (9, 'evt_b', 'generation.processing', 'gen_m', '{\"id\":\"evt_b\"}'),"
            + " (NULL, 'evt_c', 'generation.succeeded', 'gen_m', '{\"id\":\"evt_c\"}')");
      }

      database.migrate();

      Pool pool = database.pool(vertx, 2);
      try {
        GenerationStore store = new GenerationStore(pool, vertx.eventBus());
        List<JsonObject> events = Await.result(store.lifecycleEventsAfter(0, 10));
        assertEquals(List.of("evt_a:7", "evt_b:9", "evt_c:10"),
            events.stream().map(e -> e.getString("id") + ":" + e.getLong("seq")).toList());
        assertEquals(List.of("evt_c:10"), Await.result(store.lifecycleEventsAfter(9, 10)).stream()
            .map(e -> e.getString("id") + ":" + e.getLong("seq")).toList(), "a consumer's cursor stays valid");
      } finally {
        Await.result(pool.close());
      }
    } finally {
      database.close();
      server.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }
  }
}
