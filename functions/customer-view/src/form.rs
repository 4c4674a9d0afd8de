//! The view's form posts: each carries the session's form token, and its
//! fields are read into the domain's values or refused in plain words.

use consent_core::domain::{Comment, Email, TenantId};
use consent_core::workflow::FieldError;
use time::macros::format_description;
use time::{Date, OffsetDateTime, Time};

/// Largest form body read.
const MAX_FORM_BYTES: usize = 16 * 1024;

pub struct Form {
    fields: Vec<(String, String)>,
}

pub enum FormError {
    /// Not this session's form (another sign-in, or another site's).
    Stale,
    Bad(u16, &'static str),
}

impl Form {
    pub fn parse(body: &[u8], form_token: &str) -> Result<Self, FormError> {
        if body.len() > MAX_FORM_BYTES {
            return Err(FormError::Bad(413, "The form is too long."));
        }
        let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
            .map_err(|_| FormError::Bad(400, "That is not a form of this page."))?;
        let form = Self { fields };
        if form.field("formToken") != Some(form_token) {
            return Err(FormError::Stale);
        }
        Ok(form)
    }

    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim())
    }

    fn comment(&self, name: &str, pointer: &str) -> Result<Option<Comment>, FieldError> {
        Comment::parse(self.field(name).unwrap_or_default()).map_err(|_| {
            FieldError::new(
                pointer,
                "the reason is too long (1,000 characters at most) or has characters that are not allowed (control, invisible or direction-changing ones)",
            )
        })
    }

    /// The reason given with a rejection or withdrawal; a bad one is dropped
    /// with the action refused by the caller's check.
    pub fn reason(&self) -> Option<Comment> {
        self.comment("reason", "/reason").ok().flatten()
    }

    pub fn email(&self) -> Result<Email, FieldError> {
        match self.field("email") {
            None | Some("") => Err(FieldError::new("/email", "the email address is required")),
            Some(text) => Email::parse(text)
                .map_err(|_| FieldError::new("/email", "not a valid email address")),
        }
    }

    /// The partner to block, until when (the end of that day, UTC), and why.
    pub fn block(
        &self,
    ) -> Result<(TenantId, Option<OffsetDateTime>, Option<Comment>), Vec<FieldError>> {
        let mut errors = Vec::new();
        let partner = TenantId::parse(self.field("partner").unwrap_or_default())
            .map_err(|_| {
                errors.push(FieldError::new(
                    "/partner",
                    "the partner's tenant id is required",
                ))
            })
            .ok();
        let until = match self.field("until") {
            None | Some("") => None,
            Some(text) => Date::parse(text, format_description!("[year]-[month]-[day]"))
                .map(|d| d.with_time(Time::MIDNIGHT).assume_utc() + time::Duration::days(1))
                .map_err(|_| {
                    errors.push(FieldError::new("/until", "a date as YYYY-MM-DD, or none"))
                })
                .ok(),
        };
        let reason = self
            .comment("reason", "/reason")
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        match (partner, errors.is_empty()) {
            (Some(partner), true) => Ok((partner, until, reason)),
            _ => Err(errors),
        }
    }
}
