package io.genorch.poller;

import io.genorch.common.ServiceContext;
import io.genorch.common.config.OrchConfig;
import io.genorch.common.config.ProviderSettings;
import io.genorch.common.domain.Generation;
import io.genorch.common.domain.GenerationRequest;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.persistence.GenerationStore.TimelineEntry;
import io.genorch.common.provider.ProviderAdapter;
import io.genorch.common.provider.ProviderSpec;
import io.genorch.common.provider.SubmitResult;
import io.genorch.common.statemachine.Change;
import io.genorch.common.statemachine.Source;
import io.genorch.common.testing.Await;
import io.genorch.common.testing.SimulatedProviders;
import io.genorch.common.testing.TestDatabase;
import io.genorch.simulator.ProviderSimulator;
import io.genorch.simulator.SimJob;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A test database, the provider simulator (simulated times x 0.01, a job runs 100 ms) and a service context over
 * both for arranging generations; poller instances are started on top, each with its own Vert.x and context as
 * separate processes would have.
 */
final class PollerHarness implements AutoCloseable {

  static final List<String> PROVIDERS = ProviderSimulator.PROVIDERS;

  /** Where the simulated jobs would call back; tests use [sim:no-callback], so nothing ever listens there. */
  static final String NOWHERE = "http://127.0.0.1:9/webhooks/unused";

  /** A generation the provider accepted. */
  record Submitted(String id, String provider, String taskId) {}

  /** One poller instance: its own Vert.x, context and verticle. */
  record Instance(Vertx vertx, ServiceContext ctx, PollerVerticle verticle, String deploymentId) {
    void close() {
      Await.result(vertx.undeploy(deploymentId));
      Await.result(vertx.close());
    }
  }

  final TestDatabase db;
  final SimulatedProviders providers = new SimulatedProviders(0.01, Duration.ofSeconds(10));
  final ProviderSimulator sim = providers.simulator;
  final Vertx vertx = Vertx.vertx();
  final Map<String, String> env;
  final ServiceContext ctx;

  /** @param overrides configuration over {@link #baseEnv} (grace, deadline, backoff, ...) */
  PollerHarness(Map<String, String> overrides) {
    db = TestDatabase.create();
    env = new HashMap<>(baseEnv());
    env.putAll(overrides);
    ctx = ServiceContext.create(vertx, db.open(), OrchConfig.of(env));
  }

  /** Every provider pointed at the simulator, with budgets that never get in the way, and a fast poller. */
  private Map<String, String> baseEnv() {
    Map<String, String> base = new HashMap<>(providers.enableAll());
    for (String provider : PROVIDERS) {
      base.put("ORCH_PROVIDER_" + ProviderSettings.envId(provider) + "_MAX_RPM", "1000000");
    }
    base.put("ORCH_PROVIDER_TIMEOUT_MS", "5000");
    base.put("ORCH_POLL_INTERVAL_MS", "50");
    return base;
  }

  /** A poller on its own Vert.x with this harness's configuration plus {@code overrides}. */
  Instance startInstance(Map<String, String> overrides) {
    Map<String, String> instanceEnv = new HashMap<>(env);
    instanceEnv.putAll(overrides);
    Vertx instanceVertx = Vertx.vertx();
    ServiceContext instanceCtx = ServiceContext.create(instanceVertx, db.open(), OrchConfig.of(instanceEnv));
    PollerVerticle verticle = new PollerVerticle(instanceCtx);
    String id = Await.result(instanceVertx.deployVerticle(verticle));
    return new Instance(instanceVertx, instanceCtx, verticle, id);
  }

  GenerationRequest request(String provider, String prompt) {
    ProviderSpec spec = ctx.adapter(provider).spec();
    return new GenerationRequest(provider, spec.defaultModel(), prompt, null, "9:16", spec.defaultDuration(), null, null, null);
  }

  /**
   * What the submitter does: stores the generation, sends it to the simulator and applies the answer with the
   * first check after the provider's callback grace and its deadline (ORCH_PROVIDER_&lt;ID&gt;_CALLBACK_GRACE_S and
   * _DEADLINE_S).
   */
  Submitted submit(String provider, String prompt) {
    GenerationRequest request = request(provider, prompt);
    String id = Await.result(ctx.store().create(request, null)).generation().id();
    String taskId = createJob(provider, prompt);
    ProviderSettings settings = ctx.settings(provider);
    Instant now = Instant.now();
    Await.result(ctx.store().apply(id, new Change(Source.SUBMIT, GenerationStatus.SUBMITTED, taskId,
        null, null, null, new JsonObject(), now.plus(settings.callbackGrace()), now.plus(settings.deadline()))));
    return new Submitted(id, provider, taskId);
  }

  /** A job in the simulator; returns its task id. */
  String createJob(String provider, String prompt) {
    return Await.result(sendJob(provider, prompt));
  }

  private Future<String> sendJob(String provider, String prompt) {
    ProviderAdapter adapter = ctx.adapter(provider);
    return ctx.providerClient().submit(adapter, ctx.settings(provider), request(provider, prompt), NOWHERE).map(result -> {
      if (!(result instanceof SubmitResult.Accepted accepted)) {
        throw new AssertionError(provider + " did not accept the job: " + result);
      }
      return accepted.outcome().providerTaskId();
    });
  }

  /** {@code n} jobs in the simulator, five requests at a time (the client's connections to one host). */
  List<String> createJobs(String provider, String prompt, int n) {
    List<String> taskIds = new ArrayList<>(n);
    for (int from = 0; from < n; from += 5) {
      List<Future<String>> chunk = new ArrayList<>();
      for (int i = from; i < Math.min(n, from + 5); i++) {
        chunk.add(sendJob(provider, prompt));
      }
      Await.result(Future.all(chunk), Duration.ofSeconds(60));
      chunk.forEach(f -> taskIds.add(f.result()));
    }
    return taskIds;
  }

  void awaitJobsFinished(String provider, List<String> taskIds) {
    Await.until("simulated jobs of " + provider + " finished", () -> taskIds.stream()
        .filter(t -> sim.job(provider, t).map(SimJob::outcome).orElse(null) == null).count(), n -> n == 0);
  }

  /**
   * Generations submitted ten minutes ago as the given tasks, callback overdue (due a second ago) and an hour before
   * their deadline, in one transaction; ids {@code gen_<prefix>_<provider>_<i>}.
   */
  List<String> insertOverdue(String prefix, Map<String, List<String>> taskIdsByProvider) {
    List<String> ids = new ArrayList<>();
    String sql = "INSERT INTO generations (id, provider, model, status, prompt, aspect_ratio, duration_seconds,"
        + " provider_task_id, created_at, submitted_at, updated_at, submit_state, next_check_at, deadline_at)"
        + " VALUES (?, ?, ?, 'submitted', 'overdue', '9:16', ?, ?, now() - interval '10 minutes',"
        + " now() - interval '10 minutes', now() - interval '10 minutes', 'done', now() - interval '1 second',"
        + " now() + interval '1 hour')";
    try (Connection c = db.connect(); PreparedStatement st = c.prepareStatement(sql)) {
      c.setAutoCommit(false);
      for (var entry : taskIdsByProvider.entrySet()) {
        ProviderSpec spec = ctx.adapter(entry.getKey()).spec();
        int i = 0;
        for (String taskId : entry.getValue()) {
          String id = "gen_" + prefix + "_" + entry.getKey() + "_" + i++;
          st.setString(1, id);
          st.setString(2, entry.getKey());
          st.setString(3, spec.defaultModel());
          st.setObject(4, spec.defaultDuration());
          st.setString(5, taskId);
          st.addBatch();
          ids.add(id);
        }
      }
      st.executeBatch();
      c.commit();
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return ids;
  }

  Generation generation(String id) {
    return Await.result(ctx.store().find(id)).orElseThrow();
  }

  Generation awaitTerminal(String id, Duration within) {
    return Await.until("generation " + id + " terminal", within, () -> generation(id), g -> g.status().isTerminal());
  }

  List<TimelineEntry> timeline(String id) {
    return Await.result(ctx.store().timeline(id)).orElseThrow();
  }

  List<String> timelineTypes(String id) {
    return timeline(id).stream().map(TimelineEntry::type).toList();
  }

  long scalar(String sql) {
    return db.count(sql);
  }

  @Override
  public void close() {
    Await.result(vertx.close());
    providers.close();
    db.close();
  }
}
