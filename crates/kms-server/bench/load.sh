#!/usr/bin/env bash
# Load test: wrk against create-datakey-without-plaintext on SQLite storage.
# Usage: load.sh [connections] [threads] [duration] [server-cpus] [wrk-cpus]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
target="${CARGO_TARGET_DIR:-$repo/target}"
conns="${1:-64}"; threads="${2:-2}"; duration="${3:-20s}"
server_cpus="${4:-}"; wrk_cpus="${5:-}"
(cd "$repo" && cargo build --locked --release -p kms-server)
dir="$(mktemp -d)"; port=$((20000 + RANDOM % 20000))
token="load-test-token-0123456789abcdef"; project="0123456789abcdef0123456789abcdef"
cat > "$dir/config.toml" <<CONF
listen = "127.0.0.1:$port"
[[tokens]]
token = "$token"
domain_id = "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0"
project_id = "$project"
CONF
pin() { if [ -n "$1" ]; then echo "taskset -c $1"; fi; }
RUST_LOG="${RUST_LOG:-warn}" $(pin "$server_cpus") "$target/release/kms-server" \
    --config "$dir/config.toml" --data-dir "$dir/data" > "$dir/server.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
key=$(curl -sf -X POST "http://127.0.0.1:$port/v1.0/$project/kms/create-key" \
    -H "X-Auth-Token: $token" -d '{"key_alias":"load"}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["key_info"]["key_id"])')
KMS_PROJECT=$project KMS_TOKEN=$token KMS_KEY_ID=$key $(pin "$wrk_cpus") wrk -t"$threads" -c"$conns" -d"$duration" --latency \
    -s "$here/create-datakey-without-plaintext.lua" "http://127.0.0.1:$port"
