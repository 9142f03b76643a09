#!/usr/bin/env bash
# tern-entrypoint: the Tern image's entrypoint. Renders /etc/tern/config.yaml from environment
# variables (deploy/docker/README.md lists them), checks it with `tern-server --check-config`,
# then runs one of:
#
#   server [--services LIST]   tern-server with SERVICES (default: all four); the default command
#   setup                      tern schema setup + update (idempotent)
#   create-namespaces          waits for the frontend, then creates each of NAMESPACES unless it
#                              exists (idempotent)
#   health                     exit 0 iff every service of SERVICES in this container is SERVING
#   check                      render and check the config for SERVICES, then exit
#   render                     print the rendered config
#   anything else              run it with TERN_CONFIG set, e.g. `tern schema version`
#
# Secrets stay out of the rendered file: it refers to ${DB_PASSWORD} and ${ES_PASSWORD}, which
# Tern substitutes from the environment when it loads the config.
set -euo pipefail

die() {
  echo "tern-entrypoint: $*" >&2
  exit 2
}

CONFIG=${TERN_CONFIG:-/etc/tern/config.yaml}
SERVICES=${SERVICES:-frontend,history,matching,worker}

declare -A PORT=(
  [frontend]=${FRONTEND_GRPC_PORT:-7233}
  [history]=${HISTORY_GRPC_PORT:-7234}
  [matching]=${MATCHING_GRPC_PORT:-7235}
  [worker]=${WORKER_GRPC_PORT:-7239}
)

require_number() { # NAME VALUE
  [[ $2 =~ ^[0-9]+$ ]] || die "$1 must be a whole number, got '$2'"
}

require_bool() { # NAME VALUE
  [[ $2 == true || $2 == false ]] || die "$1 must be true or false, got '$2'"
}

# The address peers dial: BROADCAST_ADDRESS, else POD_IP (Kubernetes downward API), else this
# container's own address.
broadcast_address() {
  if [[ -n ${BROADCAST_ADDRESS:-} ]]; then echo "$BROADCAST_ADDRESS"; return; fi
  if [[ -n ${POD_IP:-} ]]; then echo "$POD_IP"; return; fi
  local ip
  ip=$(getent hosts "$(cat /proc/sys/kernel/hostname)" | awk '{print $1; exit}')
  [[ -n $ip ]] || die "cannot find this container's address; set BROADCAST_ADDRESS"
  echo "$ip"
}

service_yaml() { # NAME BROADCAST
  local name=$1
  require_number "${name^^}_GRPC_PORT" "${PORT[$name]}"
  cat <<EOF
  $name:
    rpc:
      grpcPort: ${PORT[$name]}
      bindOnIP: ${BIND_ON_IP:-0.0.0.0}
      broadcastAddress: "$2"
EOF
  if [[ -n ${METRICS_PORT-9090} ]]; then
    require_number METRICS_PORT "${METRICS_PORT:-9090}"
    echo "    metrics: {listenAddress: \"0.0.0.0:${METRICS_PORT:-9090}\"}"
  fi
}

# Frontend TLS is on when TLS_CERT_FILE is set, internode TLS when INTERNODE_TLS_CERT_FILE is.
# Checks what the server would report only by config key, so that the message names the
# variable.
check_tls() {
  local prefix cert key
  for prefix in TLS_ INTERNODE_TLS_; do
    cert=${prefix}CERT_FILE key=${prefix}KEY_FILE
    [[ -n ${!cert:-} || -z ${!key:-} ]] || die "$cert must be set with $key"
    [[ -z ${!cert:-} || -n ${!key:-} ]] || die "$key must be set with $cert"
  done
  require_bool TLS_REQUIRE_CLIENT_AUTH "${TLS_REQUIRE_CLIENT_AUTH:-false}"
  require_bool INTERNODE_TLS_REQUIRE_CLIENT_AUTH "${INTERNODE_TLS_REQUIRE_CLIENT_AUTH:-true}"
  if [[ -n ${TLS_CERT_FILE:-} && ${TLS_REQUIRE_CLIENT_AUTH:-false} == true ]]; then
    [[ -n ${TLS_CA_FILE:-} ]] || die "TLS_CA_FILE must be set when TLS_REQUIRE_CLIENT_AUTH is" \
      "true (the CA client certificates chain to)"
  fi
  [[ -n ${INTERNODE_TLS_CERT_FILE:-} ]] || return 0
  [[ -n ${INTERNODE_TLS_SERVER_NAME:-} ]] ||
    die "INTERNODE_TLS_SERVER_NAME must be set with INTERNODE_TLS_CERT_FILE: peers dial each" \
      "other's IP addresses, so they verify this name (one in the internode certificate) instead"
  if [[ ${INTERNODE_TLS_REQUIRE_CLIENT_AUTH:-true} == true ]]; then
    [[ -n ${INTERNODE_TLS_CA_FILE:-} ]] || die "INTERNODE_TLS_CA_FILE must be set when" \
      "INTERNODE_TLS_REQUIRE_CLIENT_AUTH is true (the default)"
  fi
}

# A YAML flow list of the non-empty arguments, quoted.
yaml_list() {
  local item out=
  for item in "$@"; do
    [[ -z $item ]] || out+="${out:+, }\"$item\""
  done
  echo "[$out]"
}

# One group of global.tls: GROUP CERT KEY CA REQUIRE_CLIENT_AUTH SERVER_NAME. The CA is both
# the one the group's server verifies client certificates against and the one internal clients
# verify the server against.
tls_group_yaml() {
  cat <<EOF
    $1:
      server:
        certFile: "$2"
        keyFile: "$3"
        clientCaFiles: $(yaml_list "$4")
        requireClientAuth: $5
      client:
        serverName: "$6"
        rootCaFiles: $(yaml_list "$4")
EOF
}

# global.tls in Temporal's shape, the same for every service: the frontend's client block
# serves internal callers of the frontend, and internal clients present the internode
# certificate (the server's rule).
tls_yaml() {
  [[ -n ${TLS_CERT_FILE:-}${INTERNODE_TLS_CERT_FILE:-} ]] || return 0
  echo "  tls:"
  echo "    refreshInterval: ${TLS_REFRESH_INTERVAL:-30s}"
  if [[ -n ${TLS_CERT_FILE:-} ]]; then
    tls_group_yaml frontend "$TLS_CERT_FILE" "$TLS_KEY_FILE" "${TLS_CA_FILE:-}" \
      "${TLS_REQUIRE_CLIENT_AUTH:-false}" "${TLS_SERVER_NAME:-}"
  fi
  if [[ -n ${INTERNODE_TLS_CERT_FILE:-} ]]; then
    tls_group_yaml internode "$INTERNODE_TLS_CERT_FILE" "$INTERNODE_TLS_KEY_FILE" \
      "${INTERNODE_TLS_CA_FILE:-}" "${INTERNODE_TLS_REQUIRE_CLIENT_AUTH:-true}" \
      "$INTERNODE_TLS_SERVER_NAME"
  fi
}

elasticsearch_yaml() {
  [[ $ES_URL =~ ^(https?)://([^/]+)/?$ ]] || die "ES_URL must look like http://host:9200, got '$ES_URL'"
  cat <<EOF
    es-visibility:
      elasticsearch:
        version: ${ES_VERSION:-v7}
        url: {scheme: ${BASH_REMATCH[1]}, host: "${BASH_REMATCH[2]}"}
        username: "${ES_USERNAME:-}"
        password: '\${ES_PASSWORD:-}'
        indices: {visibility: "${ES_INDEX:-tern_visibility_v1}"}
EOF
}

render_config() { # SERVICE...
  [[ -n ${DB_HOST:-} ]] || die "DB_HOST is not set (the PostgreSQL host)"
  require_number DB_PORT "${DB_PORT:-5432}"
  require_number NUM_HISTORY_SHARDS "${NUM_HISTORY_SHARDS:-4}"
  require_number DB_MAX_CONNS "${DB_MAX_CONNS:-16}"
  check_tls
  local broadcast=127.0.0.1 name visibility=default
  [[ $1 == setup ]] || broadcast=$(broadcast_address)
  [[ -z ${ES_URL:-} ]] || visibility=es-visibility
  {
    cat <<EOF
# Rendered by tern-entrypoint from the environment; do not edit (set the variables instead).
global:
  clusterName: ${CLUSTER_NAME:-active}
  log: {level: ${LOG_LEVEL:-info}, format: ${LOG_FORMAT:-json}}
EOF
    tls_yaml
    cat <<EOF
persistence:
  numHistoryShards: ${NUM_HISTORY_SHARDS:-4}
  defaultStore: default
  visibilityStore: $visibility
  datastores:
    default:
      sql:
        pluginName: postgres
        databaseName: "${DB_NAME:-tern}"
        connectAddr: "$DB_HOST:${DB_PORT:-5432}"
        user: "${DB_USER:-postgres}"
        password: '\${DB_PASSWORD:-}'
        maxConns: ${DB_MAX_CONNS:-16}
        connectAttributes: {sslmode: ${DB_SSLMODE:-disable}}
EOF
    [[ -z ${ES_URL:-} ]] || elasticsearch_yaml
    echo "services:"
    if [[ $1 == setup ]]; then
      # Schema commands need a valid config but run no service; any section will do.
      service_yaml frontend "$broadcast"
    else
      for name in "$@"; do service_yaml "$name" "$broadcast"; done
    fi
    if [[ -n ${DYNAMIC_CONFIG_FILE:-} ]]; then
      echo "dynamicConfigClient: {filepath: \"$DYNAMIC_CONFIG_FILE\", pollInterval: ${DYNAMIC_CONFIG_POLL_INTERVAL:-10s}}"
    fi
  } >"$CONFIG"
}

# Fills `services` from SERVICES (comma-separated).
select_services() {
  local IFS=, name
  services=()
  for name in $SERVICES; do
    [[ -v "PORT[$name]" ]] || die "SERVICES: unknown service '$name' (frontend, history, matching, worker)"
    services+=("$name")
  done
  ((${#services[@]})) || die "SERVICES is empty"
}

# Renders the config unless TERN_CONFIG names a file the user mounted.
prepare() { # setup | SERVICE...
  if [[ -z ${TERN_CONFIG:-} ]]; then
    render_config "$@"
  fi
  [[ -r $CONFIG ]] || die "cannot read the config $CONFIG"
  export TERN_CONFIG=$CONFIG
}

health() {
  local name args
  for name in "${services[@]}"; do
    args=(--address "127.0.0.1:${PORT[$name]}" --service "" --command-timeout 3s)
    if [[ $name == frontend && -n ${TLS_CERT_FILE:-} ]]; then
      args+=(--tls --tls-server-name "${TLS_SERVER_NAME:-localhost}")
      [[ -z ${TLS_CA_FILE:-} ]] || args+=(--tls-ca-path "$TLS_CA_FILE")
      if [[ ${TLS_REQUIRE_CLIENT_AUTH:-false} == true ]]; then
        args+=(--tls-cert-path "${TLS_CLIENT_CERT_FILE:-$TLS_CERT_FILE}")
        args+=(--tls-key-path "${TLS_CLIENT_KEY_FILE:-$TLS_KEY_FILE}")
      fi
    elif [[ $name != frontend && -n ${INTERNODE_TLS_CERT_FILE:-} ]]; then
      # As an internal client calls it: the internode certificate, verified under the name
      # peers verify.
      args+=(--tls --tls-server-name "${INTERNODE_TLS_SERVER_NAME:-}"
        --tls-cert-path "$INTERNODE_TLS_CERT_FILE" --tls-key-path "${INTERNODE_TLS_KEY_FILE:-}")
      [[ -z ${INTERNODE_TLS_CA_FILE:-} ]] || args+=(--tls-ca-path "$INTERNODE_TLS_CA_FILE")
    fi
    tern cluster health "${args[@]}" >/dev/null || return 1
  done
}

create_namespaces() {
  local address=${FRONTEND_ADDRESS:-tern-frontend:7233}
  local deadline=$((SECONDS + ${NAMESPACE_WAIT_SECONDS:-180}))
  until tern --address "$address" cluster health >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "the frontend at $address did not become healthy"
    sleep 1
  done
  local IFS=, ns
  for ns in ${NAMESPACES:-default}; do
    if tern --address "$address" operator namespace describe "$ns" >/dev/null 2>&1; then
      echo "tern-entrypoint: namespace $ns exists"
    else
      tern --address "$address" operator namespace create --retention "${NAMESPACE_RETENTION:-72h}" "$ns"
    fi
  done
}

command=${1:-server}
(($#)) && shift
case "$command" in
  server | check)
    if [[ ${1:-} == --services ]]; then SERVICES=${2:?--services needs a list}; shift 2; fi
    (($# == 0)) || die "$command: unexpected arguments: $*"
    select_services
    prepare "${services[@]}"
    list=$(IFS=,; echo "${services[*]}")
    tern-server --config "$CONFIG" --services "$list" --check-config
    [[ $command == check ]] || exec tern-server --config "$CONFIG" --services "$list"
    ;;
  setup)
    prepare setup
    tern schema setup
    exec tern schema update
    ;;
  create-namespaces) create_namespaces ;;
  health)
    select_services
    health
    ;;
  render)
    select_services
    prepare "${services[@]}"
    cat "$CONFIG"
    ;;
  *)
    # Commands that need the database get a config; the rest (say `tern workflow list`) do not.
    [[ -z ${DB_HOST:-} && -z ${TERN_CONFIG:-} ]] || prepare setup
    exec "$command" "$@"
    ;;
esac
