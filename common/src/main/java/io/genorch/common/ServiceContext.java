package io.genorch.common;

import io.genorch.common.config.OrchConfig;
import io.genorch.common.config.ProviderSettings;
import io.genorch.common.metrics.GenerationEndLog;
import io.genorch.common.metrics.GenorchMetrics;
import io.genorch.common.outputs.StorageOptions;
import io.genorch.common.persistence.GenerationStore;
import io.genorch.common.persistence.ProviderGate;
import io.genorch.common.provider.ProviderAdapter;
import io.genorch.common.provider.ProviderClient;
import io.genorch.common.provider.Providers;
import io.vertx.sqlclient.Pool;
import io.genorch.common.persistence.Database;
import io.vertx.core.Vertx;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.HttpClientOptions;
import java.util.LinkedHashMap;
import java.util.Map;

/** What the verticles of one process share: configuration, the database, the providers and the way to call them. */
public record ServiceContext(
    OrchConfig config,
    Pool pool,
    GenerationStore store,
    Providers providers,
    Map<String, ProviderSettings> providerSettings,
    ProviderGate gate,
    ProviderClient providerClient,
    GenorchMetrics metrics) {

  /**
   * The lifecycle event log's own connections, besides ORCH_PG_POOL_SIZE: one for the sequencer's passes (one at a
   * time per process) and one for reads of {@code GET /v1/events}.
   */
  public static final int EVENT_LOG_CONNECTIONS = 2;

  /** Builds the shared parts for one process over an opened (and migrated) database, with metrics off. */
  public static ServiceContext create(Vertx vertx, Database database, OrchConfig config) {
    return create(vertx, database, config, GenorchMetrics.noop());
  }

  /** Builds the shared parts for one process over an opened (and migrated) database. */
  public static ServiceContext create(Vertx vertx, Database database, OrchConfig config, GenorchMetrics metrics) {
    Pool pool = database.pool(vertx, config.pgPoolSize(), config.pgPoolWaitQueue());
    Providers providers = Providers.all();
    Map<String, ProviderSettings> settings = new LinkedHashMap<>();
    providers.list().forEach(a -> settings.put(a.id(), config.provider(a.spec())));
    ProviderGate gate = new ProviderGate(pool, id -> settings.get(id).maxRpm(), id -> settings.get(id).maxInFlight());
    // the default of 5 connections per host would cap the requests MAX_IN_FLIGHT allows to one provider
    int connectionsPerProvider = settings.values().stream().mapToInt(ProviderSettings::maxInFlight).max().orElse(0);
    ProviderClient client = new ProviderClient(
        vertx.createHttpClient(new HttpClientOptions(), new PoolOptions().setHttp1MaxSize(Math.max(connectionsPerProvider, 16))),
        config.providerTimeout());
    GenerationEndLog endLog = new GenerationEndLog();
    vertx.setPeriodic(GenerationEndLog.SUMMARY_EVERY.toMillis(), id -> endLog.summarize());
    StorageOptions storage = StorageOptions.from(config);
    GenerationStore store = new GenerationStore(pool, database.pool(vertx, EVENT_LOG_CONNECTIONS), vertx.eventBus(), generation -> {
      metrics.generationAdvanced(generation);
      endLog.advanced(generation);
    }, storage.enabled() ? storage.retryFor() : null, config.maxAttempts());
    store.onRerun(generation -> metrics.rerun(generation.provider()));
    store.sequencer().start(vertx);
    return new ServiceContext(config, pool, store, providers, Map.copyOf(settings), gate, client, metrics);
  }

  public ProviderSettings settings(String providerId) {
    ProviderSettings settings = providerSettings.get(providerId);
    if (settings == null) {
      throw new IllegalArgumentException("unknown provider " + providerId);
    }
    return settings;
  }

  public ProviderAdapter adapter(String providerId) {
    return providers.find(providerId).orElseThrow(() -> new IllegalArgumentException("unknown provider " + providerId));
  }
}
