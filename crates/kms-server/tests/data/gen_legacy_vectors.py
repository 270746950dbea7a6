#!/usr/bin/env python3
"""Generates legacy-signing-vectors.json with huaweicloud-sdk-python 1.0.28.

Usage: gen_legacy_vectors.py <output json> [port]

Run by hand only (tests never need it). The legacy signer is
`openstack.aksksession.AkSksignature` (SigV4-style `SDK-HMAC-SHA256
Credential=<AK>/<yyyymmdd>/<region>/<service>/sdk_request`), driven here
through the SDK's own `ASKSession.request`, exactly as its KMS resources
call it (the same extra headers as `openstack/kms/v1/key.py`), with a fixed
X-Sdk-Date (the session keeps an X-Sdk-Date it is given). Each request goes
to a small capture server on 127.0.0.1:<port> (default 18080, so the Host
header is reproducible) that records it exactly as received: method, raw
path, query, every header in wire order, the exact body bytes.

Two kinds of scope are made: region and service empty (a session without
region and a call without endpoint filter: what the 2021 golangsdk signs,
`<yyyymmdd>///sdk_request`) and region `cn-north-4` with service `kms`
(the SDK's KMS service filter).

    python3 -m venv v && v/bin/pip install huaweicloud-sdk-python==1.0.28 && \
    v/bin/python gen_legacy_vectors.py legacy-signing-vectors.json
"""

import collections
import collections.abc

# huaweicloud-sdk-python 1.x predates Python 3.10, which removed these
# aliases (openstack.resource subclasses collections.MutableMapping).
for _name in ("Mapping", "MutableMapping", "Sequence", "MutableSequence", "Iterable",
              "Callable", "Set", "MutableSet"):
    if not hasattr(collections, _name):
        setattr(collections, _name, getattr(collections.abc, _name))

import json  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402

from importlib.metadata import version as _version  # noqa: E402
from openstack import aksksession  # noqa: E402
from openstack.kms import kms_service  # noqa: E402

AK = "MYTESTAK0000000000AA"
SK = "mytestsk0000000000000000000000000000000SK"
PROJECT = "0123456789abcdef0123456789abcdef"
DATE = "20240101T000000Z"
KEY_ID = "0d0466b0-e727-4d9c-b35d-f84bb474a37f"

CAPTURED = []


class Capture(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        CAPTURED.append({"method": self.command, "path": path, "query": query,
                         "headers": list(self.headers.items()), "body": body})
        out = b'{"key_info": {}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = _handle

    def log_message(self, fmt, *args):
        pass


# The headers openstack/kms/v1/key.py passes with every KMS call (its
# Content-Length is replaced by requests with the real length).
KMS_HEADERS = {"Accept": "application/json", "Content-type": "application/json"}


def requests_to_sign(base):
    """(region, service, call) triples; call(session) makes the request."""
    kms = kms_service.KMSService()
    v1 = f"{base}/v1.0/{PROJECT}"
    return [
        # Region and service empty: no region on the session, no endpoint filter.
        (None, "", lambda s: s.request(f"{v1}/kms/describe-key", "POST", json={"key_id": KEY_ID},
                                       headers=dict(KMS_HEADERS, **{"X-Sdk-Date": DATE}))),
        (None, "", lambda s: s.request(f"{v1}/kms/encrypt-data", "POST",
                                       json={"key_id": KEY_ID, "plain_text": "hello world",
                                             "encryption_algorithm": "SYMMETRIC_DEFAULT"},
                                       headers=dict(KMS_HEADERS, **{"X-Sdk-Date": DATE}))),
        (None, "", lambda s: s.request(f"{base}/v3/projects", "GET", params={"name": "cn-north-4"},
                                       headers={"X-Sdk-Date": DATE})),
        # Region cn-north-4, service kms: the SDK's KMS service filter.
        ("cn-north-4", "kms", lambda s: s.request(
            "/kms/describe-key", "POST", json={"key_id": KEY_ID}, endpoint_filter=kms,
            endpoint_override=f"{base}/v1.0/%(project_id)s",
            headers=dict(KMS_HEADERS, **{"X-Sdk-Date": DATE}))),
        ("cn-north-4", "kms", lambda s: s.request(
            "/keystores", "GET", params={"offset": "0", "limit": "10"}, endpoint_filter=kms,
            endpoint_override=f"{base}/v1.0/%(project_id)s",
            headers={"X-Sdk-Date": DATE})),
    ]


def main():
    output = sys.argv[1]
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 18080
    server = ThreadingHTTPServer(("127.0.0.1", port), Capture)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{port}"

    vectors = []
    for region, service, call in requests_to_sign(base):
        session = aksksession.ASKSession(None, ak=AK, sk=SK, domain="myhuaweicloud.com",
                                         project_id=PROJECT, region=region)
        call(session)
        c = CAPTURED[-1]
        headers = dict(c["headers"])
        auth = headers.pop("Authorization")
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/", 1)[1]
        vectors.append({
            "method": c["method"],
            "path": c["path"],
            "query": c["query"],
            "headers": headers,
            "body": c["body"].decode("utf-8"),
            "authorization": auth,
            "region": region or "",
            "service": service,
            "scope": scope,
        })
    server.shutdown()

    doc = {
        "about": (
            f"Requests signed by the legacy Huawei Cloud signer of huaweicloud-sdk-python "
            f"{_version('huaweicloud-sdk-python')} (PyPI; openstack.aksksession.AkSksignature, "
            "`SDK-HMAC-SHA256 Credential=<AK>/<yyyymmdd>/<region>/<service>/sdk_request`), made "
            "with gen_legacy_vectors.py beside this file: each request went through the SDK's own "
            "ASKSession.request with a fixed X-Sdk-Date " + DATE + " and was captured on the wire "
            f"by a python3 http.server on 127.0.0.1:{port} (method, raw path, query, headers in "
            "wire order, exact body bytes). Authorization is taken out of headers into its own "
            "field; region/service/scope say what the credential scope holds (region and service "
            "empty is what the 2021 golangsdk signs). This signer always signs exactly "
            "`host;x-sdk-date` and signs the query only from the `params` it is given. A server "
            "that verifies the legacy scheme must accept each request exactly as given (with "
            "\"now\" at " + DATE + ") and reject it after any change to a signed part."
        ),
        "access_key": AK,
        "secret_key": SK,
        "vectors": vectors,
    }
    with open(output, "w") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")
    for v in vectors:
        print(v["method"], v["path"], v["query"], v["scope"])


if __name__ == "__main__":
    main()
