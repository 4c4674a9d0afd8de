//! The application service: load → workflow → conditional save → effects.
//! Handlers parse and authorize, then call this.

use std::borrow::Cow;
use std::sync::Arc;

use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::domain::{
    Actor, AskId, AuditAction, AuditEvent, ClosedReason, Comment, ConsentRequest, Decision, Email,
    EnvironmentId, EnvironmentName, Notice, NoticeKind, Recipient, RequestId, Requester, ScopeKey,
    Slot, Status, TenantId, Verdict,
};
use crate::links::{LinkClaims, LinkError, LinkSigner, Purpose};
use crate::notify;
use crate::ports::{Clock, ConsentStore, MailError, Mailer, StoreError, TenantDirectory};
use crate::workflow::{self, Command, Emails, FieldError, Policy, Transition, WorkflowError};

/// How often a command is retried after losing a race to another writer.
const MAX_ATTEMPTS: usize = 4;

/// Service-wide settings.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Where the review page is reachable, without a trailing slash. None in
    /// an API function without a configured one: there each request names the
    /// API's own address ([`ConsentService::reached_at`]).
    pub public_base_url: Option<String>,
    /// How long a review link stays valid after it is emailed.
    pub link_ttl: Duration,
    /// How long the link to withdraw consent stays valid after it is emailed.
    pub revoke_link_ttl: Duration,
    pub policy: Policy,
    /// Due emails one scheduled run handles at most.
    pub run_batch: usize,
    /// The JWT role that makes a partner user an admin.
    pub admin_role: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            public_base_url: None,
            link_ttl: Duration::days(30),
            revoke_link_ttl: Duration::days(365),
            policy: Policy::default(),
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
    /// Consent was already withdrawn.
    AlreadyWithdrawn,
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
    /// Pending requests that reached their expiry.
    pub expired: usize,
}

#[derive(Clone)]
pub struct ConsentService {
    store: Arc<dyn ConsentStore>,
    mailer: Arc<dyn Mailer>,
    directory: Arc<dyn TenantDirectory>,
    clock: Arc<dyn Clock>,
    /// None in functions that neither send nor read links.
    links: Option<LinkSigner>,
    settings: Settings,
}

impl ConsentService {
    pub fn new(
        store: Arc<dyn ConsentStore>,
        mailer: Arc<dyn Mailer>,
        directory: Arc<dyn TenantDirectory>,
        clock: Arc<dyn Clock>,
        links: impl Into<Option<LinkSigner>>,
        settings: Settings,
    ) -> Self {
        Self {
            store,
            mailer,
            directory,
            clock,
            links: links.into(),
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
                    &self.settings.policy,
                )?)
            })
            .await?;
        Ok(self.carry_out(transition).await)
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
    async fn carry_out(&self, transition: Transition) -> ConsentRequest {
        let emails = transition.emails();
        if emails.is_empty() {
            return transition.request;
        }
        self.deliver(transition.request, emails).await.1
    }

    /// Sends the given emails of `request`, then stores the outcome in one
    /// write. Returns what happened and the request as now stored.
    async fn deliver(
        &self,
        request: ConsentRequest,
        emails: Emails,
    ) -> (RunReport, ConsentRequest) {
        let mut report = RunReport::default();
        let mut sent = Emails::default();
        let (mut refused, mut refused_notices) = (Vec::new(), Vec::new());
        let mut outcome = |result: Result<(), MailError>, what: &str| -> Option<Option<String>> {
            match result {
                Ok(()) => {
                    report.sent += 1;
                    Some(None)
                }
                Err(MailError::Permanent(reason)) => {
                    tracing::warn!(request_id = %request.id, email = what, %reason, "email refused for good");
                    report.refused += 1;
                    Some(Some(reason))
                }
                Err(MailError::Transient(error)) => {
                    tracing::warn!(request_id = %request.id, email = what, %error, "email not sent; it stays due");
                    report.failed += 1;
                    None
                }
            }
        };
        for (slot, ask_id) in emails.asks {
            match outcome(self.send_ask(&request, slot, ask_id).await, "review") {
                Some(None) => sent.asks.push((slot, ask_id)),
                Some(Some(reason)) => refused.push((slot, ask_id, reason)),
                None => {}
            }
        }
        for id in emails.notices {
            let Some(notice) = request.notices.iter().find(|n| n.id == id) else {
                continue;
            };
            match outcome(self.send_notice(&request, notice).await, notice.kind.name()) {
                Some(None) => sent.notices.push(id),
                Some(Some(reason)) => refused_notices.push((id, reason)),
                None => {}
            }
        }
        crate::metrics::emit(
            &[],
            &[
                ("EmailsSent", report.sent as f64),
                ("EmailsFailed", report.failed as f64),
                ("EmailsRefused", report.refused as f64),
            ],
        );
        if sent.is_empty() && refused.is_empty() && refused_notices.is_empty() {
            return (report, request);
        }
        let command = Command::RecordDelivery {
            sent,
            refused,
            refused_notices,
        };
        let id = request.id;
        let recorded = self
            .apply_with_retry(id, Some(request.clone()), |current| {
                Ok(workflow::apply(
                    current,
                    command.clone(),
                    Actor::System,
                    self.now(),
                    &self.settings.policy,
                )?)
            })
            .await;
        match recorded {
            Ok(t) => (report, t.request),
            Err(error) => {
                // What was sent is no longer owed (decided, replaced): nothing to record.
                tracing::info!(request_id = %id, %error, "emails sent; delivery not recorded");
                (report, request)
            }
        }
    }

    fn link(
        &self,
        purpose: Purpose,
        request: &ConsentRequest,
        slot: Slot,
        ask_id: AskId,
    ) -> Result<(String, OffsetDateTime), MailError> {
        // Left due in either case: the scheduled function, which has both, sends it.
        let Some(links) = &self.links else {
            return Err(MailError::Transient("no link-signing key here".to_owned()));
        };
        let Some(base_url) = &self.settings.public_base_url else {
            return Err(MailError::Transient("no public base URL here".to_owned()));
        };
        let (path, ttl) = match purpose {
            Purpose::Review => ("review", self.settings.link_ttl),
            Purpose::Revoke => ("revoke", self.settings.revoke_link_ttl),
        };
        let expires_at = self.now() + ttl;
        let token = links.sign(&LinkClaims {
            purpose,
            request_id: request.id,
            slot,
            ask_id,
            expires_at,
        });
        Ok((format!("{base_url}/{path}/{}", token.as_str()), expires_at))
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
        let (link, link_expires_at) = self.link(Purpose::Review, request, slot, ask_id)?;
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
            link_expires_at,
        });
        self.mailer.send(&message).await
    }

    /// Renders and sends a notice (receipt). A reviewer told of an allowed
    /// request gets the link to withdraw consent.
    async fn send_notice(
        &self,
        request: &ConsentRequest,
        notice: &Notice,
    ) -> Result<(), MailError> {
        let withdraw = match notice.recipient {
            Recipient::Reviewer { slot } if notice.kind == NoticeKind::Allowed => request
                .current_ask(slot)
                .map(|ask| self.link(Purpose::Revoke, request, slot, ask.id))
                .transpose()?,
            _ => None,
        };
        // The partner learns the customer's name only with an allowed outcome.
        let customer_may_be_named = matches!(notice.recipient, Recipient::Reviewer { .. })
            || notice.kind == NoticeKind::Allowed;
        let customer = if customer_may_be_named {
            self.display_name(&request.target_tenant_id).await
        } else {
            request.target_tenant_id.to_string()
        };
        let partner_name = self.display_name(&request.partner_tenant_id).await;
        let message = notify::notice(&notify::NoticeEmail {
            request,
            notice,
            partner_name: &partner_name,
            customer: &customer,
            withdraw_link: withdraw.as_ref().map(|(link, _)| link.as_str()),
        });
        self.mailer.send(&message).await
    }

    /// One scheduled run, up to the batch size of due requests: ends pending
    /// requests past their expiry, and sends every email due (first sends
    /// that failed, reminders, notices), each claimed first so that an
    /// overlapping run never sends it too.
    pub async fn run_schedule(&self) -> Result<RunReport, ServiceError> {
        let due = self
            .store
            .due_requests(self.now(), self.settings.run_batch)
            .await?;
        let mut report = RunReport {
            seen: due.len(),
            ..RunReport::default()
        };
        for copy in due {
            let id = copy.id;
            let taken = self
                .apply_with_retry(id, Some(copy), |current| {
                    let now = self.now();
                    let expired = current.status == Status::Pending
                        && current.expires_at.is_some_and(|at| at <= now);
                    let command = if expired {
                        Command::Expire
                    } else {
                        Command::ClaimDelivery(Emails::due(current, now))
                    };
                    Ok(workflow::apply(
                        current,
                        command,
                        Actor::System,
                        now,
                        &self.settings.policy,
                    )?)
                })
                .await;
            let transition = match taken {
                Ok(t) => t,
                Err(ServiceError::Unavailable(e)) => return Err(ServiceError::Unavailable(e)),
                // Nothing is due any more: another run or a change got there first.
                Err(_) => {
                    report.skipped += 1;
                    continue;
                }
            };
            if transition.audit.action == AuditAction::Expired {
                report.expired += 1;
            }
            let emails = transition.emails();
            let (outcome, _) = self.deliver(transition.request, emails).await;
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
            expired = report.expired,
            "scheduled run done"
        );
        crate::metrics::emit(
            &[],
            &[
                ("ScheduledRuns", 1.0),
                ("DueRequestsSeen", report.seen as f64),
                ("DueRequestsSkipped", report.skipped as f64),
                ("RequestsExpired", report.expired as f64),
            ],
        );
        Ok(report)
    }

    /// Checks a link's signature, expiry and purpose.
    fn verify_link(&self, token: &str, purpose: Purpose) -> Result<LinkClaims, LinkProblem> {
        let links = self.links.as_ref().ok_or(LinkProblem::Unavailable)?;
        let claims = links.verify(token, self.now()).map_err(|e| match e {
            LinkError::Expired { .. } => LinkProblem::Expired,
            LinkError::Invalid | LinkError::UnknownKey => LinkProblem::Invalid,
        })?;
        if claims.purpose != purpose {
            return Err(LinkProblem::Invalid);
        }
        Ok(claims)
    }

    async fn context(&self, request: ConsentRequest, claims: &LinkClaims) -> ReviewContext {
        ReviewContext {
            partner_name: self.display_name(&request.partner_tenant_id).await,
            customer_name: self.display_name(&request.target_tenant_id).await,
            slot: claims.slot,
            request,
            link_expires_at: claims.expires_at,
        }
    }

    /// The request a link names; a link to a request that is gone is invalid.
    async fn linked_request(&self, claims: &LinkClaims) -> Result<ConsentRequest, LinkProblem> {
        self.store
            .get(claims.request_id)
            .await
            .map_err(|_| LinkProblem::Unavailable)?
            .ok_or(LinkProblem::Invalid)
    }

    /// What the holder of a link should see; changes nothing.
    async fn link_context(
        &self,
        token: &str,
        purpose: Purpose,
    ) -> Result<ReviewContext, LinkProblem> {
        let claims = self.verify_link(token, purpose)?;
        let request = self.linked_request(&claims).await?;
        check_link(&request, &claims)?;
        Ok(self.context(request, &claims).await)
    }

    /// Applies the command a link stands for, once, and carries out its effects.
    async fn act_on_link(
        &self,
        token: &str,
        purpose: Purpose,
        command: impl Fn(&LinkClaims) -> Command,
    ) -> Result<ReviewContext, LinkProblem> {
        let claims = self.verify_link(token, purpose)?;
        let outcome = self
            .apply_with_retry(claims.request_id, None, |request| {
                check_link(request, &claims).map_err(|p| ServiceError::Conflict {
                    detail: format!("{p:?}"),
                    existing: None,
                })?;
                let reviewer = request
                    .reviewer(claims.slot)
                    .ok_or(ServiceError::NotFound)?;
                Ok(workflow::apply(
                    request,
                    command(&claims),
                    Actor::Reviewer {
                        slot: claims.slot,
                        email: reviewer.email.clone(),
                    },
                    self.now(),
                    &self.settings.policy,
                )?)
            })
            .await;
        match outcome {
            Ok(t) => {
                tracing::info!(request_id = %t.request.id, slot = claims.slot.number(), action = ?t.audit.action, status = t.request.status.code(), "link used");
                let action = format!("{:?}", t.audit.action);
                crate::metrics::emit(&[("Action", &action)], &[("LinkActions", 1.0)]);
                // The page tells what this use of the link did, whatever happened since.
                let committed = t.request.clone();
                self.carry_out(t).await;
                Ok(self.context(committed, &claims).await)
            }
            Err(ServiceError::Unavailable(_)) => Err(LinkProblem::Unavailable),
            Err(_) => {
                // Explain from the state as it is now.
                let request = self.linked_request(&claims).await?;
                Err(check_link(&request, &claims)
                    .err()
                    .unwrap_or(LinkProblem::Unavailable))
            }
        }
    }

    /// Resolves a review link to what its reviewer should see.
    pub async fn review_context(&self, token: &str) -> Result<ReviewContext, LinkProblem> {
        self.link_context(token, Purpose::Review).await
    }

    /// Takes a reviewer's decision from a review link.
    pub async fn decide(
        &self,
        token: &str,
        verdict: Verdict,
        comment: Option<Comment>,
    ) -> Result<ReviewContext, LinkProblem> {
        self.act_on_link(token, Purpose::Review, |claims| Command::Decide {
            slot: claims.slot,
            ask_id: claims.ask_id,
            verdict,
            comment: comment.clone(),
        })
        .await
    }

    /// Resolves a withdrawal link to what its reviewer should see.
    pub async fn revoke_context(&self, token: &str) -> Result<ReviewContext, LinkProblem> {
        self.link_context(token, Purpose::Revoke).await
    }

    /// Withdraws the consent a reviewer gave; access ends at once and the
    /// partner's admins are told.
    pub async fn revoke(&self, token: &str) -> Result<ReviewContext, LinkProblem> {
        let claims = self.verify_link(token, Purpose::Revoke)?;
        let request = self.linked_request(&claims).await?;
        let contacts = self
            .directory
            .partner_contacts(&request.partner_tenant_id)
            .await
            .map_err(|_| LinkProblem::Unavailable)?;
        self.act_on_link(token, Purpose::Revoke, |claims| Command::Revoke {
            slot: claims.slot,
            ask_id: claims.ask_id,
            partner_contacts: contacts.clone(),
        })
        .await
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

/// Whether the link may still act, and if not, why.
fn check_link(request: &ConsentRequest, claims: &LinkClaims) -> Result<(), LinkProblem> {
    let Some(reviewer) = request.reviewer(claims.slot) else {
        return Err(LinkProblem::Invalid);
    };
    let Some(ask) = reviewer.ask.as_ref().filter(|ask| ask.id == claims.ask_id) else {
        return Err(if request.status == Status::Canceled {
            LinkProblem::Canceled
        } else {
            LinkProblem::Superseded
        });
    };
    match claims.purpose {
        Purpose::Review => {
            if let Some(decision) = &ask.decision {
                return Err(LinkProblem::AlreadyDecided {
                    decision: decision.clone(),
                    status: request.status,
                });
            }
            if request.status != Status::Pending {
                return Err(LinkProblem::Closed(request.status));
            }
        }
        Purpose::Revoke => match request.status {
            Status::Allowed => {}
            Status::NotAllowed(ClosedReason::Revoked) => return Err(LinkProblem::AlreadyWithdrawn),
            other => return Err(LinkProblem::Closed(other)),
        },
    }
    Ok(())
}
