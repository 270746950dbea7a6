#!/usr/bin/env bash
# Tenant isolation: project B's DEK latency (create-datakey-without-plaintext,
# 2 connections each pausing 4 ms between requests: a steady ~400 req/s,
# below any per-project rate limit) and B's write latency (create-key, one
# connection pausing 20 ms) alone, then while project A floods list-keys
# (16 connections), then while project A floods RSA-4096 create-key (8
# connections). Prints one RESULT line per case (B's req/s, p50, p99) and
# what the flood got (A's req/s and non-2xx answers, e.g. 429 or 504).
# Usage: isolation.sh BINARY [duration] [limits]
#   BINARY   a kms-server release binary (e.g. target/release/kms-server, or
#            one built from an earlier commit for a before/after figure)
#   duration per case (default 10s)
#   limits   "on": [limits] requests_per_second_per_project = 2000 in the
#            configuration (needs a binary that knows [limits]); default off
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="${1:?usage: isolation.sh BINARY [duration] [limits]}"
duration="${2:-10s}"; limits="${3:-off}"
dir="$(mktemp -d)"; pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$dir"; }
trap cleanup EXIT
pa="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"; ta="isolation-token-a-0123456789abcdef"
pb="bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"; tb="isolation-token-b-0123456789abcdef"
port=$((20000 + RANDOM % 20000))
{
  echo "listen = \"127.0.0.1:$port\""
  for t in "$ta $pa" "$tb $pb"; do
    set -- $t
    printf '[[tokens]]\ntoken = "%s"\ndomain_id = "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0"\nproject_id = "%s"\n' "$1" "$2"
  done
  if [ "$limits" = on ]; then
    printf '[limits]\nrequests_per_second_per_project = 2000\n'
  fi
} > "$dir/config.toml"
chmod 600 "$dir/config.toml"
RUST_LOG=warn "$bin" --config "$dir/config.toml" --data-dir "$dir/data" >"$dir/server.log" 2>&1 & pids+=($!)
for _ in $(seq 200); do curl -sf "127.0.0.1:$port/health" >/dev/null && break; sleep 0.05; done
key=$(curl -sf -X POST "127.0.0.1:$port/v1.0/$pb/kms/create-key" -H "X-Auth-Token: $tb" \
  -H 'Content-Type: application/json' -d '{"key_alias":"isolation-dek"}' | sed 's/.*"key_id":"\([^"]*\)".*/\1/')
# A few keys for project A's list-keys to page through.
for i in $(seq 20); do
  curl -sf -X POST "127.0.0.1:$port/v1.0/$pa/kms/create-key" -H "X-Auth-Token: $ta" \
    -H 'Content-Type: application/json' -d "{\"key_alias\":\"listed-$i\"}" >/dev/null
done
measure_b() {
  KMS_PATH="/v1.0/$pb/kms/create-datakey-without-plaintext" KMS_TOKEN="$tb" \
    KMS_BODY="{\"key_id\":\"$key\",\"datakey_length\":\"256\"}" KMS_BENCH_DIR="$here" \
    wrk -t1 -c2 -d"$duration" -s "$here/paced.lua" "http://127.0.0.1:$port" | grep '^RESULT'
}
measure_b_writes() {
  KMS_PATH="/v1.0/$pb/kms/create-key" KMS_TOKEN="$tb" KMS_PREFIX="b$RANDOM" \
    KMS_BENCH_DIR="$here" KMS_SCRIPT=create-key.lua KMS_DELAY_MS=20 \
    wrk -t1 -c1 -d"$duration" --timeout 30s -s "$here/paced.lua" "http://127.0.0.1:$port" | grep '^RESULT'
}
flood() { # name wrk-args...
  local name="$1"; shift
  "$@" > "$dir/flood.out" 2>&1 &
  local f=$!
  sleep 1
  echo "$name B $(measure_b)"
  wait "$f" || true
  "$@" > "$dir/flood.out" 2>&1 &
  f=$!
  sleep 1
  echo "$name B-writes $(measure_b_writes)"
  wait "$f" || true
  echo "$name A-flood $(grep '^RESULT' "$dir/flood.out" || echo 'RESULT none')"
}
echo "load $(cut -d' ' -f1-3 /proc/loadavg) limits=$limits binary=$bin"
echo "alone B $(measure_b)"
echo "alone B-writes $(measure_b_writes)"
# The flood lasts the measured window plus the second before it.
long="$(( ${duration%s} + 2 ))s"
flood list-keys-flood env KMS_PATH="/v1.0/$pa/kms/list-keys" KMS_TOKEN="$ta" KMS_BODY='{"limit":"10"}' \
  wrk -t1 -c16 -d"$long" -s "$here/request.lua" "http://127.0.0.1:$port"
flood rsa4096-create-flood env KMS_PATH="/v1.0/$pa/kms/create-key" KMS_TOKEN="$ta" KMS_PREFIX=iso \
  KMS_SPEC=RSA_4096 KMS_USAGE=SIGN_VERIFY \
  wrk -t1 -c8 -d"$long" --timeout 30s -s "$here/create-key.lua" "http://127.0.0.1:$port"
