"""Data key pairs through the official Python SDK (huaweicloudsdkkms v2):
create-rsa-datakey-pair and create-ec-datakey-pair for every served spec,
the private key (in clear, and once decrypt-data has opened
private_key_cipher_text with the same additional_authenticated_data)
checked against the public key with Python's `cryptography` (gmssl for
SM2, which `cryptography` does not load); with_plain_text false; the CMK
and AAD rules. Called from test_sdk.py's main:
``run(kms, check, expect_error)``.
"""

import base64

from huaweicloudsdkkms.v2 import (
    CreateEcDatakeyPairRequest,
    CreateEcDatakeyPairRequestBody,
    CreateKeyRequest,
    CreateKeyRequestBody,
    CreateRsaDatakeyPairRequest,
    CreateRsaDatakeyPairRequestBody,
    DecryptDataRequest,
    DecryptDataRequestBody,
)

AAD = "sdk-pairs-context"
RSA_SPECS = ("RSA_2048", "RSA_3072", "RSA_4096")
EC_SPECS = ("ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "SM2")


def _opened(kms, cipher_text, aad=AAD):
    """decrypt-data of a private key's ciphertext: the PKCS#8 DER."""
    r = kms.decrypt_data(DecryptDataRequest(body=DecryptDataRequestBody(
        cipher_text=cipher_text, additional_authenticated_data=aad)))
    return base64.b64decode(r.plain_text_base64)


def _check_matches(spec, private_der, public_der):
    """The PKCS#8 private key is the public key's (DER SubjectPublicKeyInfo),
    and what it signs the public key verifies."""
    if spec == "SM2":
        from Cryptodome.Util.asn1 import DerOctetString, DerSequence
        from gmssl import sm2 as gm_sm2
        # PrivateKeyInfo { version, algorithm, privateKey OCTET STRING
        # (ECPrivateKey { version, privateKey OCTET STRING, ... }) }
        info = DerSequence().decode(private_der)
        # id-ecPublicKey with the SM2 curve OID 1.2.156.10197.1.301.
        assert bytes.fromhex("06082a811ccf5501822d") in info[1], info[1].hex()
        ec = DerSequence().decode(DerOctetString().decode(info[2]).payload)
        d = DerOctetString().decode(ec[1]).payload.hex()
        assert len(d) == 64, d
        gm = gm_sm2.CryptSM2(private_key=d, public_key="")
        xy = gm._kg(int(d, 16), gm.ecc_table["g"])
        assert public_der[-65] == 0x04 and public_der[-64:].hex() == xy.lower(), "SM2 point"
        gm = gm_sm2.CryptSM2(private_key=d, public_key=xy, asn1=True)
        assert gm.verify_with_sm3(gm.sign_with_sm3(b"data key pair"), b"data key pair")
        return
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    private = serialization.load_der_private_key(private_der, password=None)
    public = serialization.load_der_public_key(public_der)
    derived = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert derived == public_der, f"{spec}: the private key is not the public key's"
    msg = b"data key pair"
    if spec.startswith("RSA_"):
        assert isinstance(private, rsa.RSAPrivateKey), private
        assert private.key_size == int(spec[4:]), private.key_size
        assert private.public_key().public_numbers().e == 65537
        sig = private.sign(msg, padding.PKCS1v15(), hashes.SHA256())
        public.verify(sig, msg, padding.PKCS1v15(), hashes.SHA256())
    else:
        curve = {"ECC_NIST_P256": ec.SECP256R1, "ECC_NIST_P384": ec.SECP384R1,
                 "ECC_NIST_P521": ec.SECP521R1, "ECC_SECG_P256K1": ec.SECP256K1}[spec]
        assert isinstance(private.curve, curve), private.curve
        sig = private.sign(msg, ec.ECDSA(hashes.SHA256()))
        public.verify(sig, msg, ec.ECDSA(hashes.SHA256()))


def run(kms, check, expect_error):
    state = {}

    @check("data key pairs: an AES_256 and an SM4 CMK, an RSA key pair CMK")
    def _():
        for alias, spec, usage in (("sdk_pairs_aes", "AES_256", None), ("sdk_pairs_sm4", "SM4", None),
                                   ("sdk_pairs_rsa", "RSA_2048", "ENCRYPT_DECRYPT")):
            r = kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(
                key_alias=alias, key_spec=spec, key_usage=usage)))
            state[spec] = r.key_info.key_id
    _()

    @check("create-rsa-datakey-pair: RSA_2048/3072/4096, private keys (clear and decrypted) match")
    def _():
        for spec in RSA_SPECS:
            r = kms.create_rsa_datakey_pair(CreateRsaDatakeyPairRequest(body=CreateRsaDatakeyPairRequestBody(
                key_id=state["AES_256"], key_spec=spec, additional_authenticated_data=AAD)))
            assert (r.key_id, r.key_spec) == (state["AES_256"], spec), r
            assert r.wrapped_private_key is None and r.ciphertext_recipient is None, r
            public_der = base64.b64decode(r.public_key)
            plain = base64.b64decode(r.private_key_plain_text)
            _check_matches(spec, plain, public_der)
            opened = _opened(kms, r.private_key_cipher_text)
            assert opened == plain, f"{spec}: decrypt-data gives another private key"
            _check_matches(spec, opened, public_der)
    _()

    @check("create-ec-datakey-pair: every curve under AES_256 and SM4, private keys match (cryptography, gmssl)")
    def _():
        for cmk in ("AES_256", "SM4"):
            for spec in EC_SPECS:
                r = kms.create_ec_datakey_pair(CreateEcDatakeyPairRequest(body=CreateEcDatakeyPairRequestBody(
                    key_id=state[cmk], key_spec=spec, additional_authenticated_data=AAD)))
                assert (r.key_id, r.key_spec) == (state[cmk], spec), r
                public_der = base64.b64decode(r.public_key)
                plain = base64.b64decode(r.private_key_plain_text)
                _check_matches(spec, plain, public_der)
                opened = _opened(kms, r.private_key_cipher_text)
                assert opened == plain, f"{spec}: decrypt-data gives another private key"
    _()

    @check("data key pairs: with_plain_text false returns only the ciphertext, which decrypt-data opens")
    def _():
        r = kms.create_rsa_datakey_pair(CreateRsaDatakeyPairRequest(body=CreateRsaDatakeyPairRequestBody(
            key_id=state["SM4"], key_spec="RSA_2048", with_plain_text=False)))
        assert r.private_key_plain_text is None, r
        _check_matches("RSA_2048", _opened(kms, r.private_key_cipher_text, aad=None),
                       base64.b64decode(r.public_key))
        r = kms.create_ec_datakey_pair(CreateEcDatakeyPairRequest(body=CreateEcDatakeyPairRequestBody(
            key_id=state["AES_256"], key_spec="ECC_SECG_P256K1", with_plain_text=False,
            additional_authenticated_data=AAD)))
        assert r.private_key_plain_text is None, r
        _check_matches("ECC_SECG_P256K1", _opened(kms, r.private_key_cipher_text),
                       base64.b64decode(r.public_key))
        state["ct"] = r.private_key_cipher_text
    _()

    @check("data key pairs: the wrong AAD is KMS.2201, a key pair CMK KMS.0325, a bad spec KMS.0308")
    def _():
        for aad in (None, AAD + "!"):
            expect_error(lambda: _opened(kms, state["ct"], aad=aad), 400, "KMS.2201")
        expect_error(lambda: kms.create_ec_datakey_pair(CreateEcDatakeyPairRequest(
            body=CreateEcDatakeyPairRequestBody(key_id=state["RSA_2048"], key_spec="ECC_NIST_P256"))),
            400, "KMS.0325")
        expect_error(lambda: kms.create_rsa_datakey_pair(CreateRsaDatakeyPairRequest(
            body=CreateRsaDatakeyPairRequestBody(key_id=state["AES_256"], key_spec="ECC_NIST_P256"))),
            400, "KMS.0308")
    _()
