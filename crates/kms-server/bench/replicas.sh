#!/usr/bin/env bash
# kms-server on SQLite (1 replica) against PostgreSQL (1 and 2 replicas),
# same wrk load. With 2 replicas, two wrk processes (one per replica, half
# the connections each) run at once and their req/s are added.
# Usage: replicas.sh [duration] [connections]
# Cases: dek (create-datakey-without-plaintext: served from the record
# cache once warm), list (list-keys, limit 10: reads the database on every
# request), create (create-key with a fresh alias: a database write each).
# PostgreSQL runs with its default durability (fsync, synchronous_commit
# on), like SQLite's synchronous=FULL; a throwaway cluster in a temp dir.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
target="${CARGO_TARGET_DIR:-$repo/target}"
duration="${1:-10s}"; conns="${2:-16}"
(cd "$repo" && cargo build --locked --release -p kms-server --bin kms-server)
pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -x "$pgbin/initdb" ] || { echo "no PostgreSQL binaries in /usr/lib/postgresql/*/bin" >&2; exit 1; }
dir="$(mktemp -d)"; chmod 755 "$dir"; pids=()
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  as_pg "$pgbin/pg_ctl" -D "$dir/pg/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
mkdir "$dir/pg"; [ "$(id -u)" -ne 0 ] || chown postgres "$dir/pg"
pgport=$((20000 + RANDOM % 20000))
as_pg "$pgbin/initdb" -D "$dir/pg/data" -U kms --auth=trust >/dev/null
as_pg "$pgbin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/log" -w -o "-p $pgport -h 127.0.0.1 -k ''" start >/dev/null
project="0123456789abcdef0123456789abcdef"; token="replica-bench-token-0123456789ab"
export KMS_ROOT_KEY="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
wait_port() { for _ in $(seq 400); do (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }
start() { # name [database-url] -> sets PORT
  local name="$1" port=$((20000 + RANDOM % 20000))
  mkdir -p "$dir/$name"
  cat > "$dir/$name/config.toml" <<CONF
listen = "127.0.0.1:$port"
[[tokens]]
token = "$token"
domain_id = "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0"
project_id = "$project"
CONF
  chmod 600 "$dir/$name/config.toml"
  if [ -n "${2:-}" ]; then
    KMS_DATABASE_URL="$2" env -u RUST_LOG "$target/release/kms-server" --config "$dir/$name/config.toml" \
      --data-dir "$dir/$name/data" > "$dir/$name/server.log" 2>&1 &
  else
    env -u RUST_LOG -u KMS_ROOT_KEY "$target/release/kms-server" --config "$dir/$name/config.toml" \
      --data-dir "$dir/$name/data" > "$dir/$name/server.log" 2>&1 &
  fi
  pids+=($!)
  wait_port "$port"
  PORT=$port
}
api() { curl -sf -X POST "http://127.0.0.1:$1/v1.0/$project/kms/$2" -H "X-Auth-Token: $token" \
  -H 'Content-Type: application/json' -d "$3"; }
rps() { sed 's/.*rps=\([0-9]*\).*/\1/' <<<"$1"; }
# wrk against each port at once (connections split), one RESULT line summed.
load() { # case ports...
  local case="$1"; shift
  local n=$# c=$((conns / $#)) i=0
  local files=() wpids=()
  for port in "$@"; do
    i=$((i + 1)); files+=("$dir/wrk.$i")
    case "$case" in
      dek)
        KMS_PATH="/v1.0/$project/kms/create-datakey-without-plaintext" KMS_BODY="{\"key_id\":\"$KEY\",\"datakey_length\":\"256\"}" \
          KMS_TOKEN="$token" wrk -t1 -c"$c" -d"$duration" -s "$here/request.lua" "http://127.0.0.1:$port" > "$dir/wrk.$i" & wpids+=($!) ;;
      list)
        KMS_PATH="/v1.0/$project/kms/list-keys" KMS_BODY='{"limit":"10"}' \
          KMS_TOKEN="$token" wrk -t1 -c"$c" -d"$duration" -s "$here/request.lua" "http://127.0.0.1:$port" > "$dir/wrk.$i" & wpids+=($!) ;;
      create)
        KMS_PATH="/v1.0/$project/kms/create-key" KMS_PREFIX="$case$i$RANDOM" \
          KMS_TOKEN="$token" wrk -t1 -c"$c" -d"$duration" -s "$here/create-key.lua" "http://127.0.0.1:$port" > "$dir/wrk.$i" & wpids+=($!) ;;
    esac
  done
  wait "${wpids[@]}"
  local total=0 non2xx=0 p99s=""
  for f in "${files[@]}"; do
    local line; line=$(grep '^RESULT' "$f")
    total=$((total + $(rps "$line")))
    non2xx=$((non2xx + $(sed 's/.*non2xx=\([0-9]*\).*/\1/' <<<"$line")))
    p99s="$p99s $(sed 's/.*p99_us=\([0-9]*\).*/\1/' <<<"$line")us"
  done
  echo "$case replicas=$n rps=$total non2xx=$non2xx p99=[$p99s ]"
}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
# SQLite, one replica.
start sqlite; port=$PORT
KEY=$(api "$port" create-key '{"key_alias":"bench"}' | sed 's/.*"key_id":"\([^"]*\)".*/\1/')
for c in dek list create; do echo "sqlite $(load $c "$port")"; done
kill -TERM "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'
# PostgreSQL, one replica then two.
url="postgres://kms@127.0.0.1:$pgport/postgres"
start pg-a "$url"; pa=$PORT
KEY=$(api "$pa" create-key '{"key_alias":"bench"}' | sed 's/.*"key_id":"\([^"]*\)".*/\1/')
start pg-b "$url"; pb=$PORT
# Reads first on both (list-keys counts every key of the project).
for c in dek list; do
  echo "postgres $(load $c "$pa")"
  echo "postgres $(load $c "$pa" "$pb")"
done
echo "postgres $(load create "$pa")"
echo "postgres $(load create "$pa" "$pb")"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
