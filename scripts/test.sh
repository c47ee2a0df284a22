#!/usr/bin/env bash
# `npm test`: the whole suite on a fresh clone — installs what it needs, checks types and lint, then runs jest
# against a real Temporal dev server (started and stopped by jest's globalSetup/Teardown) and the simulator.
# Extra arguments go to jest, e.g. `npm test -- test/simulator`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
echo "test: typecheck, lint, formatting, layers" >&2
npx tsc --noEmit -p tsconfig.json
npx eslint .
npx prettier --check --log-level warn . || { echo "test: run \`npm run format\` to format the files above" >&2; exit 1; }
npm run --silent layers
npx jest "$@"
