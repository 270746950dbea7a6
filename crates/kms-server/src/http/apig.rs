//! The API Gateway certificate handlers (APIG error shape).

#[allow(clippy::wildcard_imports)]
use super::*;

pub(super) async fn create_certificate(ctx: Ctx) -> Response {
    let form = body_or_reject!(ctx, kms_model::CertificateForm);
    ctx.json_blocking(move |k, c| k.wire().create_certificate(c, &form))
        .await
}

pub(super) async fn list_certificates(ctx: Ctx) -> Response {
    let q = CertificateQuery {
        offset: ctx.query_param("offset"),
        limit: ctx.query_param("limit"),
        filter: CertificateFilter {
            name: ctx.query_param("name"),
            common_name: ctx.query_param("common_name"),
            signature_algorithm: ctx.query_param("signature_algorithm"),
            r#type: ctx.query_param("type"),
            instance_id: ctx.query_param("instance_id"),
            algorithm_type: ctx.query_param("algorithm_type"),
        },
    };
    ctx.json_now(move |k, c| k.wire().list_certificates(c, &q))
        .await
}

pub(super) async fn show_certificate(ctx: Ctx) -> Response {
    let id = ctx.param(0);
    ctx.json_now(move |k, c| k.wire().show_certificate(c, &id))
        .await
}

pub(super) async fn update_certificate(ctx: Ctx) -> Response {
    let form = body_or_reject!(ctx, kms_model::CertificateForm);
    let id = ctx.param(0);
    ctx.json_blocking(move |k, c| k.wire().update_certificate(c, &id, &form))
        .await
}

pub(super) async fn delete_certificate(ctx: Ctx) -> Response {
    let id = ctx.param(0);
    ctx.no_content_blocking(move |k, c| k.wire().delete_certificate(c, &id))
        .await
}
