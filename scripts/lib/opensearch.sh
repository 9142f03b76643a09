# shellcheck shell=bash
# Helpers to run a private, throwaway single-node OpenSearch for tests, assembled from the
# server's jars on Maven Central (no container registry or release tarball needed).
# Source this file; every function returns non-zero (and prints why) on failure.
#
#   opensearch_fetch       resolve the jars with Maven into the cache directory, once: later
#                          calls only find the stamp. Sets OPENSEARCH_HOME.
#   opensearch_start       fetch, then start a node in a new temporary directory (config, data,
#                          logs) on 127.0.0.1, on ports the kernel picks, and wait until
#                          GET /_cluster/health is yellow or green. Sets OPENSEARCH_DIR,
#                          OPENSEARCH_PID and OPENSEARCH_URL (http://127.0.0.1:PORT). On
#                          failure it prints the end of the node's log and removes the node.
#   opensearch_stop DIR    stop the node started in DIR (SIGTERM, SIGKILL after
#                          OPENSEARCH_STOP_TIMEOUT) and remove DIR; no-op when DIR is gone.
#
# The home directory mirrors a distribution's: lib/ holds org.opensearch:opensearch and its
# dependencies (plus log4j-core and the plugin class loader, which the distribution adds), and
# modules/transport-netty4/ the HTTP transport (org.opensearch.plugin:transport-netty4-client
# with its netty jars, a plugin descriptor and the module's security policy, written here). No
# other module is installed: the visibility index uses only core field types and queries.
#
# OpenSearch refuses to run as root, so when we are root the JVM runs as OPENSEARCH_USER
# (default nobody) through setpriv, the run directory is chowned to it, and the home is
# hard-linked (or copied) into the run directory if that user cannot read the cache. The node
# gets SIGKILL when the shell that started it dies, so it never outlives a killed test.
#
# Env: OPENSEARCH_VERSION (default 2.19.6; must be a 2.x, which runs on Java 11+),
# OPENSEARCH_CACHE_DIR (default ${XDG_CACHE_HOME:-$HOME/.cache}/tern), OPENSEARCH_JAVA (default
# $JAVA_HOME/bin/java, else java on PATH), OPENSEARCH_HEAP (default 256m),
# OPENSEARCH_START_TIMEOUT and OPENSEARCH_STOP_TIMEOUT (seconds, default 120 and 30),
# OPENSEARCH_USER (when root, default nobody).

OPENSEARCH__DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1

opensearch__version() { echo "${OPENSEARCH_VERSION:-2.19.6}"; }

opensearch__cache_home() {
  local cache=${OPENSEARCH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tern}
  echo "$cache/opensearch-$(opensearch__version)"
}

# Prints a pom whose dependencies are the given group:artifact:version coordinates.
opensearch__pom() {
  local gav g a v
  echo '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
  echo '<groupId>tern</groupId><artifactId>opensearch-jars</artifactId><version>1</version>'
  echo '<packaging>pom</packaging><dependencies>'
  for gav in "$@"; do
    IFS=: read -r g a v <<<"$gav"
    echo "<dependency><groupId>$g</groupId><artifactId>$a</artifactId>"
    echo "  <version>$v</version></dependency>"
  done
  echo '</dependencies></project>'
}

# Copies the listed artifacts and their runtime dependencies into DEST with Maven.
opensearch__resolve() {
  local work=$1 dest=$2 name=$3
  shift 3
  opensearch__pom "$@" >"$work/$name.pom.xml"
  if ! mvn -B -ntp -f "$work/$name.pom.xml" "$OPENSEARCH__DEPENDENCY_PLUGIN:copy-dependencies" \
    -DincludeScope=runtime -DoutputDirectory="$dest" >"$work/$name.mvn.log" 2>&1; then
    echo "opensearch: Maven could not resolve $*:" >&2
    grep -E '^\[(ERROR|WARNING)\]' "$work/$name.mvn.log" | head -n 20 >&2
    return 1
  fi
}

opensearch_fetch() {
  local version home lock rc=0
  version=$(opensearch__version)
  home=$(opensearch__cache_home)
  if [[ ! -f "$home/.complete" ]]; then
    if ! command -v mvn >/dev/null 2>&1; then
      echo "opensearch: mvn not found (scripts/install-deps opensearch installs Maven)" >&2
      return 1
    fi
    mkdir -p "$(dirname "$home")" || return 1
    # Concurrent fetches of one version take turns; the second one finds the stamp.
    exec {lock}>"$(dirname "$home")/.opensearch-$version.lock" || return 1
    flock "$lock"
    [[ -f "$home/.complete" ]] || opensearch__assemble "$home" "$version" || rc=1
    exec {lock}>&-
    ((rc == 0)) || return 1
  fi
  OPENSEARCH_HOME=$home
}

# Builds the home in a staging directory beside HOME and renames it into place when complete.
opensearch__assemble() {
  local home=$1 version=$2 staging log4j=
  echo "opensearch: fetching OpenSearch $version from Maven Central into $home"
  staging=$(mktemp -d "$(dirname "$home")/.opensearch-$version.XXXXXX") || return 1
  local module=$staging/modules/transport-netty4
  if opensearch__resolve "$staging" "$staging/lib" server "org.opensearch:opensearch:$version" \
    "org.opensearch:opensearch-plugin-classloader:$version"; then
    # log4j-core is an optional dependency of the server: take the version of its log4j-api.
    log4j=$(find "$staging/lib" -name 'log4j-api-*.jar' -printf '%f\n' \
      | sed -n 's/^log4j-api-\(.*\)\.jar$/\1/p')
  fi
  if [[ -z "$log4j" ]] \
    || ! opensearch__resolve "$staging" "$staging/lib" log4j \
      "org.apache.logging.log4j:log4j-core:$log4j" \
    || ! opensearch__resolve "$staging" "$module" netty4 \
      "org.opensearch.plugin:transport-netty4-client:$version"; then
    rm -rf "$staging"
    return 1
  fi
  # What the distribution's build writes next to the module's jars (the class is 2.x's).
  cat >"$module/plugin-descriptor.properties" <<EOF
description=Netty 4 based transport implementation
version=$version
name=transport-netty4
classname=org.opensearch.transport.Netty4Plugin
java.version=11
opensearch.version=$version
EOF
  cat >"$module/plugin-security.policy" <<'EOF'
grant {
  permission java.io.FilePermission "/proc/sys/net/core/somaxconn", "read";
  permission java.net.SocketPermission "*", "accept,connect";
  permission java.lang.RuntimePermission "*", "setContextClassLoader";
  permission java.lang.RuntimePermission "getClassLoader";
  permission java.util.PropertyPermission "sun.nio.ch.bugLevel", "write";
};
EOF
  # OpenSearch checks that path.home/bin exists; plugins/ is scanned for plugins.
  mkdir -p "$staging/bin" "$staging/plugins"
  rm -f "$staging"/*.pom.xml "$staging"/*.mvn.log
  chmod -R a+rX "$staging"
  touch "$staging/.complete"
  rm -rf "$home"
  mv "$staging" "$home"
}

opensearch__java() {
  if [[ -n "${OPENSEARCH_JAVA:-}" ]]; then
    echo "$OPENSEARCH_JAVA"
  elif [[ -n "${JAVA_HOME:-}" ]]; then
    echo "$JAVA_HOME/bin/java"
  else
    command -v java && return 0
    echo "opensearch: java not found (set OPENSEARCH_JAVA or JAVA_HOME)" >&2
    return 1
  fi
}

# Replaces the (sub)shell with a command run as the node's user, which gets SIGKILL when the
# shell that started it dies. Run it in a subshell or in the background: `f cmd &` makes $! the
# command's PID.
opensearch__exec_as_node_user() {
  if [[ $(id -u) -eq 0 ]]; then
    local user=${OPENSEARCH_USER:-nobody}
    exec setpriv --reuid="$(id -u "$user")" --regid="$(id -g "$user")" --clear-groups \
      --pdeathsig KILL -- "$@"
  fi
  exec setpriv --pdeathsig KILL -- "$@"
}

opensearch__log_tail() {
  echo "opensearch: last lines of $1/opensearch.log:" >&2
  grep -v '^[[:space:]]*at ' "$1/opensearch.log" 2>/dev/null | tail -n 20 >&2 || true
}

opensearch__write_config() {
  local dir=$1
  # Ports 0: the kernel picks free ones and the node writes them to logs/{http,transport}.ports
  # (node.portsfile), so there is no race between picking a port and binding it. The disk
  # threshold is off so that a nearly full CI disk does not make the index read-only.
  cat >"$dir/config/opensearch.yml" <<EOF
cluster.name: tern-test
node.name: tern-test
discovery.type: single-node
network.host: 127.0.0.1
http.port: 0
transport.port: 0
node.portsfile: true
path.data: $dir/data
path.logs: $dir/logs
cluster.routing.allocation.disk.threshold_enabled: false
EOF
  cat >"$dir/config/log4j2.properties" <<'EOF'
status = error
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%n
rootLogger.level = info
rootLogger.appenderRef.console.ref = console
EOF
}

# Waits for the ports file, then for a yellow or green cluster, until the deadline.
opensearch__wait_ready() {
  local dir=$1 pid=$2 timeout=${OPENSEARCH_START_TIMEOUT:-120}
  local deadline=$((SECONDS + timeout)) address=
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "opensearch: node in $dir exited during start-up" >&2
      opensearch__log_tail "$dir"
      return 1
    fi
    if [[ -z "$address" && -s "$dir/logs/http.ports" ]]; then
      address=$(head -n 1 "$dir/logs/http.ports")
    fi
    # The server holds the request until the status is reached or 1 s passed.
    if [[ -n "$address" ]] && curl -fsS -o /dev/null --max-time 5 \
      "http://$address/_cluster/health?wait_for_status=yellow&timeout=1s" 2>/dev/null; then
      OPENSEARCH_URL=http://$address
      return 0
    fi
    if ((SECONDS >= deadline)); then
      echo "opensearch: node in $dir not healthy after ${timeout}s" >&2
      opensearch__log_tail "$dir"
      return 1
    fi
    sleep 0.1
  done
}

opensearch_start() {
  local java dir home user=${OPENSEARCH_USER:-nobody}
  opensearch_fetch || return 1
  java=$(opensearch__java) || return 1
  dir=$(mktemp -d "${TMPDIR:-/tmp}/tern-opensearch.XXXXXX") || return 1
  OPENSEARCH_DIR=$dir
  mkdir -p "$dir/config" "$dir/data" "$dir/logs" "$dir/tmp"
  opensearch__write_config "$dir"
  home=$OPENSEARCH_HOME
  if [[ $(id -u) -eq 0 ]]; then
    if ! chown -R "$user:$(id -gn "$user")" "$dir"; then
      opensearch_stop "$dir"
      return 1
    fi
    if ! (opensearch__exec_as_node_user test -r "$home/lib/opensearch-$(opensearch__version).jar")
    then
      # The cache is under a home directory the node's user cannot traverse (/root).
      home=$dir/home
      if ! cp -rl "$OPENSEARCH_HOME" "$home" 2>/dev/null; then
        rm -rf "$home"
        cp -r "$OPENSEARCH_HOME" "$home" || { opensearch_stop "$dir"; return 1; }
      fi
    fi
  fi
  local heap=${OPENSEARCH_HEAP:-256m}
  # The distribution's jvm.options, less what only matters for a long-lived node; C1 only
  # (TieredStopAtLevel=1) halves start-up on two cores.
  opensearch__exec_as_node_user "$java" "-Xms$heap" "-Xmx$heap" -XX:TieredStopAtLevel=1 -Xss1m \
    -XX:-OmitStackTraceInFastThrow -Dfile.encoding=UTF-8 -Djava.awt.headless=true \
    -Djna.nosys=true -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true \
    -Dio.netty.recycler.maxCapacityPerThread=0 -Dlog4j.shutdownHookEnabled=false \
    -Dlog4j2.disable.jmx=true \
    "-Djava.io.tmpdir=$dir/tmp" "-Dopensearch.path.home=$home" \
    "-Dopensearch.path.conf=$dir/config" \
    -Dopensearch.distribution.type=tar -Dopensearch.bundled_jdk=false \
    -cp "$home/lib/*" org.opensearch.bootstrap.OpenSearch >"$dir/opensearch.log" 2>&1 </dev/null &
  OPENSEARCH_PID=$!
  echo "$OPENSEARCH_PID" >"$dir/opensearch.pid"
  if ! opensearch__wait_ready "$dir" "$OPENSEARCH_PID"; then
    opensearch_stop "$dir"
    return 1
  fi
  export OPENSEARCH_DIR OPENSEARCH_PID OPENSEARCH_URL
  echo "opensearch: $(opensearch__version) running at $OPENSEARCH_URL (pid $OPENSEARCH_PID, $dir)"
}

opensearch_stop() {
  local dir=$1 pid timeout=${OPENSEARCH_STOP_TIMEOUT:-30} deadline
  [[ -n "$dir" ]] || { echo "usage: opensearch_stop DIR" >&2; return 1; }
  [[ -d "$dir" ]] || return 0
  if [[ ! -f "$dir/config/opensearch.yml" ]]; then
    echo "opensearch: $dir is not a node directory of opensearch_start; not removing it" >&2
    return 1
  fi
  pid=$(cat "$dir/opensearch.pid" 2>/dev/null || true)
  if [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null; then
    deadline=$((SECONDS + timeout))
    while kill -0 "$pid" 2>/dev/null; do
      if ((SECONDS >= deadline)); then
        echo "opensearch: pid $pid still running ${timeout}s after SIGTERM; killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.1
    done
  fi
  rm -rf "$dir"
}
