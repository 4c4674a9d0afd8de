//! The Data Consent page: the partner portal's view of its tenant's consent
//! requests, served by consent-local as the reference for portal integrators.
//!
//! It is a client of the same [`ConsentService`] as the API handlers, with
//! the same caller (the session cookie holds the dev bearer token the API
//! accepts, read by the same claim rules), and it reads requests through the
//! API's own views; only the presentation is its own. Plain forms and
//! redirects, no script; every post carries the session's form token.

pub mod session;
pub mod views;

use std::sync::Arc;

use askama::Template;
use consent_app::embedded::directory::CachedDirectory;
use consent_app::ports::TenantDirectory;
use consent_app::service::{Caller, ConsentService, ServiceError};
use consent_aws::dynamodb::directory::DynamoDirectory;
use consent_core::domain::{ConsentRequest, Email, RequestId, Slot, Status, Tenant, TenantId};
use consent_http::api;
use consent_http::auth::caller_from_claims;
use consent_http::html::html_page;
use hyper::body::Bytes;
use lambda_http::Body;
use lambda_http::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use serde_json::json;

use crate::auth::{self, DevAuth, DevClaims};
use session::{FORM_TOKEN_FIELD, FormTokens, PRE_SESSION_COOKIE, SESSION_COOKIE};
use views::{
    CancelPage, DetailPage, Field, HistoryRow, ListPage, MessagePage, NewPage, ReviewerPage, Row,
    SignInPage, SignedIn, TERMS, place_errors, style,
};

type Response = lambda_http::Response<Body>;

/// How long a page session lasts.
const SESSION_SECONDS: u64 = 12 * 3600;
/// Requests per page of the view (the API's default page size).
const PAGE_SIZE: usize = list_requests::DEFAULT_LIMIT;
/// Largest form body accepted.
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// The tenants the development sign-in offers.
pub enum SignInTenants {
    /// A directory file's tenants.
    Listed(Vec<Tenant>),
    /// The table's directory: its first page read at each sign-in; single
    /// tenants (the signed-in one, on every page) through the bounded cache.
    Table {
        directory: DynamoDirectory,
        cached: CachedDirectory,
    },
}

/// At most this many tenants are offered to choose from; with more, the
/// sign-in asks for the tenant's id.
pub const SIGN_IN_CHOICES: usize = 200;

impl SignInTenants {
    /// The tenants to choose from, and whether the directory holds more.
    async fn offered(&self) -> Result<(Vec<Tenant>, bool), String> {
        match self {
            SignInTenants::Listed(tenants) => Ok((
                tenants.iter().take(SIGN_IN_CHOICES).cloned().collect(),
                tenants.len() > SIGN_IN_CHOICES,
            )),
            SignInTenants::Table { directory, .. } => {
                directory.first(SIGN_IN_CHOICES).await.map_err(|e| e.0)
            }
        }
    }

    async fn find(&self, id: &str) -> Option<Tenant> {
        let id = TenantId::parse(id).ok()?;
        match self {
            SignInTenants::Listed(tenants) => tenants.iter().find(|t| t.id == id).cloned(),
            SignInTenants::Table { cached, .. } => cached.tenant(&id).await.ok().flatten(),
        }
    }
}

/// The page's routes, beside the API's.
#[derive(Clone, Copy, Debug)]
enum PageRoute {
    Home,
    SignIn,
    SignOut,
    List,
    New,
    Detail,
    Cancel,
    Reviewer,
}

/// A request to the page, as the gateway read it.
pub struct PageRequest {
    pub method: Method,
    pub headers: HeaderMap,
    pub query: Option<String>,
    /// None when it was larger than [`MAX_FORM_BYTES`] or broke off.
    pub body: Option<Bytes>,
}

/// The signed-in caller of a request.
struct Session {
    /// The cookie's token: what the forms' tokens are bound to.
    token: String,
    caller: Caller,
    shown: SignedIn,
}

pub struct Portal {
    app: Arc<ConsentService>,
    auth: DevAuth,
    forms: FormTokens,
    tenants: SignInTenants,
    router: matchit::Router<PageRoute>,
}

impl Portal {
    pub fn new(
        app: Arc<ConsentService>,
        auth: DevAuth,
        dev_secret: &str,
        tenants: SignInTenants,
    ) -> Self {
        let mut router = matchit::Router::new();
        for (path, route) in [
            ("/", PageRoute::Home),
            ("/sign-in", PageRoute::SignIn),
            ("/sign-out", PageRoute::SignOut),
            ("/data-consent", PageRoute::List),
            ("/data-consent/new", PageRoute::New),
            ("/data-consent/{id}", PageRoute::Detail),
            ("/data-consent/{id}/cancel", PageRoute::Cancel),
            ("/data-consent/{id}/reviewers/{slot}", PageRoute::Reviewer),
        ] {
            router.insert(path, route).expect("page paths are distinct");
        }
        Self {
            app,
            auth,
            forms: FormTokens::new(dev_secret),
            tenants,
            router,
        }
    }

    /// Whether `path` is one of the page's.
    pub fn serves(&self, path: &str) -> bool {
        self.router.at(path).is_ok()
    }

    pub async fn serve(&self, path: &str, req: PageRequest) -> Response {
        let Ok(matched) = self.router.at(path) else {
            return self.message(
                None,
                StatusCode::NOT_FOUND,
                "Page not found",
                vec!["There is no such page.".to_owned()],
            );
        };
        let route = *matched.value;
        let id = matched.params.get("id").map(str::to_owned);
        let slot = matched.params.get("slot").map(str::to_owned);
        let get = req.method == Method::GET || req.method == Method::HEAD;
        let post = req.method == Method::POST;
        match (route, get, post) {
            (PageRoute::Home, true, _) => match self.session(&req.headers).await {
                Some(_) => redirect("/data-consent"),
                None => redirect("/sign-in"),
            },
            (PageRoute::SignIn, true, _) => self.sign_in_form(&req).await,
            (PageRoute::SignIn, _, true) => self.sign_in(&req).await,
            (PageRoute::SignOut, _, true) => self.sign_out(&req),
            (PageRoute::List, true, _) => self.signed_in(&req, |s| self.list(s, &req)).await,
            (PageRoute::New, true, _) => {
                self.signed_in(&req, |s| async move { self.new_form(s) })
                    .await
            }
            (PageRoute::New, _, true) => self.posted(&req, |s, f| self.create(s, f)).await,
            (PageRoute::Detail, true, _) => {
                let id = id.unwrap_or_default();
                self.signed_in(&req, |s| self.detail(s, id)).await
            }
            (PageRoute::Cancel, true, _) => {
                let id = id.unwrap_or_default();
                self.signed_in(&req, |s| self.cancel_form(s, id)).await
            }
            (PageRoute::Cancel, _, true) => {
                let id = id.unwrap_or_default();
                self.posted(&req, |s, f| self.cancel(s, id, f)).await
            }
            (PageRoute::Reviewer, true, _) => {
                let (id, slot) = (id.unwrap_or_default(), slot.unwrap_or_default());
                self.signed_in(&req, |s| self.reviewer_form(s, id, slot))
                    .await
            }
            (PageRoute::Reviewer, _, true) => {
                let (id, slot) = (id.unwrap_or_default(), slot.unwrap_or_default());
                self.posted(&req, |s, f| self.replace_reviewer(s, id, slot, f))
                    .await
            }
            (route, _, _) => {
                let allow = match route {
                    PageRoute::SignIn => "GET, HEAD, POST",
                    PageRoute::SignOut => "POST",
                    PageRoute::New | PageRoute::Cancel | PageRoute::Reviewer => "GET, HEAD, POST",
                    _ => "GET, HEAD",
                };
                let mut r = self.message(
                    None,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "Not a way to use this page",
                    vec![format!("This page answers {allow} only.")],
                );
                r.headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static(allow));
                r
            }
        }
    }

    /// The caller of the session cookie, if it holds a valid sign-in.
    async fn session(&self, headers: &HeaderMap) -> Option<Session> {
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
    async fn signed_in<F, Fut>(&self, req: &PageRequest, page: F) -> Response
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
    async fn posted<F, Fut>(&self, req: &PageRequest, action: F) -> Response
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

    fn form_token_refused(&self, who: Option<SignedIn>) -> Response {
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

    async fn sign_in_form(&self, req: &PageRequest) -> Response {
        let (pre_session, fresh) = match cookie(&req.headers, PRE_SESSION_COOKIE) {
            Some(value) if value.len() == 32 && value.bytes().all(|b| b.is_ascii_hexdigit()) => {
                (value.to_owned(), false)
            }
            _ => (session::new_pre_session(), true),
        };
        let who = self.session(&req.headers).await.map(|s| s.shown);
        let mut response = self
            .sign_in_page(
                StatusCode::OK,
                who,
                &pre_session,
                Field::default(),
                Field::default(),
                false,
                None,
            )
            .await;
        if fresh {
            set_cookie(
                &mut response,
                &session::set_cookie(PRE_SESSION_COOKIE, &pre_session, SESSION_SECONDS),
            );
        }
        response
    }

    #[allow(clippy::too_many_arguments)]
    async fn sign_in_page(
        &self,
        status: StatusCode,
        who: Option<SignedIn>,
        pre_session: &str,
        tenant: Field,
        email: Field,
        admin: bool,
        message: Option<String>,
    ) -> Response {
        let (tenants, more, message) = match self.tenants.offered().await {
            Ok((tenants, more)) => (tenants, more, message),
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

    async fn sign_in(&self, req: &PageRequest) -> Response {
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
                    tenant,
                    email,
                    admin,
                    None,
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

    fn sign_out(&self, req: &PageRequest) -> Response {
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

    async fn list(&self, session: Session, req: &PageRequest) -> Response {
        let query: Vec<(String, String)> =
            serde_urlencoded::from_str(req.query.as_deref().unwrap_or("")).unwrap_or_default();
        let param = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let cursor = param("cursor").filter(|c| !c.is_empty());
        let page = match self.app.list(&session.caller, PAGE_SIZE, cursor).await {
            Ok(page) => page,
            Err(e) => return self.service_problem(session.shown, &e),
        };
        let mut rows = Vec::with_capacity(page.items.len());
        for request in &page.items {
            rows.push(self.row(&session.caller, request).await);
        }
        let page = ListPage {
            title: "Data Consent",
            style: style(),
            who: Some(session.shown),
            notice: param("notice").and_then(notice_text).map(str::to_owned),
            rows,
            next_page: page
                .next_cursor
                .and_then(|c| serde_urlencoded::to_string([("cursor", c)]).ok()),
            paged: cursor.is_some(),
        };
        render(StatusCode::OK, &page)
    }

    /// A request as a row, with the customer's name where the access check gives it.
    async fn row(&self, caller: &Caller, request: &ConsentRequest) -> Row {
        let customer_name = if request.status.grants_access() {
            match self
                .app
                .access(
                    &caller.tenant_id,
                    request.target_tenant_id.clone(),
                    request.environment_id.clone(),
                )
                .await
            {
                // The check answers for the scope's latest request: this one's name only if it is this one.
                Ok(access) if access.request_id.is_none_or(|id| id == request.id) => {
                    access.customer_name
                }
                Ok(_) => None,
                Err(e) => {
                    tracing::warn!(error = %e, "customer name not looked up");
                    None
                }
            }
        } else {
            None
        };
        Row::new(request, customer_name, caller.admin)
    }

    fn new_form(&self, session: Session) -> Response {
        render(StatusCode::OK, &new_page(session.shown, &Form::default()))
    }

    async fn create(&self, session: Session, form: Form) -> Response {
        // For the caller's own tenant (Not Applicable) two empty fields name
        // nobody; elsewhere an empty field is sent, to get its error at once.
        let named = [form.get("reviewer1").trim(), form.get("reviewer2").trim()];
        let own_tenant = form.get("targetTenantId").trim() == session.caller.tenant_id.as_str();
        let reviewers: &[&str] = if own_tenant && named.iter().all(|r| r.is_empty()) {
            &[]
        } else {
            &named
        };
        let mut body = json!({
            "targetTenantId": form.get("targetTenantId").trim(),
            "environmentId": form.get("environmentId").trim(),
            "environmentName": form.get("environmentName"),
            "purpose": form.get("purpose"),
            "reviewers": reviewers,
            "confirmedInTargetTenant": form.get("confirmedInTargetTenant") == "true",
        });
        if !form.get("accessDuration").is_empty() {
            body["accessDuration"] = json!(form.get("accessDuration"));
        }
        let result = match api::create_input(body) {
            Ok(input) => self.app.create(&session.caller, input).await,
            Err(errors) => Err(ServiceError::Invalid(errors)),
        };
        match result {
            Ok(request) if request.status == Status::NotApplicable => {
                redirect("/data-consent?notice=not-applicable")
            }
            Ok(_) => redirect("/data-consent?notice=created"),
            Err(ServiceError::Invalid(mut errors)) => {
                // A problem with the pair is shown beside the first reviewer's field.
                for e in &mut errors {
                    if e.field == "/reviewers" {
                        e.field = "/reviewers/0".to_owned();
                    }
                }
                let mut page = new_page(session.shown, &form);
                page.errors = place_errors(
                    &errors,
                    vec![
                        ("/targetTenantId", &mut page.target),
                        ("/environmentId", &mut page.environment_id),
                        ("/environmentName", &mut page.environment_name),
                        ("/reviewers/0", &mut page.reviewer1),
                        ("/reviewers/1", &mut page.reviewer2),
                        ("/purpose", &mut page.purpose),
                        ("/accessDuration", &mut page.term),
                        ("/confirmedInTargetTenant", &mut page.confirmed),
                    ],
                );
                render(StatusCode::UNPROCESSABLE_ENTITY, &page)
            }
            Err(ServiceError::Conflict { detail, existing }) => {
                let mut page = new_page(session.shown, &form);
                page.errors = vec![detail];
                page.existing = existing.map(|id| id.to_string());
                render(StatusCode::CONFLICT, &page)
            }
            Err(e) => self.service_problem(session.shown, &e),
        }
    }

    /// The request `id` of the caller's tenant, as a row, or the page that says why not.
    async fn own_row(
        &self,
        session: &Session,
        id: &str,
    ) -> Result<(Row, ConsentRequest, Vec<HistoryRow>), Response> {
        let Some(id) = RequestId::parse(id) else {
            return Err(self.service_problem(session.shown.clone(), &ServiceError::NotFound));
        };
        match self.app.get(&session.caller, id).await {
            Ok((request, events)) => Ok((
                self.row(&session.caller, &request).await,
                request,
                events.iter().map(HistoryRow::new).collect(),
            )),
            Err(e) => Err(self.service_problem(session.shown.clone(), &e)),
        }
    }

    async fn detail(&self, session: Session, id: String) -> Response {
        match self.own_row(&session, &id).await {
            Ok((row, _, history)) => render(
                StatusCode::OK,
                &DetailPage {
                    title: "Consent request",
                    style: style(),
                    who: Some(session.shown),
                    row,
                    history,
                },
            ),
            Err(page) => page,
        }
    }

    /// Why an admin control cannot be used on `request` now, if it cannot.
    fn control_refused(
        &self,
        session: &Session,
        request: &ConsentRequest,
        allowed: bool,
        what: &str,
    ) -> Option<Response> {
        if !session.caller.admin {
            return Some(self.service_problem(
                session.shown.clone(),
                &ServiceError::Forbidden("this action needs the partner admin role"),
            ));
        }
        (!allowed).then(|| {
            self.message(
                Some(session.shown.clone()),
                StatusCode::CONFLICT,
                "Not possible now",
                vec![format!(
                    "This request is {}: it cannot {what} now.",
                    request.status.label()
                )],
            )
        })
    }

    async fn cancel_form(&self, session: Session, id: String) -> Response {
        let (row, request, _) = match self.own_row(&session, &id).await {
            Ok(found) => found,
            Err(page) => return page,
        };
        if let Some(refused) = self.control_refused(
            &session,
            &request,
            request.status.may_cancel(),
            "be canceled",
        ) {
            return refused;
        }
        render(
            StatusCode::OK,
            &cancel_page(session.shown, row, Vec::new(), Field::default()),
        )
    }

    async fn cancel(&self, session: Session, id: String, form: Form) -> Response {
        let Some(request_id) = RequestId::parse(&id) else {
            return self.service_problem(session.shown, &ServiceError::NotFound);
        };
        let reason_text = form.get("reason");
        let reason = if reason_text.trim().is_empty() {
            Ok(None)
        } else {
            api::cancel_reason(Some(json!({ "reason": reason_text })))
        };
        let result = match reason {
            Ok(reason) => self.app.cancel(&session.caller, request_id, reason).await,
            Err(errors) => Err(ServiceError::Invalid(errors)),
        };
        match result {
            Ok(_) => redirect("/data-consent?notice=canceled"),
            Err(ServiceError::Invalid(errors)) => {
                let (row, _, _) = match self.own_row(&session, &id).await {
                    Ok(found) => found,
                    Err(page) => return page,
                };
                let mut reason = Field::of(reason_text);
                let errors = place_errors(&errors, vec![("/reason", &mut reason)]);
                render(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &cancel_page(session.shown, row, errors, reason),
                )
            }
            Err(e) => self.service_problem(session.shown, &e),
        }
    }

    async fn reviewer_form(&self, session: Session, id: String, slot: String) -> Response {
        let Some(slot) = slot_of(&slot) else {
            return self.service_problem(session.shown, &ServiceError::NotFound);
        };
        let (row, request, _) = match self.own_row(&session, &id).await {
            Ok(found) => found,
            Err(page) => return page,
        };
        let allowed = request.status.may_replace_reviewer() && request.reviewer(slot).is_some();
        if let Some(refused) =
            self.control_refused(&session, &request, allowed, "take a new reviewer")
        {
            return refused;
        }
        render(
            StatusCode::OK,
            &reviewer_page(session.shown, row, &request, slot, &Form::default()),
        )
    }

    async fn replace_reviewer(
        &self,
        session: Session,
        id: String,
        slot: String,
        form: Form,
    ) -> Response {
        let (Some(request_id), Some(slot)) = (RequestId::parse(&id), slot_of(&slot)) else {
            return self.service_problem(session.shown, &ServiceError::NotFound);
        };
        let body = json!({
            "email": form.get("email").trim(),
            "confirmedInTargetTenant": form.get("confirmedInTargetTenant") == "true",
        });
        let result = match api::replace_reviewer_input(body) {
            Ok((email, confirmed)) => {
                self.app
                    .replace_reviewer(&session.caller, request_id, slot, email, confirmed)
                    .await
            }
            Err(errors) => Err(ServiceError::Invalid(errors)),
        };
        match result {
            Ok(_) => redirect("/data-consent?notice=reviewer"),
            Err(ServiceError::Invalid(errors)) => {
                let (row, request, _) = match self.own_row(&session, &id).await {
                    Ok(found) => found,
                    Err(page) => return page,
                };
                let mut page = reviewer_page(session.shown, row, &request, slot, &form);
                page.errors = place_errors(
                    &errors,
                    vec![
                        ("/email", &mut page.email),
                        ("/confirmedInTargetTenant", &mut page.confirmed),
                    ],
                );
                render(StatusCode::UNPROCESSABLE_ENTITY, &page)
            }
            Err(e) => self.service_problem(session.shown, &e),
        }
    }

    /// The page for a service error, with the API's words for it.
    fn service_problem(&self, who: SignedIn, e: &ServiceError) -> Response {
        let (status, title, lines) = match e {
            ServiceError::Invalid(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "That could not be done",
                errors.iter().map(|e| e.message.clone()).collect(),
            ),
            ServiceError::NotFound => (
                StatusCode::NOT_FOUND,
                "No such request",
                vec!["No consent request of your tenant has this id.".to_owned()],
            ),
            ServiceError::Forbidden(why) => (
                StatusCode::FORBIDDEN,
                "Not allowed",
                vec![format!("Nothing was changed: {why}.")],
            ),
            ServiceError::Conflict { detail, .. } => (
                StatusCode::CONFLICT,
                "That could not be done",
                vec![format!("Nothing was changed: {detail}.")],
            ),
            ServiceError::BadCursor => (
                StatusCode::BAD_REQUEST,
                "This page link is not valid",
                vec!["Start again from the newest requests.".to_owned()],
            ),
            ServiceError::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Please try again",
                vec!["The service is unavailable for a moment. Nothing was changed.".to_owned()],
            ),
        };
        self.message(Some(who), status, title, lines)
    }

    fn message(
        &self,
        who: Option<SignedIn>,
        status: StatusCode,
        title: &'static str,
        lines: Vec<String>,
    ) -> Response {
        let next = if who.is_some() {
            ("/data-consent", "Back to Data Consent")
        } else {
            ("/sign-in", "Sign in")
        };
        render(
            status,
            &MessagePage {
                title,
                style: style(),
                who,
                lines,
                next,
            },
        )
    }
}

/// A form body, read as the browser sends it.
#[derive(Default)]
pub struct Form(Vec<(String, String)>);

/// Why a form body could not be read.
enum FormProblem {
    NotAForm,
    TooLarge,
    Unreadable,
}

impl FormProblem {
    fn page(&self, portal: &Portal, who: Option<SignedIn>) -> Response {
        let (status, line) = match self {
            FormProblem::NotAForm => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "The page's forms are sent as application/x-www-form-urlencoded.",
            ),
            FormProblem::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "The form is too large."),
            FormProblem::Unreadable => (StatusCode::BAD_REQUEST, "The form could not be read."),
        };
        portal.message(
            who,
            status,
            "This form could not be read",
            vec![line.to_owned(), "Nothing was changed.".to_owned()],
        )
    }
}

impl Form {
    fn read(req: &PageRequest) -> Result<Self, FormProblem> {
        let media = req
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase());
        if media.as_deref() != Some("application/x-www-form-urlencoded") {
            return Err(FormProblem::NotAForm);
        }
        let body = req.body.as_ref().ok_or(FormProblem::TooLarge)?;
        serde_urlencoded::from_bytes(body)
            .map(Form)
            .map_err(|_| FormProblem::Unreadable)
    }

    /// The first value of `name`, or "" (as a browser sends an empty field).
    fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

fn new_page(who: SignedIn, form: &Form) -> NewPage {
    NewPage {
        title: "Set up a consent request",
        style: style(),
        who: Some(who),
        errors: Vec::new(),
        target: Field::of(form.get("targetTenantId")),
        environment_id: Field::of(form.get("environmentId")),
        environment_name: Field::of(form.get("environmentName")),
        reviewer1: Field::of(form.get("reviewer1")),
        reviewer2: Field::of(form.get("reviewer2")),
        purpose: Field::of(form.get("purpose")),
        term: Field::of(form.get("accessDuration")),
        confirmed: Field::of(form.get("confirmedInTargetTenant")),
        terms: &TERMS,
        existing: None,
    }
}

fn cancel_page(who: SignedIn, row: Row, errors: Vec<String>, reason: Field) -> CancelPage {
    CancelPage {
        title: "Cancel the request",
        style: style(),
        who: Some(who),
        row,
        errors,
        reason,
    }
}

fn reviewer_page(
    who: SignedIn,
    row: Row,
    request: &ConsentRequest,
    slot: Slot,
    form: &Form,
) -> ReviewerPage {
    ReviewerPage {
        title: "Edit a reviewer",
        style: style(),
        who: Some(who),
        current: request
            .reviewer(slot)
            .map(|r| r.email.to_string())
            .unwrap_or_default(),
        row,
        slot: slot.number(),
        errors: Vec::new(),
        email: Field::of(form.get("email")),
        confirmed: Field::of(form.get("confirmedInTargetTenant")),
    }
}

fn slot_of(text: &str) -> Option<Slot> {
    text.parse::<u8>().ok().and_then(Slot::from_number)
}

/// The line shown after a change, by the code its redirect carries.
fn notice_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "created" => {
            "The request was created. Each reviewer is sent an email with a link to approve or reject it."
        }
        "not-applicable" => {
            "The request was recorded as Not Applicable: the environment is your own tenant's, so no consent is needed and no email is sent."
        }
        "canceled" => {
            "The request was canceled: both asks are withdrawn. Edit a reviewer to send fresh asks."
        }
        "reviewer" => "The reviewer was changed: they are sent a fresh ask by email.",
        _ => return None,
    })
}

fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|h| session::cookie(h, name))
}

fn set_cookie(response: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

fn render<T: Template>(status: StatusCode, page: &T) -> Response {
    html_page(
        status.as_u16(),
        page.render().expect("page templates render"),
        &views::CONTENT_SECURITY_POLICY,
    )
}

/// After a form: "see other", so a reload does not post again.
fn redirect(location: &'static str) -> Response {
    let mut response = html_page(
        StatusCode::SEE_OTHER.as_u16(),
        String::new(),
        &views::CONTENT_SECURITY_POLICY,
    );
    response
        .headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static(location));
    response
}
