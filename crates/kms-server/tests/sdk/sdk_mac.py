"""MAC keys, derive-shared-secret and the version documents through the
official SDK (issue 24 items 4 and 9).

run(binary, h): `h` is test_sdk (its check / expect_error / clients and
constants). Starts its own server with a seed file holding an HMAC key of
known material, so that Python's `hmac` checks generate-mac's MAC.
"""

import base64
import hashlib
import hmac
import os
import shutil
import signal
import subprocess
import tempfile

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from huaweicloudsdkkms.v2 import (
    CreateKeyRequest,
    CreateKeyRequestBody,
    DeriveSharedSecretRequest,
    DeriveSharedSecretRequestBody,
    GenerateMacRequest,
    GenerateMacRequestBody,
    OperateKeyRequestBody,
    RotateOnDemandRequest,
    RotateOnDemandRequestBody,
    ShowPublicKeyRequest,
    ShowVersionRequest,
    ShowVersionsRequest,
    VerifyMacRequest,
    VerifyMacRequestBody,
)

HMAC_KEY_ID = "5eeded00-0000-4000-8000-00000000ac01"
HMAC_MATERIAL = bytes(range(32))


def start(binary, h, tmp):
    seed = os.path.join(tmp, "seed.toml")
    with open(seed, "w") as f:
        f.write(f'''[[projects]]
project_id = "{h.PROJECT}"
[[projects.keys]]
key_id = "{HMAC_KEY_ID}"
key_alias = "sdk_hmac_seeded"
key_spec = "HMAC_256"
key_material = "{HMAC_MATERIAL.hex()}"
''')
    os.chmod(seed, 0o600)
    return h.launch(binary, tmp, h.free_port(), f'''[[credentials]]
access_key = "{h.AK}"
secret_key = "{h.SK}"
domain_id = "{h.DOMAIN}"
project_id = "{h.PROJECT}"
''', args=("--seed", seed), name="MAC server")


def run(binary, h):
    tmp = tempfile.mkdtemp(prefix="kms-sdk-mac-")
    failed_before = len(h.FAILURES)
    proc, url = start(binary, h, tmp)
    try:
        kms, _ = h.clients(url)
        b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731

        def gen(key_id, alg, msg):
            return kms.generate_mac(GenerateMacRequest(body=GenerateMacRequestBody(
                key_id=key_id, mac_algorithm=alg, message=b64(msg))))

        def ver(key_id, alg, msg, mac):
            return kms.verify_mac(VerifyMacRequest(body=VerifyMacRequestBody(
                key_id=key_id, mac_algorithm=alg, message=b64(msg), mac=mac)))

        @h.check("generate-mac on a seeded HMAC_256 key: Python's hmac computes the same MAC")
        def _():
            msg = b"issue 24: a MAC verified by Python's hmac"
            r = gen(HMAC_KEY_ID, "HMAC_SHA_256", msg)
            assert r.key_id == HMAC_KEY_ID and r.mac_algorithm == "HMAC_SHA_256", r
            want = hmac.new(HMAC_MATERIAL, msg, hashlib.sha256).hexdigest()
            assert r.mac == want, (r.mac, want)
        _()

        @h.check("verify-mac: mac_valid true for its MAC, false for another message or MAC")
        def _():
            msg = b"verify me"
            mac = hmac.new(HMAC_MATERIAL, msg, hashlib.sha256).hexdigest()
            r = ver(HMAC_KEY_ID, "HMAC_SHA_256", msg, mac)
            assert r.mac_valid is True, r
            assert ver(HMAC_KEY_ID, "HMAC_SHA_256", b"verify mE", mac).mac_valid is False
            flipped = ("0" if mac[0] != "0" else "1") + mac[1:]
            assert ver(HMAC_KEY_ID, "HMAC_SHA_256", msg, flipped).mac_valid is False
        _()

        @h.check("HMAC_384/512/SM3 keys: generate and verify; rotation keeps old MACs valid")
        def _():
            for spec, alg in [("HMAC_384", "HMAC_SHA_384"), ("HMAC_512", "HMAC_SHA_512"),
                              ("HMAC_SM3", "HMAC_SM3")]:
                k = kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(
                    key_alias="sdk_" + spec.lower(), key_spec=spec))).key_info.key_id
                mac = gen(k, alg, b"m").mac
                assert len(mac) == {"HMAC_SHA_384": 96, "HMAC_SHA_512": 128}.get(alg, 64), mac
                assert ver(k, alg, b"m", mac).mac_valid is True
            kms.rotate_on_demand(RotateOnDemandRequest(body=RotateOnDemandRequestBody(key_id=k)))
            assert ver(k, "HMAC_SM3", b"m", mac).mac_valid is True
            assert gen(k, "HMAC_SM3", b"m").mac != mac
        _()

        @h.check("MAC errors: wrong algorithm KMS.0308, HMAC key for encryption usage KMS.0341")
        def _():
            h.expect_error(lambda: gen(HMAC_KEY_ID, "HMAC_SHA_512", b"m"), 400, "KMS.0308")
            h.expect_error(lambda: kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(
                key_alias="sdk_hmac_bad", key_spec="HMAC_256", key_usage="ENCRYPT_DECRYPT"))), 400, "KMS.0341")
        _()

        @h.check("derive-shared-secret: equals cryptography's ECDH with the key's public key (P-256, P-384)")
        def _():
            for spec, curve in [("EC_P256", ec.SECP256R1()), ("EC_P384", ec.SECP384R1())]:
                k = kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(
                    key_alias="sdk_ecdh_" + spec.lower(), key_spec=spec,
                    key_usage="KEY_AGREEMENT"))).key_info.key_id
                pem = kms.show_public_key(ShowPublicKeyRequest(
                    body=OperateKeyRequestBody(key_id=k))).public_key
                ours = serialization.load_pem_public_key(pem.encode())
                peer = ec.generate_private_key(curve)
                der = peer.public_key().public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
                r = kms.derive_shared_secret(DeriveSharedSecretRequest(body=DeriveSharedSecretRequestBody(
                    key_id=k, key_agreement_algorithm="ECDH", public_key=b64(der))))
                assert r.key_agreement_algorithm == "ECDH", r
                assert base64.b64decode(r.shared_secret) == peer.exchange(ec.ECDH(), ours), spec
            # A peer key of the other curve: KMS.0308.
            other = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
            h.expect_error(lambda: kms.derive_shared_secret(DeriveSharedSecretRequest(
                body=DeriveSharedSecretRequestBody(key_id=k, key_agreement_algorithm="ECDH",
                                                   public_key=b64(other)))), 400, "KMS.0308")
        _()

        @h.check("show_versions / show_version: v1.0 CURRENT")
        def _():
            r = kms.show_versions(ShowVersionsRequest())
            assert [v.id for v in r.versions] == ["v1.0"], r
            v = r.versions[0]
            assert v.status == "CURRENT" and v.version == "" and v.min_version == "", v
            assert v.links[0].rel == "self" and v.links[0].href.endswith("/v1.0/"), v
            one = kms.show_version(ShowVersionRequest(version_id="v1.0"))
            assert one.version["id"] == "v1.0" and one.version["status"] == "CURRENT", one
            h.expect_error(lambda: kms.show_version(ShowVersionRequest(version_id="v9")), 400, "KMS.0201")
        _()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if len(h.FAILURES) > failed_before:
            print("--- MAC server log ---")
            print(open(os.path.join(tmp, "server.log")).read()[-4000:])
        shutil.rmtree(tmp, ignore_errors=True)
