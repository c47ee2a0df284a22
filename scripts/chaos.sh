#!/usr/bin/env bash
# `npm run chaos [-- --runs N --seed S]`: on a fresh clone, installs what it needs, then runs scripts/chaos.ts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec node dist/scripts/chaos.js "$@"
