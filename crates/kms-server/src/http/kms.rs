//! The KMS handlers: each takes the authenticated request ([`Ctx`]), calls
//! the core and answers in the KMS error shape.

#[allow(clippy::wildcard_imports)]
use super::*;

pub(super) async fn create_keystore(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::CreateKeyStoreRequestBody);
    ctx.json_blocking(move |k, c| k.wire().create_keystore(c, &body))
        .await
}

pub(super) async fn list_keystores(ctx: Ctx) -> Response {
    let (offset, limit) = (ctx.query_param("offset"), ctx.query_param("limit"));
    ctx.json_now(move |k, c| {
        k.wire()
            .list_keystores(c, offset.as_deref(), limit.as_deref())
    })
    .await
}

pub(super) async fn show_keystore(ctx: Ctx) -> Response {
    let id = ctx.param(0);
    ctx.json_now(move |k, c| k.wire().show_keystore(c, &id))
        .await
}

pub(super) async fn delete_keystore(ctx: Ctx) -> Response {
    let id = ctx.param(0);
    ctx.empty_json_blocking(move |k, c| k.wire().delete_keystore(c, &id))
        .await
}

pub(super) async fn enable_keystore(ctx: Ctx) -> Response {
    let id = ctx.param(0);
    ctx.json_blocking(move |k, c| k.wire().enable_keystore(c, &id))
        .await
}

pub(super) async fn disable_keystore(ctx: Ctx) -> Response {
    let id = ctx.param(0);
    ctx.json_blocking(move |k, c| k.wire().disable_keystore(c, &id))
        .await
}

pub(super) async fn create_pin(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::CreatePinRequestBody);
    ctx.json_blocking(move |k, c| k.wire().create_pin(c, &body))
        .await
}

pub(super) async fn create_key(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::CreateKeyRequestBody);
    ctx.json_blocking(move |k, c| k.wire().create_key(c, &body))
        .await
}

pub(super) async fn enable_key(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::OperateKeyRequestBody);
    ctx.json_blocking(move |k, c| k.wire().enable_key(c, &body))
        .await
}

pub(super) async fn disable_key(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::OperateKeyRequestBody);
    ctx.json_blocking(move |k, c| k.wire().disable_key(c, &body))
        .await
}

pub(super) async fn schedule_key_deletion(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::ScheduleKeyDeletionRequestBody);
    ctx.json_blocking(move |k, c| k.wire().schedule_key_deletion(c, &body))
        .await
}

pub(super) async fn describe_key(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::OperateKeyRequestBody);
    ctx.json_now(move |k, c| k.wire().describe_key(c, &body))
        .await
}

pub(super) async fn list_keys(ctx: Ctx) -> Response {
    // Cloud Custodian's Huawei provider sends list-keys with no body.
    let body = body_or_reject!(ctx, kms_model::ListKeysRequestBody, optional);
    ctx.json_now(move |k, c| k.wire().list_keys(c, &body)).await
}

pub(super) async fn update_key_alias(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::UpdateKeyAliasRequestBody);
    ctx.json_blocking(move |k, c| k.wire().update_key_alias(c, &body))
        .await
}

pub(super) async fn update_key_description(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::UpdateKeyDescriptionRequestBody);
    ctx.json_blocking(move |k, c| k.wire().update_key_description(c, &body))
        .await
}

pub(super) async fn cancel_key_deletion(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::OperateKeyRequestBody);
    ctx.json_blocking(move |k, c| k.wire().cancel_key_deletion(c, &body))
        .await
}

pub(super) async fn encrypt_data(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::EncryptDataRequestBody);
    ctx.json_now(move |k, c| k.wire().encrypt_data(c, &body))
        .await
}

pub(super) async fn decrypt_data(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::DecryptDataRequestBody);
    ctx.json_now(move |k, c| k.wire().decrypt_data(c, &body))
        .await
}

pub(super) async fn enable_key_rotation(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::OperateKeyRequestBody);
    ctx.empty_json_blocking(move |k, c| k.wire().enable_key_rotation(c, &body))
        .await
}

pub(super) async fn disable_key_rotation(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::OperateKeyRequestBody);
    ctx.empty_json_blocking(move |k, c| k.wire().disable_key_rotation(c, &body))
        .await
}

pub(super) async fn get_key_rotation_status(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::OperateKeyRequestBody);
    ctx.json_now(move |k, c| k.wire().get_key_rotation_status(c, &body))
        .await
}

pub(super) async fn update_key_rotation_interval(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::UpdateKeyRotationIntervalRequestBody);
    ctx.empty_json_blocking(move |k, c| k.wire().update_key_rotation_interval(c, &body))
        .await
}

pub(super) async fn rotate_on_demand(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::RotateOnDemandRequestBody);
    ctx.json_blocking(move |k, c| k.wire().rotate_on_demand(c, &body))
        .await
}

pub(super) async fn batch_kms_tags(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::BatchCreateKmsTagsRequestBody);
    let id = ctx.param(0);
    ctx.no_content_blocking(move |k, c| k.wire().batch_kms_tags(c, &id, &body))
        .await
}

pub(super) async fn create_kms_tag(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::CreateKmsTagRequestBody);
    let id = ctx.param(0);
    ctx.no_content_blocking(move |k, c| k.wire().create_kms_tag(c, &id, &body))
        .await
}

pub(super) async fn delete_kms_tag(ctx: Ctx) -> Response {
    let (id, tag) = (ctx.param(0), ctx.param(1));
    ctx.no_content_blocking(move |k, c| k.wire().delete_kms_tag(c, &id, &tag))
        .await
}

pub(super) async fn show_user_quotas(ctx: Ctx) -> Response {
    ctx.json_now(move |k, c| k.wire().show_user_quotas(c)).await
}

pub(super) async fn show_user_instances(ctx: Ctx) -> Response {
    ctx.json_now(move |k, c| k.wire().show_user_instances(c))
        .await
}

pub(super) async fn list_support_regions(ctx: Ctx) -> Response {
    let (offset, limit) = (ctx.query_param("offset"), ctx.query_param("limit"));
    ctx.json_now(move |k, c| {
        k.wire()
            .list_support_regions(c, offset.as_deref(), limit.as_deref())
    })
    .await
}

pub(super) async fn replicate_key(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::ReplicateKeyRequestBody);
    let id = ctx.param(0);
    ctx.json_blocking(move |k, c| k.wire().replicate_key(c, &id, &body))
        .await
}

pub(super) async fn update_primary_region(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::UpdatePrimaryRegionRequestBody);
    let id = ctx.param(0);
    ctx.json_blocking(move |k, c| k.wire().update_primary_region(c, &id, &body))
        .await
}

pub(super) async fn list_kms_tags(ctx: Ctx) -> Response {
    ctx.json_now(move |k, c| k.wire().list_kms_tags(c)).await
}

pub(super) async fn show_kms_tags(ctx: Ctx) -> Response {
    let id = ctx.param(0);
    ctx.json_now(move |k, c| k.wire().show_kms_tags(c, &id))
        .await
}

pub(super) async fn list_kms_by_tags(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::ListKmsByTagsRequestBody);
    ctx.json_now(move |k, c| k.wire().list_kms_by_tags(c, &body))
        .await
}

pub(super) async fn gen_random(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::GenRandomRequestBody);
    ctx.json_now(move |k, c| k.wire().gen_random(c, &body))
        .await
}

// Key-pair operations open (and RSA ones compute with) a private key:
// milliseconds, so on the blocking pool rather than a worker.
pub(super) async fn sign(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::SignRequestBody);
    if ctx.light(&body.key_id, KeyPairOp::Sign) {
        return ctx.json_fields_inline(|k, c| k.wire().sign(c, &body));
    }
    ctx.json_blocking(move |k, c| k.wire().sign(c, &body)).await
}

pub(super) async fn validate_signature(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::VerifyRequestBody);
    if ctx.light(&body.key_id, KeyPairOp::Verify) {
        return ctx.json_fields_inline(|k, c| k.wire().validate_signature(c, &body));
    }
    ctx.json_blocking(move |k, c| k.wire().validate_signature(c, &body))
        .await
}

pub(super) async fn get_public_key(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::OperateKeyRequestBody);
    if ctx.light(&body.key_id, KeyPairOp::GetPublicKey) {
        return ctx.json_inline(|k, c| k.wire().get_public_key(c, &body));
    }
    ctx.json_blocking(move |k, c| k.wire().get_public_key(c, &body))
        .await
}

pub(super) async fn re_encrypt(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::ReEncryptRequestBody);
    ctx.json_now(move |k, c| k.wire().re_encrypt(c, &body))
        .await
}

pub(super) async fn create_datakey(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::CreateDatakeyRequestBody);
    ctx.json_fields_now(move |k, c| k.wire().create_datakey(c, &body))
        .await
}

pub(super) async fn create_datakey_without_plaintext(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::CreateDatakeyRequestBody);
    ctx.json_fields_now(move |k, c| k.wire().create_datakey_without_plaintext(c, &body))
        .await
}

pub(super) async fn encrypt_datakey(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::EncryptDatakeyRequestBody);
    ctx.json_fields_now(move |k, c| k.wire().encrypt_datakey(c, &body))
        .await
}

pub(super) async fn decrypt_datakey(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::DecryptDatakeyRequestBody);
    ctx.json_fields_now(move |k, c| k.wire().decrypt_datakey(c, &body))
        .await
}

// Grants: small store reads and writes, on the blocking pool like the
// other writes.
pub(super) async fn create_grant(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::CreateGrantRequestBody);
    ctx.json_blocking(move |k, c| k.wire().create_grant(c, &body))
        .await
}

pub(super) async fn list_grants(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::ListGrantsRequestBody);
    ctx.json_now(move |k, c| k.wire().list_grants(c, &body))
        .await
}

pub(super) async fn list_retirable_grants(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::ListRetirableGrantsRequestBody, optional);
    ctx.json_now(move |k, c| k.wire().list_retirable_grants(c, &body))
        .await
}

pub(super) async fn revoke_grant(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::RevokeGrantRequestBody);
    ctx.json_blocking(move |k, c| k.wire().revoke_grant(c, &body))
        .await
}

pub(super) async fn retire_grant(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::RevokeGrantRequestBody);
    ctx.json_blocking(move |k, c| k.wire().retire_grant(c, &body))
        .await
}

pub(super) async fn generate_mac(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::GenerateMacRequestBody);
    ctx.json_blocking(move |k, c| k.wire().generate_mac(c, &body))
        .await
}

pub(super) async fn verify_mac(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::VerifyMacRequestBody);
    ctx.json_blocking(move |k, c| k.wire().verify_mac(c, &body))
        .await
}

pub(super) async fn derive_shared_secret(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::DeriveSharedSecretRequestBody);
    ctx.json_blocking(move |k, c| k.wire().derive_shared_secret(c, &body))
        .await
}

/// `GET /`: authenticated like every route (the API reference lists the
/// `kms::getVersions` permission), audited, links relative to the host the
/// client reached (`/v1.0/`): the server does not know the scheme and host
/// name a client or proxy used. With the IAM (Keystone) front on, the same
/// path is also Keystone's version discovery, which clients call with no
/// credentials: a request without an `Authorization` header (no SDK
/// signature) gets Keystone's list there, a signed one the KMS versions.
pub(super) async fn show_versions(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
) -> Response {
    if state.iam().is_some()
        && !req
            .headers()
            .contains_key(axum::http::header::AUTHORIZATION)
    {
        return super::keystone::versions(axum::extract::State(state), req).await;
    }
    let ctx = match Ctx::from_request(req, &state).await {
        Ok(ctx) => ctx,
        Err(rejection) => return rejection.into_response(),
    };
    ctx.json_now(move |k, c| k.wire().show_versions(c, ""))
        .await
}

/// `GET /{version_id}`: a path segment that names no served version is an
/// unknown route (400 KMS.0201, before authentication, exactly as before
/// this route existed); a served one is answered as [`show_versions`].
pub(super) async fn show_version(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
) -> Response {
    let path = req.uri().path();
    let id = path.strip_prefix('/').unwrap_or(path);
    if !kms_core::API_VERSIONS.iter().any(|v| v.id == id) {
        return unknown_route(req.uri().clone()).await;
    }
    let ctx = match Ctx::from_request(req, &state).await {
        Ok(ctx) => ctx,
        Err(rejection) => return rejection.into_response(),
    };
    let id = ctx.param(0);
    ctx.json_now(move |k, c| k.wire().show_version(c, "", &id))
        .await
}

pub(super) async fn create_alias(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::CreateAliasRequestBody);
    ctx.json_created_blocking(move |k, c| k.wire().create_alias(c, &body))
        .await
}

pub(super) async fn list_aliases(ctx: Ctx) -> Response {
    let (key_id, limit, marker) = (
        ctx.query_param("key_id"),
        ctx.query_param("limit"),
        ctx.query_param("marker"),
    );
    ctx.json_now(move |k, c| {
        k.wire()
            .list_aliases(c, key_id.as_deref(), limit.as_deref(), marker.as_deref())
    })
    .await
}

pub(super) async fn delete_alias(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::DeleteAliasRequestBody);
    ctx.empty_json_blocking(move |k, c| k.wire().delete_alias(c, &body))
        .await
}

pub(super) async fn associate_alias(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::AssociateAliasRequestBody);
    ctx.json_blocking(move |k, c| k.wire().associate_alias(c, &body))
        .await
}

// Data key pairs: key generation (RSA most of all) takes milliseconds to
// seconds, so on the blocking pool rather than a worker.
pub(super) async fn create_rsa_datakey_pair(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::CreateRsaDatakeyPairRequestBody);
    ctx.json_blocking(move |k, c| k.wire().create_rsa_datakey_pair(c, &body))
        .await
}

pub(super) async fn create_ec_datakey_pair(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::CreateEcDatakeyPairRequestBody);
    ctx.json_blocking(move |k, c| k.wire().create_ec_datakey_pair(c, &body))
        .await
}

// Key material import: get-parameters-for-import generates a wrapping key
// pair (RSA-2048 takes up to seconds), import opens it: the blocking pool.
pub(super) async fn get_parameters_for_import(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::GetParametersForImportRequestBody);
    ctx.json_blocking(move |k, c| k.wire().get_parameters_for_import(c, &body))
        .await
}

pub(super) async fn import_key_material(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::ImportKeyMaterialRequestBody);
    ctx.empty_json_blocking(move |k, c| k.wire().import_key_material(c, &body))
        .await
}

pub(super) async fn delete_imported_key_material(ctx: Ctx) -> Response {
    let body = body_or_reject!(ctx, kms_model::OperateKeyRequestBody);
    ctx.empty_json_blocking(move |k, c| k.wire().delete_imported_key_material(c, &body))
        .await
}
