//! The development sign-in, the session it opens, and the guards every
//! page and form of the signed-in passes.

use consent_core::domain::Email;
use consent_http::auth::caller_from_claims;
use lambda_http::http::{HeaderMap, StatusCode};

use super::answers::{cookie, redirect, render, set_cookie};
use super::form::Form;
use super::session::{self, FORM_TOKEN_FIELD, PRE_SESSION_COOKIE, SESSION_COOKIE};
use super::views::{Field, SignInPage, SignedIn, style};
use super::{PageRequest, Portal, Response, SESSION_SECONDS, Session};
use crate::auth::{self, DevClaims};

/// The sign-in form's fields as sent, with their errors.
#[derive(Default)]
pub(super) struct SignInFields {
    tenant: Field,
    email: Field,
    admin: bool,
}

impl Portal {
    /// The caller of the session cookie, if it holds a valid sign-in.
    pub(super) async fn session(&self, headers: &HeaderMap) -> Option<Session> {
        let token = cookie(headers, SESSION_COOKIE)?;
        let claims = self.auth.verify(token).ok()?;
        let caller = caller_from_claims(&claims, &self.app.settings().admin_role).ok()?;
        let tenant_name = self
            .tenants
            .find(caller.tenant_id.as_str())
            .await
            .map_or_else(|| caller.tenant_id.to_string(), |t| t.name);
        Some(Session {
            shown: SignedIn {
                email: caller
                    .email
                    .as_ref()
                    .map_or_else(|| caller.user_id.clone(), ToString::to_string),
                tenant_id: caller.tenant_id.to_string(),
                tenant_name,
                admin: caller.admin,
                form_token: self.forms.token_for(token),
            },
            token: token.to_owned(),
            caller,
        })
    }

    /// A page for the signed-in only: others are sent to sign in.
    pub(super) async fn signed_in<F, Fut>(&self, req: &PageRequest, page: F) -> Response
    where
        F: FnOnce(Session) -> Fut,
        Fut: std::future::Future<Output = Response>,
    {
        match self.session(&req.headers).await {
            Some(session) => page(session).await,
            None => redirect("/sign-in"),
        }
    }

    /// A form post of the signed-in: its body read, its form token checked
    /// against the session, before anything else is looked at.
    pub(super) async fn posted<F, Fut>(&self, req: &PageRequest, action: F) -> Response
    where
        F: FnOnce(Session, Form) -> Fut,
        Fut: std::future::Future<Output = Response>,
    {
        let Some(session) = self.session(&req.headers).await else {
            return self.message(
                None,
                StatusCode::UNAUTHORIZED,
                "You are not signed in",
                vec![
                    "Your session has ended or you never signed in, so nothing was changed."
                        .to_owned(),
                    "Sign in and try again.".to_owned(),
                ],
            );
        };
        let form = match Form::read(req) {
            Ok(form) => form,
            Err(problem) => return problem.page(self, Some(session.shown)),
        };
        if !self.forms.check(&session.token, form.get(FORM_TOKEN_FIELD)) {
            return self.form_token_refused(Some(session.shown));
        }
        action(session, form).await
    }

    pub(super) fn form_token_refused(&self, who: Option<SignedIn>) -> Response {
        self.message(
            who,
            StatusCode::FORBIDDEN,
            "This form was not accepted",
            vec![
                "It did not carry this session's form token: it was sent from another site, or from a page opened before you last signed in. Nothing was changed.".to_owned(),
                "Open the page again and resend the form from there.".to_owned(),
            ],
        )
    }

    pub(super) async fn sign_in_form(&self, req: &PageRequest) -> Response {
        let (pre_session, fresh) = match cookie(&req.headers, PRE_SESSION_COOKIE) {
            Some(value) if value.len() == 32 && value.bytes().all(|b| b.is_ascii_hexdigit()) => {
                (value.to_owned(), false)
            }
            _ => (session::new_pre_session(), true),
        };
        let who = self.session(&req.headers).await.map(|s| s.shown);
        let mut response = self
            .sign_in_page(StatusCode::OK, who, &pre_session, SignInFields::default())
            .await;
        if fresh {
            set_cookie(
                &mut response,
                &session::set_cookie(PRE_SESSION_COOKIE, &pre_session, SESSION_SECONDS),
            );
        }
        response
    }

    pub(super) async fn sign_in_page(
        &self,
        status: StatusCode,
        who: Option<SignedIn>,
        pre_session: &str,
        fields: SignInFields,
    ) -> Response {
        let SignInFields {
            tenant,
            email,
            admin,
        } = fields;
        let (tenants, more, message) = match self.tenants.offered().await {
            Ok((tenants, more)) => (tenants, more, None),
            Err(e) => (
                Vec::new(),
                false,
                Some(format!("The tenant directory cannot be read: {e}")),
            ),
        };
        let page = SignInPage {
            title: "Sign in",
            style: style(),
            who,
            form_token: self.forms.token_for(pre_session),
            tenants: tenants
                .iter()
                .map(|t| (t.id.to_string(), format!("{} ({})", t.name, t.id)))
                .collect(),
            more_tenants: more,
            tenant,
            email,
            admin,
            message,
        };
        render(status, &page)
    }

    pub(super) async fn sign_in(&self, req: &PageRequest) -> Response {
        let Some(pre_session) = cookie(&req.headers, PRE_SESSION_COOKIE).map(str::to_owned) else {
            return self.form_token_refused(None);
        };
        let form = match Form::read(req) {
            Ok(form) => form,
            Err(problem) => return problem.page(self, None),
        };
        if !self.forms.check(&pre_session, form.get(FORM_TOKEN_FIELD)) {
            return self.form_token_refused(None);
        }
        let mut tenant = Field::of(form.get("tenant"));
        let mut email = Field::of(form.get("email").trim());
        let admin = form.get("admin") == "yes";
        let chosen = self.tenants.find(tenant.value.trim()).await;
        if chosen.is_none() {
            tenant.error = Some("no tenant of the directory has this id".to_owned());
        }
        let address = match Email::parse(&email.value) {
            Ok(address) => Some(address),
            Err(e) => {
                email.error = Some(e.message().to_owned());
                None
            }
        };
        let (Some(chosen), Some(address)) = (chosen, address) else {
            return self
                .sign_in_page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    None,
                    &pre_session,
                    SignInFields {
                        tenant,
                        email,
                        admin,
                    },
                )
                .await;
        };
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let token = self.auth.mint(&DevClaims {
            iss: auth::ISSUER.to_owned(),
            aud: auth::AUDIENCE.to_owned(),
            sub: address.to_string(),
            iat: now,
            exp: now + i64::try_from(SESSION_SECONDS).unwrap_or(i64::MAX / 2),
            tid: chosen.id.to_string(),
            oid: address.to_string(),
            email: Some(address.to_string()),
            roles: if admin {
                vec![self.app.settings().admin_role.clone()]
            } else {
                Vec::new()
            },
        });
        let mut response = redirect("/data-consent");
        set_cookie(
            &mut response,
            &session::set_cookie(SESSION_COOKIE, &token, SESSION_SECONDS),
        );
        set_cookie(&mut response, &session::clear_cookie(PRE_SESSION_COOKIE));
        response
    }

    pub(super) fn sign_out(&self, req: &PageRequest) -> Response {
        // The cookie's token, valid or expired, is what the form's token is bound to.
        let Some(token) = cookie(&req.headers, SESSION_COOKIE) else {
            return redirect("/sign-in");
        };
        let form = match Form::read(req) {
            Ok(form) => form,
            Err(problem) => return problem.page(self, None),
        };
        if !self.forms.check(token, form.get(FORM_TOKEN_FIELD)) {
            return self.form_token_refused(None);
        }
        let mut response = redirect("/sign-in");
        set_cookie(&mut response, &session::clear_cookie(SESSION_COOKIE));
        response
    }
}
