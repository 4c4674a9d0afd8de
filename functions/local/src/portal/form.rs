//! Form bodies, read as browsers send them.

use lambda_http::http::{StatusCode, header};

use super::views::SignedIn;
use super::{PageRequest, Portal, Response};

/// A form body, read as the browser sends it.
#[derive(Default)]
pub struct Form(Vec<(String, String)>);

/// Why a form body could not be read.
pub(super) enum FormProblem {
    NotAForm,
    TooLarge,
    Unreadable,
}

impl FormProblem {
    pub(super) fn page(&self, portal: &Portal, who: Option<SignedIn>) -> Response {
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
    pub(super) fn read(req: &PageRequest) -> Result<Self, FormProblem> {
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
    pub(super) fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }
}
