"""Quotas, the key count and the regions through the official Python SDK
(huaweicloudsdkkms v2): show-user-quotas (the CMK entry follows the
project's keys; grant_per_CMK against the per-key grant limit), show-user-instances, list-support-regions (the configured
region, at /v2/{project_id}/kms/regions). Called from test_sdk.py's main:
``run(kms, check, expect_error)``.
"""

from huaweicloudsdkkms.v2 import (
    CreateKeyRequest,
    CreateKeyRequestBody,
    ListSupportRegionsRequest,
    ShowUserInstancesRequest,
    ShowUserQuotasRequest,
)


def _cmk(kms):
    r = kms.show_user_quotas(ShowUserQuotasRequest())
    entries = {q.type: q for q in r.quotas.resources}
    assert "CMK" in entries, r
    return entries["CMK"]


def run(kms, check, expect_error):
    @check("user-quotas / user-instances: one more key counts one more, against the default quota 10000")
    def _():
        before = _cmk(kms)
        assert before.quota == 10000 and 0 < before.used < before.quota, before
        instances = kms.show_user_instances(ShowUserInstancesRequest()).instance_num
        assert instances == before.used, (instances, before)
        kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(key_alias="sdk_quota_key")))
        after = _cmk(kms)
        assert (after.used, after.quota) == (before.used + 1, before.quota), (before, after)
        assert kms.show_user_instances(ShowUserInstancesRequest()).instance_num == after.used
    _()

    @check("user-quotas: grant_per_CMK against the default per-key limit 100")
    def _():
        r = kms.show_user_quotas(ShowUserQuotasRequest())
        entries = {q.type: q for q in r.quotas.resources}
        assert "grant_per_CMK" in entries and entries["grant_per_CMK"].quota == 100, r
        assert 0 <= entries["grant_per_CMK"].used <= 100, r
    _()

    @check("list-support-regions: the configured region")
    def _():
        r = kms.list_support_regions(ListSupportRegionsRequest())
        assert r.regions == ["local-1"], r
    _()
