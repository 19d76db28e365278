#!/usr/bin/env bash
# What `npm test` runs: install what is missing, make sure the local stack is up (and leave
# it up: starting it is the slow part, and other runs reuse it), typecheck, run every test
# (with arguments, `npm test -- test/unit/x.test.ts`, only vitest with them).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash deploy/install-deps.sh
export VIGIL_DEPS_CHECKED=1

# Idempotent: starts only what is not running, then ensures topics and migrations.
echo "== stack"
node --import tsx deploy/stack.ts up

echo "== typecheck"
npx tsc --noEmit -p .
if [ "$#" -gt 0 ]; then
  echo "== tests"
  npx vitest run "$@"
  exit
fi
# A full run: unit + integration, then the fault suite (faults under load, test/faults/), then
# the cluster suite (private Kafka and ClickHouse clusters, test/cluster/, one file at a time).
# Each runs even when an earlier one failed, so one run reports everything; the run fails if any
# did. Neither of the last two rewrites docs/reliability.md here (VIGIL_WRITE_FAULT_TABLE unset):
# they print the fault table of the run.
status=0
echo "== unit and integration tests"
npx vitest run || status=$?
echo "== fault suite"
npx vitest run --config vitest.faults.config.ts || status=$?
echo "== cluster suite"
npx vitest run --config vitest.cluster.config.ts || status=$?
exit "$status"
