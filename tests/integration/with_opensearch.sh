#!/usr/bin/env bash
# Runs a command with TERN_TEST_ES_URL naming a throwaway single-node OpenSearch
# (scripts/lib/opensearch.sh: fetched once from Maven Central, started on a free port) and stops
# the node afterwards, whatever the command's outcome. ctest runs
# persistence_elasticsearch_integration_test through it.
#
# Usage: tests/integration/with_opensearch.sh COMMAND [ARG...]
# When TERN_TEST_ES_URL is already set, the command runs against that cluster and nothing is
# started (to test another Elasticsearch or OpenSearch version). If OpenSearch cannot be fetched
# or started this exits 1 without running the command, so the test fails instead of skipping.
set -uo pipefail

if [[ -n "${TERN_TEST_ES_URL:-}" ]]; then
  exec "$@"
fi

# shellcheck source-path=SCRIPTDIR source=../../scripts/lib/opensearch.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/opensearch.sh"

# Traps first, so that a signal during the start-up stops the node too.
stop_node() { [[ -z "${OPENSEARCH_DIR:-}" ]] || opensearch_stop "$OPENSEARCH_DIR"; }
child=
trap '[[ -z "$child" ]] || kill -TERM "$child" 2>/dev/null; stop_node; exit 130' INT
trap '[[ -z "$child" ]] || kill -TERM "$child" 2>/dev/null; stop_node; exit 143' TERM

if ! opensearch_start; then
  echo "with_opensearch: could not start OpenSearch (see above)" >&2
  exit 1
fi

# In the background, so that a signal to this script is handled at once rather than after the
# command ends.
TERN_TEST_ES_URL=$OPENSEARCH_URL "$@" &
child=$!
wait "$child"
rc=$?
stop_node
exit "$rc"
