package io.genorch.simulator;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** Jobs, call counters and webhook attempts of a simulator, per provider. Thread-safe. */
final class JobStore {

  private final Map<String, Map<String, JobRecord>> jobs = new ConcurrentHashMap<>();
  private final Map<String, List<JobRecord>> order = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> submitCalls = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> statusCalls = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> statusCallsByTask = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> faultedSubmits = new ConcurrentHashMap<>();
  private final Map<String, List<WebhookAttempt>> attempts = new ConcurrentHashMap<>();
  private final AtomicLong epoch = new AtomicLong();

  /** Incremented by {@link #clear()}: work started before a reset checks it and stops. */
  long epoch() {
    return epoch.get();
  }

  void add(JobRecord job) {
    String provider = job.dialect.id();
    jobs.computeIfAbsent(provider, k -> new ConcurrentHashMap<>()).put(job.taskId, job);
    order.computeIfAbsent(provider, k -> new CopyOnWriteArrayList<>()).add(job);
  }

  /** Adds the job unless one with its id exists already; the one kept. */
  JobRecord adopt(JobRecord job) {
    JobRecord existing = jobs.computeIfAbsent(job.dialect.id(), k -> new ConcurrentHashMap<>()).putIfAbsent(job.taskId, job);
    if (existing != null) {
      return existing;
    }
    order.computeIfAbsent(job.dialect.id(), k -> new CopyOnWriteArrayList<>()).add(job);
    return job;
  }

  JobRecord job(String provider, String taskId) {
    Map<String, JobRecord> m = jobs.get(provider);
    return m == null ? null : m.get(taskId);
  }

  List<JobRecord> jobs(String provider) {
    return new ArrayList<>(order.getOrDefault(provider, List.of()));
  }

  void countSubmit(String provider) {
    submitCalls.computeIfAbsent(provider, k -> new AtomicInteger()).incrementAndGet();
  }

  void countStatus(String provider, String taskId) {
    statusCalls.computeIfAbsent(provider, k -> new AtomicInteger()).incrementAndGet();
    statusCallsByTask.computeIfAbsent(provider + '\n' + taskId, k -> new AtomicInteger()).incrementAndGet();
  }

  int submitCalls(String provider) {
    AtomicInteger c = submitCalls.get(provider);
    return c == null ? 0 : c.get();
  }

  int statusCalls(String provider) {
    AtomicInteger c = statusCalls.get(provider);
    return c == null ? 0 : c.get();
  }

  int statusCalls(String provider, String taskId) {
    AtomicInteger c = statusCallsByTask.get(provider + '\n' + taskId);
    return c == null ? 0 : c.get();
  }

  /**
   * Counts a submit that carries a submit fault and says whether the fault applies to it: always when
   * {@code times} is null, else only to the first {@code times} submits of that exact prompt.
   */
  boolean submitFaultApplies(String provider, String prompt, Integer times) {
    int n = faultedSubmits.computeIfAbsent(provider + '\n' + prompt, k -> new AtomicInteger()).incrementAndGet();
    return times == null || n <= times;
  }

  void record(WebhookAttempt attempt) {
    attempts.computeIfAbsent(attempt.providerId(), k -> new CopyOnWriteArrayList<>()).add(attempt);
  }

  List<WebhookAttempt> attempts(String provider) {
    return new ArrayList<>(attempts.getOrDefault(provider, List.of()));
  }

  /** Starts a new epoch without forgetting anything: pending work of older jobs stops. */
  void newEpoch() {
    epoch.incrementAndGet();
  }

  /** Forgets everything and starts a new epoch. */
  void clear() {
    epoch.incrementAndGet();
    jobs.clear();
    order.clear();
    submitCalls.clear();
    statusCalls.clear();
    statusCallsByTask.clear();
    faultedSubmits.clear();
    attempts.clear();
  }
}
