//! `consent-local` started in the test process, driven over real HTTP.

use std::time::Duration;

use consent_app::settings::Settings;
use consent_local::auth::{self, DevAuth, DevClaims};
use consent_local::{LocalConfig, Running, start};
use consent_runtime::Backends;
use serde_json::{Value, json};

use crate::*;

/// A running `consent-local`, its client, its outbox and its token signer.
pub struct Local {
    pub running: Running,
    pub client: Client,
    pub outbox: std::path::PathBuf,
    pub auth: DevAuth,
}

impl Local {
    /// Starts `consent-local` on a free port with these backends.
    pub async fn start(backends: Backends, tick: Duration) -> Self {
        let outbox = backends.outbox.clone();
        let running = start(LocalConfig {
            port: 0,
            backends,
            tick,
            settings: crate::roomy(Settings::default()),
            ..LocalConfig::default()
        })
        .await
        .unwrap();
        Self::around(running, outbox)
    }

    /// Starts `consent-local` on a free port with `config` (its outbox is the backends').
    pub async fn start_with(config: LocalConfig) -> Self {
        let outbox = config.backends.outbox.clone();
        let running = start(LocalConfig { port: 0, ..config }).await.unwrap();
        Self::around(running, outbox)
    }

    /// A client, the outbox and the dev signer around a server started otherwise.
    pub fn around(running: Running, outbox: std::path::PathBuf) -> Self {
        Local {
            client: Client::new(&running.base_url),
            running,
            outbox,
            auth: DevAuth::new(auth::DEFAULT_DEV_SECRET).unwrap(),
        }
    }

    pub fn token(&self, tenant: &str, user: &str, admin: bool) -> String {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        self.auth.mint(&DevClaims {
            iss: auth::ISSUER.into(),
            aud: auth::AUDIENCE.into(),
            sub: user.into(),
            iat: now,
            exp: now + 3600,
            tid: tenant.into(),
            oid: user.into(),
            email: Some(format!("{user}@{tenant}.example")),
            roles: if admin {
                vec!["ConsentAdmin".into()]
            } else {
                vec![]
            },
        })
    }

    /// The newest review link emailed to `to`.
    pub fn link_for(&self, to: &str) -> String {
        self.emails_to(to)
            .iter()
            .rev()
            .find_map(OutboxEmail::review_link)
            .unwrap_or_else(|| panic!("no review link for {to}"))
    }

    pub fn emails_to(&self, to: &str) -> Vec<OutboxEmail> {
        read_outbox(&self.outbox)
            .into_iter()
            .filter(|e| e.to == to)
            .collect()
    }

    pub async fn create(&self, token: &str, env: &str, reviewers: [&str; 2]) -> Value {
        let body = json!({"targetTenantId": CUSTOMER, "environmentId": env, "environmentName": format!("Env {env}"), "purpose": "Tune alerting for the EU rollout", "reviewers": reviewers});
        let a = self
            .client
            .post_json("/consent-requests", Some(token), &body.to_string())
            .await;
        assert_eq!(a.status, 201, "{}", a.body);
        a.json()
    }

    pub async fn request(&self, token: &str, id: &Value) -> Value {
        let a = self
            .client
            .get(
                &format!("/consent-requests/{}", id.as_str().unwrap()),
                Some(token),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
        a.json()
    }

    pub async fn access(&self, token: &str, env: &str) -> Value {
        let a = self
            .client
            .get(
                &format!("/access?tenantId={CUSTOMER}&environmentId={env}"),
                Some(token),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
        a.json()
    }
}
