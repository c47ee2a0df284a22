#!/usr/bin/env bash
# `npm run bench [-- --only 1,2 --skip-suite]`: on a fresh clone, installs what it needs, then runs scripts/bench.ts
# (figures printed as a table and written to bench/results.json).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec node dist/scripts/bench.js "$@"
