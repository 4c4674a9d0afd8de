//! What partner users do: create, read and list their tenant's requests;
//! what partner admins do: cancel, name a new reviewer. And the retry loop
//! every change shares.

use consent_core::domain::{
    AccessPurpose, AccessTerm, AskId, Comment, ConsentRequest, Domain, Email, EnvironmentId,
    EnvironmentName, RequestId, Requester, Slot, Status, TenantId, TenantKind,
};
use consent_core::workflow::{self, Command, PartnerSide, Transition};
use uuid::Uuid;

use super::error::Missing;
use super::{Caller, ConsentService, ServiceError, require_admin};
use crate::ports::{Charge, History, Page, StoreError};

/// How often a command is retried after losing a race to another writer.
const MAX_ATTEMPTS: usize = 4;

/// The body of a create call, already parsed into domain types.
#[derive(Clone, Debug)]
pub struct CreateInput {
    pub target_tenant_id: TenantId,
    pub environment_id: EnvironmentId,
    pub environment_name: EnvironmentName,
    pub purpose: AccessPurpose,
    pub access_term: Option<AccessTerm>,
    pub reviewers: Vec<Email>,
    /// The requester confirmed both reviewers belong to the customer organization.
    pub confirmed_in_target_tenant: bool,
}

/// Which page of a request's history to read: the newest `limit` events
/// whose version is below `before` (the newest of all when None).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistoryQuery {
    pub limit: usize,
    pub before: Option<u64>,
}

impl HistoryQuery {
    pub const DEFAULT_LIMIT: usize = 50;
    pub const MAX_LIMIT: usize = 200;

    /// The newest event alone: for a caller that needs the request, not its history.
    pub const NEWEST: HistoryQuery = HistoryQuery {
        limit: 1,
        before: None,
    };

    /// The largest page of the newest events.
    pub const LARGEST: HistoryQuery = HistoryQuery {
        limit: Self::MAX_LIMIT,
        before: None,
    };
}

impl Default for HistoryQuery {
    fn default() -> Self {
        Self {
            limit: Self::DEFAULT_LIMIT,
            before: None,
        }
    }
}

/// The customer's verified domains and contacts, from the directory.
#[derive(Debug)]
pub(super) struct CustomerSide {
    /// False when the directory lists no customer tenant of that id (none,
    /// or a partner's): a create is then refused as if the reviewers were
    /// not at its domains, so a partner cannot probe the directory.
    pub(super) in_directory: bool,
    pub(super) domains: Vec<Domain>,
    pub(super) contacts: Vec<Email>,
}

impl CustomerSide {
    fn listed(domains: Vec<Domain>, contacts: Vec<Email>) -> Self {
        CustomerSide {
            in_directory: true,
            domains,
            contacts,
        }
    }

    fn unknown() -> Self {
        CustomerSide {
            in_directory: false,
            domains: Vec::new(),
            contacts: Vec::new(),
        }
    }
}

/// The partner commands and the retry loop they share.
impl ConsentService {
    pub async fn create(
        &self,
        caller: &Caller,
        input: CreateInput,
    ) -> Result<ConsentRequest, ServiceError> {
        let email = caller.email.clone().ok_or(ServiceError::Forbidden(
            "your sign-in token carries no email address, which reviewers need to see who asks",
        ))?;
        let own_tenant = input.target_tenant_id == caller.tenant_id;
        let (partner, customer) = self
            .sides(&caller.tenant_id, &input.target_tenant_id)
            .await?;
        self.unless_blocked(&input.target_tenant_id, &caller.tenant_id)
            .await?;
        let new = workflow::NewRequest {
            id: RequestId(Uuid::new_v4()),
            partner_tenant_id: caller.tenant_id.clone(),
            requester: Requester {
                user_id: caller.user_id.clone(),
                email,
            },
            target_tenant_id: input.target_tenant_id,
            environment_id: input.environment_id,
            environment_name: input.environment_name,
            purpose: input.purpose,
            access_term: input.access_term,
            reviewers: workflow::reviewer_pair(own_tenant, input.reviewers)?,
            customer_in_directory: customer.in_directory,
            customer_domains: customer.domains,
            customer_contacts: customer.contacts,
            partner,
            confirmed_in_target_tenant: input.confirmed_in_target_tenant,
            ask_ids: fresh_ask_ids(),
        };
        let named: Vec<(String, Email)> = (new.reviewers.iter().flatten().enumerate())
            .map(|(i, e)| (format!("/reviewers/{i}"), e.clone()))
            .collect();
        let created = workflow::create(new, caller.actor(), self.now(), &self.settings.policy);
        // The record's signature and the reviewers' address checks are
        // independent waits: made at once.
        let signing = async {
            match &created {
                Ok(transition) => self.signed_record(transition).await,
                Err(_) => Ok(None),
            }
        };
        let (checked, signed) =
            tokio::join!(self.unless_unreachable(&named, created.clone()), signing);
        let mut transition = checked?;
        super::records::with_record(&mut transition, signed?);
        self.store
            .insert_charged(
                &transition.request,
                &transition.audit,
                &self.create_charges(caller, &transition),
            )
            .await?;
        Ok(self.carry_out(transition).await)
    }

    /// A request of the caller's tenant; another tenant's is not found.
    /// With one page of its history: the newest events, or those below a
    /// version the previous page named.
    pub async fn get(
        &self,
        caller: &Caller,
        id: RequestId,
        page: HistoryQuery,
    ) -> Result<(ConsentRequest, History), ServiceError> {
        let limit = page.limit.clamp(1, HistoryQuery::MAX_LIMIT);
        match self.store.history_page(id, limit, page.before).await? {
            Some((request, history)) if request.partner_tenant_id == caller.tenant_id => {
                Ok((request, history))
            }
            _ => Err(ServiceError::NotFound),
        }
    }

    pub async fn list(
        &self,
        caller: &Caller,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page, ServiceError> {
        Ok(self
            .store
            .list_by_partner(&caller.tenant_id, limit, cursor)
            .await?)
    }

    /// Cancels a request, with the admin's reason if given.
    pub async fn cancel(
        &self,
        caller: &Caller,
        id: RequestId,
        reason: Option<Comment>,
    ) -> Result<ConsentRequest, ServiceError> {
        require_admin(caller)?;
        self.command_as_partner(caller, id, None, || Command::Cancel {
            reason: reason.clone(),
        })
        .await
    }

    /// Gives a slot a new reviewer, who must be at one of the customer's
    /// verified domains when it lists any.
    pub async fn replace_reviewer(
        &self,
        caller: &Caller,
        id: RequestId,
        slot: Slot,
        email: Email,
        confirmed_in_target_tenant: bool,
    ) -> Result<ConsentRequest, ServiceError> {
        require_admin(caller)?;
        let request = self.own_request(caller, id).await?;
        let (partner, customer) = self
            .sides(&request.partner_tenant_id, &request.target_tenant_id)
            .await?;
        if !customer.in_directory {
            // Nothing would vouch for a new reviewer.
            return Err(ServiceError::Forbidden(
                "the tenant directory no longer lists this request's customer, so nobody can be asked on its behalf; ask the operator of this service",
            ));
        }
        self.unless_blocked(&request.target_tenant_id, &caller.tenant_id)
            .await?;
        if request.status() == Status::Canceled
            && let Some(newer) = self.store.latest_in_scope(&request.scope_key()).await?
            && newer.request_id != id
        {
            return Err(ServiceError::Conflict {
                detail: "your tenant has set up a newer request for this tenant and environment since this one was canceled, so this one cannot be reopened: edit the newer one".to_owned(),
                existing: Some(newer.request_id),
            });
        }
        let unreachable = self
            .refuse_unreachable(&[("/email".to_owned(), email.clone())])
            .await?;
        if !unreachable.is_empty() {
            return Err(ServiceError::Invalid(unreachable));
        }
        self.command_as_partner(caller, id, Some(request), || Command::ReplaceReviewer {
            slot,
            email: email.clone(),
            confirmed_in_target_tenant,
            customer_domains: customer.domains.clone(),
            partner: partner.clone(),
            ask_ids: fresh_ask_ids(),
        })
        .await
    }

    /// Runs a partner's command with optimistic retries, then its effects;
    /// `in_hand` is the request if already read.
    async fn command_as_partner(
        &self,
        caller: &Caller,
        id: RequestId,
        in_hand: Option<ConsentRequest>,
        command: impl Fn() -> Command,
    ) -> Result<ConsentRequest, ServiceError> {
        let transition = self
            .apply_charged_with_retry(
                id,
                in_hand,
                |request| {
                    if request.partner_tenant_id != caller.tenant_id {
                        return Err(ServiceError::NotFound);
                    }
                    Ok(workflow::apply(
                        request,
                        command(),
                        caller.actor(),
                        self.now(),
                        &self.settings.policy,
                    )?)
                },
                |transition| self.ask_charges(transition),
            )
            .await?;
        Ok(self.carry_out(transition).await)
    }

    /// Loads, decides and saves; a lost race is re-read and re-decided.
    /// `in_hand` is a copy believed current, tried first without a read.
    pub(super) async fn apply_with_retry<E, F>(
        &self,
        id: RequestId,
        in_hand: Option<ConsentRequest>,
        decide: F,
    ) -> Result<Transition, E>
    where
        E: From<StoreError> + From<Missing>,
        F: Fn(&ConsentRequest) -> Result<Transition, E>,
    {
        self.apply_charged_with_retry(id, in_hand, decide, |_| Vec::new())
            .await
    }

    /// As [`Self::apply_with_retry`], the save spending the budgets `charges`
    /// names for the change.
    pub(super) async fn apply_charged_with_retry<E, F, C>(
        &self,
        id: RequestId,
        mut in_hand: Option<ConsentRequest>,
        decide: F,
        charges: C,
    ) -> Result<Transition, E>
    where
        E: From<StoreError> + From<Missing>,
        F: Fn(&ConsentRequest) -> Result<Transition, E>,
        C: Fn(&Transition) -> Vec<Charge>,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let request = match in_hand.take() {
                Some(request) => request,
                None => self.store.get(id).await?.ok_or(Missing)?,
            };
            let mut transition = decide(&request)?;
            self.record(&mut transition).await?;
            match self
                .store
                .update_charged(
                    &transition.request,
                    &transition.audit,
                    &charges(&transition),
                )
                .await
            {
                Ok(()) => return Ok(transition),
                Err(StoreError::VersionConflict) if attempt < MAX_ATTEMPTS => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// What the partner commands read before they change anything.
impl ConsentService {
    /// The partner's own people, and the customer's verified domains, from
    /// one read of the directory: the partner must be a partner tenant, and
    /// the target a customer tenant (or the partner itself, which asks no one).
    pub(super) async fn sides(
        &self,
        partner: &TenantId,
        target: &TenantId,
    ) -> Result<(PartnerSide, CustomerSide), ServiceError> {
        let [found, customer] = self.tenant_pair(partner, target).await?;
        let Some(found) = found else {
            return Err(ServiceError::Forbidden(
                "your tenant is not in the tenant directory, so reviewers could not be told who asks; ask the operator of this service to add it",
            ));
        };
        if found.kind != TenantKind::Partner {
            return Err(ServiceError::Forbidden(
                "only a partner tenant asks for consent, and the tenant directory lists yours as a customer; ask the operator of this service",
            ));
        }
        let side = PartnerSide {
            domains: found.domains,
            contacts: found.contacts,
        };
        match customer {
            _ if target == partner => Ok((side, CustomerSide::listed(Vec::new(), Vec::new()))),
            Some(customer) if customer.kind == TenantKind::Customer => Ok((
                side,
                CustomerSide::listed(customer.domains, customer.contacts),
            )),
            Some(_) | None => Ok((side, CustomerSide::unknown())),
        }
    }

    /// A request of the caller's tenant, without its history.
    async fn own_request(
        &self,
        caller: &Caller,
        id: RequestId,
    ) -> Result<ConsentRequest, ServiceError> {
        match self.store.get(id).await? {
            Some(request) if request.partner_tenant_id == caller.tenant_id => Ok(request),
            _ => Err(ServiceError::NotFound),
        }
    }
}

pub(super) fn fresh_ask_ids() -> [AskId; 2] {
    [AskId(Uuid::new_v4()), AskId(Uuid::new_v4())]
}
