#!/usr/bin/env bash
# `npm run demo`: on a fresh clone, installs what it needs, then runs the demo (scripts/demo.ts).
# Flags: --exit   stop everything as soon as the demo has run (default when there is no terminal).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec node dist/scripts/demo.js "$@"
