//! `GET /access?tenantId=T&environmentId=E`: may the caller's tenant see that
//! environment's telemetry? The customer name only when it may.

use consent_shared::api::AccessView;
use consent_shared::domain::{EnvironmentId, TenantId};
use consent_shared::http::{self, json_response};
use consent_shared::service::ConsentService;
use consent_shared::workflow::FieldError;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};

pub async fn handle(app: &ConsentService, req: Request) -> Response<Body> {
    let caller = match http::caller(&req, &app.settings().admin_role) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let query = req.query_string_parameters();
    let tenant = query.first("tenantId").and_then(TenantId::parse);
    let environment = query.first("environmentId").and_then(EnvironmentId::parse);
    let (tenant, environment) = match (tenant, environment) {
        (Some(t), Some(e)) => (t, e),
        (t, e) => {
            let mut errors = Vec::new();
            if t.is_none() {
                errors.push(FieldError::new("tenantId", "a tenant id is required (query parameter)"));
            }
            if e.is_none() {
                errors.push(FieldError::new("environmentId", "an environment id is required (query parameter)"));
            }
            return http::invalid(&errors);
        }
    };
    match app.access(&caller, tenant, environment).await {
        Ok(access) => json_response(StatusCode::OK, &AccessView::new(&access)),
        Err(e) => http::service_error(&e),
    }
}
