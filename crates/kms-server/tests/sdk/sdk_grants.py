"""Grants through the official Python SDK (imported by test_sdk.py).

CONFIG adds two credentials of other domains to the test server's
configuration: user GRANTEE_USER of GRANTEE_DOMAIN and user STRANGER_USER
of STRANGER_DOMAIN, each with its own project. run() drives every grant
operation of the SDK (create_grant, list_grants, list_retirable_grants,
cancel_grant = revoke-grant, cancel_self_grant = retire-grant): a key of
the main credentials is granted to the grantee, which uses it through its
own project for exactly the granted operations, never lists it, and is
refused (404 KMS.0207) after revocation; the stranger is refused
throughout, until a domain grant names its domain.
"""

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkkms.v2 import (
    KmsClient,
    CancelGrantRequest,
    CancelSelfGrantRequest,
    CreateDatakeyRequest,
    CreateDatakeyRequestBody,
    CreateGrantRequest,
    CreateGrantRequestBody,
    CreateKeyRequest,
    CreateKeyRequestBody,
    DecryptDataRequest,
    DecryptDataRequestBody,
    DisableKeyRequest,
    EncryptDataRequest,
    EncryptDataRequestBody,
    EncryptDatakeyRequest,
    EncryptDatakeyRequestBody,
    ListGrantsRequest,
    ListGrantsRequestBody,
    ListKeyDetailRequest,
    ListKeysRequest,
    ListKeysRequestBody,
    ListRetirableGrantsRequest,
    ListRetirableGrantsRequestBody,
    OperateKeyRequestBody,
    RevokeGrantRequestBody,
)

GRANTEE_AK = "SDKGRANTEEAK00000000"
GRANTEE_SK = "sdkgranteesk0000000000000000000000000SK"
GRANTEE_DOMAIN = "b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1"
GRANTEE_PROJECT = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
GRANTEE_USER = "b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3"
STRANGER_AK = "SDKSTRANGERAK0000000"
STRANGER_SK = "sdkstrangersk000000000000000000000000SK"
STRANGER_DOMAIN = "c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1"
STRANGER_PROJECT = "c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2"
STRANGER_USER = "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3"

CONFIG = f'''[[credentials]]
access_key = "{GRANTEE_AK}"
secret_key = "{GRANTEE_SK}"
domain_id = "{GRANTEE_DOMAIN}"
project_id = "{GRANTEE_PROJECT}"
user_id = "{GRANTEE_USER}"
[[credentials]]
access_key = "{STRANGER_AK}"
secret_key = "{STRANGER_SK}"
domain_id = "{STRANGER_DOMAIN}"
project_id = "{STRANGER_PROJECT}"
user_id = "{STRANGER_USER}"
'''

NOT_FOUND = (404, "KMS.0207")


def _client(url, ak, sk, project):
    cfg = HttpConfig.get_default_config()
    cfg.retry_times = 0
    creds = BasicCredentials(ak, sk, project)
    return KmsClient.new_builder().with_http_config(cfg).with_credentials(creds).with_endpoints([url]).build()


def run(kms, url, check, expect_error):
    """kms: the main credentials' client (the key's owner); url: the
    server; check/expect_error: test_sdk.py's."""
    grantee = _client(url, GRANTEE_AK, GRANTEE_SK, GRANTEE_PROJECT)
    stranger = _client(url, STRANGER_AK, STRANGER_SK, STRANGER_PROJECT)
    state = {}

    def describe(client, key):
        return client.list_key_detail(ListKeyDetailRequest(body=OperateKeyRequestBody(key_id=key)))

    def encrypt(client, key, text):
        return client.encrypt_data(EncryptDataRequest(body=EncryptDataRequestBody(
            key_id=key, plain_text=text))).cipher_text

    def decrypt(client, cipher_text):
        return client.decrypt_data(DecryptDataRequest(body=DecryptDataRequestBody(
            cipher_text=cipher_text))).plain_text

    def grant(key, principal, operations, **kw):
        r = kms.create_grant(CreateGrantRequest(body=CreateGrantRequestBody(
            key_id=key, grantee_principal=principal, operations=operations, **kw)))
        assert len(r.grant_id) == 64 and all(c in "0123456789abcdef" for c in r.grant_id), r
        return r.grant_id

    @check("grants: create-grant for a user of another domain (SDK create_grant)")
    def _():
        key = kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(key_alias="sdk_granted"))).key_info.key_id
        state["key"] = key
        state["grant"] = grant(key, GRANTEE_USER, ["describe-key", "encrypt-data", "decrypt-data", "create-datakey"],
                               grantee_principal_type="user", name="sdk-grant", retiring_principal=GRANTEE_USER)
        # Never granted to the stranger: it gets 404 before and after.
        expect_error(lambda: describe(stranger, key), *NOT_FOUND)
    _()

    @check("grants: the grantee's own credentials use the key for the granted operations only")
    def _():
        key = state["key"]
        assert describe(grantee, key).key_info.key_id == key
        sealed = encrypt(grantee, key, "from the grantee")
        assert decrypt(kms, sealed) == "from the grantee"
        assert decrypt(grantee, encrypt(kms, key, "from the owner")) == "from the owner"
        dek = grantee.create_datakey(CreateDatakeyRequest(body=CreateDatakeyRequestBody(
            key_id=key, datakey_length="256")))
        assert len(dek.plain_text) == 64, dek
        # Not granted: the key does not exist for the grantee.
        expect_error(lambda: grantee.encrypt_datakey(EncryptDatakeyRequest(body=EncryptDatakeyRequestBody(
            key_id=key, plain_text="00" * 64, datakey_plain_length="32"))), *NOT_FOUND)
        expect_error(lambda: grantee.disable_key(DisableKeyRequest(body=OperateKeyRequestBody(key_id=key))),
                     *NOT_FOUND)
        expect_error(lambda: grantee.list_grants(ListGrantsRequest(body=ListGrantsRequestBody(key_id=key))),
                     *NOT_FOUND)
        expect_error(lambda: decrypt(stranger, sealed), *NOT_FOUND)
    _()

    @check("grants: the key is never in the grantee's list-keys")
    def _():
        mine = grantee.list_keys(ListKeysRequest(body=ListKeysRequestBody(limit="1000")))
        assert state["key"] not in (mine.keys or []), mine
        owners = kms.list_keys(ListKeysRequest(body=ListKeysRequestBody(limit="1000")))
        assert state["key"] in owners.keys, owners
    _()

    @check("grants: list-grants pages (limit/marker, truncated, total) and list-retirable-grants")
    def _():
        key = state["key"]
        second = grant(key, GRANTEE_USER, ["describe-key"], name="second")
        first = kms.list_grants(ListGrantsRequest(body=ListGrantsRequestBody(key_id=key, limit="1")))
        assert first.total == 2 and first.truncated == "true" and len(first.grants) == 1, first
        g = first.grants[0]
        assert g.grant_id == state["grant"] and g.key_id == key, g
        assert g.grantee_principal == GRANTEE_USER and g.grantee_principal_type == "user", g
        assert g.name == "sdk-grant" and g.retiring_principal == GRANTEE_USER, g
        assert g.operations == ["create-datakey", "describe-key", "encrypt-data", "decrypt-data"], g
        # The owner's credentials carry no user: the grant was issued by
        # its account.
        assert g.issuing_principal, g
        assert int(g.creation_date) > 0, g
        rest = kms.list_grants(ListGrantsRequest(body=ListGrantsRequestBody(
            key_id=key, limit="1", marker=first.next_marker)))
        assert rest.total == 2 and rest.truncated == "false", rest
        assert [x.grant_id for x in rest.grants] == [second], rest
        retirable = grantee.list_retirable_grants(ListRetirableGrantsRequest(body=ListRetirableGrantsRequestBody(
            limit="10")))
        assert [x.grant_id for x in retirable.grants] == [state["grant"]], retirable
        assert retirable.total == 1 and retirable.truncated == "false", retirable
        none = stranger.list_retirable_grants(ListRetirableGrantsRequest(body=ListRetirableGrantsRequestBody()))
        assert none.total == 0 and not none.grants, none
        state["second"] = second
    _()

    @check("grants: retire-grant by the grantee (SDK cancel_self_grant)")
    def _():
        key = state["key"]
        grantee.cancel_self_grant(CancelSelfGrantRequest(body=RevokeGrantRequestBody(
            key_id=key, grant_id=state["second"])))
        left = kms.list_grants(ListGrantsRequest(body=ListGrantsRequestBody(key_id=key)))
        assert [x.grant_id for x in left.grants] == [state["grant"]], left
        # The stranger retires nothing: the key does not exist for it.
        expect_error(lambda: stranger.cancel_self_grant(CancelSelfGrantRequest(body=RevokeGrantRequestBody(
            key_id=key, grant_id=state["grant"]))), *NOT_FOUND)
    _()

    @check("grants: revoked (SDK cancel_grant), the grantee's credentials are refused")
    def _():
        key = state["key"]
        kms.cancel_grant(CancelGrantRequest(body=RevokeGrantRequestBody(key_id=key, grant_id=state["grant"])))
        expect_error(lambda: describe(grantee, key), *NOT_FOUND)
        expect_error(lambda: encrypt(grantee, key, "after revocation"), *NOT_FOUND)
        left = kms.list_grants(ListGrantsRequest(body=ListGrantsRequestBody(key_id=key)))
        assert left.total == 0 and not left.grants and left.truncated == "false", left
        expect_error(lambda: kms.cancel_grant(CancelGrantRequest(body=RevokeGrantRequestBody(
            key_id=key, grant_id=state["grant"]))), 400, "KMS.2502")
    _()

    @check("grants: a domain grant names every caller of that domain")
    def _():
        key = state["key"]
        gid = grant(key, STRANGER_DOMAIN, ["describe-key"], grantee_principal_type="domain")
        assert describe(stranger, key).key_info.key_id == key
        expect_error(lambda: encrypt(stranger, key, "x"), *NOT_FOUND)
        expect_error(lambda: describe(grantee, key), *NOT_FOUND)
        kms.cancel_grant(CancelGrantRequest(body=RevokeGrantRequestBody(key_id=key, grant_id=gid)))
        expect_error(lambda: describe(stranger, key), *NOT_FOUND)
    _()

    @check("grants: bad requests raise the published codes (KMS.2401, KMS.2402, KMS.2501)")
    def _():
        key = state["key"]
        expect_error(lambda: grant(key, GRANTEE_USER, ["create-grant"]), 400, "KMS.2401")
        expect_error(lambda: grant(key, "not a user", ["describe-key"]), 400, "KMS.2402")
        expect_error(lambda: kms.cancel_grant(CancelGrantRequest(body=RevokeGrantRequestBody(
            key_id=key, grant_id="abc"))), 400, "KMS.2501")
    _()
