#!/usr/bin/env bash
# The Temporal CLI dev server for heroku-runbooks: build it once, start it, stop it.
#
#   scripts/temporal.sh ensure   build (or reuse) the Temporal CLI; prints its path
#   scripts/temporal.sh start    start `temporal server start-dev` in the background, wait until it serves;
#                                refuses (exit 1, no PID file) when its port or UI port is taken, and fails
#                                unless the server that answers is the one it started
#   scripts/temporal.sh stop     stop the server this script started (by the PID in its PID file; never a
#                                process that is not that server)
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
SEARCH_ATTRIBUTES=(RunbookName HerokuApp Environment Operator RunbookOutcome Approver)

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

# When the process started, in seconds since the epoch (from /proc: its start in clock ticks after boot).
process_start_time() {
  local ticks boot
  # Field 22 of /proc/PID/stat; the command name (field 2) may hold spaces, so count from after its ")".
  ticks="$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $20 }')" || return 1
  boot="$(awk '/^btime / { print $2 }' /proc/stat 2>/dev/null)" || return 1
  [ -n "$ticks" ] && [ -n "$boot" ] || return 1
  awk -v b="$boot" -v t="$ticks" -v hz="$(getconf CLK_TCK 2>/dev/null || echo 100)" 'BEGIN { printf "%.2f", b + t / hz }'
}

# The PID in our file is ours only while that process is the temporal dev server we started: PIDs get reused, so
# it must run `temporal server start-dev` and have started before the PID file was written (a process that took
# over the PID of a dead server started after). btime is whole seconds, hence the second of slack.
our_server_pid() {
  [ -f "$PID_FILE" ] || return 1
  local pid started written
  pid="$(cat "$PID_FILE")"
  [[ "$pid" =~ ^[0-9]+$ ]] && pid_alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -Eq '(^|/)temporal server start-dev( |$)' || return 1
  started="$(process_start_time "$pid")" || return 1
  written="$(date -r "$PID_FILE" +%s.%N)" || return 1
  awk -v s="$started" -v w="$written" 'BEGIN { exit !(s <= w + 1) }' || return 1
  echo "$pid"
}

# Whether something listens on TCP port $1 (on any address: a listener on 0.0.0.0 takes 127.0.0.1's port too).
port_in_use() {
  if command -v ss >/dev/null 2>&1; then
    [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
  elif [ -r /proc/net/tcp ]; then
    [ -n "$(proc_listening_inodes "$1")" ]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

# The socket inodes listening on TCP port $1, from /proc/net/tcp{,6} (state 0A = LISTEN): for machines without ss.
proc_listening_inodes() {
  awk -v port="$(printf '%04X' "$1")" \
    'FNR > 1 && $4 == "0A" { n = split($2, parts, ":"); if (parts[n] == port) print $10 }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# Who listens on TCP port $1, for messages: " by PID 123 (node)", or nothing when ss cannot tell.
port_owner() {
  command -v ss >/dev/null 2>&1 || return 0
  ss -Hltnp "sport = :$1" 2>/dev/null | grep -o '"[^"]*",pid=[0-9]*' | sort -u |
    sed -E 's/"([^"]*)",pid=([0-9]+)/PID \2 (\1)/' | paste -sd, - | sed 's/^./ by &/; s/,/, /g' || true
}

# Whether process $1 is what listens on TCP port $2: 0 yes (and nobody else), 1 no, 2 cannot tell.
listens_on() {
  local pid="$1" port="$2" owners inodes links inode
  if command -v ss >/dev/null 2>&1; then
    owners="$(ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u)"
    # ss names owners it may see; without them (another user's socket), /proc below still tells ours apart.
    if [ -n "$owners" ]; then [ "$owners" = "$pid" ]; return; fi
  fi
  inodes="$(proc_listening_inodes "$port")"
  [ -n "$inodes" ] && [ -d "/proc/$pid/fd" ] || return 2
  links="$(ls -l "/proc/$pid/fd" 2>/dev/null)" || return 2
  for inode in $inodes; do grep -qF "socket:[$inode]" <<<"$links" || return 1; done
  return 0
}

# Stops a process this script started (TERM, then KILL after 10 s) and waits until it is gone.
stop_pid() {
  local pid="$1"
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 40); do pid_alive "$pid" || return 0; sleep 0.25; done
  say "PID $pid ignored SIGTERM for 10 s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
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
  # Refuse a taken port up front: the new server would die on it while the health check below found the other one.
  local taken=0
  if port_in_use "$PORT"; then
    say "port $PORT is already in use$(port_owner "$PORT"): stop what uses it, or set TEMPORAL_PORT to a free port."
    taken=1
  fi
  if [ "$UI_PORT" != "0" ] && port_in_use "$UI_PORT"; then
    say "the Web UI port $UI_PORT is already in use$(port_owner "$UI_PORT"): stop what uses it, or set TEMPORAL_UI_PORT to a free port (0: no UI)."
    taken=1
  fi
  if [ "$taken" = 1 ]; then
    rm -f "$PID_FILE" # not ours (our_server_pid said so): a stale file
    say "started nothing."
    exit 1
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
  healthy || { say "the dev server (PID $pid) did not answer at $ADDRESS within 60 s; see $LOG_FILE"; stop_pid "$pid"; rm -f "$PID_FILE"; exit 1; }
  # A server answered: it must be the one just started, not another that took the port meanwhile.
  if ! pid_alive "$pid"; then
    rm -f "$PID_FILE"
    say "the dev server (PID $pid) exited during start-up, but something else answers at $ADDRESS$(port_owner "$PORT"); its log ($LOG_FILE) ends with:"
    tail -n 20 "$LOG_FILE" >&2
    say "stop what uses port $PORT, or set TEMPORAL_PORT to a free port."
    exit 1
  fi
  local owner=0
  listens_on "$pid" "$PORT" || owner=$?
  if [ "$owner" = 1 ]; then
    say "another process answers at $ADDRESS$(port_owner "$PORT"), not the dev server just started (PID $pid): stopping ours."
    stop_pid "$pid"
    rm -f "$PID_FILE"
    say "stop what uses port $PORT, or set TEMPORAL_PORT to a free port."
    exit 1
  fi
  [ "$owner" = 0 ] || say "cannot tell which process listens on port $PORT (no ss, no /proc/net/tcp); assuming PID $pid."
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
  stop_pid "$pid"
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
