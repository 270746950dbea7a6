#!/usr/bin/env bash
# Instructions per request of kms-server's DEK paths (and of the floor),
# counted by valgrind's callgrind under a light wrk load: exact and
# repeatable where wall time on a shared machine is not.
# Usage: instructions.sh [duration] [case...]
#   cases: floor token signed decrypt sign-ec verify-ec (default: all but
#   the last two)
# Each case: the binary is started under callgrind (instrumentation on),
# warmed up for 3 s with `wrk -t1 -c4`, its counters zeroed
# (callgrind_control -z), loaded for `duration` (default 10s) and dumped
# (callgrind_control -d); instructions / request = the dump's total Ir /
# the requests wrk completed. The dumps are kept in $OUT (default a new
# temporary directory; printed) for callgrind_annotate.
# Under valgrind, cpufeatures sees no SHA-NI: SHA-256 runs in software, so
# the signed path's count is inflated against the real CPU (see
# docs/benchmarks-server.md). Default configuration otherwise (SQLite,
# info logs to a file).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
target="${CARGO_TARGET_DIR:-$repo/target}"
duration="${1:-10s}"; shift || true
cases=("$@"); [ ${#cases[@]} -gt 0 ] || cases=(floor token signed decrypt)
(cd "$repo" && cargo build --locked --release -p kms-server --bins --examples && cargo build --locked --release -p kms-floor)
out="${OUT:-$(mktemp -d)}"; mkdir -p "$out"; echo "dumps in $out"
dir="$(mktemp -d)"; pid=""
cleanup() { if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi; rm -rf "$dir"; }
trap cleanup EXIT
project="0123456789abcdef0123456789abcdef"; token="insn-test-token-0123456789abcdef"
ak="INSNAK00000000000000"; sk="insn-sk-000000000000000000000000000000000"
wait_port() { for _ in $(seq 600); do (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
run_wrk() { # duration path body [token | "" date auth]
  KMS_PATH="$2" KMS_BODY="$3" KMS_TOKEN="${4:-}" KMS_SDK_DATE="${5:-}" KMS_AUTHORIZATION="${6:-}" \
    wrk -t1 -c4 -d"$1" -s "$here/request.lua" "http://127.0.0.1:$port" | grep '^RESULT'
}
start() { # name command...
  local name=$1; shift
  env -u RUST_LOG valgrind --tool=callgrind --callgrind-out-file="$out/$name.%p" "$@" > "$dir/$name.log" 2>&1 & pid=$!
  wait_port "$port"
}
stop() { kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; }
measure() { # name path body [auth...]
  local name=$1; shift
  run_wrk 3s "$@" > /dev/null
  callgrind_control -z "$pid" > /dev/null
  local r; r=$(run_wrk "$duration" "$@")
  callgrind_control -d "$pid" > /dev/null
  sleep 1
  local dump; dump=$(ls -t "$out/$name.$pid".* 2>/dev/null | head -1)
  local ir; ir=$(awk '/^(summary|totals):/ { print $2; exit }' "$dump")
  local n; n=$(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$r")
  awk -v name="$name" -v ir="$ir" -v n="$n" -v r="$r" \
    'BEGIN { printf "%s: %.1fk instructions/request (%d requests; %s)\n", name, ir / n / 1000, n, r }'
}
path="/v1.0/$project/kms/create-datakey-without-plaintext"
for c in "${cases[@]}"; do
  port=$((20000 + RANDOM % 20000))
  if [ "$c" = floor ]; then
    start floor "$target/release/kms-floor" "127.0.0.1:$port"
    measure floor "$path" '{"key_id":"0d0466b0-e727-4d9c-b4dc-2a3fb0a2e1b6","datakey_length":"256"}'
    stop; continue
  fi
  rm -rf "$dir/data"
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
  start "$c" "$target/release/kms-server" --config "$dir/config.toml" --data-dir "$dir/data"
  api() { curl -sf -X POST "http://127.0.0.1:$port/v1.0/$project/kms/$1" -H "X-Auth-Token: $token" \
    -H 'Content-Type: application/json' -d "$2"; }
  field() { python3 -c "import sys, json; print(json.load(sys.stdin)$1)"; }
  case "$c" in
    token|signed|decrypt)
      key=$(api create-key '{"key_alias":"insn"}' | field '["key_info"]["key_id"]')
      body="{\"key_id\":\"$key\",\"datakey_length\":\"256\"}" ;;
  esac
  case "$c" in
    token) measure token "$path" "$body" "$token" ;;
    signed)
      signed=$("$target/release/examples/presign" POST "$path" "127.0.0.1:$port" "$body" "$ak" "$sk")
      measure signed "$path" "$body" "" "$(sed -n 1p <<<"$signed")" "$(sed -n 2p <<<"$signed")" ;;
    decrypt)
      ct=$(api create-datakey-without-plaintext "$body" | field '["cipher_text"]')
      measure decrypt "/v1.0/$project/kms/decrypt-datakey" \
        "{\"key_id\":\"$key\",\"cipher_text\":\"$ct\",\"datakey_cipher_length\":\"32\"}" "$token" ;;
    sign-ec|verify-ec)
      key=$(api create-key '{"key_alias":"insn-ec","key_spec":"EC_P256","key_usage":"SIGN_VERIFY"}' | field '["key_info"]["key_id"]')
      sbody="{\"key_id\":\"$key\",\"message\":\"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\",\"message_type\":\"DIGEST\",\"signing_algorithm\":\"ECDSA_SHA_256\"}"
      if [ "$c" = sign-ec ]; then
        measure sign-ec "/v1.0/$project/kms/sign" "$sbody" "$token"
      else
        sig=$(api sign "$sbody" | field '["signature"]')
        measure verify-ec "/v1.0/$project/kms/verify" "${sbody%\}},\"signature\":\"$sig\"}" "$token"
      fi ;;
  esac
  stop
done
