#!/usr/bin/env bash
# Installs what `npm test` and `npm run demo` need on a fresh clone: npm dependencies, the compiled CLI and
# workflow bundle, and the Temporal CLI (built from source once per machine; see scripts/temporal.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# npm ci when node_modules is missing or older than the lockfile (npm records what it installed there).
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund
fi

bash scripts/temporal.sh ensure >/dev/null

echo "setup: building (tsc + workflow bundle)" >&2
npm run --silent build
