//! Tenants (organizations) and the environments inside them.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::email::{Domain, Email};
use super::sign_in::TenantSignIn;
use super::value::{InvalidValue, into_string, parsed_from_string};
use super::visible::{hidden_character, hidden_message};

/// A tenant (organization) id as issued by the identity provider.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantId(String);

impl TenantId {
    pub const MAX_LEN: usize = 64;

    /// Accepts 1..=64 characters of `[A-Za-z0-9._-]`.
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        identifier(s, Self::MAX_LEN).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An environment id inside a customer tenant.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EnvironmentId(String);

impl EnvironmentId {
    pub const MAX_LEN: usize = 64;

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        identifier(s, Self::MAX_LEN).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EnvironmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn identifier(s: &str, max: usize) -> Result<String, InvalidValue> {
    let valid = !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if valid {
        Ok(s.to_owned())
    } else {
        Err(InvalidValue(format!(
            "1 to {max} characters of A-Z, a-z, 0-9, '.', '_' or '-'"
        )))
    }
}

/// Which side a tenant is on: a partner asks for consent, a customer gives it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantKind {
    Partner,
    #[default]
    Customer,
}

impl TenantKind {
    pub fn is_customer(&self) -> bool {
        *self == TenantKind::Customer
    }
}

/// A tenant of the directory: a partner or a customer organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: TenantId,
    /// Display name; shown to reviewers, and to a partner once consent allows it.
    pub name: String,
    /// A partner or a customer (the default).
    #[serde(default, skip_serializing_if = "TenantKind::is_customer")]
    pub kind: TenantKind,
    /// The organization's verified email domains: where its reviewers' addresses must be.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<Domain>,
    /// Who to tell about a partner tenant's consents (its admins).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<Email>,
    /// How its people sign in to review: its own issuer, whether MFA is required.
    #[serde(
        default,
        rename = "signIn",
        skip_serializing_if = "TenantSignIn::is_default"
    )]
    pub sign_in: TenantSignIn,
}

impl Tenant {
    pub const MAX_NAME_LEN: usize = 200;
    /// Domains or contacts one tenant may list.
    pub const MAX_LIST_LEN: usize = 50;

    /// A tenant's display name as people will read it in subjects and pages:
    /// 1 to 200 characters, trimmed, nothing hidden or direction-changing.
    pub fn parse_name(s: &str) -> Result<String, InvalidValue> {
        let name = s.trim();
        if name.is_empty()
            || name.chars().count() > Self::MAX_NAME_LEN
            || name.chars().any(char::is_control)
        {
            return Err(InvalidValue(format!(
                "1 to {} characters, no control characters",
                Self::MAX_NAME_LEN
            )));
        }
        if let Some(c) = hidden_character(name, &[]) {
            return Err(InvalidValue(hidden_message(c)));
        }
        Ok(name.to_owned())
    }
}

parsed_from_string!(TenantId, EnvironmentId);
into_string!(TenantId, EnvironmentId);
