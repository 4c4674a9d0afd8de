//! `GET /access?tenantId=T&environmentId=E`: may the caller's tenant see that
//! environment's telemetry? The customer name only when it may.

use consent_shared::api::AccessView;
use consent_shared::domain::{EnvironmentId, TenantId};
use consent_shared::http::{self, Rejection, json_response};
use consent_shared::service::ConsentService;
use consent_shared::workflow::FieldError;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};

pub async fn handle(app: &ConsentService, req: Request) -> Response<Body> {
    http::respond(check(app, req).await)
}

async fn check(app: &ConsentService, req: Request) -> Result<Response<Body>, Rejection> {
    let caller = http::caller(&req, &app.settings().admin_role)?;
    let query = req.query_string_parameters();
    let tenant = query
        .first("tenantId")
        .and_then(|t| TenantId::parse(t).ok());
    let environment = query
        .first("environmentId")
        .and_then(|e| EnvironmentId::parse(e).ok());
    let (Some(tenant), Some(environment)) = (tenant.clone(), environment.clone()) else {
        let mut errors = Vec::new();
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
        return Err(http::invalid(&errors).into());
    };
    let access = app.access(&caller, tenant, environment).await?;
    Ok(json_response(StatusCode::OK, &AccessView::new(&access)))
}
