package io.genorch.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link SimulatorOptions#adoptUnknownTasks()} (the demo's simulator): a status call for a task it never created, as
 * after a restart, answers that job as succeeded in the provider's own shape, and keeps answering the same.
 */
class AdoptUnknownTasksTest extends SimulatorTestBase {

  @Override
  protected SimulatorOptions options() {
    return super.options().withAdoptUnknownTasks(true);
  }

  @ParameterizedTest
  @ValueSource(strings = {"heo365-sora2", "runblob-sora", "vidgo", "apimart", "runblob-kling-o3"})
  void aTaskFromBeforeARestartIsAnsweredAsSucceeded(String p, VertxTestContext ctx) {
    status(p, "task-from-before")
        .compose(first -> {
          assertEquals(200, first.statusCode(), first.bodyAsString());
          return status(p, "task-from-before");
        })
        .map(second -> {
          assertEquals(200, second.statusCode(), second.bodyAsString());
          SimJob job = sim.job(p, "task-from-before").orElseThrow();
          assertEquals(SimJob.Outcome.SUCCEEDED, job.outcome());
          assertTrue(second.bodyAsString().contains(job.resultUrl()), second.bodyAsString());
          assertEquals(1, sim.jobs(p).size(), "adopted once");
          assertTrue(sim.webhookAttempts(p).isEmpty(), "an adopted job does not call back");
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }
}
