//! Who may review: two different people, neither the requester, each held
//! to belong to the customer's organization; and how long access may last.

use time::OffsetDateTime;

use super::{FieldError, Policy, WorkflowError};
use crate::domain::{AccessTerm, Ask, AskId, Domain, Email};

pub(super) const NOT_THE_REQUESTER: &str =
    "you cannot review your own request: name people of the customer's organization";
pub(super) const DISTINCT_REVIEWERS: &str = "the two reviewers must be different people";

/// The partner's own people, who never review for it: anyone at one of its
/// domains (or at the requester's own), and its contacts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PartnerSide {
    pub domains: Vec<Domain>,
    pub contacts: Vec<Email>,
}

/// Why `email` may not review for the partner, if it may not.
pub(super) fn of_the_partner(
    email: &Email,
    partner: &PartnerSide,
    requester: &Email,
) -> Option<String> {
    let own = email.domain()?;
    let domain = partner
        .domains
        .iter()
        .find(|d| **d == own)
        .cloned()
        .or_else(|| requester.domain().filter(|d| *d == own));
    if let Some(domain) = domain {
        return Some(format!(
            "must be a person of the customer's organization: {domain} is the partner's own domain"
        ));
    }
    partner
        .contacts
        .iter()
        .any(|c| c.same_person(email))
        .then(|| {
            "must be a person of the customer's organization, not a contact of the partner"
                .to_owned()
        })
}

/// Cross-field rules on a new reviewer pair: distinct people, neither the requester.
pub(super) fn check_reviewer_pair(requester: &Email, pair: [&Email; 2]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (i, email) in pair.iter().enumerate() {
        if email.same_person(requester) {
            errors.push(FieldError::new(
                format!("/reviewers/{i}"),
                NOT_THE_REQUESTER,
            ));
        }
    }
    if pair[0].same_person(pair[1]) {
        errors.push(FieldError::new("/reviewers/1", DISTINCT_REVIEWERS));
    }
    errors
}

/// Where each new reviewer's membership of the customer organization is
/// seen: an address at one of its verified domains (exactly, not a
/// subdomain). With no domains listed there is nothing to check (the caller
/// confirms instead). The domains are never named: they would tell a
/// partner who the customer is.
pub(super) fn verified_domains(
    new: &[(String, &Email)],
    domains: &[Domain],
) -> Result<Vec<Option<Domain>>, Vec<FieldError>> {
    if domains.is_empty() {
        return Ok(vec![None; new.len()]);
    }
    let matched: Vec<Option<Domain>> = new
        .iter()
        .map(|(_, email)| email.at_one_of(domains).cloned())
        .collect();
    if matched.iter().all(Option::is_some) {
        return Ok(matched);
    }
    Err(new
        .iter()
        .zip(&matched)
        .filter(|(_, m)| m.is_none())
        .map(|((pointer, _), _)| FieldError::new(pointer.clone(), AT_A_VERIFIED_DOMAIN))
        .collect())
}

/// Why a reviewer's address is refused where the customer is unknown or
/// lists domains it is not at: the same words either way, naming no domain.
pub(super) const AT_A_VERIFIED_DOMAIN: &str = "must be an address at one of the customer organization's verified domains; ask your contact there which address to use";

/// A term of access no longer than the operator allows.
pub(super) fn check_term(term: Option<AccessTerm>, policy: &Policy) -> Result<(), WorkflowError> {
    match term {
        Some(term) if term.duration() > policy.max_access_term => {
            let max = AccessTerm::parse(&format!("PT{}S", policy.max_access_term.whole_seconds()))
                .map(|t| t.to_string())
                .unwrap_or_default();
            Err(WorkflowError::Invalid(vec![FieldError::new(
                "/accessDuration",
                format!("at most {max} (this service's longest term of access)"),
            )]))
        }
        _ => Ok(()),
    }
}

/// A fresh ask: due to be emailed at once.
pub(super) fn new_ask(id: AskId, now: OffsetDateTime, policy: &Policy) -> Ask {
    Ask {
        id,
        asked_at: now,
        decision: None,
        // The committing handler sends at once; if it dies, the email is due after the lease.
        next_email_at: Some(now + policy.send_lease),
        emails_sent: 0,
        last_email_at: None,
        delivery_failure: None,
        mail: None,
    }
}
