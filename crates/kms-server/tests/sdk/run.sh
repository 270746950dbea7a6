#!/usr/bin/env bash
# Official-SDK test: builds kms-server, installs huaweicloudsdkkms,
# huaweicloudsdkapig, cryptography (to check signatures independently) and
# gmssl (pure-Python SM2/SM3, to check the national algorithms independently)
# from PyPI into a virtualenv, and runs test_sdk.py against a server it
# starts on a free port. Exits non-zero on failure.
#
# Environment:
#   CARGO_TARGET_DIR  cargo's target directory (default: <repo>/target)
#   KMS_SDK_VENV      virtualenv to create or reuse (default: $CARGO_TARGET_DIR/sdk-venv)
#   KMS_SDK_PROFILE   debug (default) or release
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
target="${CARGO_TARGET_DIR:-$repo/target}"
profile="${KMS_SDK_PROFILE:-debug}"
venv="${KMS_SDK_VENV:-$target/sdk-venv}"

cd "$repo"
if [ "$profile" = release ]; then
    cargo build --locked -p kms-server --release
else
    cargo build --locked -p kms-server
fi
binary="$target/$profile/kms-server"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    'huaweicloudsdkkms>=3.1,<4' 'huaweicloudsdkapig>=3.1,<4' 'cryptography>=42' 'gmssl>=3.2,<4'

exec "$venv/bin/python" "$here/test_sdk.py" "$binary" "$here/../data"
