//! What a reviewer's sign-in proved: kept with the decision it allowed, so
//! that the history can say who decided, not only which link was used.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::Email;
use super::value::InvalidValue;
use super::visible::{hidden_character, hidden_message};

/// What an identity provider vouched for in an ID token whose signature,
/// issuer, audience, expiry and nonce were checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub issuer: String,
    /// The token's tenant claim (Entra ID's `tid`), where the provider has one.
    pub tenant: Option<String>,
    /// The person's id: Entra ID's `oid` (the same in every app of the
    /// tenant), else `sub`.
    pub subject: String,
    pub email: Option<String>,
    /// `email_verified`, where the provider sends it.
    pub email_verified: Option<bool>,
    /// The user principal name (`upn`), for providers that vouch for no email.
    pub upn: Option<String>,
    /// `auth_time`, else the token's `iat`.
    pub signed_in_at: OffsetDateTime,
    /// `amr`: how the person authenticated.
    pub methods: Vec<String>,
    /// `roles`: the app roles the person holds in the app registration.
    pub roles: Vec<String>,
}

impl Identity {
    /// Multi-factor authentication, as RFC 8176 names it in `amr`.
    pub fn used_mfa(&self) -> bool {
        self.methods.iter().any(|m| m == "mfa")
    }

    /// The address the provider vouches for: a verified `email`, or the
    /// `upn` of a provider that says nothing of verification.
    pub fn vouched_address(&self) -> Option<&str> {
        match self.email_verified {
            Some(true) => self.email.as_deref(),
            Some(false) => None,
            None => self.upn.as_deref(),
        }
    }
}

/// The evidence of one decision: who signed in, where, when and how.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignIn {
    pub issuer: String,
    /// The tenant the sign-in proved membership of.
    pub tenant: String,
    pub subject: String,
    /// The signed-in address, in canonical form.
    pub email: Email,
    #[serde(with = "time::serde::rfc3339")]
    pub signed_in_at: OffsetDateTime,
    pub mfa: bool,
    /// Where the decision came from; absent on evidence not yet used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

impl SignIn {
    /// The same person as `other` to the same provider.
    pub fn same_subject(&self, other: &SignIn) -> bool {
        self.issuer == other.issuer && self.subject == other.subject
    }
}

/// How the people of a customer tenant sign in, from its directory entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantSignIn {
    /// An issuer of the tenant's own: a token from it proves membership,
    /// for providers without a tenant claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// A decision needs a sign-in with multi-factor authentication.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub require_mfa: bool,
}

impl TenantSignIn {
    pub const MAX_ISSUER_LEN: usize = 500;

    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// An issuer URL: `https://`, or `http://` on this machine only.
    pub fn parse_issuer(s: &str) -> Result<String, InvalidValue> {
        let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"];
        let allowed = s.starts_with("https://")
            || loopback.iter().any(|l| {
                s.strip_prefix(l)
                    .is_some_and(|r| r.is_empty() || r.starts_with([':', '/']))
            });
        if !allowed || s.len() > Self::MAX_ISSUER_LEN || s.chars().any(|c| c.is_whitespace()) {
            return Err(InvalidValue(format!(
                "an https:// URL (http:// only on this machine), at most {} characters",
                Self::MAX_ISSUER_LEN
            )));
        }
        if let Some(c) = hidden_character(s, &[]) {
            return Err(InvalidValue(hidden_message(c)));
        }
        Ok(s.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn identity() -> Identity {
        Identity {
            issuer: "https://idp.example".into(),
            tenant: None,
            subject: "s1".into(),
            email: Some("carol@contoso.example".into()),
            email_verified: None,
            upn: None,
            signed_in_at: datetime!(2026-12-06 14:02 UTC),
            methods: vec!["pwd".into()],
            roles: Vec::new(),
        }
    }

    #[test]
    fn only_a_verified_email_or_a_upn_is_vouched_for() {
        let mut id = identity();
        assert_eq!(id.vouched_address(), None, "no email_verified and no upn");
        id.upn = Some("carol@contoso.example".into());
        assert_eq!(id.vouched_address(), Some("carol@contoso.example"));
        id.email_verified = Some(false);
        assert_eq!(
            id.vouched_address(),
            None,
            "a provider that says unverified"
        );
        id.email_verified = Some(true);
        id.email = Some("c@contoso.example".into());
        assert_eq!(id.vouched_address(), Some("c@contoso.example"));
    }

    #[test]
    fn mfa_is_the_mfa_method() {
        let mut id = identity();
        assert!(!id.used_mfa());
        id.methods.push("mfa".into());
        assert!(id.used_mfa());
    }
}
