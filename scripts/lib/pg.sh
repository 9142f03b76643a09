# shellcheck shell=bash
# Helpers to run a private, throwaway PostgreSQL cluster for development and tests.
# Source this file; every function returns non-zero (and prints why) on failure.
#
#   pg_start DATA_DIR [PORT]  initdb if DATA_DIR is empty, start on 127.0.0.1:PORT and wait until
#                             it accepts connections. Without PORT it reuses the port remembered
#                             in DATA_DIR, else picks a free one. Sets PG_PORT.
#   pg_stop DATA_DIR          stop the cluster (pg_ctl stop -m fast); no-op when not running.
#   pg_port DATA_DIR          print the port remembered in DATA_DIR.
#   pg_free_port              print a TCP port nothing listens on.
#
# initdb refuses to run as root, so when we are root the PostgreSQL binaries run as the
# `postgres` user (runuser) and DATA_DIR is chowned to it; its parent directories must be
# traversable by that user. The cluster uses trust authentication and listens on TCP loopback
# only (no unix socket, so long data-dir paths are fine).
#
# Env: PG_BIN (default: newest /usr/lib/postgresql/*/bin), PG_START_TIMEOUT (seconds, default
# 60), PG_FAST=1 (initdb --no-sync, fsync/synchronous_commit off: for throwaway test clusters),
# PG_STOP_MODE (pg_ctl stop mode, default fast; `immediate` skips the shutdown checkpoint),
# PG_EXTRA_LISTEN (one more address to listen on besides 127.0.0.1) with PG_TRUST_NET (a CIDR
# whose clients are trusted, written to pg_hba.conf when the cluster is created): for tests that
# put a client in a network namespace of its own. PG_EXTRA_CONF: more lines for the cluster's
# configuration, applied on every start (bench/run loads pg_stat_statements with it).

pg__bin() {
  if [[ -n "${PG_BIN:-}" ]]; then
    echo "$PG_BIN"
    return
  fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [[ -z "$dir" ]]; then
    echo "pg: no PostgreSQL binaries under /usr/lib/postgresql (run scripts/install-deps)" >&2
    return 1
  fi
  echo "$dir"
}

# Runs a PostgreSQL binary as the owner of the cluster.
pg__run() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_free_port() {
  local port i
  for ((i = 0; i < 100; i++)); do
    port=$((20000 + RANDOM % 40000))
    # A refused connection means nothing listens there.
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  echo "pg: no free port found" >&2
  return 1
}

pg_port() {
  local conf="$1/tern.conf"
  [[ -f "$conf" ]] || return 1
  sed -n "s/^port = \([0-9]*\)$/\1/p" "$conf"
}

pg__log_tail() {
  echo "pg: last lines of $1/postgres.log:" >&2
  tail -n 20 "$1/postgres.log" >&2 2>/dev/null || true
}

pg__init() {
  local data_dir="$1" bin="$2"
  mkdir -p "$data_dir"
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres:postgres "$data_dir"
    chmod 700 "$data_dir"
    if ! runuser -u postgres -- test -x "$data_dir"; then
      echo "pg: user postgres cannot reach $data_dir (a parent directory is not traversable)" >&2
      return 1
    fi
  fi
  if [[ ! -f "$data_dir/PG_VERSION" ]]; then
    local fast=()
    [[ "${PG_FAST:-0}" == 1 ]] && fast=(--no-sync)
    if ! pg__run "$bin/initdb" -D "$data_dir" -A trust -U postgres -E UTF8 --no-instructions \
      "${fast[@]}" >"$data_dir.initdb.log" 2>&1; then
      echo "pg: initdb failed:" >&2
      cat "$data_dir.initdb.log" >&2
      return 1
    fi
    rm -f "$data_dir.initdb.log"
    echo "include_if_exists = 'tern.conf'" | pg__run tee -a "$data_dir/postgresql.conf" >/dev/null
    if [[ -n "${PG_TRUST_NET:-}" ]]; then
      echo "host all all $PG_TRUST_NET trust" | pg__run tee -a "$data_dir/pg_hba.conf" >/dev/null
    fi
  fi
}

pg__write_conf() {
  local data_dir="$1" port="$2"
  {
    echo "# Written by scripts/lib/pg.sh; the port is reused on restart."
    echo "port = $port"
    echo "listen_addresses = '127.0.0.1${PG_EXTRA_LISTEN:+,$PG_EXTRA_LISTEN}'"
    echo "unix_socket_directories = ''"
    echo "max_connections = 200"
    if [[ "${PG_FAST:-0}" == 1 ]]; then
      echo "fsync = off"
      echo "synchronous_commit = off"
      echo "full_page_writes = off"
    fi
    if [[ -n "${PG_EXTRA_CONF:-}" ]]; then
      printf '%s\n' "$PG_EXTRA_CONF"
    fi
  } | pg__run tee "$data_dir/tern.conf" >/dev/null
}

# Polls pg_isready until the server answers or the deadline passes.
pg__wait_ready() {
  local data_dir="$1" port="$2" bin="$3"
  local deadline=$((SECONDS + ${PG_START_TIMEOUT:-60}))
  until "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 1; do
    if ! pg__run "$bin/pg_ctl" status -D "$data_dir" >/dev/null 2>&1 \
      && grep -q 'FATAL\|PANIC' "$data_dir/postgres.log" 2>/dev/null; then
      echo "pg: server in $data_dir exited during start-up" >&2
      pg__log_tail "$data_dir"
      return 1
    fi
    if ((SECONDS >= deadline)); then
      echo "pg: not ready on port $port after ${PG_START_TIMEOUT:-60}s" >&2
      pg__log_tail "$data_dir"
      return 1
    fi
    sleep 0.1
  done
}

pg_start() {
  local data_dir="$1" port="${2:-}" bin attempt
  [[ -n "$data_dir" ]] || { echo "usage: pg_start DATA_DIR [PORT]" >&2; return 1; }
  data_dir=$(realpath -m "$data_dir")
  bin=$(pg__bin) || return 1
  pg__init "$data_dir" "$bin" || return 1

  if pg__run "$bin/pg_ctl" status -D "$data_dir" >/dev/null 2>&1; then
    PG_PORT=$(pg_port "$data_dir")
    echo "pg: already running in $data_dir on port $PG_PORT"
    pg__wait_ready "$data_dir" "$PG_PORT" "$bin"
    return
  fi

  local fixed=1
  if [[ -z "$port" ]]; then
    port=$(pg_port "$data_dir" || true)
  fi
  if [[ -z "$port" ]]; then
    fixed=0
    port=$(pg_free_port) || return 1
  fi
  # A picked port can be taken between the check and the bind: retry with another one.
  for attempt in 1 2 3; do
    pg__write_conf "$data_dir" "$port"
    : | pg__run tee "$data_dir/postgres.log" >/dev/null
    if pg__run "$bin/pg_ctl" start -W -s -D "$data_dir" -l "$data_dir/postgres.log" \
      && pg__wait_ready "$data_dir" "$port" "$bin"; then
      PG_PORT=$port
      export PG_PORT
      echo "pg: running in $data_dir on 127.0.0.1:$port"
      return 0
    fi
    pg_stop "$data_dir" >/dev/null 2>&1 || true
    ((fixed)) && return 1
    port=$(pg_free_port) || return 1
    echo "pg: retrying on port $port (attempt $((attempt + 1)))" >&2
  done
  return 1
}

pg_stop() {
  local data_dir="$1" bin
  [[ -n "$data_dir" ]] || { echo "usage: pg_stop DATA_DIR" >&2; return 1; }
  bin=$(pg__bin) || return 1
  [[ -f "$data_dir/postmaster.pid" ]] || return 0
  pg__run "$bin/pg_ctl" stop -D "$data_dir" -m "${PG_STOP_MODE:-fast}" -w -t "${PG_START_TIMEOUT:-60}" -s
}
