//! The view of the tenant's requests, one request with its history, and
//! the set-up of a new one.

use consent_app::service::{Caller, ServiceError};
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
    ) -> Result<(Row, ConsentRequest, Vec<HistoryRow>), Response> {
        let Some(id) = RequestId::parse(id) else {
            return Err(self.service_problem(session.shown.clone(), &ServiceError::NotFound));
        };
        match self.app.get(&session.caller, id).await {
            Ok((request, events)) => {
                let row = self.row(&session.caller, &request).await;
                let organization = row
                    .customer_name
                    .clone()
                    .unwrap_or_else(|| row.target_tenant_id.clone());
                let history = events
                    .iter()
                    .map(|e| HistoryRow::new(e, &organization))
                    .collect();
                Ok((row, request, history))
            }
            Err(e) => Err(self.service_problem(session.shown.clone(), &e)),
        }
    }

    pub(super) async fn detail(&self, session: Session, id: String) -> Response {
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
            "The request was canceled: both asks are withdrawn. Edit a reviewer to send fresh asks."
        }
        "reviewer" => "The reviewer was changed: they are sent a fresh ask by email.",
        _ => return None,
    })
}
