#!/usr/bin/env bash
# Runs one benchmark (or all) and prints its report; results also land in <module>/target/benchmarks/.
#   bench/run.sh webhook   deliveries per second and ack latency of the webhook verticle
#   bench/run.sh poller    reconciliations per second of the poller over 10,000 overdue generations
set -euo pipefail
cd "$(dirname "$0")/.."
run() { # module test-class
  ./mvnw -B -q -pl "$1" -am verify -Dsurefire.excludedGroups=none -Dgroups=benchmark -Dtest="$2" \
    -Dsurefire.failIfNoSpecifiedTests=false -DtrimStackTrace=false
  cat "$1"/target/benchmarks/*.txt
}
case "${1:-all}" in
  webhook) run webhook-verticle WebhookBenchmark ;;
  poller) run poller-verticle PollerBenchmark ;;
  all) run webhook-verticle WebhookBenchmark; run poller-verticle PollerBenchmark ;;
  *) echo "usage: bench/run.sh [webhook|poller|all]" >&2; exit 2 ;;
esac
