//! What a review or withdrawal link shows and does. A link is checked once:
//! its signature here, its ask by the workflow's own guard.

use time::OffsetDateTime;

use super::ConsentService;
use super::access::names_of;
use super::error::Missing;
use super::sign_in::{Client, link_use};
use crate::ports::{DirectoryError, StoreError};
use consent_core::domain::{
    Actor, ClosedReason, Comment, ConsentRequest, Decision, SignIn, Slot, Status, Verdict,
};
use consent_core::links::{LinkClaims, LinkError, Purpose};
use consent_core::workflow::{
    self, Command, ReviewerSignIn, SignInRefusal, Verified, WorkflowError,
};

/// Why a review link shows no form (or why a decision was not taken).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkProblem {
    /// Tampered, truncated, unknown key, or its request is gone.
    Invalid,
    Expired,
    /// A newer link was sent to this slot (reviewer replaced or request reopened).
    Superseded,
    /// Canceled by the partner; the link is dead.
    Canceled,
    /// The request ended (rejected by the other reviewer, …) before this reviewer decided.
    Closed(Status),
    /// This link was already used.
    AlreadyDecided {
        decision: Box<Decision>,
        status: Status,
    },
    /// Consent was already withdrawn.
    AlreadyWithdrawn,
    Unavailable,
    /// Stored data this service cannot read: a fault of ours.
    Internal,
    /// The decision needs a sign-in that proves the link's reviewer.
    SignIn(SignInRefusal),
}

impl From<StoreError> for LinkProblem {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Corrupt { .. } => {
                tracing::error!(error = %e, "stored data is not readable");
                LinkProblem::Internal
            }
            _ => LinkProblem::Unavailable,
        }
    }
}

impl From<DirectoryError> for LinkProblem {
    fn from(e: DirectoryError) -> Self {
        match e {
            DirectoryError::Corrupt { .. } => {
                tracing::error!(error = %e, "the tenant directory is not readable");
                LinkProblem::Internal
            }
            DirectoryError::Unavailable(_) => LinkProblem::Unavailable,
        }
    }
}

impl From<Missing> for LinkProblem {
    fn from(_: Missing) -> Self {
        LinkProblem::Invalid
    }
}

impl LinkProblem {
    /// Why the workflow refused the link's ask, as its holder should read it.
    fn refused(error: WorkflowError, request: &ConsentRequest, claims: &LinkClaims) -> Self {
        if request.reviewer(claims.slot).is_none() {
            return LinkProblem::Invalid;
        }
        match error {
            // A canceled request's asks stay for the record; their links are dead.
            WorkflowError::Superseded | WorkflowError::WrongStatus { .. }
                if request.status() == Status::Canceled =>
            {
                LinkProblem::Canceled
            }
            WorkflowError::Superseded => LinkProblem::Superseded,
            WorkflowError::AlreadyDecided(decision) => LinkProblem::AlreadyDecided {
                decision,
                status: request.status(),
            },
            WorkflowError::WrongStatus {
                status: Status::NotAllowed(ClosedReason::Revoked),
                ..
            } if claims.purpose == Purpose::Revoke => LinkProblem::AlreadyWithdrawn,
            WorkflowError::WrongStatus { status, .. } => LinkProblem::Closed(status),
            WorkflowError::SignIn(refusal) => LinkProblem::SignIn(refusal),
            // A reviewer's decision spends no budget.
            WorkflowError::Invalid(_)
            | WorkflowError::OverBudget(_)
            | WorkflowError::NotCustomerAdmin => LinkProblem::Invalid,
        }
    }
}

/// What a reviewer sees before deciding.
#[derive(Clone, Debug)]
pub struct ReviewContext {
    pub request: ConsentRequest,
    pub slot: Slot,
    pub partner_name: String,
    pub customer_name: String,
    pub link_expires_at: OffsetDateTime,
    /// When access ends (or would, were it given now) with a term; None: until withdrawn.
    pub access_until: Option<OffsetDateTime>,
    /// Whether a decision needs a sign-in.
    pub sign_in_rule: ReviewerSignIn,
    /// The browser's sign-in for this link, when it proves the reviewer.
    pub signed_in: Option<SignIn>,
}

impl ConsentService {
    /// Checks a link's signature, expiry and purpose.
    pub(super) async fn verify_link(
        &self,
        token: &str,
        purpose: Purpose,
    ) -> Result<LinkClaims, LinkProblem> {
        let links = self.links.as_ref().ok_or(LinkProblem::Unavailable)?;
        let claims = match links.verify(token, self.now()) {
            Ok(claims) => claims,
            Err(LinkError::Expired { .. }) => return Err(self.why_expired(token, purpose).await),
            Err(LinkError::Invalid | LinkError::UnknownKey) => return Err(LinkProblem::Invalid),
        };
        if claims.purpose != purpose {
            return Err(LinkProblem::Invalid);
        }
        Ok(claims)
    }

    /// An expired link: if its request has since closed, been decided or
    /// replaced, that says more than "expired" (a review link expires with
    /// its request).
    async fn why_expired(&self, token: &str, purpose: Purpose) -> LinkProblem {
        let Some(claims) = self
            .links
            .as_ref()
            .and_then(|links| links.verify_signature(token).ok())
            .filter(|c| c.purpose == purpose)
        else {
            return LinkProblem::Invalid;
        };
        match self.linked_request(&claims).await {
            Ok(request) => {
                match workflow::link_may(&request, claims.slot, claims.ask_id, link_use(purpose)) {
                    Err(e) => LinkProblem::refused(e, &request, &claims),
                    Ok(()) => LinkProblem::Expired,
                }
            }
            Err(problem) => problem,
        }
    }

    /// What the page shows of `request`. Before a change an unreadable
    /// directory means "try again"; after it the change stands, and the page
    /// names the tenants by id.
    async fn context(
        &self,
        request: ConsentRequest,
        claims: &LinkClaims,
        committed: bool,
    ) -> Result<ReviewContext, LinkProblem> {
        let [partner_name, customer_name] = match names_of(self.directory.as_ref(), &request).await
        {
            Ok(names) => names,
            Err(_) if committed => [
                request.partner_tenant_id.to_string(),
                request.target_tenant_id.to_string(),
            ],
            Err(e) => return Err(e.into()),
        };
        Ok(ReviewContext {
            partner_name,
            customer_name,
            slot: claims.slot,
            access_until: request
                .allowed_until()
                .or_else(|| request.access_term.map(|t| self.now() + t.duration())),
            request,
            link_expires_at: claims.expires_at,
            sign_in_rule: self.settings.policy.reviewer_sign_in,
            signed_in: None,
        })
    }

    /// The request a link names; a link to a request that is gone is invalid.
    async fn linked_request(&self, claims: &LinkClaims) -> Result<ConsentRequest, LinkProblem> {
        Ok(self.store.get(claims.request_id).await?.ok_or(Missing)?)
    }

    /// What the holder of a link should see, with the browser's sign-in
    /// for it (`proof`, the cookie) if that still proves the reviewer;
    /// changes nothing.
    pub(super) async fn link_context(
        &self,
        token: &str,
        purpose: Purpose,
        proof: Option<&str>,
    ) -> Result<ReviewContext, LinkProblem> {
        let claims = self.verify_link(token, purpose).await?;
        let request = self.linked_request(&claims).await?;
        workflow::link_may(&request, claims.slot, claims.ask_id, link_use(purpose))
            .map_err(|e| LinkProblem::refused(e, &request, &claims))?;
        let mut context = self.context(request, &claims, false).await?;
        if let Some(verified) = self.proof_for(&claims, proof)
            && workflow::check_sign_in(&context.request, claims.slot, &verified, link_use(purpose))
                .is_ok()
        {
            context.signed_in = Some(verified.sign_in);
        }
        Ok(context)
    }

    /// The sign-in a decision on `claims` brings, with where the decision
    /// came from; the workflow checks it against the request.
    fn offered_sign_in(
        &self,
        claims: &LinkClaims,
        proof: Option<&str>,
        client: &Client,
    ) -> Option<Verified> {
        let mut verified = self.proof_for(claims, proof)?;
        verified.sign_in.ip = client.ip.clone();
        verified.sign_in.user_agent = client.user_agent.clone();
        Some(verified)
    }

    /// Applies the command a link stands for, once, and sends what it owes.
    /// The page tells what this use of the link did, whatever happened since.
    async fn act_on_link(
        &self,
        claims: LinkClaims,
        command: Command,
    ) -> Result<ReviewContext, LinkProblem> {
        let transition = self
            .apply_with_retry(claims.request_id, None, |request| {
                let reviewer = request.reviewer(claims.slot).ok_or(LinkProblem::Invalid)?;
                let actor = Actor::Reviewer {
                    slot: claims.slot,
                    email: reviewer.email.clone(),
                    signed_in: None,
                };
                workflow::apply(
                    request,
                    command.clone(),
                    actor,
                    self.now(),
                    &self.settings.policy,
                )
                .map_err(|e| LinkProblem::refused(e, request, &claims))
            })
            .await?;
        tracing::info!(request_id = %transition.request.id, slot = claims.slot.number(), action = ?transition.audit.action, status = transition.request.status().code(), "link used");
        let action = format!("{:?}", transition.audit.action);
        crate::metrics::emit(&[("Action", &action)], &[("LinkActions", 1.0)]);
        let committed = transition.request.clone();
        let signed_in = match &transition.audit.actor {
            Actor::Reviewer { signed_in, .. } => signed_in.clone(),
            _ => None,
        };
        self.carry_out(transition).await;
        let mut context = self.context(committed, &claims, true).await?;
        context.signed_in = signed_in;
        Ok(context)
    }

    /// Resolves a review link to what its reviewer should see; `proof` is
    /// the browser's sign-in cookie for the link, if any.
    pub async fn review_context(
        &self,
        token: &str,
        proof: Option<&str>,
    ) -> Result<ReviewContext, LinkProblem> {
        self.link_context(token, Purpose::Review, proof).await
    }

    /// Takes a reviewer's decision from a review link, with the browser's
    /// sign-in for it (required unless the service is link-only).
    pub async fn decide(
        &self,
        token: &str,
        (verdict, comment): (Verdict, Option<Comment>),
        proof: Option<&str>,
        client: &Client,
    ) -> Result<ReviewContext, LinkProblem> {
        let claims = self.verify_link(token, Purpose::Review).await?;
        let command = Command::Decide {
            slot: claims.slot,
            ask_id: claims.ask_id,
            verdict,
            comment,
            signed_in: self.offered_sign_in(&claims, proof, client),
        };
        self.act_on_link(claims, command).await
    }

    /// Resolves a withdrawal link to what its reviewer should see.
    pub async fn revoke_context(
        &self,
        token: &str,
        proof: Option<&str>,
    ) -> Result<ReviewContext, LinkProblem> {
        self.link_context(token, Purpose::Revoke, proof).await
    }

    /// Withdraws the consent a reviewer gave; access ends at once and the
    /// partner's admins are told.
    pub async fn revoke(
        &self,
        token: &str,
        proof: Option<&str>,
        client: &Client,
    ) -> Result<ReviewContext, LinkProblem> {
        let claims = self.verify_link(token, Purpose::Revoke).await?;
        let signed_in = self.offered_sign_in(&claims, proof, client);
        let request = self.linked_request(&claims).await?;
        let partner_contacts = self
            .directory
            .tenant(&request.partner_tenant_id)
            .await?
            .map(|partner| partner.contacts)
            .unwrap_or_default();
        let command = Command::Revoke {
            slot: claims.slot,
            ask_id: claims.ask_id,
            partner_contacts,
            signed_in,
        };
        self.act_on_link(claims, command).await
    }
}
