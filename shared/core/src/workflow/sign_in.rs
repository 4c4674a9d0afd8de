//! Whether a sign-in proves that its person may answer a slot's ask: a
//! member of the target tenant, the slot's reviewer, not the person who
//! approved the other slot, not the requester. Checked when the sign-in
//! returns (to tell the person at once) and again with the decision.

use std::fmt;

use super::link::LinkUse;
use crate::domain::{ConsentRequest, Email, Identity, SignIn, Slot, TenantSignIn, Verdict};

/// Whether a decision needs a sign-in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReviewerSignIn {
    /// Approve, reject and withdraw need a sign-in that proves the reviewer.
    #[default]
    Required,
    /// The link alone decides (weaker: whoever holds it is taken for the reviewer).
    LinkOnly,
}

impl ReviewerSignIn {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "required" => Some(Self::Required),
            "link-only" => Some(Self::LinkOnly),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::LinkOnly => "link-only",
        }
    }
}

/// A sign-in offered with a decision, and what the tenant asks of one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    pub sign_in: SignIn,
    pub require_mfa: bool,
}

/// Why a sign-in decides nothing, in terms its person can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignInRefusal {
    /// No sign-in came with the decision (or it was for another link, or too old).
    NotSignedIn,
    /// The account belongs to another organization.
    OtherOrganization { signed_in_as: String },
    /// The provider vouches for no address of the account.
    NoVerifiedAddress { subject: String },
    /// Someone other than the slot's reviewer.
    OtherPerson { signed_in_as: Email, asked: Email },
    /// The customer requires multi-factor authentication.
    NoMfa { signed_in_as: Email },
    /// The account that approved the other slot.
    SameAsOtherReviewer { signed_in_as: Email },
    /// The partner's user who asked.
    Requester { signed_in_as: Email },
}

impl fmt::Display for SignInRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotSignedIn => f.write_str("the decision came without a sign-in"),
            Self::OtherOrganization { signed_in_as } => {
                write!(f, "{signed_in_as} signed in to another organization")
            }
            Self::NoVerifiedAddress { .. } => {
                f.write_str("the identity provider vouches for no address of the account")
            }
            Self::OtherPerson {
                signed_in_as,
                asked,
            } => write!(f, "signed in as {signed_in_as}; the request asks {asked}"),
            Self::NoMfa { signed_in_as } => {
                write!(
                    f,
                    "{signed_in_as} signed in without multi-factor authentication"
                )
            }
            Self::SameAsOtherReviewer { signed_in_as } => {
                write!(f, "{signed_in_as} already approved as the other reviewer")
            }
            Self::Requester { signed_in_as } => {
                write!(f, "{signed_in_as} is the person who asked")
            }
        }
    }
}

/// The evidence a validated identity gives for the target tenant, if it
/// proves membership and a vouched-for address.
pub fn evidence(
    request: &ConsentRequest,
    identity: &Identity,
    tenant: &TenantSignIn,
) -> Result<SignIn, SignInRefusal> {
    membership(identity, request.target_tenant_id.as_str(), tenant)
}

/// The evidence a validated identity gives of membership of the tenant
/// `target` (signed in how `tenant` says its people sign in), with a
/// vouched-for address.
pub fn membership(
    identity: &Identity,
    target: &str,
    tenant: &TenantSignIn,
) -> Result<SignIn, SignInRefusal> {
    let address = identity.vouched_address();
    let member = match &tenant.issuer {
        Some(issuer) => identity.issuer == *issuer,
        None => identity
            .tenant
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(target)),
    };
    if !member {
        return Err(SignInRefusal::OtherOrganization {
            signed_in_as: address
                .or(identity.email.as_deref())
                .unwrap_or(&identity.subject)
                .to_owned(),
        });
    }
    let email = address.and_then(|a| Email::parse(a).ok()).ok_or_else(|| {
        SignInRefusal::NoVerifiedAddress {
            subject: identity.subject.clone(),
        }
    })?;
    Ok(SignIn {
        issuer: identity.issuer.clone(),
        tenant: target.to_owned(),
        subject: identity.subject.clone(),
        email,
        signed_in_at: identity.signed_in_at,
        mfa: identity.used_mfa(),
        ip: None,
        user_agent: None,
    })
}

/// Whether `sign_in` may use `slot`'s ask so: the request's tenant, the
/// slot's reviewer, with MFA where required; an approval from neither the
/// requester nor whoever approved the other slot.
pub fn check(
    request: &ConsentRequest,
    slot: Slot,
    verified: &Verified,
    use_: LinkUse,
) -> Result<(), SignInRefusal> {
    let Verified {
        sign_in,
        require_mfa,
    } = verified;
    let signed_in_as = sign_in.email.clone();
    if !sign_in
        .tenant
        .eq_ignore_ascii_case(request.target_tenant_id.as_str())
    {
        return Err(SignInRefusal::OtherOrganization {
            signed_in_as: signed_in_as.to_string(),
        });
    }
    let reviewer = request.reviewer(slot).ok_or(SignInRefusal::NotSignedIn)?;
    if sign_in.email != reviewer.email {
        return Err(SignInRefusal::OtherPerson {
            signed_in_as,
            asked: reviewer.email.clone(),
        });
    }
    if *require_mfa && !sign_in.mfa {
        return Err(SignInRefusal::NoMfa { signed_in_as });
    }
    if sign_in.email.same_person(&request.requester.email)
        || sign_in.subject == request.requester.user_id
    {
        return Err(SignInRefusal::Requester { signed_in_as });
    }
    if use_ == LinkUse::Decide {
        let other_approver = request
            .current_ask(slot.other())
            .and_then(|ask| ask.decision.as_ref())
            .filter(|d| d.verdict == Verdict::Approved)
            .and_then(|d| d.signed_in.as_ref());
        if other_approver.is_some_and(|other| other.same_subject(sign_in)) {
            return Err(SignInRefusal::SameAsOtherReviewer { signed_in_as });
        }
    }
    Ok(())
}

/// The sign-in a decision needs under `rule`, checked; with
/// [`ReviewerSignIn::LinkOnly`] one offered is still checked and kept.
pub(super) fn required(
    request: &ConsentRequest,
    slot: Slot,
    offered: Option<&Verified>,
    use_: LinkUse,
    rule: ReviewerSignIn,
) -> Result<Option<SignIn>, SignInRefusal> {
    match (offered, rule) {
        (Some(verified), _) => {
            check(request, slot, verified, use_)?;
            Ok(Some(verified.sign_in.clone()))
        }
        (None, ReviewerSignIn::LinkOnly) => Ok(None),
        (None, ReviewerSignIn::Required) => Err(SignInRefusal::NotSignedIn),
    }
}
