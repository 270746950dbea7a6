#!/usr/bin/env bash
# Warm sign / verify / get-publickey throughput of kms-server (default
# configuration: SQLite, info logs to a file, X-Auth-Token) against the
# primitive's limit on this machine, `openssl speed` (per core, and twice
# that for the two-core limit a 16-connection run is compared with).
# Usage: sign.sh [duration] [rounds] [threads]   (defaults 8s, 3, 2)
# Cases, each at 1 and 16 connections, `rounds` times interleaved (the
# median req/s is reported, with min and max): sign and verify with an
# RSA_2048 key (RSASSA_PSS_SHA_256) and an EC_P256 key (ECDSA_SHA_256), a
# 32-byte DIGEST message; get-publickey of the EC key. The same four sign
# and verify cases against kms-floor-primitive (floor-rsa-sign
# ...: the bare HTTP front with the same primitive inline and nothing else,
# the most any server could do here with both). Ratios printed:
#   1 connection:   req/s / openssl one-core ops/s
#   16 connections: req/s / (2 x openssl one-core ops/s)
#   and for kms-server's cases: kms-server req/s / the floor's
# `uptime` is printed before and after: on a shared machine the load is
# part of the figure. OPENSSL_SECONDS (default 5) sets openssl's run time.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
target="${CARGO_TARGET_DIR:-$repo/target}"
duration="${1:-8s}"; rounds="${2:-3}"; threads="${3:-2}"
(cd "$repo" && cargo build --locked --release -p kms-server --bins && cargo build --locked --release -p kms-floor)
echo "start: $(uptime)"

# The primitive on this machine, per core.
ossl=$(openssl speed -seconds "${OPENSSL_SECONDS:-5}" rsa2048 ecdsap256 2>/dev/null)
rsa_sign=$(awk '/^rsa 2048 bits/ { print $6 }' <<<"$ossl")
rsa_verify=$(awk '/^rsa 2048 bits/ { print $7 }' <<<"$ossl")
ec_sign=$(awk '/ecdsa \(nistp256\)/ { print $(NF-1) }' <<<"$ossl")
ec_verify=$(awk '/ecdsa \(nistp256\)/ { print $NF }' <<<"$ossl")
echo "openssl speed, one core: rsa2048 sign ${rsa_sign}/s verify ${rsa_verify}/s; ecdsap256 sign ${ec_sign}/s verify ${ec_verify}/s"
echo "after openssl: $(uptime)"

dir="$(mktemp -d)"; pid=""; fpid=""
cleanup() {
  for p in $pid $fpid; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT
project="0123456789abcdef0123456789abcdef"; token="sign-test-token-0123456789abcdef"
port=$((20000 + RANDOM % 20000))
cat > "$dir/config.toml" <<CONF
listen = "127.0.0.1:$port"
[[tokens]]
token = "$token"
domain_id = "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0"
project_id = "$project"
CONF
chmod 600 "$dir/config.toml"
env -u RUST_LOG "$target/release/kms-server" --config "$dir/config.toml" --data-dir "$dir/data" \
  > "$dir/server.log" 2>&1 & pid=$!
for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.05; done
api() { curl -sf -X POST "http://127.0.0.1:$port/v1.0/$project/kms/$1" -H "X-Auth-Token: $token" \
  -H 'Content-Type: application/json' -d "$2"; }
field() { python3 -c "import sys, json; print(json.load(sys.stdin)$1)"; }
rsa=$(api create-key '{"key_alias":"sign-rsa","key_spec":"RSA_2048","key_usage":"SIGN_VERIFY"}' | field '["key_info"]["key_id"]')
ec=$(api create-key '{"key_alias":"sign-ec","key_spec":"EC_P256","key_usage":"SIGN_VERIFY"}' | field '["key_info"]["key_id"]')
digest=$(head -c 32 /dev/urandom | base64)
sign_body() { echo "{\"key_id\":\"$1\",\"message\":\"$digest\",\"message_type\":\"DIGEST\",\"signing_algorithm\":\"$2\"}"; }
verify_body() {
  local sig; sig=$(api sign "$(sign_body "$1" "$2")" | field '["signature"]')
  echo "{\"key_id\":\"$1\",\"message\":\"$digest\",\"message_type\":\"DIGEST\",\"signing_algorithm\":\"$2\",\"signature\":\"$sig\"}"
}
declare -A path body limit1
path[rsa-sign]=sign;   body[rsa-sign]=$(sign_body "$rsa" RSASSA_PSS_SHA_256);   limit1[rsa-sign]=$rsa_sign
path[rsa-verify]=verify; body[rsa-verify]=$(verify_body "$rsa" RSASSA_PSS_SHA_256); limit1[rsa-verify]=$rsa_verify
path[ec-sign]=sign;    body[ec-sign]=$(sign_body "$ec" ECDSA_SHA_256);          limit1[ec-sign]=$ec_sign
path[ec-verify]=verify; body[ec-verify]=$(verify_body "$ec" ECDSA_SHA_256);      limit1[ec-verify]=$ec_verify
path[ec-publickey]=get-publickey; body[ec-publickey]="{\"key_id\":\"$ec\"}";    limit1[ec-publickey]=0
fport=$((20000 + RANDOM % 20000))
while [ "$fport" = "$port" ]; do fport=$((20000 + RANDOM % 20000)); done
"$target/release/kms-floor-primitive" "127.0.0.1:$fport" & fpid=$!
for _ in $(seq 200); do (echo > "/dev/tcp/127.0.0.1/$fport") 2>/dev/null && break; sleep 0.05; done
floor_api() { curl -sf -X POST "http://127.0.0.1:$fport/v1.0/$project/kms/$1" -H 'Content-Type: application/json' -d "$2"; }
floor_verify_body() { # the floor's own signature, in the server case's body shape
  local sig; sig=$(floor_api sign "$(sign_body "$1" "$2")" | field '["signature"]')
  echo "{\"key_id\":\"$1\",\"message\":\"$digest\",\"message_type\":\"DIGEST\",\"signing_algorithm\":\"$2\",\"signature\":\"$sig\"}"
}
declare -A at
for c in rsa-sign rsa-verify ec-sign ec-verify; do
  path[floor-$c]=${path[$c]}; limit1[floor-$c]=${limit1[$c]}; at[floor-$c]=$fport
done
body[floor-rsa-sign]=${body[rsa-sign]}; body[floor-ec-sign]=${body[ec-sign]}
body[floor-rsa-verify]=$(floor_verify_body "$rsa" RSASSA_PSS_SHA_256)
body[floor-ec-verify]=$(floor_verify_body "$ec" ECDSA_SHA_256)
cases="rsa-sign floor-rsa-sign rsa-verify floor-rsa-verify ec-sign floor-ec-sign ec-verify floor-ec-verify ec-publickey"
for c in $cases; do at[$c]=${at[$c]:-$port}; done
# Every case answers 200 (and a verify "true") before it is measured.
for c in $cases; do
  out=$(curl -sf -X POST "http://127.0.0.1:${at[$c]}/v1.0/$project/kms/${path[$c]}" -H "X-Auth-Token: $token" \
    -H 'Content-Type: application/json' -d "${body[$c]}")
  case "$c" in *verify) grep -q '"signature_valid":"true"' <<<"$out" || { echo "$c: $out" >&2; exit 1; } ;; esac
done
results="$dir/results"; : > "$results"
for round in $(seq "$rounds"); do
  for c in $cases; do
    for conns in 1 16; do
      out=$(KMS_PATH="/v1.0/$project/kms/${path[$c]}" KMS_BODY="${body[$c]}" KMS_TOKEN="$token" \
        wrk -t"$(( conns < threads ? conns : threads ))" -c"$conns" -d"$duration" -s "$here/request.lua" \
        "http://127.0.0.1:${at[$c]}" | grep '^RESULT')
      echo "round $round: $c c=$conns $out"
      echo "$c $conns $(sed 's/.*rps=\([0-9]*\).*/\1/' <<<"$out")" >> "$results"
    done
  done
done
echo "end: $(uptime)"
median_of() { grep "^$1 $2 " "$results" | awk '{ print $3 }' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for c in $cases; do
  for conns in 1 16; do
    floor=0; case "$c" in floor-*|ec-publickey) ;; *) floor=$(median_of "floor-$c" "$conns") ;; esac
    grep "^$c $conns " "$results" | awk '{ print $3 }' | sort -n | awk -v c="$c" -v n="$conns" \
      -v one="${limit1[$c]}" -v floor="$floor" '{ v[NR] = $1 } END {
        m = v[int((NR + 1) / 2)]; printf "%s c=%d: median %d req/s (min %d, max %d)", c, n, m, v[1], v[NR]
        if (one > 0) {
          lim = (n == 1 ? one : 2 * one)
          printf "; %s %.0f/s: %.2fx", (n == 1 ? "openssl one core" : "openssl two cores"), lim, m / lim
        }
        if (floor > 0) printf "; floor %d: %.2fx of it", floor, m / floor
        printf "\n" }'
  done
done
