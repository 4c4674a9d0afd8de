//! Tenants (organizations) and the environments inside them.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::email::{Domain, Email};
use super::value::{InvalidValue, into_string, parsed_from_string};

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

/// A tenant of the directory: a partner or a customer organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: TenantId,
    /// Display name; shown to reviewers, and to a partner once consent allows it.
    pub name: String,
    /// The organization's verified email domains: where its reviewers' addresses must be.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<Domain>,
    /// Who to tell about a partner tenant's consents (its admins).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<Email>,
}

impl Tenant {
    pub const MAX_NAME_LEN: usize = 200;
    /// Domains or contacts one tenant may list.
    pub const MAX_LIST_LEN: usize = 50;
}

parsed_from_string!(TenantId, EnvironmentId);
into_string!(TenantId, EnvironmentId);
