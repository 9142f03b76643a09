# shellcheck shell=bash
# Helpers shared by scripts/backup and scripts/restore. Source this file.
#
#   bk_tool NAME        print the path of a PostgreSQL client program: $PG_BIN/NAME when PG_BIN
#                       is set, else NAME from PATH, else the newest /usr/lib/postgresql/*/bin/NAME
#   bk_psql DB ARGS...  psql on database DB with the connection in bk_conn (an array of libpq
#                       flags the script fills from its options): no psqlrc, unaligned tuples
#                       only, stop at the first error
#   bk_manifest_get FILE KEY   print KEY's value from a key=value manifest (empty if absent)
#   bk_die MESSAGE...   print "<script>: MESSAGE" on stderr and exit 1
#
# The connection is libpq's: options the script was given, else the PG* environment variables
# (PGHOST, PGPORT, PGUSER, PGPASSWORD or ~/.pgpass, PGSSLMODE, ...).

bk_conn=()

bk_die() {
  echo "$(basename "$0"): $*" >&2
  exit 1
}

bk_tool() {
  local name=$1 dir dirs
  if [[ -n "${PG_BIN:-}" ]]; then
    [[ -x "$PG_BIN/$name" ]] || { echo "$(basename "$0"): no $PG_BIN/$name (PG_BIN)" >&2; return 1; }
    echo "$PG_BIN/$name"
    return
  fi
  if command -v "$name" >/dev/null; then
    command -v "$name"
    return
  fi
  dirs=(/usr/lib/postgresql/*/bin)
  dir=$(printf '%s\n' "${dirs[@]}" | sort -V | tail -n 1)
  if [[ -x "$dir/$name" ]]; then
    echo "$dir/$name"
    return
  fi
  echo "$(basename "$0"): $name not found (install the PostgreSQL client, or set PG_BIN)" >&2
  return 1
}

bk_psql() {
  local db=$1
  shift
  "$(bk_tool psql)" -X -q -A -t -v ON_ERROR_STOP=1 "${bk_conn[@]}" --dbname="$db" "$@"
}

bk_manifest_get() {
  sed -n "s/^$2=//p" "$1" | tail -n 1
}
