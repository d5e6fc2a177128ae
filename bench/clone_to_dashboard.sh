#!/usr/bin/env bash
# Time from `git clone` to a live dashboard of simulated devices, run by hand:
#
#   bench/clone_to_dashboard.sh            # clones this checkout's HEAD
#
# Clones into a temporary folder, then runs `bin/run --demo` there with pip's
# cache off (every wheel installed afresh into a new .venv), on a free broker
# port (so bin/run starts its own Mosquitto, as on a machine without one) and
# a free HTTP port. The clock stops when GET /api/devices, what the dashboard
# lists, shows the five simulated devices online, and GET / answers 200.
set -euo pipefail
source_dir="$(cd "$(dirname "$0")/.." && pwd)"
work=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
http_port=$(free_port)
broker_port=$(free_port)

start=$(date +%s)
git clone -q "$source_dir" "$work/autoforge"
cd "$work/autoforge"
# Its own process group, so that the SIGTERM at the end reaches every process bin/run started.
PIP_NO_CACHE_DIR=1 MQTT_PORT="$broker_port" ADDRESS="127.0.0.1:$http_port" \
    setsid bin/run --demo > "$work/run.log" 2>&1 &
run_pid=$!
trap 'kill -TERM -- -$run_pid 2>/dev/null; wait $run_pid 2>/dev/null || true; rm -rf "$work"' EXIT

online() {
    curl -sf "http://127.0.0.1:$http_port/api/devices" 2>/dev/null |
        python3 -c 'import json, sys; print(sum(d["online"] for d in json.load(sys.stdin)["data"]))' 2>/dev/null
}
until [ "$(online || echo 0)" -ge 5 ]; do
    if ! kill -0 "$run_pid" 2>/dev/null; then
        echo "bin/run --demo exited:"; tail -30 "$work/run.log"; exit 1
    fi
    sleep 0.5
done
status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/")
end=$(date +%s)
echo "clone to live dashboard: $((end - start)) s (GET / $status, 5 simulated devices online)"
