//! The API's request bodies, read field by field so that every problem is
//! reported at once, each at its JSON pointer.

use consent_app::service::CreateInput;
use consent_core::domain::{
    AccessPurpose, AccessTerm, Comment, Email, EnvironmentId, EnvironmentName, InvalidValue,
    TenantId,
};
use consent_core::workflow::FieldError;

/// A JSON object body read field by field, so that every problem is
/// reported at once, each at its JSON pointer: missing fields, wrong types,
/// unknown fields, and values the domain refuses.
pub struct Fields {
    map: serde_json::Map<String, serde_json::Value>,
    known: Vec<&'static str>,
    pub errors: Vec<FieldError>,
}

impl Fields {
    /// The fields of a body; a body that is not an object is one problem.
    pub fn of(value: serde_json::Value) -> Result<Self, Vec<FieldError>> {
        match value {
            serde_json::Value::Object(map) => Ok(Self {
                map,
                known: Vec::new(),
                errors: Vec::new(),
            }),
            _ => Err(vec![FieldError::new("", "the body must be a JSON object")]),
        }
    }

    fn take(&mut self, name: &'static str) -> Option<serde_json::Value> {
        self.known.push(name);
        self.map.get(name).filter(|v| !v.is_null()).cloned()
    }

    fn wrong(&mut self, pointer: String, expected: &str) {
        self.errors
            .push(FieldError::new(pointer, format!("must be {expected}")));
    }

    /// An optional string field.
    pub fn optional_string(&mut self, name: &'static str) -> Option<String> {
        match self.take(name)? {
            serde_json::Value::String(s) => Some(s),
            _ => {
                self.wrong(format!("/{name}"), "a string");
                None
            }
        }
    }

    /// A required string field: absent, null or blank, it is required.
    pub fn string(&mut self, name: &'static str) -> Option<String> {
        if self.map.get(name).is_none_or(|v| v.is_null()) {
            self.errors
                .push(FieldError::new(format!("/{name}"), "is required"));
        }
        let value = self.optional_string(name)?;
        if value.trim().is_empty() {
            self.errors
                .push(FieldError::new(format!("/{name}"), "is required"));
            return None;
        }
        Some(value)
    }

    /// An optional array of strings (empty when absent).
    pub fn strings(&mut self, name: &'static str) -> Vec<String> {
        let Some(value) = self.take(name) else {
            return Vec::new();
        };
        let Some(items) = value.as_array() else {
            self.wrong(format!("/{name}"), "an array of strings");
            return Vec::new();
        };
        let mut strings = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item.as_str() {
                Some(s) => strings.push(s.to_owned()),
                None => self.wrong(format!("/{name}/{i}"), "a string"),
            }
        }
        strings
    }

    /// A required boolean field.
    pub fn boolean(&mut self, name: &'static str) -> Option<bool> {
        if self.map.get(name).is_none_or(|v| v.is_null()) {
            self.errors
                .push(FieldError::new(format!("/{name}"), "is required"));
        }
        self.optional_boolean(name)
    }

    /// An optional boolean field.
    pub fn optional_boolean(&mut self, name: &'static str) -> Option<bool> {
        match self.take(name)? {
            serde_json::Value::Bool(b) => Some(b),
            _ => {
                self.wrong(format!("/{name}"), "true or false");
                None
            }
        }
    }

    /// The parsed value, or its problem at `pointer`.
    pub fn parsed<T>(&mut self, pointer: &str, parsed: Result<T, InvalidValue>) -> Option<T> {
        field(&mut self.errors, pointer, parsed)
    }

    /// Every problem found, unknown fields included; none means the body is good.
    pub fn finish(mut self) -> Result<(), Vec<FieldError>> {
        let mut unknown: Vec<&String> = self
            .map
            .keys()
            .filter(|k| !self.known.contains(&k.as_str()))
            .collect();
        unknown.sort();
        for name in unknown {
            self.errors.push(FieldError::new(
                format!("/{name}"),
                "is not a field of this body",
            ));
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }
}

/// The `POST /consent-requests` body, every field checked at once.
pub fn create_input(body: serde_json::Value) -> Result<CreateInput, Vec<FieldError>> {
    let mut f = Fields::of(body)?;
    let target = f.string("targetTenantId");
    let environment = f.string("environmentId");
    let name = f.string("environmentName");
    let purpose = f.string("purpose");
    let term = f.optional_string("accessDuration");
    let raw_reviewers = f.strings("reviewers");
    let confirmed = f.optional_boolean("confirmedInTargetTenant");
    let target = target.and_then(|t| f.parsed("/targetTenantId", TenantId::parse(&t)));
    let environment =
        environment.and_then(|e| f.parsed("/environmentId", EnvironmentId::parse(&e)));
    let name = name.and_then(|n| f.parsed("/environmentName", EnvironmentName::parse(&n)));
    let purpose = purpose.and_then(|p| f.parsed("/purpose", AccessPurpose::parse(&p)));
    let access_term = term.and_then(|t| f.parsed("/accessDuration", AccessTerm::parse(&t)));
    if raw_reviewers.len() > 2 {
        f.errors
            .push(FieldError::new("/reviewers", "name exactly two reviewers"));
    }
    let reviewers: Vec<Email> = raw_reviewers
        .iter()
        .take(2)
        .enumerate()
        .filter_map(|(i, raw)| {
            let pointer = format!("/reviewers/{i}");
            if raw.trim().is_empty() {
                f.errors.push(FieldError::new(pointer, "is required"));
                return None;
            }
            f.parsed(&pointer, Email::parse(raw))
        })
        .collect();
    f.finish()?;
    match (target, environment, name, purpose) {
        (Some(target_tenant_id), Some(environment_id), Some(environment_name), Some(purpose)) => {
            Ok(CreateInput {
                target_tenant_id,
                environment_id,
                environment_name,
                purpose,
                access_term,
                reviewers,
                confirmed_in_target_tenant: confirmed.unwrap_or(false),
            })
        }
        _ => Err(vec![FieldError::new(
            "",
            "the body is not a consent request",
        )]),
    }
}

/// The parsed value, or its problem added to `errors` under `pointer`.
pub fn field<T>(
    errors: &mut Vec<FieldError>,
    pointer: &str,
    parsed: Result<T, InvalidValue>,
) -> Option<T> {
    parsed
        .map_err(|e| errors.push(FieldError::new(pointer, e.message())))
        .ok()
}

/// The `PUT /consent-requests/{id}/reviewers/{slot}` body: the new address
/// and the admin's confirmation.
pub fn replace_reviewer_input(body: serde_json::Value) -> Result<(Email, bool), Vec<FieldError>> {
    let mut f = Fields::of(body)?;
    let email = f.string("email");
    let confirmed = f.boolean("confirmedInTargetTenant");
    let email = email.and_then(|e| f.parsed("/email", Email::parse(&e)));
    f.finish()?;
    email
        .zip(confirmed)
        .ok_or_else(|| vec![FieldError::new("", "the body is not a reviewer change")])
}

/// The optional `POST /consent-requests/{id}/cancel` body: `{"reason": "…"}`.
pub fn cancel_reason(body: Option<serde_json::Value>) -> Result<Option<Comment>, Vec<FieldError>> {
    let Some(body) = body else {
        return Ok(None);
    };
    let mut f = Fields::of(body)?;
    let reason = f.optional_string("reason");
    let reason = reason
        .and_then(|r| f.parsed("/reason", Comment::parse(&r)))
        .flatten();
    f.finish()?;
    Ok(reason)
}
