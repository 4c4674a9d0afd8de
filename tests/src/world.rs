//! A service on the embedded adapters with a clock the test moves.

use std::sync::Arc;

use consent_app::embedded::clock::ManualClock;
use consent_app::embedded::memory::MemoryStore;
use consent_app::embedded::record_key::LocalRecordKey;
use consent_app::ports::{ConsentStore, Mailer, RecordSigner, TenantDirectory};
use consent_app::service::ConsentService;
use consent_app::settings::{SendBudgets, Settings};
use consent_core::domain::{RequestId, Verdict};
use consent_core::links::LinkSigner;

use crate::doubles::RecordingMailer;
use crate::fixtures::{
    SERVICE_ROLE, TEST_LINK_KEYS, create_input, directory, partner_caller, start_time, token_of,
};
use crate::reviewer::{AsReviewer, NamedIdentity};

/// The service as the tests configure it, on the given store, mailer and clock.
pub fn service_on(
    store: Arc<dyn ConsentStore>,
    mailer: Arc<dyn Mailer>,
    clock: Arc<ManualClock>,
) -> ConsentService {
    service_with(store, mailer, clock, Arc::new(directory()))
}

/// [`service_on`] with another directory.
pub fn service_with(
    store: Arc<dyn ConsentStore>,
    mailer: Arc<dyn Mailer>,
    clock: Arc<ManualClock>,
    directory: Arc<dyn TenantDirectory>,
) -> ConsentService {
    ConsentService::new(
        store,
        mailer,
        directory,
        clock,
        LinkSigner::from_spec(TEST_LINK_KEYS).unwrap(),
        test_settings(),
    )
    .with_identity_provider(Arc::new(NamedIdentity))
}

/// The settings the tests' services run with: links at `https://consent.test`,
/// and send budgets no story comes near but the budgets' own (which run
/// with the defaults): a story about something else may ask bob@contoso.example
/// many times in a day.
pub fn test_settings() -> Settings {
    roomy(Settings {
        public_base_url: Some("https://consent.test".into()),
        service_principals: vec![SERVICE_ROLE.to_owned()],
        ..Settings::default()
    })
}

/// `settings` with send budgets far above what any story sends.
pub fn roomy(mut settings: Settings) -> Settings {
    settings.budgets = SendBudgets {
        asks_per_address_per_day: 100_000,
        requests_per_user_per_hour: 100_000,
        requests_per_tenant_per_hour: 100_000,
    };
    settings.policy.reviewer_changes_per_day = 100_000;
    settings.policy.reviewer_changes_in_life = 100_000;
    settings
}

/// A service on the in-memory store (or another), a recording mailer and a
/// manual clock, with the test tenants: what most stories run on.
pub struct World {
    pub app: Arc<ConsentService>,
    pub store: Arc<dyn ConsentStore>,
    pub mailer: Arc<RecordingMailer>,
    pub clock: Arc<ManualClock>,
}

/// How a [`World`] is made; each part has the tests' default.
pub struct WorldBuilder {
    clock: Arc<ManualClock>,
    store: Arc<dyn ConsentStore>,
    directory: Arc<dyn TenantDirectory>,
    settings: Settings,
    record_key: Arc<dyn RecordSigner>,
}

impl WorldBuilder {
    /// The record signer (a fresh key in memory unless given).
    pub fn record_key(mut self, signer: Arc<dyn RecordSigner>) -> Self {
        self.record_key = signer;
        self
    }

    /// The store (the in-memory one unless given).
    pub fn store(mut self, store: Arc<dyn ConsentStore>) -> Self {
        self.store = store;
        self
    }

    /// The directory, made with the world's clock (the test tenants unless given).
    pub fn directory(
        mut self,
        directory: impl FnOnce(Arc<ManualClock>) -> Arc<dyn TenantDirectory>,
    ) -> Self {
        self.directory = directory(self.clock.clone());
        self
    }

    /// The settings (the tests' unless given: links at `https://consent.test`).
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    pub fn build(self) -> World {
        let mailer = Arc::new(RecordingMailer::default());
        let clock = self.clock;
        let app = Arc::new(
            ConsentService::new(
                self.store.clone(),
                mailer.clone(),
                self.directory,
                clock.clone(),
                LinkSigner::from_spec(TEST_LINK_KEYS).unwrap(),
                self.settings,
            )
            .with_identity_provider(Arc::new(NamedIdentity))
            .with_record_signer(self.record_key),
        );
        World {
            app,
            store: self.store,
            mailer,
            clock,
        }
    }
}

impl World {
    pub fn builder() -> WorldBuilder {
        WorldBuilder {
            clock: Arc::new(ManualClock::new(start_time())),
            store: Arc::new(MemoryStore::new()),
            directory: Arc::new(directory()),
            settings: test_settings(),
            record_key: Arc::new(LocalRecordKey::generate()),
        }
    }

    pub fn new() -> Self {
        Self::builder().build()
    }

    pub fn on(store: Arc<dyn ConsentStore>) -> Self {
        Self::builder().store(store).build()
    }

    /// A World whose directory is made with its clock.
    pub fn with_directory(
        store: Arc<dyn ConsentStore>,
        directory: impl FnOnce(Arc<ManualClock>) -> Arc<dyn TenantDirectory>,
    ) -> Self {
        Self::builder().store(store).directory(directory).build()
    }

    /// A request by Alice for [`CUSTOMER`](crate::CUSTOMER)'s environment `env`, reviewed by Bob and Carol.
    pub async fn created(&self, env: &str) -> RequestId {
        self.app
            .create(&partner_caller(true), create_input(env))
            .await
            .expect("the request is created")
            .id
    }

    /// [`World::created`], then approved by Bob and Carol, signed in: Allowed.
    pub async fn allowed(&self, env: &str) -> RequestId {
        let id = self.created(env).await;
        for to in ["bob@contoso.example", "carol@contoso.example"] {
            self.app
                .decide_signed_in(&self.token_for(to), Verdict::Approved, None)
                .await
                .expect("each reviewer approves");
        }
        id
    }

    /// The token part of the newest link sent to `to`.
    pub fn token_for(&self, to: &str) -> String {
        let link = self.mailer.links_to(to).pop().expect("a link was sent");
        token_of(&link)
    }
}

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}
