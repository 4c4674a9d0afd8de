//! The application service: load → workflow → conditional save → emails.
//! Handlers parse and authorize, then call this.
//!
//! Here: the service, its errors, the retry loop, the partner commands and
//! the access check; [`links`]: what a review or withdrawal link shows and
//! does; [`delivery`]: sending what a change owes, and the scheduled run.

mod delivery;
mod links;

pub use delivery::{Dispatcher, Outcome, RunReport, Tally};
pub use links::{LinkProblem, ReviewContext};

use std::borrow::Cow;
use std::sync::Arc;

use time::OffsetDateTime;
use uuid::Uuid;

use crate::ports::{Clock, ConsentStore, DirectoryError, Mailer, StoreError, TenantDirectory};
use crate::settings::Settings;
use consent_core::domain::{
    AccessPurpose, AccessTerm, Actor, AskId, AuditEvent, Comment, ConsentRequest, Email,
    EnvironmentId, EnvironmentName, RequestId, Requester, ScopeKey, Slot, Status, Tenant, TenantId,
};
use consent_core::links::LinkSigner;
use consent_core::workflow::{self, Command, FieldError, Transition, WorkflowError};

/// How often a command is retried after losing a race to another writer.
const MAX_ATTEMPTS: usize = 4;

/// The signed-in caller, from the JWT claims.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub tenant_id: TenantId,
    pub user_id: String,
    pub email: Option<Email>,
    pub admin: bool,
}

impl Caller {
    fn actor(&self) -> Actor {
        Actor::User {
            tenant_id: self.tenant_id.clone(),
            user_id: self.user_id.clone(),
            email: self.email.clone(),
            admin: self.admin,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    #[error("the input is not valid")]
    Invalid(Vec<FieldError>),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{detail}")]
    Conflict {
        detail: String,
        existing: Option<RequestId>,
    },
    #[error("the page cursor is not valid")]
    BadCursor,
    #[error("a dependency is unavailable: {0}")]
    Unavailable(String),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::VersionConflict => ServiceError::Conflict {
                detail: "the request was changed by someone else at the same time; reload it and try again".to_owned(),
                existing: None,
            },
            StoreError::Duplicate { existing } => ServiceError::Conflict {
                detail: format!(
                    "your tenant already has an open consent request for this tenant and environment: see it with GET /consent-requests/{existing}; a partner admin can cancel it (POST /consent-requests/{existing}/cancel) or name new reviewers on it"
                ),
                existing: Some(existing),
            },
            StoreError::BadCursor => ServiceError::BadCursor,
            StoreError::Unavailable(msg) => ServiceError::Unavailable(msg),
        }
    }
}

/// The request to change is not stored.
struct Missing;

impl From<Missing> for ServiceError {
    fn from(_: Missing) -> Self {
        ServiceError::NotFound
    }
}

impl From<WorkflowError> for ServiceError {
    fn from(e: WorkflowError) -> Self {
        match e {
            WorkflowError::Invalid(errors) => ServiceError::Invalid(errors),
            other => ServiceError::Conflict {
                detail: other.to_string(),
                existing: None,
            },
        }
    }
}

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

/// Answer to "may this tenant see that environment's telemetry?".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Access {
    pub status: Option<Status>,
    pub request_id: Option<RequestId>,
    pub customer_name: Option<String>,
}

#[derive(Clone)]
pub struct ConsentService {
    store: Arc<dyn ConsentStore>,
    directory: Arc<dyn TenantDirectory>,
    clock: Arc<dyn Clock>,
    /// None in functions that neither sign nor check links.
    links: Option<LinkSigner>,
    /// None in functions that send no email: what they owe stays due for the
    /// scheduled function.
    dispatcher: Option<Dispatcher>,
    settings: Settings,
}

impl ConsentService {
    /// A service that sends the emails its changes owe through `mailer`.
    pub fn new(
        store: Arc<dyn ConsentStore>,
        mailer: Arc<dyn Mailer>,
        directory: Arc<dyn TenantDirectory>,
        clock: Arc<dyn Clock>,
        links: impl Into<Option<LinkSigner>>,
        settings: Settings,
    ) -> Self {
        Self {
            dispatcher: Some(Dispatcher::new(mailer, directory.clone())),
            ..Self::without_email(store, directory, clock, links, settings)
        }
    }

    /// A service that sends no email.
    pub fn without_email(
        store: Arc<dyn ConsentStore>,
        directory: Arc<dyn TenantDirectory>,
        clock: Arc<dyn Clock>,
        links: impl Into<Option<LinkSigner>>,
        settings: Settings,
    ) -> Self {
        Self {
            store,
            directory,
            clock,
            links: links.into(),
            dispatcher: None,
            settings,
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The service as one request reached it: links in the emails it sends
    /// point at `origin`, unless a public base URL is configured, which always wins.
    pub fn reached_at(&self, origin: Option<String>) -> Cow<'_, Self> {
        match origin {
            Some(origin) if self.settings.public_base_url.is_none() => {
                let mut scoped = self.clone();
                scoped.settings.public_base_url = Some(origin);
                Cow::Owned(scoped)
            }
            _ => Cow::Borrowed(self),
        }
    }

    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
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
        let [partner, target] = self
            .tenant_pair(&caller.tenant_id, &input.target_tenant_id)
            .await?;
        if partner.is_none() {
            return Err(ServiceError::Forbidden(
                "your tenant is not in the tenant directory, so reviewers could not be told who asks; ask the operator of this service to add it",
            ));
        }
        let customer_domains = match target {
            Some(target) => target.domains,
            None if own_tenant => Vec::new(),
            None => {
                return Err(ServiceError::Invalid(vec![FieldError::new(
                    "/targetTenantId",
                    "no customer tenant has this id",
                )]));
            }
        };
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
            reviewers: input.reviewers,
            customer_domains,
            confirmed_in_target_tenant: input.confirmed_in_target_tenant,
            ask_ids: fresh_ask_ids(),
        };
        let transition = workflow::create(new, caller.actor(), self.now(), &self.settings.policy)?;
        self.store
            .insert(&transition.request, &transition.audit)
            .await?;
        Ok(self.carry_out(transition).await)
    }

    /// A request of the caller's tenant; another tenant's is not found.
    pub async fn get(
        &self,
        caller: &Caller,
        id: RequestId,
    ) -> Result<(ConsentRequest, Vec<AuditEvent>), ServiceError> {
        match self.store.get_with_history(id).await? {
            Some((request, events)) if request.partner_tenant_id == caller.tenant_id => {
                Ok((request, events))
            }
            _ => Err(ServiceError::NotFound),
        }
    }

    pub async fn list(
        &self,
        caller: &Caller,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<crate::ports::Page, ServiceError> {
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
        let customer_domains = self
            .directory
            .tenant(&request.target_tenant_id)
            .await
            .map_err(|e| ServiceError::Unavailable(e.to_string()))?
            .map(|t| t.domains)
            .unwrap_or_default();
        self.command_as_partner(caller, id, Some(request), || Command::ReplaceReviewer {
            slot,
            email: email.clone(),
            confirmed_in_target_tenant,
            customer_domains: customer_domains.clone(),
            ask_ids: fresh_ask_ids(),
        })
        .await
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
            .apply_with_retry(id, in_hand, |request| {
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
            })
            .await?;
        Ok(self.carry_out(transition).await)
    }

    /// Loads, decides and saves; a lost race is re-read and re-decided.
    /// `in_hand` is a copy believed current, tried first without a read.
    async fn apply_with_retry<E, F>(
        &self,
        id: RequestId,
        mut in_hand: Option<ConsentRequest>,
        decide: F,
    ) -> Result<Transition, E>
    where
        E: From<StoreError> + From<Missing>,
        F: Fn(&ConsentRequest) -> Result<Transition, E>,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let request = match in_hand.take() {
                Some(request) => request,
                None => self.store.get(id).await?.ok_or(Missing)?,
            };
            let transition = decide(&request)?;
            match self
                .store
                .update(&transition.request, &transition.audit)
                .await
            {
                Ok(()) => return Ok(transition),
                Err(StoreError::VersionConflict) if attempt < MAX_ATTEMPTS => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// The access check and the directory lookups of the commands.
impl ConsentService {
    /// What `partner` may see of `target`'s environment: the same answer for
    /// a partner user (`/access`) and for a service acting for every partner
    /// (`/service/access`).
    pub async fn access(
        &self,
        partner: &TenantId,
        target: TenantId,
        environment: EnvironmentId,
    ) -> Result<Access, ServiceError> {
        let (status, request_id) = if target == *partner {
            (Some(Status::NotApplicable), None)
        } else {
            let scope = ScopeKey {
                partner: partner.clone(),
                target: target.clone(),
                environment,
            };
            // A term that ran out ends access at once, before the run records it.
            match self.store.latest_in_scope(&scope).await? {
                Some(scope) => (
                    Some(scope.snapshot.status_at(self.now())),
                    Some(scope.request_id),
                ),
                None => (None, None),
            }
        };
        // The customer's name is resolved only once access is granted.
        let customer_name = match status {
            Some(s) if s.grants_access() => self.tenant_name(&target).await?,
            _ => None,
        };
        Ok(Access {
            status,
            request_id,
            customer_name,
        })
    }

    async fn tenant_name(&self, id: &TenantId) -> Result<Option<String>, ServiceError> {
        Ok(self
            .directory
            .tenant(id)
            .await
            .map_err(|e| ServiceError::Unavailable(e.to_string()))?
            .map(|t| t.name))
    }

    /// Two tenants in one read of the directory.
    async fn tenant_pair(
        &self,
        a: &TenantId,
        b: &TenantId,
    ) -> Result<[Option<Tenant>; 2], ServiceError> {
        let found = self
            .directory
            .tenants(&[a.clone(), b.clone()])
            .await
            .map_err(|e| ServiceError::Unavailable(e.to_string()))?;
        let mut found = found.into_iter();
        Ok([found.next().flatten(), found.next().flatten()])
    }
}

/// The partner's and the customer's names for people, in one read of the directory.
async fn names_of(
    directory: &dyn TenantDirectory,
    request: &ConsentRequest,
) -> Result<[String; 2], DirectoryError> {
    let ids = [
        request.partner_tenant_id.clone(),
        request.target_tenant_id.clone(),
    ];
    let mut names = directory.display_names(&ids).await?.into_iter();
    let partner = names.next().unwrap_or_else(|| ids[0].to_string());
    let customer = names.next().unwrap_or_else(|| ids[1].to_string());
    Ok([partner, customer])
}

fn require_admin(caller: &Caller) -> Result<(), ServiceError> {
    if caller.admin {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(
            "this action needs the partner admin role",
        ))
    }
}

fn fresh_ask_ids() -> [AskId; 2] {
    [AskId(Uuid::new_v4()), AskId(Uuid::new_v4())]
}
