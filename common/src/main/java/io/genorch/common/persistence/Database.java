package io.genorch.common.persistence;

import io.genorch.common.config.OrchConfig;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the service keeps its state: the PostgreSQL named by ORCH_PG_URL, or an embedded one it starts itself.
 * Opening, migrating and closing block, so they run before Vert.x starts or inside executeBlocking.
 */
public final class Database implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Database.class);

  private final PgConnectOptions connectOptions;
  private final EmbeddedDatabase embedded;

  private Database(PgConnectOptions connectOptions, EmbeddedDatabase embedded) {
    this.connectOptions = connectOptions;
    this.embedded = embedded;
  }

  /** Opens the configured database: ORCH_PG_URL when set, else the embedded one under ORCH_DATA_DIR. Blocking. */
  public static Database open(OrchConfig config) {
    return config.pgUrl().map(url -> {
      Database db = external(url);
      LOG.info("Using PostgreSQL at {}:{}/{}", db.connectOptions.getHost(), db.connectOptions.getPort(), db.connectOptions.getDatabase());
      return db;
    }).orElseGet(() -> embedded(config));
  }

  /** A PostgreSQL server given by a URI such as {@code postgresql://postgres@localhost:5432/postgres}. */
  public static Database external(String uri) {
    return new Database(PgConnectOptions.fromUri(uri.startsWith("jdbc:") ? uri.substring(5) : uri), null);
  }

  private static Database embedded(OrchConfig config) {
    EmbeddedDatabase db = EmbeddedDatabase.start(config.dataDir().resolve("postgres"));
    // the documented way to try the service, so information rather than a warning on every such start
    LOG.info(
        "ORCH_PG_URL is not set: using the EMBEDDED PostgreSQL on 127.0.0.1:{} with its data in {}. It suits trying the"
            + " service, demos and one small instance. For production or several instances, point the service at a"
            + " real server: ORCH_PG_URL=postgresql://user:password@host:5432/database",
        db.port(),
        db.dataDirectory().toAbsolutePath());
    PgConnectOptions options = new PgConnectOptions()
        .setHost("127.0.0.1")
        .setPort(db.port())
        .setDatabase("postgres")
        .setUser("postgres");
    return new Database(options, db);
  }

  /**
   * Applies the versioned migrations. Flyway holds a PostgreSQL advisory lock while it migrates, so instances
   * starting together apply each migration once. Blocking.
   */
  public void migrate() {
    Flyway.configure()
        .dataSource(jdbcUrl(), connectOptions.getUser(), connectOptions.getPassword())
        .locations("classpath:db/migration")
        .load()
        .migrate();
  }

  /**
   * A pool of {@code maxSize} connections; at most {@code maxWaitQueueSize} requests wait for one, and beyond that
   * a request fails at once with {@link io.vertx.core.http.ConnectionPoolTooBusyException} instead of queueing in
   * memory without bound.
   */
  public Pool pool(Vertx vertx, int maxSize, int maxWaitQueueSize) {
    return PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(maxSize).setMaxWaitQueueSize(maxWaitQueueSize))
        .connectingTo(connectOptions())
        .using(vertx)
        .build();
  }

  /** A pool whose wait queue has the default bound of {@code ORCH_PG_POOL_WAIT_QUEUE}. */
  public Pool pool(Vertx vertx, int maxSize) {
    return pool(vertx, maxSize, io.genorch.common.config.Settings.PG_POOL_WAIT_QUEUE.defaultValue());
  }

  public PgConnectOptions connectOptions() {
    return new PgConnectOptions(connectOptions).setCachePreparedStatements(true);
  }

  /**
   * The same server, database and session settings for JDBC (Flyway) as the reactive pool uses: TLS mode, schema
   * search path and server options carry over, so migrations land where the service then looks.
   */
  public String jdbcUrl() {
    String host = connectOptions.getHost().contains(":") ? "[" + connectOptions.getHost() + "]" : connectOptions.getHost();
    StringBuilder url = new StringBuilder("jdbc:postgresql://").append(host).append(':').append(connectOptions.getPort())
        .append('/').append(encode(connectOptions.getDatabase()));
    java.util.List<String> params = new java.util.ArrayList<>();
    if (connectOptions.getSslMode() != null) {
      params.add("sslmode=" + connectOptions.getSslMode().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
    }
    connectOptions.getProperties().forEach((name, value) -> {
      switch (name) {
        case "search_path" -> params.add("currentSchema=" + encode(value));
        case "application_name" -> params.add("ApplicationName=" + encode(value));
        case "options" -> params.add("options=" + encode(value));
        default -> { } // the rest are protocol defaults both drivers set themselves
      }
    });
    return params.isEmpty() ? url.toString() : url.append('?').append(String.join("&", params)).toString();
  }

  private static String encode(String value) {
    return java.net.URLEncoder.encode(value, java.nio.charset.StandardCharsets.UTF_8);
  }

  public boolean isEmbedded() {
    return embedded != null;
  }

  /** Stops the embedded server, if this instance started one. Blocking. */
  @Override
  public void close() {
    if (embedded != null) {
      embedded.close();
    }
  }
}
