package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.testing.Await;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A database that cannot keep up: requests beyond the pool's wait queue are refused at once, with Retry-After. */
class PoolWaitQueueTest {

  @RegisterExtension
  static final ServiceUnderTest service = ServiceUnderTest.withoutProviders()
      .set("ORCH_PG_POOL_SIZE", "1")
      .set("ORCH_PG_POOL_WAIT_QUEUE", "1");

  @Test
  void requestsBeyondTheWaitQueueGet503WithRetryAfter() throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpRequest list = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.httpPort() + "/v1/generations"))
        .header("Authorization", "Bearer " + TestOrchestrators.API_KEY).timeout(Duration.ofSeconds(30)).GET().build();
    List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
    try (Connection holder = service.db().connect(); Statement statement = holder.createStatement()) {
      // the pool's one connection blocks on this lock, and one more request waits for it: the rest find the queue full
      holder.setAutoCommit(false);
      statement.execute("LOCK TABLE generations IN ACCESS EXCLUSIVE MODE");
      for (int i = 0; i < 20; i++) {
        answers.add(http.sendAsync(list, HttpResponse.BodyHandlers.ofString()));
      }
      Await.until("the requests beyond the queue to be answered", Duration.ofSeconds(10),
          () -> answers.stream().filter(CompletableFuture::isDone).count(), done -> done >= 18);
      for (CompletableFuture<HttpResponse<String>> answer : answers) {
        if (answer.isDone()) {
          HttpResponse<String> refused = answer.join();
          assertEquals(503, refused.statusCode(), refused.body());
          assertEquals("unavailable", new JsonObject(refused.body()).getJsonObject("error").getString("code"));
          assertEquals("1", refused.headers().firstValue("Retry-After").orElse(null));
        }
      }
      holder.rollback();
    }
    CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).join();
    assertTrue(answers.stream().allMatch(a -> a.join().statusCode() == 200 || a.join().statusCode() == 503));
    HttpResponse<String> after = http.send(list, HttpResponse.BodyHandlers.ofString());
    assertEquals(200, after.statusCode(), "served again once the database keeps up");
  }
}
