//! The customer's view, `/customer…`: a customer's people sign in with their
//! organization's account and see the consent requests over their tenant;
//! its admins reject, withdraw, name another reviewer, block a partner and
//! export the record. Forms post back here with the session's form token.

mod actions;
mod form;
mod records;

use consent_app::service::{
    CUSTOMER_COOKIE, ConsentService, CustomerFilter, CustomerSession, ServiceError, StatusGroup,
    view_page,
};
use consent_core::domain::{RequestId, TenantId};
use consent_http::api::{record_csv, record_json};
use consent_http::extract;
use consent_http::html::{html_page, see_other};
use consent_http::pages::RenderedPage;
use consent_http::pages::customer::{
    self, BlockRow, CUSTOMER_POLICY, Header, ListContext, RequestContext,
};
use lambda_http::http::{HeaderValue, header};
use lambda_http::{Body, Request, RequestExt, Response};

pub(crate) fn page(rendered: RenderedPage) -> Response<Body> {
    html_page(rendered.status, rendered.html, &CUSTOMER_POLICY)
}

fn query<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.query_string_parameters_ref()
        .and_then(|q| q.first(name))
        .filter(|v| !v.is_empty())
}

pub(crate) fn path_param(req: &Request, name: &str) -> String {
    req.path_parameters_ref()
        .and_then(|p| p.first(name))
        .unwrap_or_default()
        .to_owned()
}

pub async fn handle(app: &ConsentService, req: Request) -> Response<Body> {
    let route = extract::route_key(&req).unwrap_or_default();
    let root = app.base_path();
    if route == "GET /customer/sign-in" {
        return start_sign_in(app, &req, &root).await;
    }
    let cookie = extract::cookie(&req, CUSTOMER_COOKIE);
    let Some(session) = app.customer_session(cookie.as_deref()) else {
        // Back to the page asked for once signed in (a GET only).
        let next = (route == "GET /customer/requests/{id}")
            .then(|| format!("/customer/requests/{}", path_param(&req, "id")));
        return page(customer::sign_in_needed(
            &root,
            query(&req, "tenant"),
            next.as_deref(),
        ));
    };
    let view = View {
        app,
        session: &session,
        root: &root,
    };
    match route.as_str() {
        "GET /customer" => view.list(&req).await,
        "GET /customer/requests/{id}" => {
            let before = query(&req, "before").and_then(|b| b.parse().ok());
            match RequestId::parse(&path_param(&req, "id")) {
                Some(id) => {
                    view.request(id, before, done_words(query(&req, "done")), Vec::new())
                        .await
                }
                None => view.not_found(),
            }
        }
        "GET /customer/export.csv" | "GET /customer/export.json" => {
            view.export(route.ends_with(".csv")).await
        }
        "GET /customer/record.json" => view.records().await,
        "GET /customer/requests/{id}/record" | "GET /customer/requests/{id}/record.json" => {
            match RequestId::parse(&path_param(&req, "id")) {
                Some(id) => view.record(id, route.ends_with(".json")).await,
                None => view.not_found(),
            }
        }
        _ if route.starts_with("POST ") => view.post(&route, &req).await,
        _ => view.not_found(),
    }
}

/// What a page says after an action, by the action's code in `done`.
fn done_words(done: Option<&str>) -> Option<String> {
    let words = match done? {
        "rejected" => {
            "You rejected this request. It is not allowed; the partner, the reviewers and your organization's contacts are told by email."
        }
        "withdrawn" => {
            "You withdrew the consent. The partner's access ended now; the partner, the reviewers and your organization's contacts are told by email."
        }
        "replaced" => "The person you named is asked by email; the partner is told.",
        "blocked" => {
            "The partner is blocked: its new requests for your tenant are refused. Its requests still pending are listed below, to reject."
        }
        "lifted" => "The block is lifted: the partner may ask again.",
        _ => return None,
    };
    Some(words.to_owned())
}

pub(crate) struct View<'a> {
    app: &'a ConsentService,
    session: &'a CustomerSession,
    root: &'a str,
}

impl View<'_> {
    pub(crate) fn header(&self) -> Option<Header> {
        Some(Header::of(self.session, self.root))
    }

    pub(crate) fn not_found(&self) -> Response<Body> {
        page(customer::message(
            404,
            "No such request",
            vec![
                "No consent request over your organization's tenant that you may see has this id."
                    .to_owned(),
            ],
            self.header(),
            None,
        ))
    }

    pub(crate) fn failed(&self, e: &ServiceError) -> Response<Body> {
        let (status, title, line) = match e {
            ServiceError::NotFound => return self.not_found(),
            ServiceError::Forbidden(why) => {
                (403, "Not allowed", format!("Nothing was changed: {why}."))
            }
            ServiceError::BadCursor => (
                400,
                "This page of the list is gone",
                "Start again from the first page.".to_owned(),
            ),
            ServiceError::Invalid(errors) => (
                422,
                "That could not be done",
                errors
                    .iter()
                    .map(|e| e.message.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            ServiceError::Conflict { detail, .. } => (
                409,
                "That could not be done",
                format!("Nothing was changed: {detail}."),
            ),
            ServiceError::OverBudget(over) => (
                429,
                "Too many emails",
                format!("Nothing was changed: {}.", over.what),
            ),
            ServiceError::Blocked(why) => (403, "Blocked", why.clone()),
            ServiceError::Unavailable(_) | ServiceError::Corrupt(_) => {
                tracing::error!(error = %e, "the customer's view failed");
                (
                    503,
                    "Something went wrong on our side",
                    "Nothing was changed. Try again in a few minutes.".to_owned(),
                )
            }
        };
        page(customer::message(
            status,
            title,
            vec![line],
            self.header(),
            None,
        ))
    }

    async fn list(&self, req: &Request) -> Response<Body> {
        let status = query(req, "status");
        let partner = query(req, "partner");
        let filter = CustomerFilter {
            status: status.and_then(StatusGroup::parse),
            partner: partner.and_then(|p| TenantId::parse(p).ok()),
        };
        if status.is_some() && filter.status.is_none()
            || partner.is_some() && filter.partner.is_none()
        {
            return page(customer::message(
                400,
                "That filter is not one this page offers",
                vec![
                    "Status is pending, allowed or ended; a partner is named by its tenant id."
                        .to_owned(),
                ],
                self.header(),
                None,
            ));
        }
        let found = self
            .app
            .customer_requests(self.session, &filter, query(req, "cursor"))
            .await;
        let blocks = if self.session.admin {
            self.app.customer_blocks(self.session).await
        } else {
            Ok(Vec::new())
        };
        match (found, blocks) {
            (Ok(found), Ok(blocks)) => {
                let now = self.app.now();
                let ctx = ListContext {
                    session: self.session,
                    root: self.root,
                    filter: &filter,
                    done: done_words(query(req, "done")),
                    next_cursor: found.next_cursor,
                    blocks: blocks.iter().map(|b| BlockRow::of(b, now)).collect(),
                };
                page(customer::list(ctx, &found.items))
            }
            (Err(e), _) | (_, Err(e)) => self.failed(&e),
        }
    }

    pub(crate) async fn request(
        &self,
        id: RequestId,
        before: Option<u64>,
        done: Option<String>,
        errors: Vec<String>,
    ) -> Response<Body> {
        let (item, history) = match self.app.customer_request(self.session, id, before).await {
            Ok(found) => found,
            Err(e) => return self.failed(&e),
        };
        let now = self.app.now();
        let partner_blocked = self.session.admin
            && self
                .app
                .customer_blocks(self.session)
                .await
                .is_ok_and(|blocks| {
                    blocks
                        .iter()
                        .any(|b| b.partner == item.request.partner_tenant_id && b.in_force(now))
                });
        let ctx = RequestContext {
            session: self.session,
            root: self.root,
            done,
            errors,
            partner_blocked,
            older: history.older,
        };
        page(customer::request(ctx, &item, &history.events))
    }

    async fn export(&self, csv: bool) -> Response<Body> {
        let (recorded, blocks) = match self.app.customer_record(self.session).await {
            Ok(record) => record,
            Err(e) => return self.failed(&e),
        };
        let now = self.app.now();
        let (body, kind, ext) = if csv {
            (record_csv(&recorded), "text/csv; charset=utf-8", "csv")
        } else {
            let json = record_json(self.session, now, (&recorded, &blocks));
            (json, "application/json", "json")
        };
        tracing::info!(tenant = %self.session.tenant_id, requests = recorded.len(), "a customer exported its record");
        let mut response = Response::new(Body::Text(body));
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        let name = format!(
            "attachment; filename=\"consent-record-{}-{}.{ext}\"",
            self.session.tenant_id,
            now.date()
        );
        if let Ok(value) = HeaderValue::from_str(&name) {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
        response
    }
}

/// `GET /customer/sign-in`: the way to the identity provider, for parameters
/// this view sends; any other is a 400 that starts nothing.
async fn start_sign_in(app: &ConsentService, req: &Request, root: &str) -> Response<Body> {
    // As given, empty ones too: the view never sends an empty one.
    let given = |name: &str| {
        req.query_string_parameters_ref()
            .and_then(|q| q.first(name))
            .map(str::to_owned)
    };
    let (tenant, next, again) = (given("tenant"), given("next"), given("again"));
    let (tenant, next, again) = (tenant.as_deref(), next.as_deref(), again.as_deref());
    let understood = tenant.is_none_or(|t| TenantId::parse(t).is_ok())
        && next.is_none_or(view_page)
        && again.is_none_or(|a| a == "1");
    if !understood {
        return page(customer::message(
            400,
            "This sign-in link is not one this service makes",
            vec![
                "Nothing was started. Sign in from your organization's consent page instead."
                    .to_owned(),
            ],
            None,
            Some(customer::Action {
                id: "sign-in",
                href: format!("{root}/customer/sign-in"),
                label: "Sign in",
            }),
        ));
    }
    let again = again == Some("1");
    match app.start_customer_sign_in(tenant, (next, again)).await {
        Ok(start) => see_other(&start.location, &[start.cookie]),
        Err(_) => page(customer::message(
            503,
            "Sign-in is not available",
            vec!["Your organization's sign-in could not be reached from here. Nothing was changed; try again in a few minutes.".to_owned()],
            None,
            None,
        )),
    }
}
