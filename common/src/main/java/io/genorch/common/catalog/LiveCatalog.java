package io.genorch.common.catalog;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The catalog in force: the built-in default, overridden by {@code ORCH_CATALOG_FILE} when set. vertx-config's file
 * store reads the file (JSON, or YAML for {@code .yaml}/{@code .yml}) asynchronously and re-reads it every scan
 * period; a changed file that parses and validates replaces the catalog at once, anything else is logged and the
 * last good catalog stays in force.
 */
public final class LiveCatalog {

  private static final Logger LOG = LoggerFactory.getLogger(LiveCatalog.class);

  private final Catalog builtIn;
  private final Set<String> knownProviders;
  private final AtomicReference<Catalog> current;
  private ConfigRetriever retriever;

  private LiveCatalog(Catalog builtIn, Set<String> knownProviders) {
    this.builtIn = builtIn;
    this.knownProviders = knownProviders;
    this.current = new AtomicReference<>(builtIn);
  }

  /** Only the built-in default, never re-read. */
  public static LiveCatalog builtInOnly(Set<String> knownProviders) {
    return new LiveCatalog(Catalog.builtIn(knownProviders), knownProviders);
  }

  /**
   * Starts with the built-in default, then the file when given; completes once the file was read once (a bad file
   * leaves the built-in catalog in force, logged, and is read again at the next scan).
   */
  public static Future<LiveCatalog> start(Vertx vertx, Set<String> knownProviders, Optional<Path> file, Duration scanPeriod) {
    LiveCatalog catalog = builtInOnly(knownProviders);
    if (file.isEmpty()) {
      return Future.succeededFuture(catalog);
    }
    Path path = file.get();
    String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
    String format = name.endsWith(".yaml") || name.endsWith(".yml") ? "yaml" : "json";
    ConfigStoreOptions store = new ConfigStoreOptions().setType("file").setFormat(format)
        .setConfig(new JsonObject().put("path", path.toString()));
    catalog.retriever = ConfigRetriever.create(vertx,
        new ConfigRetrieverOptions().addStore(store).setScanPeriod(scanPeriod.toMillis()).setIncludeDefaultStores(false));
    // a file that cannot be read or parsed: vertx-config reports it on its stream, and no change is announced
    catalog.retriever.configStream().exceptionHandler(err -> LOG.error(
        "Catalog file {} could not be read ({}); the previous catalog stays in force", path, err.getMessage()));
    catalog.retriever.listen(change -> catalog.load(path, change.getNewConfiguration()));
    return catalog.retriever.getConfig()
        .onSuccess(json -> catalog.load(path, json))
        .onFailure(err -> LOG.error("Catalog file {} could not be read ({}); the built-in catalog is in force until it can",
            path, err.getMessage()))
        .transform(ignored -> Future.succeededFuture(catalog));
  }

  private void load(Path path, JsonObject json) {
    try {
      Catalog next = builtIn.overriddenBy(json, knownProviders);
      current.set(next);
      LOG.info("Catalog loaded from {}: models {}", path, next.models().stream().map(CatalogModel::id).toList());
    } catch (InvalidCatalogException e) {
      LOG.error("Catalog file {} refused, the previous catalog stays in force: {}", path, e.getMessage());
    }
  }

  public Catalog current() {
    return current.get();
  }

  public Future<Void> close() {
    return retriever == null ? Future.succeededFuture() : retriever.close();
  }
}
