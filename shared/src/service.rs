//! The application service: load → workflow → conditional save → effects.
//! Handlers parse and authorize, then call this.

use std::sync::Arc;

use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::domain::{
    Actor, AskId, AuditEvent, Comment, ConsentRequest, Decision, Email, EnvironmentId,
    EnvironmentName, RequestId, Requester, ScopeKey, Slot, Status, TenantId, Verdict,
};
use crate::links::{LinkClaims, LinkError, LinkSigner, Purpose};
use crate::notify;
use crate::ports::{Clock, ConsentStore, MailError, Mailer, StoreError, TenantDirectory};
use crate::workflow::{
    self, Command, DeliveryPolicy, Effect, FieldError, Transition, WorkflowError,
};

/// How often a command is retried after losing a race to another writer.
const MAX_ATTEMPTS: usize = 4;

/// Service-wide settings.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Where the review page is reachable, without a trailing slash.
    pub public_base_url: String,
    /// How long a review link stays valid after it is emailed.
    pub link_ttl: Duration,
    pub delivery: DeliveryPolicy,
    /// Due emails one scheduled run handles at most.
    pub run_batch: usize,
    /// The JWT role that makes a partner user an admin.
    pub admin_role: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            public_base_url: "http://127.0.0.1:3000".to_owned(),
            link_ttl: Duration::days(30),
            delivery: DeliveryPolicy::default(),
            run_batch: 100,
            admin_role: "ConsentAdmin".to_owned(),
        }
    }
}

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
                detail: "your tenant already has an open consent request for this tenant and environment".to_owned(),
                existing: Some(existing),
            },
            StoreError::BadCursor => ServiceError::BadCursor,
            StoreError::Unavailable(msg) => ServiceError::Unavailable(msg),
        }
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
    pub reviewers: Vec<Email>,
}

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
        decision: Decision,
        status: Status,
    },
    Unavailable,
}

/// What a reviewer sees before deciding.
#[derive(Clone, Debug)]
pub struct ReviewContext {
    pub request: ConsentRequest,
    pub slot: Slot,
    pub partner_name: String,
    pub customer_name: String,
    pub link_expires_at: OffsetDateTime,
}

/// Answer to "may this tenant see that environment's telemetry?".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Access {
    pub status: Option<Status>,
    pub request_id: Option<RequestId>,
    pub customer_name: Option<String>,
}

/// What one scheduled run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RunReport {
    /// Requests found with an email due.
    pub seen: usize,
    /// Emails sent.
    pub sent: usize,
    /// Requests with nothing left to send when read (decided, replaced, closed).
    pub skipped: usize,
    /// Emails that failed for now; they stay due.
    pub failed: usize,
    /// Emails refused for good by the mail service; recorded on the ask.
    pub refused: usize,
}

pub struct ConsentService {
    store: Arc<dyn ConsentStore>,
    mailer: Arc<dyn Mailer>,
    directory: Arc<dyn TenantDirectory>,
    clock: Arc<dyn Clock>,
    links: LinkSigner,
    settings: Settings,
}

impl ConsentService {
    pub fn new(
        store: Arc<dyn ConsentStore>,
        mailer: Arc<dyn Mailer>,
        directory: Arc<dyn TenantDirectory>,
        clock: Arc<dyn Clock>,
        links: LinkSigner,
        settings: Settings,
    ) -> Self {
        Self {
            store,
            mailer,
            directory,
            clock,
            links,
            settings,
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    pub async fn create(
        &self,
        caller: &Caller,
        input: CreateInput,
    ) -> Result<ConsentRequest, ServiceError> {
        let email = caller.email.clone().ok_or(ServiceError::Forbidden(
            "your sign-in token carries no email address, which reviewers need to see who asks",
        ))?;
        let own_tenant = input.target_tenant_id == caller.tenant_id;
        if !own_tenant && self.tenant_name(&input.target_tenant_id).await?.is_none() {
            return Err(ServiceError::Invalid(vec![FieldError::new(
                "/targetTenantId",
                "no customer tenant has this id",
            )]));
        }
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
            reviewers: input.reviewers,
            ask_ids: fresh_ask_ids(),
        };
        let transition =
            workflow::create(new, caller.actor(), self.now(), &self.settings.delivery)?;
        self.store
            .insert(&transition.request, &transition.audit)
            .await?;
        let Transition {
            request, effects, ..
        } = transition;
        Ok(self.carry_out(request, effects).await)
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

    pub async fn cancel(
        &self,
        caller: &Caller,
        id: RequestId,
    ) -> Result<ConsentRequest, ServiceError> {
        require_admin(caller)?;
        self.command_as_partner(caller, id, || Command::Cancel)
            .await
    }

    pub async fn replace_reviewer(
        &self,
        caller: &Caller,
        id: RequestId,
        slot: Slot,
        email: Email,
        confirmed_in_target_tenant: bool,
    ) -> Result<ConsentRequest, ServiceError> {
        require_admin(caller)?;
        self.command_as_partner(caller, id, || Command::ReplaceReviewer {
            slot,
            email: email.clone(),
            confirmed_in_target_tenant,
            ask_ids: fresh_ask_ids(),
        })
        .await
    }

    /// Runs a partner's command with optimistic retries, then its effects.
    async fn command_as_partner(
        &self,
        caller: &Caller,
        id: RequestId,
        command: impl Fn() -> Command,
    ) -> Result<ConsentRequest, ServiceError> {
        let transition = self
            .apply_with_retry(id, None, |request| {
                if request.partner_tenant_id != caller.tenant_id {
                    return Err(ServiceError::NotFound);
                }
                Ok(workflow::apply(
                    request,
                    command(),
                    caller.actor(),
                    self.now(),
                    &self.settings.delivery,
                )?)
            })
            .await?;
        Ok(self.carry_out(transition.request, transition.effects).await)
    }

    /// Loads, decides and saves; a lost race is re-read and re-decided.
    /// `in_hand` is a copy believed current, tried first without a read.
    async fn apply_with_retry<F>(
        &self,
        id: RequestId,
        mut in_hand: Option<ConsentRequest>,
        decide: F,
    ) -> Result<Transition, ServiceError>
    where
        F: Fn(&ConsentRequest) -> Result<Transition, ServiceError>,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let request = match in_hand.take() {
                Some(request) => request,
                None => self.store.get(id).await?.ok_or(ServiceError::NotFound)?,
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

    /// Sends the emails a committed change calls for and records how it went.
    /// A send that failed for now stays due and is retried by the scheduled run.
    async fn carry_out(&self, request: ConsentRequest, effects: Vec<Effect>) -> ConsentRequest {
        let asks: Vec<(Slot, AskId)> = effects
            .into_iter()
            .map(|effect| match effect {
                Effect::SendAsk { slot, ask_id } => (slot, ask_id),
            })
            .collect();
        if asks.is_empty() {
            return request;
        }
        self.deliver(request, &asks).await.1
    }

    /// Emails the given asks of `request`, then stores the outcome in one
    /// write. Returns what happened and the request as now stored.
    async fn deliver(
        &self,
        request: ConsentRequest,
        asks: &[(Slot, AskId)],
    ) -> (RunReport, ConsentRequest) {
        let mut report = RunReport::default();
        let (mut sent, mut refused) = (Vec::new(), Vec::new());
        for &(slot, ask_id) in asks {
            match self.send_ask(&request, slot, ask_id).await {
                Ok(()) => {
                    report.sent += 1;
                    sent.push((slot, ask_id));
                }
                Err(MailError::Permanent(reason)) => {
                    tracing::warn!(request_id = %request.id, slot = slot.number(), %reason, "review email refused for good");
                    report.refused += 1;
                    refused.push((slot, ask_id, reason));
                }
                Err(MailError::Transient(error)) => {
                    tracing::warn!(request_id = %request.id, slot = slot.number(), %error, "review email not sent; it stays due");
                    report.failed += 1;
                }
            }
        }
        if sent.is_empty() && refused.is_empty() {
            return (report, request);
        }
        let command = Command::RecordDelivery { sent, refused };
        let id = request.id;
        let recorded = self
            .apply_with_retry(id, Some(request.clone()), |current| {
                Ok(workflow::apply(
                    current,
                    command.clone(),
                    Actor::System,
                    self.now(),
                    &self.settings.delivery,
                )?)
            })
            .await;
        match recorded {
            Ok(t) => (report, t.request),
            Err(error) => {
                // The asks changed meanwhile (decided, replaced): nothing more is owed.
                tracing::info!(request_id = %id, %error, "emails sent; delivery not recorded");
                (report, request)
            }
        }
    }

    /// Renders and sends the email of one ask, with a fresh link.
    async fn send_ask(
        &self,
        request: &ConsentRequest,
        slot: Slot,
        ask_id: AskId,
    ) -> Result<(), MailError> {
        let Some(reviewer) = request.reviewer(slot) else {
            return Err(MailError::Permanent("no reviewer in this slot".to_owned()));
        };
        let now = self.now();
        let expires_at = now + self.settings.link_ttl;
        let token = self.links.sign(&LinkClaims {
            purpose: Purpose::Review,
            request_id: request.id,
            slot,
            ask_id,
            expires_at,
        });
        let link = format!(
            "{}/review/{}",
            self.settings.public_base_url,
            token.as_str()
        );
        let partner_name = self.display_name(&request.partner_tenant_id).await;
        let customer_name = self.display_name(&request.target_tenant_id).await;
        let message = notify::review_ask(&notify::AskEmail {
            request,
            to: &reviewer.email,
            partner_name: &partner_name,
            customer_name: &customer_name,
            link: &link,
            reminder: request
                .current_ask(slot)
                .is_some_and(|ask| ask.emails_sent > 0),
            link_expires_at: expires_at,
        });
        self.mailer.send(&message).await
    }

    /// Sends every due email, up to the batch size of requests: first sends
    /// that failed, and reminders.
    pub async fn run_due_emails(&self) -> Result<RunReport, ServiceError> {
        let now = self.now();
        let due = self
            .store
            .due_requests(now, self.settings.run_batch)
            .await?;
        let mut report = RunReport {
            seen: due.len(),
            ..RunReport::default()
        };
        for item in due {
            // The index may lag: decide from the request as stored now.
            let Some(request) = self.store.get(item.request_id).await? else {
                report.skipped += 1;
                continue;
            };
            let still_due: Vec<(Slot, AskId)> = Slot::ALL
                .into_iter()
                .filter_map(|slot| {
                    let ask = request.current_ask(slot)?;
                    let due = request.status == Status::Pending
                        && ask.decision.is_none()
                        && ask.next_email_at.is_some_and(|at| at <= now);
                    due.then_some((slot, ask.id))
                })
                .collect();
            if still_due.is_empty() {
                report.skipped += 1;
                continue;
            }
            let (outcome, _) = self.deliver(request, &still_due).await;
            report.sent += outcome.sent;
            report.failed += outcome.failed;
            report.refused += outcome.refused;
        }
        tracing::info!(
            seen = report.seen,
            sent = report.sent,
            skipped = report.skipped,
            failed = report.failed,
            refused = report.refused,
            "scheduled run done"
        );
        Ok(report)
    }

    /// Resolves a review link to what its reviewer should see.
    pub async fn review_context(&self, token: &str) -> Result<ReviewContext, LinkProblem> {
        let now = self.now();
        let claims = self.links.verify(token, now).map_err(|e| match e {
            LinkError::Expired { .. } => LinkProblem::Expired,
            LinkError::Invalid | LinkError::UnknownKey => LinkProblem::Invalid,
        })?;
        let request = self
            .store
            .get(claims.request_id)
            .await
            .map_err(|_| LinkProblem::Unavailable)?
            .ok_or(LinkProblem::Invalid)?;
        check_link(&request, &claims)?;
        Ok(ReviewContext {
            partner_name: self.display_name(&request.partner_tenant_id).await,
            customer_name: self.display_name(&request.target_tenant_id).await,
            slot: claims.slot,
            request,
            link_expires_at: claims.expires_at,
        })
    }

    /// Takes a reviewer's decision from a review link.
    pub async fn decide(
        &self,
        token: &str,
        verdict: Verdict,
        comment: Option<Comment>,
    ) -> Result<ReviewContext, LinkProblem> {
        let now = self.now();
        let claims = self.links.verify(token, now).map_err(|e| match e {
            LinkError::Expired { .. } => LinkProblem::Expired,
            LinkError::Invalid | LinkError::UnknownKey => LinkProblem::Invalid,
        })?;
        let outcome = self
            .apply_with_retry(claims.request_id, None, |request| {
                check_link(request, &claims).map_err(|p| ServiceError::Conflict {
                    detail: format!("{p:?}"),
                    existing: None,
                })?;
                let reviewer = request
                    .reviewer(claims.slot)
                    .expect("checked by check_link");
                Ok(workflow::apply(
                    request,
                    Command::Decide {
                        slot: claims.slot,
                        ask_id: claims.ask_id,
                        verdict,
                        comment: comment.clone(),
                    },
                    Actor::Reviewer {
                        slot: claims.slot.number(),
                        email: reviewer.email.clone(),
                    },
                    self.now(),
                    &self.settings.delivery,
                )?)
            })
            .await;
        match outcome {
            Ok(t) => {
                tracing::info!(request_id = %t.request.id, slot = claims.slot.number(), ?verdict, status = t.request.status.code(), "decision recorded");
                let request = self.carry_out(t.request, t.effects).await;
                Ok(ReviewContext {
                    partner_name: self.display_name(&request.partner_tenant_id).await,
                    customer_name: self.display_name(&request.target_tenant_id).await,
                    slot: claims.slot,
                    request,
                    link_expires_at: claims.expires_at,
                })
            }
            Err(ServiceError::Unavailable(_)) => Err(LinkProblem::Unavailable),
            Err(_) => {
                // Explain from the state as it is now.
                let request = self
                    .store
                    .get(claims.request_id)
                    .await
                    .map_err(|_| LinkProblem::Unavailable)?
                    .ok_or(LinkProblem::Invalid)?;
                Err(check_link(&request, &claims)
                    .err()
                    .unwrap_or(LinkProblem::Unavailable))
            }
        }
    }

    pub async fn access(
        &self,
        caller: &Caller,
        target: TenantId,
        environment: EnvironmentId,
    ) -> Result<Access, ServiceError> {
        let (status, request_id) = if target == caller.tenant_id {
            (Some(Status::NotApplicable), None)
        } else {
            let scope = ScopeKey {
                partner: caller.tenant_id.clone(),
                target: target.clone(),
                environment,
            };
            match self.store.latest_in_scope(&scope).await? {
                Some(scope) => (Some(scope.status), Some(scope.request_id)),
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
        self.directory
            .tenant_name(id)
            .await
            .map_err(|e| ServiceError::Unavailable(e.to_string()))
    }

    /// A tenant's name for people of the customer, falling back to its id.
    async fn display_name(&self, id: &TenantId) -> String {
        match self.directory.tenant_name(id).await {
            Ok(Some(name)) => name,
            _ => id.to_string(),
        }
    }
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

/// Whether the link may still decide, and if not, why.
fn check_link(request: &ConsentRequest, claims: &LinkClaims) -> Result<(), LinkProblem> {
    let Some(reviewer) = request.reviewer(claims.slot) else {
        return Err(LinkProblem::Invalid);
    };
    let current = reviewer.ask.as_ref().filter(|ask| ask.id == claims.ask_id);
    let Some(ask) = current else {
        return Err(if request.status == Status::Canceled {
            LinkProblem::Canceled
        } else {
            LinkProblem::Superseded
        });
    };
    if let Some(decision) = &ask.decision {
        return Err(LinkProblem::AlreadyDecided {
            decision: decision.clone(),
            status: request.status,
        });
    }
    if request.status != Status::Pending {
        return Err(LinkProblem::Closed(request.status));
    }
    Ok(())
}
