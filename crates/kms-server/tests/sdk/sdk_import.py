"""Key material import (BYOK) through the official Python SDK
(huaweicloudsdkkms v2), issue 24 item 3.

Python's `cryptography` wraps 32 random bytes with the public key
get-parameters-for-import returns (RSAES-OAEP-SHA-256), import-key-material
takes them, and encrypt-data makes a ciphertext with the key; then
`open_data_blob` below, a short independent reading of
docs/ciphertext-format.md ("Data blob (algorithm 0x05)"), opens that
ciphertext with nothing but the 32 bytes, the project id and the request's
additional_authenticated_data. This proves both the import and the format
document. Also: the key's states and describe-key's expiration_time,
delete-imported-key-material and the re-import rule, the token rules, and a
key pair imported by the temporary-key scheme (AES-KWP of its PKCS#8 key)
whose public key get-publickey then returns.

Called from test_sdk.py's main: ``run(kms, check, expect_error, project)``.
"""

import base64
import hashlib
import os
import struct
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding
from huaweicloudsdkkms.v2 import (
    CreateKeyRequest,
    CreateKeyRequestBody,
    CreateParametersForImportRequest,
    DecryptDataRequest,
    DecryptDataRequestBody,
    DeleteImportedKeyMaterialRequest,
    EncryptDataRequest,
    EncryptDataRequestBody,
    GetParametersForImportRequestBody,
    ImportKeyMaterialRequest,
    ImportKeyMaterialRequestBody,
    ListKeyDetailRequest,
    OperateKeyRequestBody,
    RotateOnDemandRequest,
    RotateOnDemandRequestBody,
    ShowPublicKeyRequest,
)


def _hkdf_expand(prk, info, length):
    return HKDFExpand(algorithm=hashes.SHA256(), length=length, info=info).derive(prk)


def open_data_blob(blob, master_key, project_id, aad=b""):
    """Opens an encrypt-data ciphertext (v1, algorithm 0x05) as
    docs/ciphertext-format.md describes it, given the CMK version's raw 32
    bytes. Returns (key_id, key_version, plaintext)."""
    assert len(blob) >= 136 and blob[0] == 0x01 and blob[1] == 0x05, blob[:2].hex()
    (n,) = struct.unpack(">H", blob[2:4])
    assert len(blob) == 136 + n, (len(blob), n)
    key_id = blob[4:40].decode("ascii")
    (version,) = struct.unpack(">I", blob[40:44])
    nonce = blob[76:88]
    ciphertext_and_tag = blob[88:104 + n]
    commitment = blob[104 + n:136 + n]
    prk = _hkdf_expand(master_key, b"kms-rs/v1/cmk/data-encrypt", 32)
    okm = _hkdf_expand(prk, b"kms-rs/v1/data-encrypt" + blob[0:76], 64)
    k, c = okm[:32], okm[32:]
    assert c == commitment, "key commitment"
    project = project_id.encode("ascii")
    # The binding: empty without AAD and context, else
    # SHA-256(u32 len(aad) || aad || u32 len(ctx) || ctx) (no context here).
    binding = b"" if not aad else hashlib.sha256(
        struct.pack(">I", len(aad)) + aad + struct.pack(">I", 0)).digest()
    context = struct.pack(">H", len(project)) + project + struct.pack(">H", len(binding)) + binding
    plaintext = AESGCM(k).decrypt(nonce, ciphertext_and_tag, blob[0:88] + context)
    return key_id, version, plaintext


def _params(kms, key_id, algorithm="RSAES_OAEP_SHA_256"):
    r = kms.create_parameters_for_import(CreateParametersForImportRequest(
        body=GetParametersForImportRequestBody(key_id=key_id, wrapping_algorithm=algorithm)))
    public = serialization.load_der_public_key(base64.b64decode(r.public_key))
    return r, public


def _oaep(public, data):
    return base64.b64encode(public.encrypt(data, padding.OAEP(
        mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None))).decode()


def _import(kms, key_id, token, wrapped, **kw):
    return kms.import_key_material(ImportKeyMaterialRequest(body=ImportKeyMaterialRequestBody(
        key_id=key_id, import_token=token, encrypted_key_material=wrapped, **kw)))


def _describe(kms, key_id):
    return kms.list_key_detail(ListKeyDetailRequest(
        body=OperateKeyRequestBody(key_id=key_id))).key_info


def _encrypt(kms, key_id, text, aad=None):
    return kms.encrypt_data(EncryptDataRequest(body=EncryptDataRequestBody(
        key_id=key_id, plain_text=text, additional_authenticated_data=aad))).cipher_text


def run(kms, check, expect_error, project):
    state = {}

    @check("BYOK: create-key origin external waits for material (state 5, KMS.1301 on use)")
    def _():
        r = kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(
            key_alias="sdk_import", key_spec="AES_256", origin="external")))
        key_id = r.key_info.key_id
        d = _describe(kms, key_id)
        assert (d.key_state, d.origin, d.expiration_time) == ("5", "external", ""), d
        expect_error(lambda: _encrypt(kms, key_id, "too early"), 400, "KMS.1301")
        state["key"] = key_id
    _()

    @check("BYOK: get-parameters-for-import gives an RSA-2048 public key and a 24-hour token")
    def _():
        key_id = state["key"]
        r, public = _params(kms, key_id)
        assert r.key_id == key_id, r
        assert isinstance(public, rsa.RSAPublicKey) and public.key_size == 2048
        assert public.public_numbers().e == 65537
        # The SDK's pattern for import_token: ^[0-9a-zA-Z+/=]{200,6144}$.
        assert 200 <= len(r.import_token) <= 6144, len(r.import_token)
        assert isinstance(r.expiration_time, int)
        assert abs(r.expiration_time - (int(time.time()) + 86400)) < 300, r.expiration_time
        # A fresh wrapping key per token.
        r2, public2 = _params(kms, key_id)
        assert r2.import_token != r.import_token
        assert public2.public_numbers().n != public.public_numbers().n
        state["token"], state["public"] = r.import_token, public
    _()

    @check("BYOK: the token rules (KMS.2605 forged, KMS.2603 another key's, KMS.2602 past expiry, "
           "KMS.2604 length)")
    def _():
        key_id, token, public = state["key"], state["token"], state["public"]
        material = os.urandom(32)
        forged = base64.b64decode(token)
        forged = base64.b64encode(forged[:-1] + bytes([forged[-1] ^ 1])).decode()
        expect_error(lambda: _import(kms, key_id, forged, _oaep(public, material)), 400, "KMS.2605")
        other = kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(
            key_alias="sdk_import_other", origin="external"))).key_info.key_id
        expect_error(lambda: _import(kms, other, token, _oaep(public, material)), 400, "KMS.2603")
        expect_error(lambda: _import(kms, key_id, token, _oaep(public, material),
                                     expiration_time=int(time.time()) - 10), 400, "KMS.2602")
        expect_error(lambda: _import(kms, key_id, token, _oaep(public, os.urandom(16))), 400, "KMS.2604")
        # Material wrapped under another public key does not open.
        _, public2 = _params(kms, key_id)
        expect_error(lambda: _import(kms, key_id, token, _oaep(public2, material)), 400, "KMS.2605")
        assert _describe(kms, key_id).key_state == "5"
    _()

    @check("BYOK: 32 random bytes wrapped by cryptography import; a short reading of "
           "docs/ciphertext-format.md opens encrypt-data's ciphertext with them")
    def _():
        key_id, token, public = state["key"], state["token"], state["public"]
        material = os.urandom(32)
        expiry = int(time.time()) + 30 * 86400
        _import(kms, key_id, token, _oaep(public, material), expiration_time=expiry)
        d = _describe(kms, key_id)
        assert d.key_state == "2", d
        # describe-key's expiration_time: milliseconds, as Terraform's
        # huaweicloud_kms_key_material reads it (it divides by 1000).
        assert d.expiration_time == str(expiry * 1000), d.expiration_time
        for aad in (None, "byok-aad"):
            text = "bring your own key " + (aad or "")
            blob = base64.b64decode(_encrypt(kms, key_id, text, aad))
            kid, version, plain = open_data_blob(blob, material, project,
                                                 (aad or "").encode())
            assert (kid, version, plain) == (key_id, 1, text.encode()), (kid, version, plain)
            # And a blob opened with other bytes fails (the commitment).
            try:
                open_data_blob(blob, os.urandom(32), project)
            except AssertionError:
                pass
            else:
                raise AssertionError("opened with other material")
        state["material"] = material
        state["blob"] = _encrypt(kms, key_id, "kept")
    _()

    @check("BYOK: imported keys are not rotated (KMS.0312) and import only into pending keys")
    def _():
        key_id, token, public = state["key"], state["token"], state["public"]
        expect_error(lambda: kms.rotate_on_demand(RotateOnDemandRequest(
            body=RotateOnDemandRequestBody(key_id=key_id))), 400, "KMS.0312")
        expect_error(lambda: _import(kms, key_id, token, _oaep(public, state["material"])),
                     400, "KMS.0308")
    _()

    @check("BYOK: delete-imported-key-material, then only the same material comes back (KMS.2606)")
    def _():
        key_id, material = state["key"], state["material"]
        kms.delete_imported_key_material(DeleteImportedKeyMaterialRequest(
            body=OperateKeyRequestBody(key_id=key_id)))
        d = _describe(kms, key_id)
        assert (d.key_state, d.expiration_time) == ("5", ""), d
        expect_error(lambda: kms.decrypt_data(DecryptDataRequest(body=DecryptDataRequestBody(
            cipher_text=state["blob"]))), 400, "KMS.1301")
        expect_error(lambda: kms.delete_imported_key_material(DeleteImportedKeyMaterialRequest(
            body=OperateKeyRequestBody(key_id=key_id))), 400, "KMS.2701")
        r, public = _params(kms, key_id)
        expect_error(lambda: _import(kms, key_id, r.import_token, _oaep(public, os.urandom(32))),
                     400, "KMS.2606")
        _import(kms, key_id, r.import_token, _oaep(public, material))
        assert _describe(kms, key_id).key_state == "2"
        out = kms.decrypt_data(DecryptDataRequest(body=DecryptDataRequestBody(
            cipher_text=state["blob"])))
        assert out.plain_text == "kept", out
    _()

    @check("BYOK: RSAES_OAEP_SHA_1 wraps too (the user guide's variant); RSAES_PKCS1_V1_5 is refused "
           "(KMS.0308)")
    def _():
        key_id = kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(
            key_alias="sdk_import_sha1", origin="external"))).key_info.key_id
        expect_error(lambda: _params(kms, key_id, "RSAES_PKCS1_V1_5"), 400, "KMS.0308")
        r, public = _params(kms, key_id, "RSAES_OAEP_SHA_1")
        material = os.urandom(32)
        wrapped = base64.b64encode(public.encrypt(material, padding.OAEP(
            mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None))).decode()
        # SHA-256 OAEP under a SHA-1 token does not open.
        expect_error(lambda: _import(kms, key_id, r.import_token, _oaep(public, material)),
                     400, "KMS.2605")
        _import(kms, key_id, r.import_token, wrapped)
        blob = base64.b64decode(_encrypt(kms, key_id, "sha1-wrapped"))
        assert open_data_blob(blob, material, project)[2] == b"sha1-wrapped"
    _()

    @check("BYOK: an RSA key pair imported by the temporary-key scheme (AES-KWP of PKCS#8); "
           "get-publickey returns its public key; its material cannot be deleted (KMS.2702)")
    def _():
        key_id = kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(
            key_alias="sdk_import_rsa", key_spec="RSA_2048", key_usage="SIGN_VERIFY",
            origin="external"))).key_info.key_id
        r, public = _params(kms, key_id)
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        der = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        temporary = os.urandom(32)
        expect_error(lambda: _import(kms, key_id, r.import_token, _oaep(public, temporary)),
                     400, "KMS.2608")
        expect_error(lambda: _import(kms, key_id, r.import_token, _oaep(public, os.urandom(24)),
                                     encrypted_privatekey=base64.b64encode(
                                         aes_key_wrap_with_padding(temporary, der)).decode()),
                     400, "KMS.2610")
        _import(kms, key_id, r.import_token, _oaep(public, temporary),
                encrypted_privatekey=base64.b64encode(aes_key_wrap_with_padding(temporary, der)).decode())
        assert _describe(kms, key_id).key_state == "2"
        pem = kms.show_public_key(ShowPublicKeyRequest(
            body=OperateKeyRequestBody(key_id=key_id))).public_key
        served = serialization.load_pem_public_key(pem.encode())
        assert served.public_numbers() == private.public_key().public_numbers()
        expect_error(lambda: kms.delete_imported_key_material(DeleteImportedKeyMaterialRequest(
            body=OperateKeyRequestBody(key_id=key_id))), 400, "KMS.2702")
    _()
