#!/usr/bin/env bash
# deploy/stack.sh {up|down|status [--json]} — the local Kafka + ClickHouse (see deploy/stack.ts).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/deploy/install-deps.sh"
cd "$root"
VIGIL_DEPS_CHECKED=1 exec node --import tsx "$root/deploy/stack.ts" "$@"
