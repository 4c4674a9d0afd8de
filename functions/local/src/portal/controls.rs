//! What partner admins do from the page: cancel a request, name a new
//! reviewer. The service decides; the page only asks first.

use consent_app::service::{HistoryQuery, ServiceError};
use consent_core::domain::{ConsentRequest, RequestId, Slot};
use consent_http::api;
use lambda_http::http::StatusCode;
use serde_json::json;

use super::answers::{redirect, render};
use super::form::Form;
use super::views::{CancelPage, Field, ReviewerPage, Row, SignedIn, place_errors, style};
use super::{Portal, Response, Session};

impl Portal {
    /// Why an admin control cannot be used on `request` now, if it cannot.
    pub(super) fn control_refused(
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
                    request.status().label()
                )],
            )
        })
    }

    pub(super) async fn cancel_form(&self, session: Session, id: String) -> Response {
        let (row, request, _, _) = match self.own_row(&session, &id, HistoryQuery::NEWEST).await {
            Ok(found) => found,
            Err(page) => return page,
        };
        if let Some(refused) = self.control_refused(
            &session,
            &request,
            request.status().may_cancel(),
            "be canceled",
        ) {
            return refused;
        }
        render(
            StatusCode::OK,
            &cancel_page(session.shown, row, Vec::new(), Field::default()),
        )
    }

    pub(super) async fn cancel(&self, session: Session, id: String, form: Form) -> Response {
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
                let (row, _, _, _) = match self.own_row(&session, &id, HistoryQuery::NEWEST).await {
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

    pub(super) async fn reviewer_form(
        &self,
        session: Session,
        id: String,
        slot: String,
    ) -> Response {
        let Some(slot) = slot_of(&slot) else {
            return self.service_problem(session.shown, &ServiceError::NotFound);
        };
        let (row, request, _, _) = match self.own_row(&session, &id, HistoryQuery::NEWEST).await {
            Ok(found) => found,
            Err(page) => return page,
        };
        let allowed = request.status().may_replace_reviewer() && request.reviewer(slot).is_some();
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

    pub(super) async fn replace_reviewer(
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
            // A canceled request reopens: both reviewers are asked anew.
            Ok(request) if request.reopened() => redirect("/data-consent?notice=reopened"),
            Ok(_) => redirect("/data-consent?notice=reviewer"),
            Err(ServiceError::Invalid(errors)) => {
                let (row, request, _, _) =
                    match self.own_row(&session, &id, HistoryQuery::NEWEST).await {
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
