//! What a customer's admin does to a request on the view: reject, withdraw,
//! name another reviewer; each a command through the workflow, audited with
//! the admin's sign-in.

use consent_core::domain::{Actor, Comment, ConsentRequest, Email, RequestId, Slot, TenantId};
use consent_core::workflow::{self, Command, CustomerCommand, Transition};

use super::customer::admin;
use super::partner::fresh_ask_ids;
use super::{ConsentService, CustomerSession, ServiceError};
use crate::ports::Charge;

impl ConsentService {
    /// A customer admin's command on one request over its tenant.
    async fn command_as_customer(
        &self,
        session: &CustomerSession,
        id: RequestId,
        command: impl Fn(&ConsentRequest) -> Command,
        charges: impl Fn(&Transition) -> Vec<Charge>,
    ) -> Result<ConsentRequest, ServiceError> {
        admin(session)?;
        let actor = Actor::Customer {
            signed_in: session.sign_in.clone(),
        };
        let transition = self
            .apply_charged_with_retry(
                id,
                None,
                |request| {
                    if request.target_tenant_id != session.tenant_id {
                        return Err(ServiceError::NotFound);
                    }
                    Ok(workflow::apply(
                        request,
                        command(request),
                        actor.clone(),
                        self.now(),
                        &self.settings.policy,
                    )?)
                },
                charges,
            )
            .await?;
        tracing::info!(request_id = %id, action = ?transition.audit.action, "a customer admin acted");
        Ok(self.carry_out(transition).await)
    }

    /// Rejects a pending request: Not Allowed, rejected by the customer.
    pub async fn customer_reject(
        &self,
        session: &CustomerSession,
        id: RequestId,
        reason: Option<Comment>,
    ) -> Result<ConsentRequest, ServiceError> {
        self.command_as_customer(
            session,
            id,
            |_| {
                Command::Customer(CustomerCommand::Reject {
                    reason: reason.clone(),
                })
            },
            |_| Vec::new(),
        )
        .await
    }

    /// Withdraws an allowed request's consent, as a reviewer's withdrawal does.
    pub async fn customer_withdraw(
        &self,
        session: &CustomerSession,
        id: RequestId,
        reason: Option<Comment>,
    ) -> Result<ConsentRequest, ServiceError> {
        admin(session)?;
        let request = self.customer_request(session, id, None).await?.0.request;
        let partner_contacts = self.partner_contacts(&request.partner_tenant_id).await?;
        self.command_as_customer(
            session,
            id,
            |_| {
                Command::Customer(CustomerCommand::Withdraw {
                    reason: reason.clone(),
                    partner_contacts: partner_contacts.clone(),
                })
            },
            |_| Vec::new(),
        )
        .await
    }

    /// Names another person of the organization as a pending request's
    /// reviewer: the new one is asked, the partner told.
    pub async fn customer_replace(
        &self,
        session: &CustomerSession,
        id: RequestId,
        slot: Slot,
        email: Email,
    ) -> Result<ConsentRequest, ServiceError> {
        admin(session)?;
        let request = self.customer_request(session, id, None).await?.0.request;
        let (partner, customer) = self
            .sides(&request.partner_tenant_id, &request.target_tenant_id)
            .await?;
        let unreachable = self
            .refuse_unreachable(&[("/email".to_owned(), email.clone())])
            .await?;
        if !unreachable.is_empty() {
            return Err(ServiceError::Invalid(unreachable));
        }
        self.command_as_customer(
            session,
            id,
            |_| Command::ReplaceReviewer {
                slot,
                email: email.clone(),
                confirmed_in_target_tenant: true,
                customer_domains: customer.domains.clone(),
                partner: partner.clone(),
                ask_ids: fresh_ask_ids(),
            },
            |transition| self.ask_charges(transition),
        )
        .await
    }

    async fn partner_contacts(&self, partner: &TenantId) -> Result<Vec<Email>, ServiceError> {
        Ok((self.directory.tenant(partner).await?)
            .map(|t| t.contacts)
            .unwrap_or_default())
    }
}
