//! A new request: for the partner's own tenant Not Applicable, with nobody
//! asked; otherwise Pending, with both reviewers asked at once.

use time::OffsetDateTime;

use super::rules::{
    AT_A_VERIFIED_DOMAIN, PartnerSide, check_reviewer_pair, check_term, new_ask, of_the_partner,
    verified_domains,
};
use super::{Emails, FieldError, Policy, ReviewerSignIn, Transition, WorkflowError, delivery};
use crate::domain::{
    AccessPurpose, AccessTerm, Actor, AskId, AuditAction, AuditEvent, ConsentRequest, Domain,
    Email, EnvironmentId, EnvironmentName, NoticeKind, RequestId, Requester, Reviewer, Slot, State,
    TenantId,
};

/// A create command with already-parsed fields.
#[derive(Clone, Debug)]
pub struct NewRequest {
    pub id: RequestId,
    pub partner_tenant_id: TenantId,
    pub requester: Requester,
    pub target_tenant_id: TenantId,
    pub environment_id: EnvironmentId,
    pub environment_name: EnvironmentName,
    pub purpose: AccessPurpose,
    pub access_term: Option<AccessTerm>,
    /// The two people asked; none for the partner's own tenant (see [`reviewer_pair`]).
    pub reviewers: Option<[Email; 2]>,
    /// The directory lists the target as a customer tenant. When it does
    /// not, the reviewers are refused as if the customer listed domains they
    /// are not at: a partner cannot tell an unknown tenant from a known one.
    pub customer_in_directory: bool,
    /// The customer organization's verified domains, from the directory.
    pub customer_domains: Vec<Domain>,
    /// The partner's own domains and contacts, from the directory.
    pub partner: PartnerSide,
    /// The customer's contacts, from the directory: told of a request its
    /// reviewers answer through links alone, where no domain vouches for them.
    pub customer_contacts: Vec<Email>,
    /// The requester confirmed both reviewers belong to the customer
    /// organization (required when it lists no domains).
    pub confirmed_in_target_tenant: bool,
    /// Fresh ask ids, one per slot.
    pub ask_ids: [AskId; 2],
}

/// The reviewers a create names: none for the partner's own tenant (nobody
/// is asked about one's own data), else exactly two.
pub fn reviewer_pair(
    own_tenant: bool,
    named: Vec<Email>,
) -> Result<Option<[Email; 2]>, WorkflowError> {
    if own_tenant {
        return Ok(None);
    }
    <[Email; 2]>::try_from(named).map(Some).map_err(|_| {
        WorkflowError::Invalid(vec![FieldError::new(
            "/reviewers",
            "name exactly two reviewers of the customer's organization",
        )])
    })
}

pub fn create(
    input: NewRequest,
    actor: Actor,
    now: OffsetDateTime,
    policy: &Policy,
) -> Result<Transition, WorkflowError> {
    check_term(input.access_term, policy)?;
    let own_tenant = input.target_tenant_id == input.partner_tenant_id;
    let reviewers = match (own_tenant, &input.reviewers) {
        // Consent is not needed for one's own data: nobody is asked.
        (true, _) => None,
        (false, Some(pair)) => Some(new_reviewers(&input, pair, now, policy)?),
        (false, None) => return Err(reviewer_pair(false, Vec::new()).unwrap_err()),
    };
    let state = match reviewers {
        None => State::NotApplicable,
        Some(_) => State::Pending {
            expires_at: now + policy.expire_after,
        },
    };
    let membership = membership(reviewers.as_ref());
    let request = ConsentRequest {
        id: input.id,
        partner_tenant_id: input.partner_tenant_id,
        requester: input.requester,
        target_tenant_id: input.target_tenant_id,
        environment_id: input.environment_id,
        environment_name: input.environment_name,
        purpose: input.purpose,
        access_term: input.access_term,
        reviewers,
        state,
        created_at: now,
        updated_at: now,
        version: 1,
        notices: Vec::new(),
        reviewer_changes: Vec::new(),
        customer_contacts: if input.reviewers.is_some() {
            input.customer_contacts.clone()
        } else {
            Vec::new()
        },
        record_head: None,
    };
    let mut request = request;
    let mut emails = Emails::asks_of(&request, &Slot::ALL);
    // The customer's own contacts hear of every request for their tenant;
    // where no domain and no sign-in vouch for its reviewers, with a warning.
    if request.reviewers.is_some() {
        let unvouched = input.customer_domains.is_empty()
            && policy.reviewer_sign_in == ReviewerSignIn::LinkOnly;
        let kind = if unvouched {
            NoticeKind::Requested
        } else {
            NoticeKind::Asked
        };
        let version = request.version;
        let asked = request.clone();
        delivery::Closing::new(&asked, &actor, now, policy).owe_customer(
            &mut request,
            kind,
            &input.customer_contacts,
            version,
        );
        emails.notices.extend(request.notices.iter().map(|n| n.id));
    }
    let audit = AuditEvent {
        request_id: request.id,
        version: 1,
        at: now,
        actor,
        action: AuditAction::Created,
        from_status: None,
        to_status: state.status(),
        slot: None,
        detail: Some(format!("purpose: {}{membership}", request.purpose.as_str())),
        comment: None,
        record: None,
    };
    Ok(Transition {
        request,
        audit,
        emails,
    })
}

/// How the reviewers were vouched for, for the creation's audit event.
fn membership(reviewers: Option<&[Reviewer; 2]>) -> String {
    let Some(pair) = reviewers else {
        return String::new();
    };
    if pair[0].verified_domain.is_none() {
        return "; the requester confirmed both reviewers belong to the customer's organization"
            .to_owned();
    }
    let mut domains: Vec<&str> = pair
        .iter()
        .filter_map(|r| r.verified_domain.as_ref().map(Domain::as_str))
        .collect();
    domains.dedup();
    format!(
        "; reviewers at verified domains of the customer: {}",
        domains.join(", ")
    )
}

/// The two reviewers of a new request, each held to belong to the customer
/// organization by a verified domain or by the requester's confirmation.
fn new_reviewers(
    input: &NewRequest,
    [first, second]: &[Email; 2],
    now: OffsetDateTime,
    policy: &Policy,
) -> Result<[Reviewer; 2], WorkflowError> {
    let mut errors = check_reviewer_pair(&input.requester.email, [first, second]);
    let new = [
        ("/reviewers/0".to_owned(), first),
        ("/reviewers/1".to_owned(), second),
    ];
    for (pointer, email) in &new {
        if let Some(why) = of_the_partner(email, &input.partner, &input.requester.email) {
            errors.push(FieldError::new(pointer.clone(), why));
        }
    }
    let checked = if input.customer_in_directory {
        verified_domains(&new, &input.customer_domains)
    } else {
        Err(new
            .iter()
            .map(|(pointer, _)| FieldError::new(pointer.clone(), AT_A_VERIFIED_DOMAIN))
            .collect())
    };
    let domains = checked.unwrap_or_else(|e| {
        errors.extend(e);
        vec![None; 2]
    });
    if input.customer_in_directory
        && input.customer_domains.is_empty()
        && !input.confirmed_in_target_tenant
    {
        errors.push(FieldError::new(
            "/confirmedInTargetTenant",
            "confirm that both reviewers belong to the customer's organization (it lists no verified domains to check their addresses against)",
        ));
    }
    if !errors.is_empty() {
        return Err(WorkflowError::Invalid(errors));
    }
    let confirmed_by = input
        .customer_domains
        .is_empty()
        .then(|| input.requester.user_id.clone());
    let mut domains = domains.into_iter();
    let mut reviewer = |email: &Email, ask_id: AskId| Reviewer {
        email: email.clone(),
        confirmed_by: confirmed_by.clone(),
        verified_domain: domains.next().flatten(),
        ask: Some(new_ask(ask_id, now, policy)),
    };
    Ok([
        reviewer(first, input.ask_ids[0]),
        reviewer(second, input.ask_ids[1]),
    ])
}
