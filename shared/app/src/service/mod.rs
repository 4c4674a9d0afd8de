//! The application service: load → workflow → conditional save → emails.
//! Handlers parse and authorize, then call this.
//!
//! [`partner`]: what partner users do, and the retry loop every change
//! shares; [`access`]: the access check; [`links`]: what a review or
//! withdrawal link shows and does; [`delivery`]: sending what a change owes;
//! [`schedule`]: the scheduled run; [`error`]: why a call was refused.

mod access;
mod budgets;
mod customer;
mod customer_actions;
mod customer_blocks;
mod customer_session;
mod delivery;
mod error;
mod links;
mod mail;
mod partner;
mod records;
mod schedule;
mod sign_in;

pub use access::Access;
pub use customer::{
    CUSTOMER_PAGE, CustomerFilter, CustomerItem, CustomerPage, RecordedRequest, StatusGroup,
};
pub use customer_session::{
    CUSTOMER_COOKIE, CUSTOMER_PATH, CUSTOMER_SESSION_TTL, CustomerSession, view_page,
};
pub use delivery::{Dispatcher, Outcome, Tally};
pub use error::ServiceError;
pub use links::{LinkProblem, ReviewContext};
pub use mail::Recorded;
pub use partner::{CreateInput, HistoryQuery};
pub use schedule::RunReport;
pub use sign_in::{
    CALLBACK_PATH, Callback, Client, Cookie, PROOF_COOKIE, SignInProblem, SignInStart, SignedIn,
    link_path,
};

use std::borrow::Cow;
use std::sync::Arc;

use consent_core::domain::{Actor, ConsentRequest, Email, TenantId};
use consent_core::links::LinkSigner;
use consent_core::workflow::{self, Command, Transition, WorkflowError};
use time::OffsetDateTime;

use crate::ports::{Clock, ConsentStore, IdentityProvider, Mailer, RecordSigner, TenantDirectory};
use crate::settings::Settings;

/// The signed-in caller, from the JWT claims.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub tenant_id: TenantId,
    pub user_id: String,
    pub email: Option<Email>,
    pub admin: bool,
}

impl Caller {
    pub(super) fn actor(&self) -> Actor {
        Actor::User {
            tenant_id: self.tenant_id.clone(),
            user_id: self.user_id.clone(),
            email: self.email.clone(),
            admin: self.admin,
        }
    }
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
    /// Where reviewers sign in; None in functions that start no sign-in.
    identity: Option<Arc<dyn IdentityProvider>>,
    /// Who signs the records of each change; None: changes go unrecorded.
    records: Option<Arc<dyn RecordSigner>>,
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
            identity: None,
            records: None,
            settings,
        }
    }

    /// The service, with every change written with its record signed by
    /// `signer`.
    #[must_use]
    pub fn with_record_signer(mut self, signer: Arc<dyn RecordSigner>) -> Self {
        self.records = Some(signer);
        self
    }

    /// The service, with reviewers signing in at `provider`.
    #[must_use]
    pub fn with_identity_provider(mut self, provider: Arc<dyn IdentityProvider>) -> Self {
        self.identity = Some(provider);
        self
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

    /// `command` on `request` as the service itself makes it (recording a
    /// round of emails, a mail service's report), at this moment.
    fn as_system(
        &self,
        request: &ConsentRequest,
        command: Command,
    ) -> Result<Transition, WorkflowError> {
        workflow::apply(
            request,
            command,
            Actor::System,
            self.now(),
            &self.settings.policy,
        )
    }
}

/// Who may do what an admin of a partner does.
fn require_admin(caller: &Caller) -> Result<(), ServiceError> {
    if caller.admin {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(
            "this action needs the partner admin role",
        ))
    }
}
