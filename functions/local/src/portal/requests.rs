//! The view of the tenant's requests, one request with its history, and
//! the set-up of a new one.

use consent_app::service::{Caller, HistoryQuery, ServiceError};
use consent_core::domain::{ConsentRequest, RequestId, Status};
use consent_http::api;
use lambda_http::http::StatusCode;
use serde_json::json;

use super::answers::{redirect, render};
use super::form::Form;
use super::views::{
    DetailPage, Field, HistoryRow, ListPage, NewPage, Row, SignedIn, TERMS, place_errors, style,
};
use super::{PAGE_SIZE, PageRequest, Portal, Response, Session};

impl Portal {
    pub(super) async fn list(&self, session: Session, req: &PageRequest) -> Response {
        let cursor = query_param(req, "cursor");
        let cursor = cursor.as_deref().filter(|c| !c.is_empty());
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
            notice: query_param(req, "notice")
                .as_deref()
                .and_then(notice_text)
                .map(str::to_owned),
            rows,
            next_page: page
                .next_cursor
                .and_then(|c| serde_urlencoded::to_string([("cursor", c)]).ok()),
            paged: cursor.is_some(),
        };
        render(StatusCode::OK, &page)
    }

    /// A request as a row, with the customer's name where the access check gives it.
    pub(super) async fn row(&self, caller: &Caller, request: &ConsentRequest) -> Row {
        let customer_name = if request.status().grants_access() {
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
                Ok(access) if access.request_id().is_none_or(|id| id == request.id) => {
                    access.customer_name().map(str::to_owned)
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

    pub(super) fn new_form(&self, session: Session) -> Response {
        render(StatusCode::OK, &new_page(session.shown, &Form::default()))
    }

    pub(super) async fn create(&self, session: Session, form: Form) -> Response {
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
            Ok(request) if request.status() == Status::NotApplicable => {
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
    pub(super) async fn own_row(
        &self,
        session: &Session,
        id: &str,
        page: HistoryQuery,
    ) -> Result<(Row, ConsentRequest, Vec<HistoryRow>, Option<u64>), Response> {
        let Some(id) = RequestId::parse(id) else {
            return Err(self.service_problem(session.shown.clone(), &ServiceError::NotFound));
        };
        match self.app.get(&session.caller, id, page).await {
            Ok((request, history)) => {
                let row = self.row(&session.caller, &request).await;
                let organization = row
                    .customer_name
                    .clone()
                    .unwrap_or_else(|| row.target_tenant_id.clone());
                let rows = history
                    .events
                    .iter()
                    .map(|e| HistoryRow::new(e, &organization))
                    .collect();
                Ok((row, request, rows, history.older))
            }
            Err(e) => Err(self.service_problem(session.shown.clone(), &e)),
        }
    }

    /// One request, with its newest events or, after `?older=`, those before.
    /// The request's signed record, printable (`GET …/record?format=html`).
    pub(super) async fn record(&self, session: Session, id: String) -> Response {
        let Some(id) = RequestId::parse(&id) else {
            return self.service_problem(session.shown, &ServiceError::NotFound);
        };
        match self.app.partner_record(&session.caller, id).await {
            Ok(chain) => {
                let page = consent_http::pages::record::record_page(&chain);
                consent_http::html::html_page(
                    page.status,
                    page.html,
                    &consent_http::pages::record::RECORD_POLICY,
                )
            }
            Err(e) => self.service_problem(session.shown, &e),
        }
    }

    pub(super) async fn detail(&self, session: Session, id: String, req: &PageRequest) -> Response {
        let before = query_param(req, "older").and_then(|v| v.parse::<u64>().ok());
        let page = HistoryQuery {
            before,
            ..HistoryQuery::default()
        };
        match self.own_row(&session, &id, page).await {
            Ok((row, _, history, older)) => render(
                StatusCode::OK,
                &DetailPage {
                    title: "Consent request",
                    style: style(),
                    who: Some(session.shown),
                    older_link: older.map(|v| format!("/data-consent/{}?older={v}", row.id)),
                    newest_link: before.map(|_| format!("/data-consent/{}", row.id)),
                    row,
                    history,
                },
            ),
            Err(page) => page,
        }
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
            "The request was canceled: the reviewers' links stop working. Set up a new request for this environment, or edit a reviewer to reopen this one."
        }
        "reviewer" => "The reviewer was changed: they are sent a fresh ask by email.",
        "reopened" => {
            "The request is pending again: both reviewers are sent a fresh ask by email, and any earlier decision no longer counts."
        }
        _ => return None,
    })
}

/// The value of `name` in the page's query string.
fn query_param(req: &PageRequest, name: &str) -> Option<String> {
    let query: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query.as_deref().unwrap_or("")).unwrap_or_default();
    query.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}
