"""The alias API through the official Python SDK (huaweicloudsdkkms v2):
create-alias, list-aliases with key_id/limit/marker and the listing Cloud
Custodian makes (no parameters, read as ``body[0].aliases``),
associate-alias, an alias as key_id of encrypt-data, decrypt-data and
describe-key, delete-alias. Called from test_sdk.py's main:
``run(kms, check, expect_error)``.
"""

from huaweicloudsdkkms.v2 import (
    AssociateAliasRequest,
    AssociateAliasRequestBody,
    CreateAliasRequest,
    CreateAliasRequestBody,
    CreateKeyRequest,
    CreateKeyRequestBody,
    DecryptDataRequest,
    DecryptDataRequestBody,
    DeleteAliasRequest,
    DeleteAliasRequestBody,
    EncryptDataRequest,
    EncryptDataRequestBody,
    ListAliasesRequest,
    ListKeyDetailRequest,
    OperateKeyRequestBody,
)


def _page(kms, **query):
    """One list-aliases page as the SDK models it: ``body`` is a list of
    ListAliasResponseBody; its first element holds the page."""
    r = kms.list_aliases(ListAliasesRequest(**query))
    assert r.body and len(r.body) == 1, r
    return r.body[0]


def run(kms, check, expect_error):
    state = {}

    @check("aliases: create three for one key (alias/ prefix, urn, times)")
    def _():
        for n in (1, 2):
            r = kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(key_alias=f"sdk_alias_key_{n}")))
            state[n] = r.key_info.key_id
        for name in ("alias/sdk-app", "alias/sdk-db", "alias/sdk-web"):
            r = kms.create_alias(CreateAliasRequest(body=CreateAliasRequestBody(key_id=state[1], alias=name)))
            assert r.alias == name and r.key_id == state[1], r
            assert r.alias_urn.endswith(":alias:" + name), r
            assert r.create_time.endswith("Z") and r.update_time == r.create_time, r
    _()

    @check("aliases: a taken alias raises KMS.1104, no alias/ prefix KMS.0308")
    def _():
        expect_error(lambda: kms.create_alias(CreateAliasRequest(body=CreateAliasRequestBody(
            key_id=state[2], alias="alias/sdk-app"))), 400, "KMS.1104")
        expect_error(lambda: kms.create_alias(CreateAliasRequest(body=CreateAliasRequestBody(
            key_id=state[2], alias="sdk-app"))), 400, "KMS.0308")
    _()

    @check("aliases: list by key_id, paged by limit and marker")
    def _():
        p1 = _page(kms, key_id=state[1], limit="2")
        assert [a.alias for a in p1.aliases] == ["alias/sdk-app", "alias/sdk-db"], p1
        assert p1.page_info.next_marker == "alias/sdk-db" and p1.page_info.current_count == 2, p1
        p2 = _page(kms, key_id=state[1], limit="2", marker=p1.page_info.next_marker)
        assert [a.alias for a in p2.aliases] == ["alias/sdk-web"], p2
        assert p2.page_info.next_marker == "", p2
        assert _page(kms, key_id=state[2]).aliases == [], "key 2 has none yet"
    _()

    @check("aliases: Custodian's listing (no parameters, body[0].aliases)")
    def _():
        r = kms.list_aliases(ListAliasesRequest())
        names = {a.alias.replace("alias/", "") for a in r.body[0].aliases}
        assert {"sdk-app", "sdk-db", "sdk-web"} <= names, names
    _()

    @check("aliases: an alias as key_id of encrypt-data, decrypt-data and describe-key")
    def _():
        e = kms.encrypt_data(EncryptDataRequest(body=EncryptDataRequestBody(
            key_id="alias/sdk-app", plain_text="via alias")))
        assert e.key_id == state[1], e
        state["ct"] = e.cipher_text
        d = kms.decrypt_data(DecryptDataRequest(body=DecryptDataRequestBody(
            cipher_text=e.cipher_text, key_id="alias/sdk-app")))
        assert d.plain_text == "via alias" and d.key_id == state[1], d
        k = kms.list_key_detail(ListKeyDetailRequest(body=OperateKeyRequestBody(key_id="alias/sdk-app")))
        assert k.key_info.key_id == state[1], k
        expect_error(lambda: kms.encrypt_data(EncryptDataRequest(body=EncryptDataRequestBody(
            key_id="alias/sdk-none", plain_text="x"))), 404, "KMS.0207")
    _()

    @check("aliases: associate moves an alias to another key")
    def _():
        r = kms.associate_alias(AssociateAliasRequest(body=AssociateAliasRequestBody(
            alias="alias/sdk-app", target_key_id=state[2])))
        assert r.alias == "alias/sdk-app" and r.key_id == state[2], r
        assert [a.alias for a in _page(kms, key_id=state[2]).aliases] == ["alias/sdk-app"]
        e = kms.encrypt_data(EncryptDataRequest(body=EncryptDataRequestBody(
            key_id="alias/sdk-app", plain_text="moved")))
        assert e.key_id == state[2], e
        # The ciphertext made before the move still opens under key 1.
        d = kms.decrypt_data(DecryptDataRequest(body=DecryptDataRequestBody(cipher_text=state["ct"])))
        assert d.key_id == state[1] and d.plain_text == "via alias", d
    _()

    @check("aliases: delete a list of aliases (all or none)")
    def _():
        expect_error(lambda: kms.delete_alias(DeleteAliasRequest(body=DeleteAliasRequestBody(
            aliases=["alias/sdk-db", "alias/sdk-app"], key_id=state[1]))), 404, "KMS.0207")
        kms.delete_alias(DeleteAliasRequest(body=DeleteAliasRequestBody(
            aliases=["alias/sdk-db", "alias/sdk-web"], key_id=state[1])))
        assert _page(kms, key_id=state[1]).aliases == []
        kms.delete_alias(DeleteAliasRequest(body=DeleteAliasRequestBody(aliases=["alias/sdk-app"])))
        left = {a.alias for a in _page(kms).aliases}
        assert not left & {"alias/sdk-app", "alias/sdk-db", "alias/sdk-web"}, left
        expect_error(lambda: kms.encrypt_data(EncryptDataRequest(body=EncryptDataRequestBody(
            key_id="alias/sdk-app", plain_text="x"))), 404, "KMS.0207")
    _()
