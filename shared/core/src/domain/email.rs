//! Email addresses and the domains they are at.

use std::fmt;

use serde::{Deserialize, Serialize};

use icu_normalizer::ComposingNormalizerBorrowed;

use super::value::{InvalidValue, into_string, parsed_from_string};
use super::visible::{hidden_character, hidden_message};

/// An email address in its one canonical form: NFKC, the local part in
/// lower case, the domain by IDNA (UTS 46) in its ASCII form and lower case.
/// Every spelling of an address (fullwidth letters, capitals, an
/// internationalized domain) parses to the same value, and nothing
/// invisible or direction-changing is accepted anywhere in it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let invalid = || InvalidValue("not a valid email address".to_owned());
        let s = s.trim();
        if let Some(c) = hidden_character(s, &[]) {
            return Err(InvalidValue(hidden_message(c)));
        }
        if s.is_empty() || s.len() > 4 * Self::MAX_LEN {
            return Err(invalid());
        }
        let folded = ComposingNormalizerBorrowed::new_nfkc().normalize(s);
        let (local, domain) = folded.rsplit_once('@').ok_or_else(invalid)?;
        let domain = Domain::parse(domain).map_err(|_| invalid())?;
        let canonical = format!("{}@{domain}", local.to_lowercase());
        if canonical.len() > Self::MAX_LEN {
            return Err(invalid());
        }
        let parsed = email_address::EmailAddress::parse_with_options(
            &canonical,
            email_address::Options::default()
                .without_display_text()
                .without_domain_literal(),
        )
        .map_err(|_| invalid())?;
        // A reviewer must be reachable on the internet: no quoted local part.
        if parsed.local_part().starts_with('"') {
            return Err(invalid());
        }
        Ok(Self(canonical))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether two addresses reach one person: the same canonical address
    /// once a `+sub-address` is dropped (`bob+2@` is `bob@`).
    pub fn same_person(&self, other: &Email) -> bool {
        self.person() == other.person()
    }

    /// The one mailbox the address reaches: without its `+sub-address`.
    pub fn mailbox(&self) -> String {
        let (local, domain) = self.person();
        format!("{local}@{domain}")
    }

    fn person(&self) -> (&str, &str) {
        let (local, domain) = self.0.rsplit_once('@').unwrap_or((&self.0, ""));
        (local.split('+').next().unwrap_or(local), domain)
    }

    /// The domain the address is at.
    pub fn domain(&self) -> Option<Domain> {
        let (_, domain) = self.0.rsplit_once('@')?;
        Domain::parse(domain).ok()
    }

    /// The one of `domains` this address is at: the same domain, not a
    /// subdomain of it.
    pub fn at_one_of<'d>(&self, domains: &'d [Domain]) -> Option<&'d Domain> {
        let own = self.domain()?;
        domains.iter().find(|d| **d == own)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A DNS domain name, such as the verified email domain of an organization:
/// lowercase, an internationalized name in its `xn--` (ASCII) form, so that
/// equal domains compare equal.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Domain(String);

impl Domain {
    pub const MAX_LEN: usize = 253;

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let invalid = || {
            InvalidValue(
                "not a domain name such as contoso.com (letters, digits and hyphens in dot-separated labels)"
                    .to_owned(),
            )
        };
        let s = s.trim();
        if hidden_character(s, &[]).is_some() {
            return Err(invalid());
        }
        // `url` applies IDNA: Unicode names become their ASCII form, IP addresses are not domains.
        let ascii = match url::Host::parse(s) {
            Ok(url::Host::Domain(ascii)) => ascii,
            _ => return Err(invalid()),
        };
        let labels: Vec<&str> = ascii.split('.').collect();
        let label_ok = |l: &&str| {
            (1..=63).contains(&l.len())
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        let top_level_ok = labels
            .last()
            .is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()));
        if ascii.len() > Self::MAX_LEN
            || labels.len() < 2
            || !labels.iter().all(label_ok)
            || !top_level_ok
        {
            return Err(invalid());
        }
        Ok(Self(ascii.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

parsed_from_string!(Email, Domain);
into_string!(Email, Domain);
