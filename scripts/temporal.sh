#!/usr/bin/env bash
# The Temporal CLI dev server for heroku-runbooks: build it once, start it, stop it.
#
#   scripts/temporal.sh ensure   build (or reuse) the Temporal CLI; prints its path
#   scripts/temporal.sh start    start `temporal server start-dev` in the background, wait until it serves
#   scripts/temporal.sh stop     stop the server this script started (by the PID in its PID file)
#   scripts/temporal.sh status   say whether that server is running
#
# No prebuilt Temporal binary can be downloaded on our machines, so the CLI is built from the Go module proxy.
# The binary is cached twice: in the git-ignored .tools/bin of this checkout, and in a user-level cache so that a
# fresh clone (CI's, a new worktree) reuses it instead of compiling for minutes again.
#
# Settings (environment):
#   TEMPORAL_PORT      frontend gRPC port                 (default 7233)
#   TEMPORAL_UI_PORT   Web UI port; 0 = no UI (headless)  (default 8233)
#   TEMPORAL_DB        SQLite file for persistent state; empty = in memory (default: empty)
#   TEMPORAL_PID_FILE  where start writes / stop reads the PID (default .data/temporal.pid)
#   TEMPORAL_LOG_FILE  the server's own log                 (default: next to the PID file)
#   TEMPORAL_RETENTION namespace retention for a persistent DB (default 720h; the dev server's own is 24h)
set -euo pipefail

TEMPORAL_CLI_VERSION="v1.5.1" # later tags carry a `replace` directive and cannot be go-installed
# `go install` leaves the CLI's own version at 0.0.0-DEV; the server it embeds identifies the build.
TEMPORAL_SERVER_VERSION="1.29.1"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN_DIR="$ROOT/.tools/bin"
BIN="$BIN_DIR/temporal"
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/heroku-runbooks/temporal-cli-$TEMPORAL_CLI_VERSION"
# Keep in step with common/search-attributes.ts and docker-compose.yml (test/docker-compose.test.ts checks).
SEARCH_ATTRIBUTES=(RunbookName HerokuApp Environment Operator RunbookOutcome)

PORT="${TEMPORAL_PORT:-7233}"
UI_PORT="${TEMPORAL_UI_PORT:-8233}"
DB="${TEMPORAL_DB:-}"
PID_FILE="${TEMPORAL_PID_FILE:-$ROOT/.data/temporal.pid}"
LOG_FILE="${TEMPORAL_LOG_FILE:-${PID_FILE%.pid}.log}"
RETENTION="${TEMPORAL_RETENTION:-720h}"
ADDRESS="127.0.0.1:$PORT"

say() { printf 'temporal: %s\n' "$*" >&2; }

binary_is_current() {
  [ -x "$1" ] && "$1" --version 2>/dev/null | grep -q "Server $TEMPORAL_SERVER_VERSION"
}

cache_binary() {
  binary_is_current "$CACHE_DIR/temporal" && return
  mkdir -p "$CACHE_DIR"
  cp "$BIN" "$CACHE_DIR/temporal.tmp.$$" && mv "$CACHE_DIR/temporal.tmp.$$" "$CACHE_DIR/temporal"
}

ensure() {
  if binary_is_current "$BIN"; then cache_binary; echo "$BIN"; return; fi
  mkdir -p "$BIN_DIR"
  if binary_is_current "$CACHE_DIR/temporal"; then
    cp "$CACHE_DIR/temporal" "$BIN"
    say "reused the cached Temporal CLI $TEMPORAL_CLI_VERSION from $CACHE_DIR"
    echo "$BIN"; return
  fi
  local go_bin
  go_bin="$(command -v go || true)"
  [ -n "$go_bin" ] || { [ -x /usr/local/go/bin/go ] && go_bin=/usr/local/go/bin/go; }
  if [ -z "$go_bin" ]; then
    say "cannot build the Temporal CLI: Go is not installed (looked on PATH and in /usr/local/go/bin)."
    say "Install Go 1.25 or newer, or put a temporal $TEMPORAL_CLI_VERSION binary at $BIN, then run this again."
    exit 1
  fi
  say "building the Temporal CLI $TEMPORAL_CLI_VERSION with $("$go_bin" version) — several minutes, once per machine"
  GOBIN="$BIN_DIR" "$go_bin" install \
    "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION" >&2
  binary_is_current "$BIN" || { say "the build finished but $BIN does not report Server $TEMPORAL_SERVER_VERSION"; exit 1; }
  cache_binary
  say "built $BIN (cached in $CACHE_DIR)"
  echo "$BIN"
}

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# The PID in our file is ours only while that process is still a temporal server (PIDs get reused).
our_server_pid() {
  [ -f "$PID_FILE" ] || return 1
  local pid
  pid="$(cat "$PID_FILE")"
  pid_alive "$pid" && grep -q "start-dev" "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}

healthy() { "$BIN" operator cluster health --address "$ADDRESS" >/dev/null 2>&1; }

ensure_search_attributes() {
  local existing
  existing="$("$BIN" operator search-attribute list --address "$ADDRESS" 2>/dev/null || true)"
  for name in "${SEARCH_ATTRIBUTES[@]}"; do
    if ! grep -qw "$name" <<<"$existing"; then
      "$BIN" operator search-attribute create --address "$ADDRESS" --name "$name" --type Keyword >/dev/null
    fi
  done
}

start() {
  ensure >/dev/null
  if pid="$(our_server_pid)"; then
    say "already running (PID $pid) at $ADDRESS"; return
  fi
  mkdir -p "$(dirname "$PID_FILE")"
  local args=(server start-dev --ip 127.0.0.1 --port "$PORT" --log-level warn --log-format json
    --dynamic-config-value frontend.enableServerVersionCheck=false)
  if [ "$UI_PORT" = "0" ]; then args+=(--headless); else args+=(--ui-port "$UI_PORT"); fi
  if [ -n "$DB" ]; then mkdir -p "$(dirname "$DB")"; args+=(--db-filename "$DB"); fi
  for name in "${SEARCH_ATTRIBUTES[@]}"; do args+=(--search-attribute "$name=Keyword"); done

  # setsid: the server gets its own session, so it outlives this script and ignores the caller's Ctrl-C;
  # it is stopped by `stop`, by PID.
  setsid "$BIN" "${args[@]}" >"$LOG_FILE" 2>&1 < /dev/null &
  local pid=$!
  echo "$pid" > "$PID_FILE"
  for _ in $(seq 1 240); do
    if ! pid_alive "$pid"; then
      rm -f "$PID_FILE"
      say "the dev server exited during start-up; its log ($LOG_FILE) ends with:"
      tail -n 20 "$LOG_FILE" >&2
      grep -q "address already in use" "$LOG_FILE" && say "port $PORT or $UI_PORT is taken: stop what uses it, or set TEMPORAL_PORT / TEMPORAL_UI_PORT."
      exit 1
    fi
    if healthy; then break; fi
    sleep 0.25
  done
  healthy || { say "the dev server (PID $pid) did not answer at $ADDRESS within 60 s; see $LOG_FILE"; kill "$pid"; rm -f "$PID_FILE"; exit 1; }
  if [ -n "$DB" ]; then
    # --search-attribute only registers when the DB is created; an older DB gets them here. The dev server keeps
    # closed runs for 24 h by default; an operator looking back at last week's restore needs longer.
    ensure_search_attributes
    "$BIN" operator namespace update --address "$ADDRESS" --retention "$RETENTION" -n default >/dev/null
  fi
  say "dev server running: PID $pid, frontend $ADDRESS$([ "$UI_PORT" != 0 ] && echo ", Web UI http://127.0.0.1:$UI_PORT")"
}

stop() {
  local pid
  if ! pid="$(our_server_pid)"; then
    rm -f "$PID_FILE"; say "no dev server of ours is running ($PID_FILE)"; return
  fi
  kill -TERM "$pid"
  for _ in $(seq 1 40); do pid_alive "$pid" || break; sleep 0.25; done
  if pid_alive "$pid"; then say "PID $pid ignored SIGTERM for 10 s; killing it"; kill -KILL "$pid"; fi
  rm -f "$PID_FILE"
  say "stopped the dev server (PID $pid)"
}

status() {
  if pid="$(our_server_pid)" && healthy; then say "running: PID $pid at $ADDRESS"; else say "not running"; exit 1; fi
}

case "${1:-}" in
  ensure) ensure ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 ensure|start|stop|status" >&2; exit 2 ;;
esac
