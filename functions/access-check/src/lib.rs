//! `GET /access?tenantId=T&environmentId=E`: may the caller's tenant see that
//! environment's telemetry? The customer name only when it may.
//!
//! `GET /service/access?partnerTenantId=P&tenantId=T&environmentId=E`: the
//! same answer for a service that acts for every partner (the telemetry
//! pipeline), signed with IAM (SigV4) and never with a portal sign-in.

use consent_app::service::ConsentService;
use consent_core::domain::{EnvironmentId, TenantId};
use consent_core::workflow::FieldError;
use consent_http::api::AccessView;
use consent_http::{
    auth, extract,
    problem::{self, Rejection, json_response},
};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};

/// The route of the service-facing check.
pub const SERVICE_ROUTE: &str = "GET /service/access";

pub async fn handle(app: &ConsentService, req: Request) -> Response<Body> {
    problem::respond(check(app, req).await)
}

/// Serves `/service/access` (the function serves both routes; API Gateway
/// names the one that matched).
pub async fn handle_service(app: &ConsentService, req: Request) -> Response<Body> {
    problem::respond(check_for_service(app, req).await)
}

/// Both routes of the function, told apart by the route that matched.
pub async fn handle_any(app: &ConsentService, req: Request) -> Response<Body> {
    if extract::route_key(&req).as_deref() == Some(SERVICE_ROUTE) {
        handle_service(app, req).await
    } else {
        handle(app, req).await
    }
}

async fn check(app: &ConsentService, req: Request) -> Result<Response<Body>, Rejection> {
    let caller = auth::caller(&req, &app.settings().admin_role)?;
    let (tenant, environment) = scope_of(&req, &mut Vec::new())?;
    let access = app.access(&caller.tenant_id, tenant, environment).await?;
    Ok(json_response(StatusCode::OK, &AccessView::new(&access)))
}

async fn check_for_service(
    app: &ConsentService,
    req: Request,
) -> Result<Response<Body>, Rejection> {
    let principal = auth::service_principal(&req, &app.settings().service_principals)?;
    let partner = req
        .query_string_parameters()
        .first("partnerTenantId")
        .and_then(|t| TenantId::parse(t).ok());
    let mut errors = Vec::new();
    if partner.is_none() {
        errors.push(FieldError::new(
            "partnerTenantId",
            "the partner tenant id is required (query parameter)",
        ));
    }
    let (tenant, environment) = scope_of(&req, &mut errors)?;
    let Some(partner) = partner else {
        return Err(problem::invalid(&errors).into());
    };
    tracing::info!(%principal, %partner, "service access check");
    let access = app.access(&partner, tenant, environment).await?;
    Ok(json_response(StatusCode::OK, &AccessView::new(&access)))
}

/// The tenant and environment asked about; every problem, with those already found.
fn scope_of(
    req: &Request,
    errors: &mut Vec<FieldError>,
) -> Result<(TenantId, EnvironmentId), Rejection> {
    let query = req.query_string_parameters();
    let tenant = query
        .first("tenantId")
        .and_then(|t| TenantId::parse(t).ok());
    let environment = query
        .first("environmentId")
        .and_then(|e| EnvironmentId::parse(e).ok());
    if tenant.is_none() {
        errors.push(FieldError::new(
            "tenantId",
            "a tenant id is required (query parameter)",
        ));
    }
    if environment.is_none() {
        errors.push(FieldError::new(
            "environmentId",
            "an environment id is required (query parameter)",
        ));
    }
    match (tenant, environment) {
        (Some(tenant), Some(environment)) if errors.is_empty() => Ok((tenant, environment)),
        _ => Err(problem::invalid(errors).into()),
    }
}
