#!/usr/bin/env bash
# The suite on a busy machine, as CI's may be: keeps every core busy with another process (`yes`, one per core),
# runs `npm test` RUNS times in a row (default 3), stops what it started by PID, and fails at the first failing run.
#   bash scripts/test-under-load.sh            # or: RUNS=5 bash scripts/test-under-load.sh -- test/runbooks
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ "${1:-}" = "--" ] && shift

RUNS="${RUNS:-3}"
BUSY="${BUSY:-$(nproc)}"
pids=()
stop_busy() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap stop_busy EXIT
for _ in $(seq 1 "$BUSY"); do
  yes > /dev/null &
  pids+=("$!")
done
echo "test-under-load: $BUSY busy processes (PIDs ${pids[*]}), $RUNS runs of npm test" >&2
for run in $(seq 1 "$RUNS"); do
  started=$(date +%s)
  if ! npm test -- "$@"; then
    echo "test-under-load: run $run of $RUNS FAILED" >&2
    exit 1
  fi
  echo "test-under-load: run $run of $RUNS passed in $(( $(date +%s) - started )) s" >&2
done
echo "test-under-load: $RUNS of $RUNS runs passed with every core busy" >&2
