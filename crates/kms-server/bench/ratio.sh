#!/usr/bin/env bash
# The floor (a bare axum handler, benches/floor at the workspace root) and kms-server on its default
# configuration (SQLite, info logs to a file), measured back to back with
# the same wrk load, and the ratio of their req/s.
# Usage: ratio.sh [duration] [connections] [threads] [rounds]
# Cases: floor; server create-datakey-without-plaintext with X-Auth-Token;
# the same pre-signed with SDK-HMAC-SHA256 (replayed); decrypt-datakey.
# Both servers stay up and the cases are interleaved, `rounds` times
# (default 5): each server run is bracketed by a floor run just before and
# one just after it and divided by their mean, and the spread of those
# ratios (min / median / max, and every run) is printed, so that a slow
# spell of a shared machine moves floor and server alike instead of one of
# them. The ratio of the median floor and server req/s over all runs is
# printed too; `uptime` before and after.
# FLOOR_REQUEST=same sends the floor the case's request headers as well
# (X-Auth-Token, or X-Sdk-Date and Authorization), which it ignores: the
# floor then also pays hyper's and the kernel's cost of the same request
# bytes. Default: the floor gets Content-Type only.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
target="${CARGO_TARGET_DIR:-$repo/target}"
duration="${1:-15s}"; conns="${2:-16}"; threads="${3:-2}"; rounds="${4:-5}"
# FLOOR_FEATURES=mimalloc builds the floor on kms-server's allocator.
(cd "$repo" && cargo build --locked --release -p kms-server --bins --examples \
  && cargo build --locked --release -p kms-floor ${FLOOR_FEATURES:+--features "$FLOOR_FEATURES"})
dir="$(mktemp -d)"; pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$dir"; }
trap cleanup EXIT
project="0123456789abcdef0123456789abcdef"; token="ratio-test-token-0123456789abcdef"
ak="RATIOAK0000000000000"; sk="ratio-sk-00000000000000000000000000000000"
wait_port() { for _ in $(seq 200); do (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }
# The share of the machine's CPU time the hypervisor took (steal) while a
# run lasted: on a shared virtual machine a run with much steal is noise.
steal_ticks() { awk '/^cpu /{ print $9, $2+$3+$4+$5+$6+$7+$8+$9 }' /proc/stat; }
load() { # name path body [token | date auth]
  local out s0 s1
  s0=$(steal_ticks)
  out=$(KMS_PATH="$2" KMS_BODY="$3" KMS_TOKEN="${4:-}" KMS_SDK_DATE="${5:-}" KMS_AUTHORIZATION="${6:-}" \
    wrk -t"$threads" -c"$conns" -d"$duration" -s "$here/request.lua" "http://127.0.0.1:$port" | grep '^RESULT')
  s1=$(steal_ticks)
  echo "$1 $out $(awk -v a="$s0" -v b="$s1" 'BEGIN { split(a, x, " "); split(b, y, " ");
    t = y[2] - x[2]; printf "steal=%.0f%%", (t > 0 ? 100 * (y[1] - x[1]) / t : 0) }')"
}
path="/v1.0/$project/kms/create-datakey-without-plaintext"

fport=$((20000 + RANDOM % 20000))
"$target/release/kms-floor" "127.0.0.1:$fport" & pids+=($!)
port=$fport wait_port "$fport"
floor_body='{"key_id":"0d0466b0-e727-4d9c-b4dc-2a3fb0a2e1b6","datakey_length":"256"}'

port=$((20000 + RANDOM % 20000))
while [ "$port" = "$fport" ]; do port=$((20000 + RANDOM % 20000)); done
cat > "$dir/config.toml" <<CONF
listen = "127.0.0.1:$port"
[[tokens]]
token = "$token"
domain_id = "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0"
project_id = "$project"
[[credentials]]
access_key = "$ak"
secret_key = "$sk"
domain_id = "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0"
project_id = "$project"
CONF
chmod 600 "$dir/config.toml"
# Default configuration: SQLite storage, RUST_LOG unset (info), logs to a file.
env -u RUST_LOG "$target/release/kms-server" --config "$dir/config.toml" --data-dir "$dir/data" \
  > "$dir/server.log" 2>&1 & pids+=($!)
wait_port "$port"
api() { curl -sf -X POST "http://127.0.0.1:$port/v1.0/$project/kms/$1" -H "X-Auth-Token: $token" \
  -H 'Content-Type: application/json' -d "$2"; }
key=$(api create-key '{"key_alias":"ratio"}' | sed 's/.*"key_id":"\([^"]*\)".*/\1/')
body="{\"key_id\":\"$key\",\"datakey_length\":\"256\"}"
ct=$(api create-datakey-without-plaintext "$body" | sed 's/.*"cipher_text":"\([^"]*\)".*/\1/')
signed=$("$target/release/examples/presign" POST "$path" "127.0.0.1:$port" "$body" "$ak" "$sk")
dbody="{\"key_id\":\"$key\",\"cipher_text\":\"$ct\",\"datakey_cipher_length\":\"32\"}"
sport=$port
# A case's auth arguments to `load`: the token, or none and the signed
# request's X-Sdk-Date and Authorization.
auth_of() { if [ "$1" = signed ]; then auth=("" "$(sed -n 1p <<<"$signed")" "$(sed -n 2p <<<"$signed")"); else auth=("$token"); fi; }
floor_run() { # case: the floor run bracketing that case
  auth=()
  if [ "${FLOOR_REQUEST:-}" = same ]; then auth_of "$1"; fi
  port=$fport load floor "$path" "$floor_body" "${auth[@]}"
}
case_run() {
  auth_of "$1"
  case "$1" in
    token|signed) port=$sport load "server-$1" "$path" "$body" "${auth[@]}" ;;
    decrypt) port=$sport load server-decrypt "/v1.0/$project/kms/decrypt-datakey" "$dbody" "${auth[@]}" ;;
  esac
}
rps() { sed 's/.*rps=\([0-9]*\).*/\1/' <<<"$1"; }
results="$dir/ratios"; : > "$results"
echo "start: $(uptime)"
for round in $(seq "$rounds"); do
  for c in token signed decrypt; do
    f0=$(floor_run "$c"); r=$(case_run "$c"); f1=$(floor_run "$c")
    for x in "$f0" "$r" "$f1"; do echo "round $round: $x"; done
    awk -v n="$c" -v s="$(rps "$r")" -v a="$(rps "$f0")" -v b="$(rps "$f1")" \
      'BEGIN { printf "%s %.4f %d %d %d\n", n, (a + b) / 2 / s, s, a, b }' >> "$results"
  done
done
echo "end: $(uptime)"
lines=$(wc -l < "$dir/server.log")
echo "server log lines written: $lines${FLOOR_REQUEST:+ (FLOOR_REQUEST=$FLOOR_REQUEST)}"
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
for c in token signed decrypt; do
  grep "^$c " "$results" | sort -k2 -n | awk -v n="$c" '{ v[NR] = $2 } END {
    m = (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)
    printf "%s: floor/server min %.2fx median %.2fx max %.2fx (runs:", n, v[1], m, v[NR]
    for (i = 1; i <= NR; i++) printf " %.2f", v[i]; printf ")" }'
  fm=$(grep "^$c " "$results" | awk '{ print $4; print $5 }' | median)
  sm=$(grep "^$c " "$results" | awk '{ print $3 }' | median)
  awk -v f="$fm" -v s="$sm" 'BEGIN { printf "; median req/s floor %d, server %d: %.2fx\n", f, s, f / s }'
done
