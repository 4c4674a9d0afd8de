//! Who calls: a partner user from the JWT authorizer's claims, or a service
//! from the IAM authorizer's principal.

use std::collections::HashMap;

use consent_app::service::Caller;
use consent_core::domain::{Email, TenantId};
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

use crate::problem::{Rejection, problem, unauthorized};

/// JWT claim names read from the authorizer context.
pub mod claims {
    pub const TENANT: &str = "tid";
    pub const USER: &str = "oid";
    pub const SUBJECT: &str = "sub";
    pub const EMAIL: &str = "email";
    pub const ROLES: &str = "roles";
}

/// The signed-in caller from the JWT claims that the authorizer put in the context.
pub fn caller(req: &Request, admin_role: &str) -> Result<Caller, Rejection> {
    let claims = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx
            .authorizer
            .as_ref()
            .and_then(|a| a.jwt.as_ref())
            .map(|jwt| &jwt.claims),
        _ => None,
    }
    .ok_or_else(|| Rejection::from(unauthorized("sign in: a bearer token is required")))?;
    caller_from_claims(claims, admin_role).map_err(|detail| unauthorized(detail).into())
}

/// The caller that verified JWT claims name, or why they name none.
pub fn caller_from_claims(
    claims: &HashMap<String, String>,
    admin_role: &str,
) -> Result<Caller, &'static str> {
    let tenant_id = claims
        .get(claims::TENANT)
        .and_then(|t| TenantId::parse(t).ok())
        .ok_or("the token names no valid tenant")?;
    let user_id = claims
        .get(claims::USER)
        .or_else(|| claims.get(claims::SUBJECT))
        .filter(|u| !u.is_empty() && u.len() <= 128 && !u.chars().any(char::is_control))
        .cloned()
        .ok_or("the token names no user")?;
    let email = claims.get(claims::EMAIL).and_then(|e| Email::parse(e).ok());
    let admin = claims
        .get(claims::ROLES)
        .is_some_and(|roles| parse_roles(roles).iter().any(|r| r == admin_role));
    Ok(Caller {
        tenant_id,
        user_id,
        email,
        admin,
    })
}

/// The IAM principal that signed a service's request (the HTTP API's IAM
/// authorizer checked the signature), if it is one of `allowed`. A portal
/// sign-in never passes: only the IAM authorizer fills this in.
pub fn service_principal(req: &Request, allowed: &[String]) -> Result<String, Rejection> {
    let arn = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx
            .authorizer
            .as_ref()
            .and_then(|a| a.iam.as_ref())
            .and_then(|iam| iam.user_arn.clone()),
        _ => None,
    }
    .ok_or_else(|| {
        let mut r = problem(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Unauthorized",
            "this route is for services: sign the request with AWS Signature Version 4 as an allowed IAM role (a portal sign-in token is not accepted here)",
        );
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("AWS4-HMAC-SHA256"));
        Rejection::from(r)
    })?;
    if allowed.iter().any(|a| same_principal(&arn, a)) {
        Ok(arn)
    } else {
        Err(Rejection::from(problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Forbidden",
            &format!(
                "{arn} may not check access for services; the principals that may are set by CONSENT_SERVICE_PRINCIPALS (the stack's ServiceAccessPrincipals parameter)"
            ),
        )))
    }
}

/// Whether the signer `caller` is the principal `allowed`: the same ARN, or
/// a session of the allowed role (`arn:aws:sts::A:assumed-role/R/session`
/// for `arn:aws:iam::A:role/[path/]R`).
pub fn same_principal(caller: &str, allowed: &str) -> bool {
    if caller == allowed {
        return true;
    }
    let parts = |arn: &str| -> Option<(String, String, String)> {
        let mut fields = arn.splitn(6, ':');
        let (prefix, partition, service, _, account, resource) = (
            fields.next()?,
            fields.next()?,
            fields.next()?,
            fields.next()?,
            fields.next()?,
            fields.next()?,
        );
        if prefix != "arn" || account.is_empty() {
            return None;
        }
        let role = match service {
            "sts" => resource.strip_prefix("assumed-role/")?.split('/').next()?,
            "iam" => resource.strip_prefix("role/")?.rsplit('/').next()?,
            _ => return None,
        };
        (!role.is_empty()).then(|| (partition.to_owned(), account.to_owned(), role.to_owned()))
    };
    matches!((parts(caller), parts(allowed)), (Some(c), Some(a)) if c == a && caller.contains(":sts:"))
}

/// The roles of a `roles` claim, each whole: a JSON array of names, an
/// array as the HTTP API's JWT authorizer flattens one (`[a b]`), or else
/// one name, however it is spelled. A role is never a part of a name:
/// `"Reader ConsentAdmin"` or `"Reader,ConsentAdmin"` is one role, and not
/// the admin role.
pub fn parse_roles(raw: &str) -> Vec<String> {
    let raw = raw.trim();
    if let Ok(names) = serde_json::from_str::<Vec<String>>(raw) {
        return names;
    }
    match raw.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        Some(flattened) => flattened.split_whitespace().map(str::to_owned).collect(),
        None => vec![raw.to_owned()],
    }
}
