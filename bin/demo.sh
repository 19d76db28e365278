#!/usr/bin/env bash
# The demo: install what is missing, start the local Kafka + ClickHouse, then the pipeline,
# gateway, API and on-call process (incidents), and a synthetic load with injected incidents. Ctrl-C stops what it started.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash deploy/install-deps.sh
bash deploy/stack.sh up

logs="$root/.stack/demo"
mkdir -p "$logs"
pids=()
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "demo: stopping pipeline, gateway, API, on-call process and load generator (the stack stays up: npm run stack:down)"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

start() {
  local name="$1"; shift
  "$@" >"$logs/$name.log" 2>&1 &
  pids+=("$!")
  echo "demo: started $name (pid $!, log .stack/demo/$name.log)"
}

start pipeline ./bin/vigil pipeline
start gateway ./bin/vigil gateway
start api ./bin/vigil api
start oncall ./bin/vigil oncall

api_url="http://${VIGIL_API_HOST:-127.0.0.1}:${VIGIL_API_PORT:-8080}"
for _ in $(seq 1 60); do
  curl -fsS "$api_url/api/v1/health" >/dev/null 2>&1 && break
  sleep 1
done

# Ten minutes of quiet history first (windows warm, charts with a past), then realtime load:
# 4 sources x 8 standard metrics at 2 points/s each, with incidents a minute in and then every
# minute or two, so the dashboard shows anomalies and alerts arriving and resolving.
echo "demo: backfilling 10 minutes of history"
./bin/vigil produce --sources 4 --rate 1 --duration 10m --seed 7 >"$logs/backfill.log" 2>&1
start load ./bin/vigil produce --sources 4 --rate 2 --duration "${VIGIL_DEMO_DURATION:-600s}" --realtime --seed 8 \
  --incidents "${VIGIL_DEMO_INCIDENTS:-spike:120:source-1,drop:180:source-2/throughput,level_shift:240:source-2/error_rate,level_shift:300:source-3/cpu_usage,spike:420:source-4/response_time,outlier:540,trend_change:660:source-2}"

cat <<MSG

  Vigil demo is running.
    dashboard   $api_url/   (Incidents tab: alerts grouped per series / per silent source)
    API docs    $api_url/docs
    health      $api_url/api/v1/health
    WebSocket   ws://${VIGIL_GATEWAY_HOST:-127.0.0.1}:${VIGIL_GATEWAY_PORT:-8090}/ws?channels=alerts,anomalies,live
    ClickHouse  clickhouse-client --port 19000 --user vigil_reader --password vigil_reader -d vigil
    on-call     http://${VIGIL_ONCALL_HTTP_HOST:-127.0.0.1}:${VIGIL_ONCALL_HTTP_PORT:-9465}/health
  Alerts appear within a minute or two. Ctrl-C to stop.

MSG
tail -n 0 -F "$logs/pipeline.log" 2>/dev/null | grep --line-buffered -E '"msg":"(pipeline stats|operator command)"' &
pids+=("$!")
wait "${pids[0]}"
