#!/usr/bin/env python3
"""Drives kms-server with the official Huawei Cloud Python SDKs.

Usage: test_sdk.py <path to kms-server binary> <tests/data dir>

Starts the server on a free port with a temporary data directory and a
configuration holding one AK/SK pair and an HSM cluster (with the test CA),
then calls it exactly as a user would: BasicCredentials (SDK-HMAC-SHA256
signing) and with_endpoints. Every call must succeed; bad calls must raise
the SDK's exceptions carrying our error codes. Exits non-zero on failure.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
import uuid

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions import exceptions
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkkms.v2 import (
    KmsClient,
    ShowPublicKeyRequest,
    SignRequest,
    SignRequestBody,
    ValidateSignatureRequest,
    VerifyRequestBody,
    CreateKeyStoreRequest,
    CreateKeyStoreRequestBody,
    ShowKeyStoreRequest,
    ListKeyStoresRequest,
    CreatePinRequest,
    CreatePinRequestBody,
    CreateKeyRequest,
    CreateKeyRequestBody,
    CreateDatakeyRequest,
    CreateDatakeyRequestBody,
    CreateDatakeyWithoutPlaintextRequest,
    DecryptDatakeyRequest,
    DecryptDatakeyRequestBody,
    EncryptDatakeyRequest,
    EncryptDatakeyRequestBody,
    OperateKeyRequestBody,
    ListKeyDetailRequest,
    ListKeysRequest,
    ListKeysRequestBody,
    UpdateKeyAliasRequest,
    UpdateKeyAliasRequestBody,
    UpdateKeyDescriptionRequest,
    UpdateKeyDescriptionRequestBody,
    DeleteKeyRequest,
    EnableKeyRequest,
    DisableKeyRequest,
    ScheduleKeyDeletionRequestBody,
    CancelKeyDeletionRequest,
    EncryptDataRequest,
    EncryptDataRequestBody,
    DecryptDataRequest,
    DecryptDataRequestBody,
    EnableKeyRotationRequest,
    DisableKeyRotationRequest,
    ShowKeyRotationStatusRequest,
    UpdateKeyRotationIntervalRequest,
    UpdateKeyRotationIntervalRequestBody,
    RotateOnDemandRequest,
    RotateOnDemandRequestBody,
    BatchCreateKmsTagsRequest,
    BatchCreateKmsTagsRequestBody,
    TagItem,
    Tag,
    ShowKmsTagsRequest,
    ListKmsByTagsRequest,
    ListKmsByTagsRequestBody,
    CreateRandomRequest,
    GenRandomRequestBody,
    ReEncryptRequest,
    ReEncryptRequestBody,
    CreateKmsTagRequest,
    CreateKmsTagRequestBody,
    DeleteTagRequest,
    ListKmsTagsRequest,
)
import sdk_grants
from huaweicloudsdkapig.v2 import (
    ApigClient,
    CertificateForm,
    CreateCertificateV2Request,
    ShowDetailsOfCertificateV2Request,
    ListCertificatesV2Request,
    DeleteCertificateV2Request,
)

PROJECT = "0123456789abcdef0123456789abcdef"
DOMAIN = "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0"
AK = "SDKTESTAK00000000000"
SK = "sdktestsk00000000000000000000000000000SK"
CLUSTER = "sdk-hsm-cluster"
# decrypt-data with SM2_ENCRYPT and no key_id: a missing parameter.
MISSING = "KMS.0204"


def hashlib_sha256(b):
    import hashlib
    return hashlib.sha256(b).hexdigest()

SOFTHSM_CLUSTER = "sdk-softhsm-cluster"
SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
SOFTHSM_PIN = "1234"

FAILURES = []
PASSED = []


def check(name):
    def wrap(fn):
        def run(*a, **kw):
            try:
                out = fn(*a, **kw)
                PASSED.append(name)
                print(f"ok   {name}")
                return out
            except Exception:  # noqa: BLE001 - report and continue
                FAILURES.append(name)
                print(f"FAIL {name}")
                traceback.print_exc()
                return None
        return run
    return wrap


def expect_error(call, status, code):
    try:
        call()
    except exceptions.ClientRequestException as e:
        assert e.status_code == status, f"status {e.status_code} != {status}: {e}"
        assert e.error_code == code, f"error_code {e.error_code} != {code}: {e}"
        assert e.request_id, f"no request id: {e}"
        return e
    raise AssertionError(f"expected {code}, the call succeeded")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def softhsm_setup(tmp):
    """A SoftHSM2 token in tmp for a PKCS#11-backed cluster: (extra config,
    extra environment), or None when SoftHSM2 is not installed (CI=true
    installs it, so there that is a failure)."""
    if not (os.path.exists(SOFTHSM_MODULE) and shutil.which("softhsm2-util")):
        if os.environ.get("CI") == "true":
            raise RuntimeError("SoftHSM2 missing under CI=true")
        print("SKIP PKCS#11 keystore checks: SoftHSM2 is not installed (apt-get install softhsm2)")
        return None
    tokens = os.path.join(tmp, "tokens")
    os.makedirs(tokens)
    conf = os.path.join(tmp, "softhsm2.conf")
    with open(conf, "w") as f:
        f.write(f"directories.tokendir = {tokens}\nlog.level = ERROR\n")
    env = dict(os.environ, SOFTHSM2_CONF=conf, KMS_SDK_HSM_PIN=SOFTHSM_PIN)
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "kms-sdk",
                    "--pin", SOFTHSM_PIN, "--so-pin", "5678"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    extra = f'''[[clusters]]
id = "{SOFTHSM_CLUSTER}"
type = "DHSM"
domain_id = "{DOMAIN}"
[[hsm_clusters]]
id = "{SOFTHSM_CLUSTER}"
module = "{SOFTHSM_MODULE}"
token_label = "kms-sdk"
pin_env = "KMS_SDK_HSM_PIN"
'''
    return extra, env


def launch(binary, tmp, port, config_body, args=(), env=None, name="server"):
    """Writes `listen` on `port` and `config_body` to tmp/config.toml
    (owner-only: the server refuses a config others can read), starts the
    server with its data in tmp/data and its log in tmp/server.log, and
    waits for /health: (process, url)."""
    config = os.path.join(tmp, "config.toml")
    with open(config, "w") as f:
        f.write(f'listen = "127.0.0.1:{port}"\n' + config_body)
    os.chmod(config, 0o600)
    log = open(os.path.join(tmp, "server.log"), "w")
    proc = subprocess.Popen(
        [binary, "--config", config, "--data-dir", os.path.join(tmp, "data"), *args],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/health", timeout=1).read()
            return proc, url
        except Exception:  # noqa: BLE001 - not up yet
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited; see {log.name}")
            time.sleep(0.1)
    raise RuntimeError(f"{name} did not come up")


def start_server(binary, data_dir, tmp):
    hsm = softhsm_setup(tmp)
    ca = os.path.join(data_dir, "test-hsm-ca.pem")
    body = f'''[[credentials]]
access_key = "{AK}"
secret_key = "{SK}"
domain_id = "{DOMAIN}"
project_id = "{PROJECT}"
[[clusters]]
id = "{CLUSTER}"
type = "DHSM"
domain_id = "{DOMAIN}"
ca_cert = "{ca}"
'''
    if hsm:
        body += hsm[0]
    body += sdk_grants.CONFIG
    return launch(binary, tmp, free_port(), body, env=hsm[1] if hsm else None)


def clients(url, project=PROJECT, sk=SK):
    creds = BasicCredentials(AK, sk, project)
    cfg = HttpConfig.get_default_config()
    cfg.retry_times = 0
    kms = KmsClient.new_builder().with_http_config(cfg).with_credentials(creds).with_endpoints([url]).build()
    apig = ApigClient.new_builder().with_http_config(cfg).with_credentials(creds).with_endpoints([url]).build()
    return kms, apig


def make_tls_files(tmp):
    """A CA and a server certificate for 127.0.0.1 and localhost that it
    signed, made with cryptography: (ca.pem, cert.pem, key.pem) paths, the
    key readable by its owner only (the server refuses it otherwise)."""
    import datetime
    import ipaddress
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    name = lambda cn: x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])  # noqa: E731
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("kms-rs SDK test CA"))
          .issuer_name(name("kms-rs SDK test CA")).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(name("127.0.0.1"))
            .issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
                critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = [os.path.join(tmp, n) for n in ("ca.pem", "cert.pem", "key.pem")]
    with open(paths[0], "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(paths[1], "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(paths[2], "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    os.chmod(paths[2], 0o600)
    return paths


def sdk_over_https(binary):
    """The SDK over https: kms-server with --tls-cert/--tls-key, the SDK
    verifying the server's certificate against the CA (HttpConfig's
    ssl_ca_cert), verification on as by default."""
    import ssl
    tmp = tempfile.mkdtemp(prefix="kms-sdk-tls-")
    ca, cert, key = make_tls_files(tmp)
    port = free_port()
    config = os.path.join(tmp, "config.toml")
    with open(config, "w") as f:
        f.write(f'''listen = "127.0.0.1:{port}"
[[credentials]]
access_key = "{AK}"
secret_key = "{SK}"
domain_id = "{DOMAIN}"
project_id = "{PROJECT}"
''')
    os.chmod(config, 0o600)
    log = open(os.path.join(tmp, "server.log"), "w")
    proc = subprocess.Popen(
        [binary, "--config", config, "--data-dir", os.path.join(tmp, "data"),
         "--tls-cert", cert, "--tls-key", key],
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"https://127.0.0.1:{port}"
    failed_before = len(FAILURES)
    try:
        context = ssl.create_default_context(cafile=ca)
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/health", timeout=1, context=context).read()
                break
            except Exception:  # noqa: BLE001 - not up yet
                if proc.poll() is not None:
                    raise RuntimeError("TLS server exited; see " + log.name)
                time.sleep(0.1)

        def client(ca_file):
            cfg = HttpConfig.get_default_config()
            cfg.retry_times = 0
            if ca_file:
                cfg.ssl_ca_cert = ca_file
            assert not cfg.ignore_ssl_verification
            creds = BasicCredentials(AK, SK, PROJECT)
            return (KmsClient.new_builder().with_http_config(cfg).with_credentials(creds)
                    .with_endpoints([url]).build())

        @check("over https (ssl_ca_cert = the CA): create key, DEK round trip, list keys")
        def _():
            kms = client(ca)
            k = kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(key_alias="tls_key"))).key_info
            r = kms.create_datakey(CreateDatakeyRequest(body=CreateDatakeyRequestBody(
                key_id=k.key_id, datakey_length="256")))
            d = kms.decrypt_datakey(DecryptDatakeyRequest(body=DecryptDatakeyRequestBody(
                key_id=k.key_id, cipher_text=r.cipher_text, datakey_cipher_length="32")))
            assert d.data_key.upper() == r.plain_text.upper(), d
            assert k.key_id in kms.list_keys(ListKeysRequest()).keys
        _()

        @check("over https without the CA: the certificate is refused, nothing is sent")
        def _():
            try:
                client(None).create_key(CreateKeyRequest(body=CreateKeyRequestBody(key_alias="never")))
            except exceptions.SslHandShakeException as e:
                assert "certificate" in str(e).lower(), e
            else:
                raise AssertionError("an unverified server was trusted")
            listed = client(ca).list_keys(ListKeysRequest())
            assert len(listed.keys) == 1, listed
        _()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if len(FAILURES) > failed_before:
            print("--- TLS server log ---")
            print(open(os.path.join(tmp, "server.log")).read()[-4000:])
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    binary, data_dir = sys.argv[1], sys.argv[2]
    read = lambda n: open(os.path.join(data_dir, n)).read()  # noqa: E731
    tmp = tempfile.mkdtemp(prefix="kms-sdk-test-")
    proc, url = start_server(binary, data_dir, tmp)
    try:
        kms, apig = clients(url)
        state = {}

        @check("create keystore (DHSM cluster + CA)")
        def _():
            r = kms.create_key_store(CreateKeyStoreRequest(body=CreateKeyStoreRequestBody(
                keystore_alias="sdk_keystore", hsm_cluster_id=CLUSTER,
                hsm_ca_cert=read("test-hsm-ca.pem"), keystore_type="DHSM")))
            assert r.keystore.domain_id == DOMAIN, r
            state["keystore"] = r.keystore.keystore_id
            s = kms.show_key_store(ShowKeyStoreRequest(keystore_id=r.keystore.keystore_id))
            assert s.keystore.keystore_alias == "sdk_keystore", s
            lst = kms.list_key_stores(ListKeyStoresRequest(limit="10", offset="0"))
            assert lst.total == 1, lst
        _()

        @check("create keystore with a taken alias raises KMS.6001")
        def _():
            expect_error(lambda: kms.create_key_store(CreateKeyStoreRequest(body=CreateKeyStoreRequestBody(
                keystore_alias="sdk_keystore", hsm_cluster_id=CLUSTER, keystore_type="DHSM"))), 400, "KMS.6001")
        _()

        @check("create PIN")
        def _():
            r = kms.create_pin(CreatePinRequest(body=CreatePinRequestBody(pin_type="CipherText", keystore_id="1")))
            assert r.pin, r
        _()

        @check("create key")
        def _():
            r = kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(key_alias="sdk_key")))
            assert r.key_info.domain_id == DOMAIN, r
            state["key"] = r.key_info.key_id
        _()

        @check("create key with a taken alias raises KMS.1104")
        def _():
            expect_error(lambda: kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(key_alias="sdk_key"))),
                         400, "KMS.1104")
        _()

        @check("create-datakey-without-plaintext then decrypt-datakey")
        def _():
            body = CreateDatakeyRequestBody(key_id=state["key"], datakey_length="256")
            r = kms.create_datakey_without_plaintext(CreateDatakeyWithoutPlaintextRequest(body=body))
            assert r.cipher_text, r
            d = kms.decrypt_datakey(DecryptDatakeyRequest(body=DecryptDatakeyRequestBody(
                key_id=state["key"], cipher_text=r.cipher_text, datakey_cipher_length="32")))
            assert len(d.data_key) == 64 and d.datakey_length == "32", d
            assert len(d.datakey_dgst) == 64, d
        _()

        @check("create-datakey, encrypt-datakey round trip")
        def _():
            r = kms.create_datakey(CreateDatakeyRequest(body=CreateDatakeyRequestBody(
                key_id=state["key"], datakey_length="512")))
            assert len(r.plain_text) == 128, r
            import hashlib
            dek = bytes.fromhex(r.plain_text)
            e = kms.encrypt_datakey(EncryptDatakeyRequest(body=EncryptDatakeyRequestBody(
                key_id=state["key"], plain_text=(dek + hashlib.sha256(dek).digest()).hex(),
                datakey_plain_length="64")))
            d = kms.decrypt_datakey(DecryptDatakeyRequest(body=DecryptDatakeyRequestBody(
                key_id=state["key"], cipher_text=e.cipher_text, datakey_cipher_length="64")))
            assert d.data_key.upper() == r.plain_text.upper(), d
        _()

        if os.path.exists(os.path.join(tmp, "softhsm2.conf")):
            @check("dedicated keystore on a SoftHSM2 token: key, DEK round trip")
            def _():
                ks = kms.create_key_store(CreateKeyStoreRequest(body=CreateKeyStoreRequestBody(
                    keystore_alias="sdk_softhsm_ks", hsm_cluster_id=SOFTHSM_CLUSTER, keystore_type="DHSM")))
                k = kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(
                    key_alias="sdk_hsm_key", keystore_id=ks.keystore.keystore_id)))
                body = CreateDatakeyRequestBody(key_id=k.key_info.key_id, datakey_length="256")
                r = kms.create_datakey_without_plaintext(CreateDatakeyWithoutPlaintextRequest(body=body))
                d = kms.decrypt_datakey(DecryptDatakeyRequest(body=DecryptDatakeyRequestBody(
                    key_id=k.key_info.key_id, cipher_text=r.cipher_text, datakey_cipher_length="32")))
                assert len(d.data_key) == 64, d
                p = kms.create_pin(CreatePinRequest(body=CreatePinRequestBody(
                    pin_type="CipherText", keystore_id=ks.keystore.keystore_id)))
                assert p.pin, p
            _()

        @check("decrypt with a malformed ciphertext raises KMS.2201")
        def _():
            expect_error(lambda: kms.decrypt_datakey(DecryptDatakeyRequest(body=DecryptDatakeyRequestBody(
                key_id=state["key"], cipher_text="00FF", datakey_cipher_length="32"))), 400, "KMS.2201")
        _()

        @check("unknown key raises KMS.0207")
        def _():
            expect_error(lambda: kms.create_datakey_without_plaintext(CreateDatakeyWithoutPlaintextRequest(
                body=CreateDatakeyRequestBody(key_id="00000000-0000-4000-8000-000000000099"))), 404, "KMS.0207")
        _()

        @check("describe-key, list-keys, update alias and description")
        def _():
            d = kms.list_key_detail(ListKeyDetailRequest(body=OperateKeyRequestBody(key_id=state["key"])))
            assert d.key_info.key_id == state["key"] and d.key_info.key_state == "2", d
            assert d.key_info.key_alias == "sdk_key" and d.key_info.key_spec == "AES_256", d
            # Earlier checks may have created keys (the SoftHSM one when
            # SoftHSM2 is installed): compare with the listing before.
            before = kms.list_keys(ListKeysRequest(body=ListKeysRequestBody(limit="1000"))).keys
            assert before[0] == state["key"], before
            second = kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(key_alias="sdk_key_2")))
            seen, marker = [], None
            while True:
                page = kms.list_keys(ListKeysRequest(body=ListKeysRequestBody(limit="1", marker=marker)))
                assert page.total == len(before) + 1 and len(page.keys) == 1, page
                seen += page.keys
                if page.truncated == "false":
                    break
                assert page.truncated == "true" and len(seen) <= len(before), page
                marker = page.next_marker
            assert seen == before + [second.key_info.key_id], seen
            assert page.key_details[0].key_alias == "sdk_key_2", page
            a = kms.update_key_alias(UpdateKeyAliasRequest(body=UpdateKeyAliasRequestBody(
                key_id=second.key_info.key_id, key_alias="sdk_key_renamed")))
            assert a.key_info.key_alias == "sdk_key_renamed", a
            expect_error(lambda: kms.update_key_alias(UpdateKeyAliasRequest(body=UpdateKeyAliasRequestBody(
                key_id=second.key_info.key_id, key_alias="sdk_key"))), 400, "KMS.1104")
            u = kms.update_key_description(UpdateKeyDescriptionRequest(body=UpdateKeyDescriptionRequestBody(
                key_id=second.key_info.key_id, key_description="from the SDK")))
            assert u.key_info.key_description == "from the SDK", u
            state["second_key"] = second.key_info.key_id
        _()

        @check("schedule-key-deletion then cancel-key-deletion")
        def _():
            k = state["second_key"]
            r = kms.delete_key(DeleteKeyRequest(body=ScheduleKeyDeletionRequestBody(key_id=k, pending_days="7")))
            assert r.key_state == "4", r
            d = kms.list_key_detail(ListKeyDetailRequest(body=OperateKeyRequestBody(key_id=k)))
            assert d.key_info.key_state == "4" and d.key_info.scheduled_deletion_date, d
            c = kms.cancel_key_deletion(CancelKeyDeletionRequest(body=OperateKeyRequestBody(key_id=k)))
            assert c.key_state == "3", c
            expect_error(lambda: kms.cancel_key_deletion(CancelKeyDeletionRequest(
                body=OperateKeyRequestBody(key_id=k))), 400, "KMS.1501")
        _()

        @check("encrypt-data then decrypt-data from cipher_text alone")
        def _():
            e = kms.encrypt_data(EncryptDataRequest(body=EncryptDataRequestBody(
                key_id=state["key"], plain_text="data from the SDK", encryption_algorithm="SYMMETRIC_DEFAULT")))
            assert e.key_id == state["key"] and e.cipher_text, e
            d = kms.decrypt_data(DecryptDataRequest(body=DecryptDataRequestBody(cipher_text=e.cipher_text)))
            assert d.plain_text == "data from the SDK" and d.key_id == state["key"], d
            import base64
            assert base64.b64decode(d.plain_text_base64) == b"data from the SDK", d
            a = kms.encrypt_data(EncryptDataRequest(body=EncryptDataRequestBody(
                key_id=state["key"], plain_text="bound", additional_authenticated_data="ctx")))
            expect_error(lambda: kms.decrypt_data(DecryptDataRequest(body=DecryptDataRequestBody(
                cipher_text=a.cipher_text))), 400, "KMS.2201")
            d = kms.decrypt_data(DecryptDataRequest(body=DecryptDataRequestBody(
                cipher_text=a.cipher_text, additional_authenticated_data="ctx")))
            assert d.plain_text == "bound", d
            state["data_v1"] = e.cipher_text
        _()

        @check("rotation round trip: encrypt-data and a DEK, rotate, decrypt old and new")
        def _():
            k = state["key"]
            dek = kms.create_datakey(CreateDatakeyRequest(body=CreateDatakeyRequestBody(key_id=k, datakey_length="256")))
            kms.enable_key_rotation(EnableKeyRotationRequest(body=OperateKeyRequestBody(key_id=k)))
            kms.update_key_rotation_interval(UpdateKeyRotationIntervalRequest(
                body=UpdateKeyRotationIntervalRequestBody(key_id=k, rotation_interval=30)))
            r = kms.rotate_on_demand(RotateOnDemandRequest(body=RotateOnDemandRequestBody(key_id=k)))
            assert r.key_id == k, r
            s = kms.show_key_rotation_status(ShowKeyRotationStatusRequest(body=OperateKeyRequestBody(key_id=k)))
            assert s.key_rotation_enabled is True and s.rotation_interval == 30, s
            assert s.number_of_rotations == 1 and s.last_rotation_time, s
            new = kms.encrypt_data(EncryptDataRequest(body=EncryptDataRequestBody(key_id=k, plain_text="after")))
            import base64
            v_old = int.from_bytes(base64.b64decode(state["data_v1"])[40:44], "big")
            v_new = int.from_bytes(base64.b64decode(new.cipher_text)[40:44], "big")
            assert (v_old, v_new) == (1, 2), (v_old, v_new)
            old = kms.decrypt_data(DecryptDataRequest(body=DecryptDataRequestBody(cipher_text=state["data_v1"])))
            assert old.plain_text == "data from the SDK", old
            d = kms.decrypt_data(DecryptDataRequest(body=DecryptDataRequestBody(cipher_text=new.cipher_text)))
            assert d.plain_text == "after", d
            o = kms.decrypt_datakey(DecryptDatakeyRequest(body=DecryptDatakeyRequestBody(
                key_id=k, cipher_text=dek.cipher_text, datakey_cipher_length="32")))
            assert o.data_key.upper() == dek.plain_text.upper(), o
            kms.disable_key_rotation(DisableKeyRotationRequest(body=OperateKeyRequestBody(key_id=k)))
            s = kms.show_key_rotation_status(ShowKeyRotationStatusRequest(body=OperateKeyRequestBody(key_id=k)))
            assert s.key_rotation_enabled is False, s
            expect_error(lambda: kms.update_key_rotation_interval(UpdateKeyRotationIntervalRequest(
                body=UpdateKeyRotationIntervalRequestBody(key_id=k, rotation_interval=400))), 400, "KMS.3001")
        _()

        @check("key pairs: sign / verify round trips checked with the cryptography library")
        def _():
            import base64
            import hashlib
            from cryptography.exceptions import InvalidSignature
            from cryptography.hazmat.primitives import hashes, serialization
            from cryptography.hazmat.primitives.asymmetric import ec, padding
            msg = b"signed through the official SDK"
            cases = [
                ("RSA_2048", "RSASSA_PSS_SHA_256"), ("RSA_3072", "RSASSA_PKCS1_V1_5_SHA_384"),
                ("RSA_4096", "RSASSA_PSS_SHA_512"), ("EC_P256", "ECDSA_SHA_256"), ("EC_P384", "ECDSA_SHA_384"),
            ]
            for spec, alg in cases:
                k = kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(
                    key_alias=f"sdk_pair_{spec}", key_spec=spec))).key_info.key_id
                d = kms.list_key_detail(ListKeyDetailRequest(body=OperateKeyRequestBody(key_id=k))).key_info
                assert (d.key_spec, d.key_usage) == (spec, "SIGN_VERIFY"), d
                pem = kms.show_public_key(ShowPublicKeyRequest(body=OperateKeyRequestBody(key_id=k))).public_key
                pub = serialization.load_pem_public_key(pem.encode())
                h = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}[alg[-3:]]
                digest = hashlib.new(h.name, msg).digest()
                for mtype, m in (("RAW", msg), ("DIGEST", digest)):
                    sig = kms.sign(SignRequest(body=SignRequestBody(
                        key_id=k, message=base64.b64encode(m).decode(), signing_algorithm=alg,
                        message_type=mtype))).signature
                    raw_sig = base64.b64decode(sig)
                    # Independent verification of what KMS signed.
                    if alg.startswith("ECDSA"):
                        pub.verify(raw_sig, msg, ec.ECDSA(h))
                    elif alg.startswith("RSASSA_PSS"):
                        pub.verify(raw_sig, msg, padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size), h)
                    else:
                        pub.verify(raw_sig, msg, padding.PKCS1v15(), h)
                    v = kms.validate_signature(ValidateSignatureRequest(body=VerifyRequestBody(
                        key_id=k, message=base64.b64encode(m).decode(), signature=sig,
                        signing_algorithm=alg, message_type=mtype)))
                    assert v.signature_valid == "true", v
                    bad = base64.b64encode(raw_sig[:-1] + bytes([raw_sig[-1] ^ 1])).decode()
                    v = kms.validate_signature(ValidateSignatureRequest(body=VerifyRequestBody(
                        key_id=k, message=base64.b64encode(m).decode(), signature=bad,
                        signing_algorithm=alg, message_type=mtype)))
                    assert v.signature_valid == "false", v
                # A signature made by the cryptography library verifies in KMS only
                # with the right key: sign locally with a fresh key, KMS says false.
                other = ec.generate_private_key(ec.SECP256R1())
                foreign = other.sign(msg, ec.ECDSA(hashes.SHA256()))
                if spec == "EC_P256":
                    v = kms.validate_signature(ValidateSignatureRequest(body=VerifyRequestBody(
                        key_id=k, message=base64.b64encode(msg).decode(),
                        signature=base64.b64encode(foreign).decode(),
                        signing_algorithm=alg, message_type="RAW")))
                    assert v.signature_valid == "false", v
                    try:
                        pub.verify(foreign, msg, ec.ECDSA(hashes.SHA256()))
                        raise AssertionError("a foreign signature verified")
                    except InvalidSignature:
                        pass
            # The rules: algorithm must fit the key; symmetric keys do not sign; key pairs do not encrypt.
            expect_error(lambda: kms.sign(SignRequest(body=SignRequestBody(
                key_id=k, message=base64.b64encode(hashlib.sha256(msg).digest()).decode(),
                signing_algorithm="ECDSA_SHA_256"))), 400, "KMS.0332")
            expect_error(lambda: kms.sign(SignRequest(body=SignRequestBody(
                key_id=state["key"], message=base64.b64encode(hashlib.sha256(msg).digest()).decode(),
                signing_algorithm="ECDSA_SHA_256"))), 400, "KMS.0331")
            expect_error(lambda: kms.encrypt_data(EncryptDataRequest(body=EncryptDataRequestBody(
                key_id=k, plain_text="x"))), 400, "KMS.0335")
            expect_error(lambda: kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(
                key_alias="sdk_pair_sm2_bad", key_spec="SM2", key_usage="NOT_A_USAGE"))), 400, "KMS.0308")
        _()

        @check("SM4 keys: data keys (SM3 digests by gmssl), data, re-encrypt, rotation")
        def _():
            import base64
            from gmssl import sm3 as gm_sm3
            sm3_hex = lambda b: gm_sm3.sm3_hash(list(b)).upper()  # noqa: E731
            k = kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(
                key_alias="sdk_sm4", key_spec="SM4"))).key_info.key_id
            d = kms.list_key_detail(ListKeyDetailRequest(body=OperateKeyRequestBody(key_id=k))).key_info
            assert (d.key_spec, d.key_usage) == ("SM4", "ENCRYPT_DECRYPT"), d
            # create-datakey with key_spec SM4: a 128-bit DEK, an SM4 blob (0x07).
            r = kms.create_datakey(CreateDatakeyRequest(body=CreateDatakeyRequestBody(key_id=k, key_spec="SM4")))
            assert len(r.plain_text) == 32 and r.cipher_text.startswith("0107"), r
            dek = bytes.fromhex(r.plain_text)
            back = kms.decrypt_datakey(DecryptDatakeyRequest(body=DecryptDatakeyRequestBody(
                key_id=k, cipher_text=r.cipher_text, datakey_cipher_length="16")))
            assert back.data_key == r.plain_text, back
            assert back.datakey_dgst == sm3_hex(dek), (back.datakey_dgst, sm3_hex(dek))
            w = kms.create_datakey_without_plaintext(CreateDatakeyWithoutPlaintextRequest(
                body=CreateDatakeyRequestBody(key_id=k, datakey_length="256")))
            assert w.cipher_text.startswith("0107"), w
            # encrypt-datakey takes DEK || SM3(DEK), the SM3 computed by gmssl.
            mine = os.urandom(16)
            e = kms.encrypt_datakey(EncryptDatakeyRequest(body=EncryptDatakeyRequestBody(
                key_id=k, plain_text=mine.hex().upper() + sm3_hex(mine), datakey_plain_length="16")))
            back = kms.decrypt_datakey(DecryptDatakeyRequest(body=DecryptDatakeyRequestBody(
                key_id=k, cipher_text=e.cipher_text, datakey_cipher_length="16")))
            assert back.data_key == mine.hex().upper(), back
            expect_error(lambda: kms.encrypt_datakey(EncryptDatakeyRequest(body=EncryptDatakeyRequestBody(
                key_id=k, plain_text=mine.hex() + hashlib_sha256(mine), datakey_plain_length="16"))),
                400, "KMS.2103")
            # encrypt-data / decrypt-data, rotation, re-encrypt.
            ct = kms.encrypt_data(EncryptDataRequest(body=EncryptDataRequestBody(
                key_id=k, plain_text="national secret"))).cipher_text
            assert base64.b64decode(ct)[1] == 0x08
            dec = lambda c: kms.decrypt_data(DecryptDataRequest(body=DecryptDataRequestBody(  # noqa: E731
                cipher_text=c))).plain_text
            assert dec(ct) == "national secret"
            kms.rotate_on_demand(RotateOnDemandRequest(body=RotateOnDemandRequestBody(key_id=k)))
            assert dec(ct) == "national secret"
            re = kms.re_encrypt(ReEncryptRequest(body=ReEncryptRequestBody(
                cipher_text=ct, destination_key_id=k)))
            blob = base64.b64decode(re.cipher_text)
            assert blob[1] == 0x08 and int.from_bytes(blob[40:44], "big") == 2, blob[:44].hex()
            assert dec(re.cipher_text) == "national secret"
            # An SM4 blob does not open under an AES key's name.
            expect_error(lambda: kms.decrypt_datakey(DecryptDatakeyRequest(body=DecryptDatakeyRequestBody(
                key_id=state["key"], cipher_text=r.cipher_text, datakey_cipher_length="16"))), 400, "KMS.2201")
        _()

        @check("SM2 keys: SM2DSA_SM3 and SM2_ENCRYPT interoperate with gmssl")
        def _():
            import base64
            from gmssl import sm2 as gm_sm2
            from cryptography.hazmat.primitives import serialization
            from Cryptodome.Util.asn1 import DerSequence, DerOctetString
            msg = b"signed with SM2 through the official SDK"

            def public_xy(key_id):
                pem = kms.show_public_key(ShowPublicKeyRequest(body=OperateKeyRequestBody(key_id=key_id))).public_key
                der = base64.b64decode("".join(pem.strip().splitlines()[1:-1]))
                # id-ecPublicKey with the SM2 curve OID 1.2.156.10197.1.301.
                assert bytes.fromhex("06082a811ccf5501822d") in der, der.hex()
                assert der[-65] == 0x04, der.hex()
                return der[-64:].hex()

            k = kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(
                key_alias="sdk_sm2_sign", key_spec="SM2"))).key_info.key_id
            d = kms.list_key_detail(ListKeyDetailRequest(body=OperateKeyRequestBody(key_id=k))).key_info
            assert (d.key_spec, d.key_usage) == ("SM2", "SIGN_VERIFY"), d
            xy = public_xy(k)
            gm = gm_sm2.CryptSM2(private_key=None, public_key=xy, asn1=True)
            # DIGEST = SM3(Z_A || M) with ID 1234567812345678, computed by gmssl.
            e = bytes.fromhex(gm._sm3_z(msg))
            for mtype, m in (("RAW", msg), ("DIGEST", e)):
                sig = kms.sign(SignRequest(body=SignRequestBody(
                    key_id=k, message=base64.b64encode(m).decode(), signing_algorithm="SM2DSA_SM3",
                    message_type=mtype))).signature
                raw_sig = base64.b64decode(sig)
                assert gm.verify_with_sm3(raw_sig.hex(), msg), f"gmssl rejects the {mtype} signature"
                assert not gm.verify_with_sm3(raw_sig.hex(), msg + b"!")
                v = kms.validate_signature(ValidateSignatureRequest(body=VerifyRequestBody(
                    key_id=k, message=base64.b64encode(m).decode(), signature=sig,
                    signing_algorithm="SM2DSA_SM3", message_type=mtype)))
                assert v.signature_valid == "true", v
            # A signature gmssl makes with another key: gmssl accepts it, KMS does not.
            other_d = os.urandom(32).hex()
            other = gm_sm2.CryptSM2(private_key=other_d, public_key="", asn1=True)
            other = gm_sm2.CryptSM2(private_key=other_d, public_key=other._kg(int(other_d, 16),
                                    other.ecc_table["g"]), asn1=True)
            foreign = other.sign_with_sm3(msg)
            assert other.verify_with_sm3(foreign, msg)
            v = kms.validate_signature(ValidateSignatureRequest(body=VerifyRequestBody(
                key_id=k, message=base64.b64encode(msg).decode(),
                signature=base64.b64encode(bytes.fromhex(foreign)).decode(),
                signing_algorithm="SM2DSA_SM3", message_type="RAW")))
            assert v.signature_valid == "false", v

            # SM2_ENCRYPT with an ENCRYPT_DECRYPT key.
            ke = kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(
                key_alias="sdk_sm2_enc", key_spec="SM2", key_usage="ENCRYPT_DECRYPT"))).key_info.key_id
            gm_enc = gm_sm2.CryptSM2(private_key=None, public_key=public_xy(ke), mode=1)
            # gmssl encrypts (C1C3C2, C1 without its 04 prefix): KMS decrypts.
            plain = b"encrypted by gmssl to a KMS key"
            c = b"\x04" + gm_enc.encrypt(plain)
            r = kms.decrypt_data(DecryptDataRequest(body=DecryptDataRequestBody(
                cipher_text=base64.b64encode(c).decode(), key_id=ke, encryption_algorithm="SM2_ENCRYPT")))
            assert r.plain_text == plain.decode(), r
            # KMS encrypts: GM/T 0009 DER SM2Cipher {x, y, C3, C2}; its C1 is on the
            # curve, C3 is 32 bytes, C2 as long as the plaintext; it decrypts in KMS
            # as DER and re-encoded as raw 04||x||y||C3||C2.
            ct = kms.encrypt_data(EncryptDataRequest(body=EncryptDataRequestBody(
                key_id=ke, plain_text="encrypted by KMS", encryption_algorithm="SM2_ENCRYPT"))).cipher_text
            seq = DerSequence().decode(base64.b64decode(ct))
            x, y = seq[0], seq[1]
            c3 = DerOctetString().decode(seq[2]).payload
            c2 = DerOctetString().decode(seq[3]).payload
            t = gm_enc.ecc_table
            p, a, b = (int(t[n], 16) for n in ("p", "a", "b"))
            assert (y * y - (x * x * x + a * x + b)) % p == 0, "C1 is not on the SM2 curve"
            assert len(c3) == 32 and len(c2) == len("encrypted by KMS")
            for c in (ct, base64.b64encode(b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big") + c3 + c2).decode()):
                r = kms.decrypt_data(DecryptDataRequest(body=DecryptDataRequestBody(
                    cipher_text=c, key_id=ke, encryption_algorithm="SM2_ENCRYPT")))
                assert r.plain_text == "encrypted by KMS", r
            # Without key_id an SM2 ciphertext names no key (KMS.0204, a missing parameter).
            expect_error(lambda: kms.decrypt_data(DecryptDataRequest(body=DecryptDataRequestBody(
                cipher_text=ct, encryption_algorithm="SM2_ENCRYPT"))), 400, MISSING)
            # A tampered ciphertext is the opaque KMS.2201.
            bad = bytearray(base64.b64decode(ct))
            bad[-1] ^= 1
            expect_error(lambda: kms.decrypt_data(DecryptDataRequest(body=DecryptDataRequestBody(
                cipher_text=base64.b64encode(bytes(bad)).decode(), key_id=ke,
                encryption_algorithm="SM2_ENCRYPT"))), 400, "KMS.2201")
            # The pairings: a signing key does not encrypt; SM2_ENCRYPT needs an SM2 key.
            expect_error(lambda: kms.encrypt_data(EncryptDataRequest(body=EncryptDataRequestBody(
                key_id=k, plain_text="x", encryption_algorithm="SM2_ENCRYPT"))), 400, "KMS.0335")
            expect_error(lambda: kms.encrypt_data(EncryptDataRequest(body=EncryptDataRequestBody(
                key_id=state["key"], plain_text="x", encryption_algorithm="SM2_ENCRYPT"))), 400, "KMS.2105")
        _()

        @check("tags: batch create and delete, show, list-kms-by-tags")
        def _():
            k = state["key"]
            kms.batch_create_kms_tags(BatchCreateKmsTagsRequest(key_id=k, body=BatchCreateKmsTagsRequestBody(
                action="create", tags=[TagItem(key="env", value="prod"), TagItem(key="team", value="sdk")])))
            t = kms.show_kms_tags(ShowKmsTagsRequest(key_id=k))
            assert t.exist_tags_num == 2 and [(x.key, x.value) for x in t.tags] == [("env", "prod"), ("team", "sdk")], t
            r = kms.list_kms_by_tags(ListKmsByTagsRequest(resource_instances="resource_instances",
                body=ListKmsByTagsRequestBody(action="filter", limit="10", offset="0",
                                              tags=[Tag(key="env", values=["prod"])])))
            assert r.total_count == 1 and r.resources[0].resource_id == k, r
            assert r.resources[0].resource_detail.key_id == k and r.resources[0].resource_name == "sdk_key", r
            c = kms.list_kms_by_tags(ListKmsByTagsRequest(resource_instances="resource_instances",
                body=ListKmsByTagsRequestBody(action="count", tags=[Tag(key="team", values=[])])))
            assert c.total_count == 1, c
            kms.batch_create_kms_tags(BatchCreateKmsTagsRequest(key_id=k, body=BatchCreateKmsTagsRequestBody(
                action="delete", tags=[TagItem(key="team", value="sdk")])))
            t = kms.show_kms_tags(ShowKmsTagsRequest(key_id=k))
            assert t.exist_tags_num == 1, t
            expect_error(lambda: kms.batch_create_kms_tags(BatchCreateKmsTagsRequest(key_id=k,
                body=BatchCreateKmsTagsRequestBody(action="create", tags=[TagItem(key="a=b", value="x")]))),
                400, "KMS.0406")
        _()

        @check("RSA encryption keys: RSAES_OAEP_SHA_256 checked with the cryptography library")
        def _():
            import base64
            from cryptography.hazmat.primitives import hashes, serialization
            from cryptography.hazmat.primitives.asymmetric import padding
            oaep = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
            for spec, size, limit in (("RSA_2048", 256, 190), ("RSA_3072", 384, 318), ("RSA_4096", 512, 446)):
                k = kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(
                    key_alias=f"sdk_rsa_enc_{spec}", key_spec=spec, key_usage="ENCRYPT_DECRYPT"))).key_info.key_id
                d = kms.list_key_detail(ListKeyDetailRequest(body=OperateKeyRequestBody(key_id=k))).key_info
                assert (d.key_spec, d.key_usage) == (spec, "ENCRYPT_DECRYPT"), d
                pem = kms.show_public_key(ShowPublicKeyRequest(body=OperateKeyRequestBody(key_id=k))).public_key
                pub = serialization.load_pem_public_key(pem.encode())
                assert pub.key_size == size * 8, pub.key_size
                # Encrypted by the cryptography library to the public key
                # (OAEP, SHA-256, MGF1-SHA-256): KMS decrypts it.
                msg = b"\x00\xffoaep through the official SDK"
                local = pub.encrypt(msg, oaep)
                r = kms.decrypt_data(DecryptDataRequest(body=DecryptDataRequestBody(
                    cipher_text=base64.b64encode(local).decode(), key_id=k,
                    encryption_algorithm="RSAES_OAEP_SHA_256")))
                assert base64.b64decode(r.plain_text_base64) == msg and r.key_id == k, r
                # Encrypted by KMS: a k-byte ciphertext, decrypting back, up to
                # k - 2*32 - 2 bytes; one more is KMS.2108.
                text = "p" * limit
                e = kms.encrypt_data(EncryptDataRequest(body=EncryptDataRequestBody(
                    key_id=k, plain_text=text, encryption_algorithm="RSAES_OAEP_SHA_256")))
                assert e.key_id == k and len(base64.b64decode(e.cipher_text)) == size, e
                r = kms.decrypt_data(DecryptDataRequest(body=DecryptDataRequestBody(
                    cipher_text=e.cipher_text, key_id=k, encryption_algorithm="RSAES_OAEP_SHA_256")))
                assert r.plain_text == text, r
                expect_error(lambda: kms.encrypt_data(EncryptDataRequest(body=EncryptDataRequestBody(
                    key_id=k, plain_text=text + "p", encryption_algorithm="RSAES_OAEP_SHA_256"))),
                    400, "KMS.2108")
            # The algorithm must fit the key: KMS.2106 for an RSA key, KMS.2105
            # for a symmetric one; an RSA ciphertext names no key (KMS.0204);
            # a tampered one is the opaque KMS.2201.
            expect_error(lambda: kms.encrypt_data(EncryptDataRequest(body=EncryptDataRequestBody(
                key_id=k, plain_text="x"))), 400, "KMS.2106")
            expect_error(lambda: kms.encrypt_data(EncryptDataRequest(body=EncryptDataRequestBody(
                key_id=state["key"], plain_text="x", encryption_algorithm="RSAES_OAEP_SHA_256"))), 400, "KMS.2105")
            expect_error(lambda: kms.decrypt_data(DecryptDataRequest(body=DecryptDataRequestBody(
                cipher_text=e.cipher_text, encryption_algorithm="RSAES_OAEP_SHA_256"))), 400, MISSING)
            bad = bytearray(base64.b64decode(e.cipher_text))
            bad[7] ^= 1
            expect_error(lambda: kms.decrypt_data(DecryptDataRequest(body=DecryptDataRequestBody(
                cipher_text=base64.b64encode(bytes(bad)).decode(), key_id=k,
                encryption_algorithm="RSAES_OAEP_SHA_256"))), 400, "KMS.2201")
            # An encryption key does not sign (KMS.0334), nor rotate (KMS.0324).
            expect_error(lambda: kms.sign(SignRequest(body=SignRequestBody(
                key_id=k, message=base64.b64encode(b"\x01" * 32).decode(),
                signing_algorithm="RSASSA_PSS_SHA_256"))), 400, "KMS.0334")
            expect_error(lambda: kms.enable_key_rotation(EnableKeyRotationRequest(
                body=OperateKeyRequestBody(key_id=k))), 400, "KMS.0324")
        _()

        @check("published codes, one family at a time (keys, rotation, tags, data keys, signing)")
        def _():
            import base64
            k = kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(key_alias="sdk_codes"))).key_info.key_id
            op = OperateKeyRequestBody(key_id=k)
            # Keys: state rules and field rules.
            expect_error(lambda: kms.enable_key(EnableKeyRequest(body=op)), 400, "KMS.1201")
            kms.disable_key(DisableKeyRequest(body=op))
            expect_error(lambda: kms.disable_key(DisableKeyRequest(body=op)), 400, "KMS.1301")
            kms.enable_key(EnableKeyRequest(body=op))
            expect_error(lambda: kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(
                key_alias="sdk/default"))), 400, "KMS.1101")
            expect_error(lambda: kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(
                key_alias="sdk_sign_aes", key_spec="AES_256", key_usage="SIGN_VERIFY"))), 400, "KMS.1115")
            expect_error(lambda: kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(
                key_alias="sdk_enc_ec", key_spec="EC_P256", key_usage="ENCRYPT_DECRYPT"))), 400, "KMS.1114")
            expect_error(lambda: kms.update_key_description(UpdateKeyDescriptionRequest(
                body=UpdateKeyDescriptionRequestBody(key_id=k, key_description="d" * 256))), 400, "KMS.1103")
            expect_error(lambda: kms.list_keys(ListKeysRequest(body=ListKeysRequestBody(limit="0"))),
                         400, "KMS.1601")
            expect_error(lambda: kms.list_keys(ListKeysRequest(body=ListKeysRequestBody(marker="x"))),
                         400, "KMS.1602")
            expect_error(lambda: kms.delete_key(DeleteKeyRequest(body=ScheduleKeyDeletionRequestBody(
                key_id=k, pending_days="1097"))), 400, "KMS.1401")
            # Rotation: the policy's transitions.
            expect_error(lambda: kms.update_key_rotation_interval(UpdateKeyRotationIntervalRequest(
                body=UpdateKeyRotationIntervalRequestBody(key_id=k, rotation_interval=90))), 400, "KMS.0313")
            expect_error(lambda: kms.disable_key_rotation(DisableKeyRotationRequest(body=op)), 400, "KMS.0313")
            kms.enable_key_rotation(EnableKeyRotationRequest(body=op))
            expect_error(lambda: kms.enable_key_rotation(EnableKeyRotationRequest(body=op)), 400, "KMS.2901")
            # Tags.
            expect_error(lambda: kms.batch_create_kms_tags(BatchCreateKmsTagsRequest(key_id=k,
                body=BatchCreateKmsTagsRequestBody(action="replace", tags=[TagItem(key="a", value="b")]))),
                400, "KMS.0404")
            expect_error(lambda: kms.batch_create_kms_tags(BatchCreateKmsTagsRequest(key_id=k,
                body=BatchCreateKmsTagsRequestBody(action="create", tags=[TagItem(key="k" * 37, value="b")]))),
                400, "KMS.0411")
            kms.batch_create_kms_tags(BatchCreateKmsTagsRequest(key_id=k, body=BatchCreateKmsTagsRequestBody(
                action="create", tags=[TagItem(key=f"t{i}", value="v") for i in range(10)])))
            expect_error(lambda: kms.create_kms_tag(CreateKmsTagRequest(key_id=k, body=CreateKmsTagRequestBody(
                tag=TagItem(key="eleventh", value="v")))), 400, "KMS.0409")
            expect_error(lambda: kms.list_kms_by_tags(ListKmsByTagsRequest(resource_instances="resource_instances",
                body=ListKmsByTagsRequestBody(action="filter", offset="x"))), 400, "KMS.0417")
            # Data keys and data with a signing key: KMS.0335.
            ec = kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(
                key_alias="sdk_codes_ec", key_spec="EC_P256"))).key_info.key_id
            expect_error(lambda: kms.create_datakey(CreateDatakeyRequest(body=CreateDatakeyRequestBody(
                key_id=ec))), 400, "KMS.0335")
            # Signing: a digest of the wrong length (KMS.0329); a public key of a
            # symmetric key (KMS.0331).
            expect_error(lambda: kms.sign(SignRequest(body=SignRequestBody(
                key_id=ec, message=base64.b64encode(b"\x01" * 31).decode(),
                signing_algorithm="ECDSA_SHA_256"))), 400, "KMS.0329")
            expect_error(lambda: kms.show_public_key(ShowPublicKeyRequest(body=op)), 400, "KMS.0331")
            # Deletion: twice is KMS.1402.
            sched = ScheduleKeyDeletionRequestBody(key_id=k, pending_days="7")
            kms.delete_key(DeleteKeyRequest(body=sched))
            expect_error(lambda: kms.delete_key(DeleteKeyRequest(body=sched)), 400, "KMS.1402")
        _()

        @check("origin external: the key waits for import in state 5 (KMS.1301 on use, KMS.0339 in a dedicated keystore)")
        def _():
            k = kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(
                key_alias="sdk_byok", origin="external"))).key_info.key_id
            info = kms.list_key_detail(ListKeyDetailRequest(body=OperateKeyRequestBody(key_id=k))).key_info
            assert (info.key_state, info.origin) == ("5", "external"), (info.key_state, info.origin)
            listed = kms.list_keys(ListKeysRequest(body=ListKeysRequestBody(key_state="5")))
            assert k in listed.keys, listed.keys
            expect_error(lambda: kms.create_datakey(CreateDatakeyRequest(body=CreateDatakeyRequestBody(
                key_id=k))), 400, "KMS.1301")
            expect_error(lambda: kms.enable_key(EnableKeyRequest(body=OperateKeyRequestBody(key_id=k))),
                         400, "KMS.1201")
            expect_error(lambda: kms.enable_key_rotation(EnableKeyRotationRequest(
                body=OperateKeyRequestBody(key_id=k))), 400, "KMS.0312")
            expect_error(lambda: kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(
                key_alias="sdk_byok_dedicated", origin="external",
                keystore_id="0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"))), 400, "KMS.0339")
        _()

        @check("gen-random")
        def _():
            r = kms.create_random(CreateRandomRequest(body=GenRandomRequestBody(random_data_length="512")))
            assert len(r.random_data) == 128 and bytes.fromhex(r.random_data), r
            expect_error(lambda: kms.create_random(CreateRandomRequest(body=GenRandomRequestBody(
                random_data_length="12"))), 400, "KMS.1802")
        _()

        @check("re-encrypt a data ciphertext under another key")
        def _():
            dst = kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(key_alias="sdk_reencrypt"))).key_info.key_id
            r = kms.re_encrypt(ReEncryptRequest(body=ReEncryptRequestBody(
                cipher_text=state["data_v1"], destination_key_id=dst, destination_additional_authenticated_data="d")))
            assert r.key_id == dst and r.source_key_id == state["key"], r
            d = kms.decrypt_data(DecryptDataRequest(body=DecryptDataRequestBody(
                cipher_text=r.cipher_text, additional_authenticated_data="d")))
            assert d.plain_text == "data from the SDK" and d.key_id == dst, d
        _()

        @check("create-kms-tag and delete-tag (one tag)")
        def _():
            k = state["key"]
            kms.create_kms_tag(CreateKmsTagRequest(key_id=k, body=CreateKmsTagRequestBody(
                tag=TagItem(key="single", value="one"))))
            t = kms.show_kms_tags(ShowKmsTagsRequest(key_id=k))
            assert ("single", "one") in [(x.key, x.value) for x in t.tags], t
            lst = kms.list_kms_tags(ListKmsTagsRequest())
            assert ("single", ["one"]) in [(x.key, x.values) for x in lst.tags], lst
            kms.delete_tag(DeleteTagRequest(key_id=k, key="single"))
            t = kms.show_kms_tags(ShowKmsTagsRequest(key_id=k))
            assert "single" not in [x.key for x in t.tags], t
        _()

        @check("create, show, list, delete certificate")
        def _():
            form = CertificateForm(name="sdk_cert", cert_content=read("test-cert.pem"),
                                   private_key=read("test-cert-key.pem"))
            c = apig.create_certificate_v2(CreateCertificateV2Request(body=form))
            assert c.common_name == "test.example.com", c
            assert c.signature_algorithm == "SHA256-RSA", c
            s = apig.show_details_of_certificate_v2(ShowDetailsOfCertificateV2Request(certificate_id=c.id))
            assert s.name == "sdk_cert" and s.not_after, s
            lst = apig.list_certificates_v2(ListCertificatesV2Request(limit=10, offset=0, name="sdk"))
            assert lst.total == 1 and lst.certs[0].id == c.id, lst
            apig.delete_certificate_v2(DeleteCertificateV2Request(certificate_id=c.id))
            expect_error(lambda: apig.show_details_of_certificate_v2(
                ShowDetailsOfCertificateV2Request(certificate_id=c.id)), 404, "APIG.3025")
        _()

        @check("certificate with a mismatched key raises APIG.2101")
        def _():
            form = CertificateForm(name="bad_cert", cert_content=read("test-hsm-ca.pem"),
                                   private_key=read("test-cert-key.pem"))
            expect_error(lambda: apig.create_certificate_v2(CreateCertificateV2Request(body=form)), 400, "APIG.2101")
        _()

        @check("Cloud Custodian's calls: list-keys with no body, sequence=uuid4().hex")
        def _():
            # c7n_huaweicloud/resources/kms.py calls the SDK exactly so
            # (docs/errors.md, "Inputs real tools send").
            listed = kms.list_keys(ListKeysRequest())
            assert state["key"] in listed.keys, listed
            k = kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(
                key_alias="custodian_key"))).key_info.key_id
            body = lambda: OperateKeyRequestBody(key_id=k, sequence=uuid.uuid4().hex)
            assert kms.disable_key(DisableKeyRequest(body=body())).key_info.key_state == "3"
            assert kms.enable_key(EnableKeyRequest(body=body())).key_info.key_state == "2"
            kms.enable_key_rotation(EnableKeyRotationRequest(body=body()))
            d = kms.list_key_detail(ListKeyDetailRequest(body=body()))
            assert d.key_info.key_rotation_enabled == "true", d
            kms.disable_key_rotation(DisableKeyRotationRequest(body=body()))
        _()

        __import__("sdk_aliases").run(kms, check, expect_error)
        __import__("sdk_pairs").run(kms, check, expect_error)
        __import__("sdk_quotas").run(kms, check, expect_error)
        __import__("sdk_import").run(kms, check, expect_error, PROJECT)

        @check("wrong secret key raises 401 (KMS.6401 / APIG.1002)")
        def _():
            bad_kms, bad_apig = clients(url, sk="wrong-secret-key-000000000000000000000000")
            expect_error(lambda: bad_kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(key_alias="x"))),
                         401, "KMS.6401")
            expect_error(lambda: bad_apig.list_certificates_v2(ListCertificatesV2Request()), 401, "APIG.1002")
        _()

        @check("another project raises 403 (KMS.0321)")
        def _():
            other_kms, _ = clients(url, project="ffffffffffffffffffffffffffffffff")
            expect_error(lambda: other_kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(key_alias="x"))),
                         403, "KMS.0321")
        _()

        sdk_grants.run(kms, url, check, expect_error)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if FAILURES:
            print("--- server log ---")
            print(open(os.path.join(tmp, "server.log")).read()[-4000:])
        shutil.rmtree(tmp, ignore_errors=True)

    sdk_over_https(binary)
    __import__("sdk_mac").run(binary, sys.modules[__name__])
    __import__("sdk_regions").run(binary, sys.modules[__name__])

    print(f"\n{len(PASSED)} passed, {len(FAILURES)} failed")
    if FAILURES or not PASSED:
        sys.exit(1)


if __name__ == "__main__":
    main()
