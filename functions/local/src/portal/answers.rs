//! How the page answers: rendered pages, the page for a service error,
//! redirects after a form, cookies.

use askama::Template;
use consent_app::service::ServiceError;
use consent_http::html::html_page;
use lambda_http::http::{HeaderMap, HeaderValue, StatusCode, header};

use super::session::{self};
use super::views::{MessagePage, SignedIn, style};
use super::{Portal, Response};

impl Portal {
    /// The page for a service error, with the API's words for it.
    pub(super) fn service_problem(&self, who: SignedIn, e: &ServiceError) -> Response {
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
            ServiceError::Blocked(why) => (
                StatusCode::FORBIDDEN,
                "Blocked by the customer",
                vec![format!("Nothing was sent: {why}.")],
            ),
            ServiceError::Conflict { detail, .. } => (
                StatusCode::CONFLICT,
                "That could not be done",
                vec![format!("Nothing was changed: {detail}.")],
            ),
            ServiceError::OverBudget(over) => (
                StatusCode::TOO_MANY_REQUESTS,
                "Too many emails",
                vec![format!(
                    "Nothing was changed or sent: {}{}.",
                    over.what,
                    over.retry_at
                        .map(|at| format!(" (after {})", consent_core::text::display_time(at)))
                        .unwrap_or_default()
                )],
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
            ServiceError::Corrupt(what) => {
                tracing::error!(error = %what, "stored data is not readable");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on our side",
                    vec![
                        "The service could not read what it stored. Nothing was changed."
                            .to_owned(),
                    ],
                )
            }
        };
        self.message(Some(who), status, title, lines)
    }

    pub(super) fn message(
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

pub(super) fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|h| session::cookie(h, name))
}

pub(super) fn set_cookie(response: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

pub(super) fn render<T: Template>(status: StatusCode, page: &T) -> Response {
    html_page(
        status.as_u16(),
        page.render().expect("page templates render"),
        &super::views::CONTENT_SECURITY_POLICY,
    )
}

/// After a form: "see other", so a reload does not post again.
pub(super) fn redirect(location: &'static str) -> Response {
    let mut response = html_page(
        StatusCode::SEE_OTHER.as_u16(),
        String::new(),
        &super::views::CONTENT_SECURITY_POLICY,
    );
    response
        .headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static(location));
    response
}
