#!/usr/bin/env bash
# Runs one benchmark (or all) and prints its report; results also land in <module>/target/benchmarks/ and bench-results/.
#   bench/run.sh anchor    only the anchor: pgbench running the webhook-shaped transaction (see docs/BENCHMARKS.md)
#   bench/run.sh webhook   deliveries per second and ack latency of the webhook verticle
#   bench/run.sh poller    reconciliations per second of the poller over 10,000 overdue generations
#   bench/run.sh submit    the submission loop alone: a queued backlog of 10,000 sent to the in-process simulator
#   bench/run.sh outputs   outputs kept: 200 outputs of 20 MB copied to fs and to s3proxy, heap while copying 1 GiB
#   bench/run.sh e2e       the fat jar as its own process (demo mode) under load over HTTP: accepts, POST to submitted,
#                          /v1/events lag, resident memory
#   bench/run.sh all       all of the above
# Every run first measures the anchor on the same PostgreSQL, so each report states its ratio to what the database
# gives on this machine at that moment. PGHOST/PGPORT/PGUSER choose the server (default 127.0.0.1:5432, postgres).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench-results
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
export PGOPTIONS="${PGOPTIONS:--c client_min_messages=warning}"

anchor() { # pgbench with the webhook-shaped transaction: 8 clients, 2 threads, 10 s, as bench/README of the anchor says
  command -v pgbench >/dev/null || { echo "pgbench not found: install the PostgreSQL server or client package" >&2; exit 1; }
  local sql=bench/anchor
  psql -q -c 'DROP DATABASE IF EXISTS pgb_anchor' >/dev/null
  psql -q -c 'CREATE DATABASE pgb_anchor' >/dev/null
  psql -q -d pgb_anchor -f "$sql/pgbench-webhook-setup.sql" >/dev/null
  pgbench -n -c 8 -j 2 -T "${ANCHOR_SECONDS:-10}" -f "$sql/pgbench-webhook.sql" pgb_anchor > bench-results/anchor.txt 2>&1
  psql -q -c 'DROP DATABASE pgb_anchor' >/dev/null
  GENORCH_ANCHOR_TPS=$(awk '/^tps = / {print int($3); exit}' bench-results/anchor.txt)
  export GENORCH_ANCHOR_TPS
  echo "anchor: pgbench webhook-shaped transaction, ${GENORCH_ANCHOR_TPS} tps"
}

run() { # module test-class
  rm -f "$1"/target/benchmarks/*.txt
  ./mvnw -B -q -pl "$1" -am verify -Dsurefire.excludedGroups=none -Dgroups=benchmark -Dtest="$2" \
    -Dsurefire.failIfNoSpecifiedTests=false -DtrimStackTrace=false -DskipITs ${BENCH_MVN_ARGS:-}
  cat "$1"/target/benchmarks/*.txt | tee -a bench-results/report.txt
}

e2e() { # E2eBenchmark starts orchestrator/target/genorch.jar itself, so the jar is built first
  ./mvnw -B -q package -DskipTests -pl orchestrator -am
  run orchestrator E2eBenchmark
}

: > bench-results/report.txt
case "${1:-all}" in
  anchor) anchor ;;
  webhook) anchor; run webhook-verticle WebhookBenchmark ;;
  poller) anchor; run poller-verticle PollerBenchmark ;;
  outputs) anchor; run orchestrator OutputsBenchmark ;;
  submit) anchor; run orchestrator SubmissionBenchmark ;;
  e2e) anchor; e2e ;;
  all) anchor; run webhook-verticle WebhookBenchmark; run poller-verticle PollerBenchmark; run orchestrator OutputsBenchmark; e2e ;;
  *) echo "usage: bench/run.sh [anchor|webhook|poller|submit|outputs|e2e|all]" >&2; exit 2 ;;
esac
