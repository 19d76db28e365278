#!/usr/bin/env bash
# What `npm test` runs: install what is missing, make sure the local stack is up (and leave
# it up: starting it is the slow part, and other runs reuse it), typecheck, run every test.
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
echo "== tests"
npx vitest run "$@"
# The cluster suite starts private clusters (test/cluster/); only on a full run.
if [ "$#" -eq 0 ]; then
  echo "== cluster tests"
  npx vitest run --config vitest.cluster.config.ts
fi
