"""Multi-region keys through the official Python SDK (huaweicloudsdkkms v2),
against a server of its own with two regions: the home one (the usual
project) and cn-south-1 (a second project of the same account, its own
AK/SK). list-support-regions, replicate-key, the replica decrypting the
primary's data and DEK ciphertexts with the second project's credentials
(and the primary the replica's), update-primary-region, and a refusal.
Called from test_sdk.py's main: ``run(binary, module)``.
"""

import subprocess
import tempfile

from huaweicloudsdkkms.v2 import (
    CreateDatakeyRequest,
    CreateDatakeyRequestBody,
    CreateKeyRequest,
    CreateKeyRequestBody,
    DecryptDataRequest,
    DecryptDataRequestBody,
    DecryptDatakeyRequest,
    DecryptDatakeyRequestBody,
    EncryptDataRequest,
    EncryptDataRequestBody,
    ListSupportRegionsRequest,
    ReplicateKeyRequest,
    ReplicateKeyRequestBody,
    UpdatePrimaryRegionRequest,
    UpdatePrimaryRegionRequestBody,
)

SOUTH = "cn-south-1"
SOUTH_PROJECT = "55555555555555555555555555555555"
SOUTH_AK = "SOUTHAK0000000000000"
SOUTH_SK = "southsk00000000000000000000000000000000SK"


def start(binary, h, tmp):
    return h.launch(binary, tmp, h.free_port(), f'''[[credentials]]
access_key = "{h.AK}"
secret_key = "{h.SK}"
domain_id = "{h.DOMAIN}"
project_id = "{h.PROJECT}"
[[credentials]]
access_key = "{SOUTH_AK}"
secret_key = "{SOUTH_SK}"
domain_id = "{h.DOMAIN}"
project_id = "{SOUTH_PROJECT}"
[[regions]]
id = "{SOUTH}"
projects = ["{SOUTH_PROJECT}"]
''', name="regions server")


def south_client(h, url):
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.http.http_config import HttpConfig
    from huaweicloudsdkkms.v2 import KmsClient

    cfg = HttpConfig.get_default_config()
    cfg.retry_times = 0
    creds = BasicCredentials(SOUTH_AK, SOUTH_SK, SOUTH_PROJECT)
    return KmsClient.new_builder().with_http_config(cfg).with_credentials(creds).with_endpoints([url]).build()


def run(binary, h):
    tmp = tempfile.mkdtemp(prefix="kms-sdk-regions-")
    proc, url = start(binary, h, tmp)
    state = {}
    try:
        kms, _ = h.clients(url)
        south = south_client(h, url)

        @h.check("list-support-regions: the home region and the configured one")
        def _():
            r = kms.list_support_regions(ListSupportRegionsRequest())
            assert r.regions == ["local-1", SOUTH], r
            r = kms.list_support_regions(ListSupportRegionsRequest(limit=50, offset=2))
            assert r.regions == [], r
        _()

        @h.check("replicate-key: a replica in cn-south-1, in the second project")
        def _():
            key = kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(key_alias="sdk_mrk"))).key_info.key_id
            state["key"] = key
            state["ct"] = kms.encrypt_data(EncryptDataRequest(body=EncryptDataRequestBody(
                key_id=key, plain_text="across regions",
                additional_authenticated_data="aad"))).cipher_text
            state["dek"] = kms.create_datakey(CreateDatakeyRequest(body=CreateDatakeyRequestBody(
                key_id=key, datakey_length="256")))
            r = kms.replicate_key(ReplicateKeyRequest(key_id=key, body=ReplicateKeyRequestBody(
                key_id=key, replica_region=SOUTH, key_alias="sdk_mrk_south",
                replica_project_id=SOUTH_PROJECT)))
            assert r.key_id and r.key_id != key, r
            assert r.domain_id == h.DOMAIN and r.region == SOUTH, r
            state["replica"] = r.key_id
        _()

        @h.check("the replica, with the second project's AK/SK, decrypts the primary's data and DEK ciphertexts")
        def _():
            r = south.decrypt_data(DecryptDataRequest(body=DecryptDataRequestBody(
                cipher_text=state["ct"], additional_authenticated_data="aad")))
            assert r.plain_text == "across regions" and r.key_id == state["replica"], r
            r = south.decrypt_datakey(DecryptDatakeyRequest(body=DecryptDatakeyRequestBody(
                key_id=state["replica"], cipher_text=state["dek"].cipher_text, datakey_cipher_length="32")))
            assert r.data_key == state["dek"].plain_text, r
            back = south.encrypt_data(EncryptDataRequest(body=EncryptDataRequestBody(
                key_id=state["replica"], plain_text="and back"))).cipher_text
            r = kms.decrypt_data(DecryptDataRequest(body=DecryptDataRequestBody(cipher_text=back)))
            assert r.plain_text == "and back" and r.key_id == state["key"], r
        _()

        @h.check("update-primary-region: the replica's region becomes the primary's; refusals are KMS.0308")
        def _():
            r = kms.update_primary_region(UpdatePrimaryRegionRequest(
                key_id=state["key"],
                body=UpdatePrimaryRegionRequestBody(key_id=state["key"], primary_region=SOUTH)))
            assert r.key_id == state["key"] and r.primary_region == SOUTH, r
            # The old primary is a replica now: it neither replicates nor moves the primary.
            h.expect_error(lambda: kms.update_primary_region(UpdatePrimaryRegionRequest(
                key_id=state["key"],
                body=UpdatePrimaryRegionRequestBody(key_id=state["key"], primary_region="local-1"))),
                400, "KMS.0308")
            h.expect_error(lambda: kms.replicate_key(ReplicateKeyRequest(
                key_id=state["key"], body=ReplicateKeyRequestBody(
                    key_id=state["key"], replica_region="eu-west-0", key_alias="x",
                    replica_project_id=SOUTH_PROJECT))), 400, "KMS.0308")
        _()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
