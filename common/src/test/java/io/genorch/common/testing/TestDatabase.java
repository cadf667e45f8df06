package io.genorch.common.testing;

import io.genorch.common.persistence.Database;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.PostgreSQLContainer;

/**
 * The one way tests get a real PostgreSQL. The server is chosen once per JVM, in this order: ORCH_TEST_PG_URL (env
 * or system property); the local server on 127.0.0.1:5432 when it answers; a Testcontainers PostgreSQL when Docker
 * is there; else an embedded PostgreSQL. Each {@link #create()} makes a fresh database on it, migrated, so test
 * classes never see each other's rows; {@link #close()} drops it.
 *
 * <p>As a JUnit extension on a static field it manages itself: {@code @RegisterExtension static final TestDatabase db =
 * TestDatabase.perClass();} is dropped after the class, and {@link #emptiedBeforeEach()} also starts every test from
 * empty tables.
 */
public final class TestDatabase implements AutoCloseable, BeforeEachCallback, AfterAllCallback {

  private static final Logger LOG = LoggerFactory.getLogger(TestDatabase.class);
  private static final String LOCAL_URL = "postgresql://postgres@127.0.0.1:5432/postgres";
  private static Server server;

  private final String name;
  private final String url;
  private final boolean resetBeforeEach;

  private TestDatabase(String name, String url, boolean resetBeforeEach) {
    this.name = name;
    this.url = url;
    this.resetBeforeEach = resetBeforeEach;
  }

  /** A new, migrated database for one test class. */
  public static TestDatabase create() {
    return create(false);
  }

  /** {@link #create()} that, registered as an extension, is dropped after the test class. */
  public static TestDatabase perClass() {
    return create(false);
  }

  /** {@link #perClass()} that also {@link #reset() empties} every table before each test. */
  public static TestDatabase emptiedBeforeEach() {
    return create(true);
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    if (resetBeforeEach) {
      reset();
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    close();
  }

  private static TestDatabase create(boolean resetBeforeEach) {
    Server s = server();
    String name = "genorch_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16).toLowerCase(Locale.ROOT);
    s.execute("CREATE DATABASE " + name);
    TestDatabase db = new TestDatabase(name, s.urlFor(name), resetBeforeEach);
    try (Database database = db.open()) {
      database.migrate();
    }
    return db;
  }

  /** A URL for ORCH_PG_URL, e.g. {@code postgresql://postgres@127.0.0.1:5432/genorch_test_…}. */
  public String url() {
    return url;
  }

  /** The service's own view of this database. */
  public Database open() {
    return Database.external(url);
  }

  /**
   * Empties every table of the schema but Flyway's history, as found in the catalog when called, so a table added by
   * a later migration is never forgotten. For test classes that share one database between their tests.
   */
  public void reset() {
    execute("""
        DO $$
        DECLARE tables text;
        BEGIN
          SELECT string_agg(format('%I.%I', schemaname, tablename), ', ') INTO tables
            FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'flyway_schema_history';
          EXECUTE 'TRUNCATE ' || tables || ' CASCADE';
        END $$""");
  }

  /** Runs SQL outside Vert.x, for arranging and inspecting rows in tests. */
  public void execute(String sql) {
    try (Connection c = connect(); var st = c.createStatement()) {
      st.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql, e);
    }
  }

  public long count(String sql) {
    try (Connection c = connect(); var st = c.createStatement(); var rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(sql, e);
    }
  }

  public Connection connect() throws SQLException {
    return server().connect(name);
  }

  /** A database outage as the service sees it: new connections are refused and the open ones are ended. */
  public void refuseConnections() {
    server().execute("ALTER DATABASE " + name + " ALLOW_CONNECTIONS false");
    server().execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name + "'");
  }

  /** Ends the outage {@link #refuseConnections()} began. */
  public void allowConnections() {
    server().execute("ALTER DATABASE " + name + " ALLOW_CONNECTIONS true");
  }

  @Override
  public void close() {
    server().execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  }

  private static synchronized Server server() {
    if (server == null) {
      server = chooseServer();
    }
    return server;
  }

  private static Server chooseServer() {
    String given = System.getProperty("ORCH_TEST_PG_URL", System.getenv("ORCH_TEST_PG_URL"));
    if (given != null && !given.isBlank()) {
      LOG.info("Test PostgreSQL: ORCH_TEST_PG_URL {}", given);
      return Server.fromUrl(given);
    }
    Server local = Server.fromUrl(LOCAL_URL);
    if (local.answers()) {
      LOG.info("Test PostgreSQL: the local server at 127.0.0.1:5432");
      return local;
    }
    if (dockerAvailable()) {
      PostgreSQLContainer<?> container = new PostgreSQLContainer<>("postgres:17-alpine");
      container.start();
      LOG.info("Test PostgreSQL: Testcontainers {}", container.getJdbcUrl());
      return new Server(container.getHost(), container.getFirstMappedPort(), container.getUsername(), container.getPassword(), container.getDatabaseName());
    }
    try {
      EmbeddedPostgres embedded = EmbeddedPostgres.builder()
          .setDataDirectory(Files.createTempDirectory("genorch-test-pg"))
          .setCleanDataDirectory(true)
          .start();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          embedded.close();
        } catch (Exception ignored) {
          // the JVM is going away
        }
      }));
      LOG.info("Test PostgreSQL: embedded PostgreSQL on port {}", embedded.getPort());
      return new Server("127.0.0.1", embedded.getPort(), "postgres", null, "postgres");
    } catch (Exception e) {
      throw new IllegalStateException("no PostgreSQL for the tests: none given, none local, no Docker, embedded failed", e);
    }
  }

  private static boolean dockerAvailable() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (Throwable e) {
      return false;
    }
  }

  private record Server(String host, int port, String user, String password, String adminDatabase) {

    static Server fromUrl(String url) {
      var options = io.vertx.pgclient.PgConnectOptions.fromUri(url.startsWith("jdbc:") ? url.substring(5) : url);
      return new Server(options.getHost(), options.getPort(), options.getUser(), options.getPassword(), options.getDatabase());
    }

    boolean answers() {
      DriverManager.setLoginTimeout(3);
      try (Connection c = connect(adminDatabase)) {
        return c.isValid(3);
      } catch (SQLException e) {
        return false;
      }
    }

    Connection connect(String database) throws SQLException {
      return DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + "/" + database, user, password);
    }

    void execute(String sql) {
      try (Connection c = connect(adminDatabase); var st = c.createStatement()) {
        st.execute(sql);
      } catch (SQLException e) {
        throw new IllegalStateException(sql, e);
      }
    }

    String urlFor(String database) {
      String credentials = password == null || password.isEmpty() ? user : user + ":" + password;
      return "postgresql://" + credentials + "@" + host + ":" + port + "/" + database;
    }
  }
}
