//! The customer's side: who of the target tenant signed in (an admin, or a
//! member who sees only the asks that name them), and what an admin may do
//! to a request over the tenant: reject it while pending, withdraw it while
//! allowed. Naming another reviewer is the admin's reviewer change.

use time::OffsetDateTime;

use super::apply::Step;
use super::commands::wrong_status;
use super::sign_in::membership;
use super::{Policy, SignInRefusal, WorkflowError, delivery};
use crate::domain::{
    Actor, AuditAction, ClosedReason, Comment, ConsentRequest, Email, Identity, NoticeKind, SignIn,
    State, Status, TenantId, TenantSignIn,
};

/// A person of a customer tenant, signed in on the customer's view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerPerson {
    pub tenant_id: TenantId,
    pub sign_in: SignIn,
    /// Holds the customer admin role, or is one of the tenant's contacts.
    pub admin: bool,
}

impl CustomerPerson {
    /// Whether this person may see `request`: an admin sees every request
    /// over the tenant, anyone else only those that name them as reviewer.
    pub fn may_see(&self, request: &ConsentRequest) -> bool {
        request.target_tenant_id == self.tenant_id
            && (self.admin
                || request
                    .reviewers()
                    .iter()
                    .any(|r| r.email.same_person(&self.sign_in.email)))
    }
}

/// Who `identity` is to the customer tenant `tenant_id`: a member (as the
/// tenant's people sign in), and an admin by the app role `admin_role` in
/// the token or by being one of the tenant's `contacts`.
pub fn customer_person(
    identity: &Identity,
    tenant_id: &TenantId,
    sign_in: &TenantSignIn,
    contacts: &[Email],
    admin_role: &str,
) -> Result<CustomerPerson, SignInRefusal> {
    let evidence = membership(identity, tenant_id.as_str(), sign_in)?;
    let admin = identity.roles.iter().any(|r| r == admin_role)
        || contacts.iter().any(|c| c.same_person(&evidence.email));
    Ok(CustomerPerson {
        tenant_id: tenant_id.clone(),
        sign_in: evidence,
        admin,
    })
}

/// The customer admin an actor is, for this request's tenant only.
fn customer_admin(request: &ConsentRequest, actor: &Actor) -> Result<(), WorkflowError> {
    match actor {
        Actor::Customer { signed_in }
            if signed_in
                .tenant
                .eq_ignore_ascii_case(request.target_tenant_id.as_str()) =>
        {
            Ok(())
        }
        _ => Err(WorkflowError::NotCustomerAdmin),
    }
}

/// A customer admin's command on a request over the tenant.
#[derive(Clone, Debug)]
pub enum CustomerCommand {
    /// Reject a pending request.
    Reject { reason: Option<Comment> },
    /// Withdraw an allowed request's consent.
    Withdraw {
        reason: Option<Comment>,
        /// Partner admins to tell, from the tenant directory.
        partner_contacts: Vec<Email>,
    },
}

pub(super) fn apply(
    request: &ConsentRequest,
    command: CustomerCommand,
    actor: &Actor,
    now: OffsetDateTime,
    policy: &Policy,
) -> Result<Step, WorkflowError> {
    match command {
        CustomerCommand::Reject { reason } => reject(request, reason, actor, now, policy),
        CustomerCommand::Withdraw {
            reason,
            partner_contacts,
        } => withdraw(request, (reason, &partner_contacts), actor, now, policy),
    }
}

/// The words the history and the receipts keep with an admin's action.
pub(super) const REJECTED_BY_CUSTOMER: &str = "rejected by the customer";
pub(super) const WITHDRAWN_BY_CUSTOMER: &str = "withdrawn by the customer";

fn reject(
    request: &ConsentRequest,
    reason: Option<Comment>,
    actor: &Actor,
    now: OffsetDateTime,
    policy: &Policy,
) -> Result<Step, WorkflowError> {
    customer_admin(request, actor)?;
    if request.status() != Status::Pending {
        return Err(wrong_status(request, "rejected"));
    }
    let mut next = request.clone();
    next.state = State::NotAllowed(ClosedReason::Rejected);
    delivery::Closing::new(request, actor, now, policy)
        .because(reason.clone())
        .owe(&mut next, NoticeKind::Rejected, &[]);
    let mut step = Step::new(next, AuditAction::Rejected);
    step.detail = Some(REJECTED_BY_CUSTOMER.to_owned());
    step.comment = reason;
    Ok(step)
}

fn withdraw(
    request: &ConsentRequest,
    (reason, partner_contacts): (Option<Comment>, &[Email]),
    actor: &Actor,
    now: OffsetDateTime,
    policy: &Policy,
) -> Result<Step, WorkflowError> {
    customer_admin(request, actor)?;
    if request.status() != Status::Allowed {
        return Err(wrong_status(request, "withdrawn"));
    }
    let mut next = request.clone();
    next.state = State::NotAllowed(ClosedReason::Revoked);
    delivery::Closing::new(request, actor, now, policy)
        .because(reason.clone())
        .owe(&mut next, NoticeKind::Revoked, partner_contacts);
    let mut step = Step::new(next, AuditAction::Revoked);
    step.detail = Some(WITHDRAWN_BY_CUSTOMER.to_owned());
    step.comment = reason;
    Ok(step)
}

/// A customer admin's reviewer change tells the partner's side who is asked now.
pub(super) fn tell_partner_of_change(
    before: &ConsentRequest,
    next: &mut ConsentRequest,
    actor: &Actor,
    (partner_contacts, now, policy): (&[Email], OffsetDateTime, &Policy),
) -> Result<(), WorkflowError> {
    if matches!(actor, Actor::Customer { .. }) {
        customer_admin(before, actor)?;
        if before.status() != Status::Pending {
            return Err(wrong_status(before, "given a new reviewer by the customer"));
        }
        delivery::Closing::new(before, actor, now, policy).owe_partner(
            next,
            NoticeKind::ReviewerReplaced,
            partner_contacts,
        );
    }
    Ok(())
}
