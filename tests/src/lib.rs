//! Helpers for the cross-crate tests: a service on the embedded adapters with
//! a clock the test moves, API Gateway v2 requests with claims, an HTTP
//! client for `consent-local`, reading review links out of `.eml` files, and moto.

pub mod browser;
pub mod events;
pub mod local;
pub mod moto;
pub mod page;
pub mod routes;
pub mod template;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use consent_app::embedded::clock::ManualClock;
use consent_app::embedded::directory::StaticDirectory;
use consent_app::embedded::memory::MemoryStore;
use consent_app::ports::{
    ConsentStore, EmailMessage, MailError, Mailer, Page, ScopeState, StoreError, TenantDirectory,
};
use consent_app::service::{Caller, ConsentService, CreateInput};
use consent_app::settings::Settings;
use consent_core::domain::{
    AccessPurpose, AuditEvent, ConsentRequest, Domain, Email, EnvironmentId, EnvironmentName,
    RequestId, ScopeKey, Tenant, TenantId,
};
use consent_core::links::LinkSigner;
use consent_http::gateway::GatewayRequest;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use lambda_http::Body;
use time::OffsetDateTime;

pub const PARTNER: &str = "partner-fabrikam";
pub const OTHER_PARTNER: &str = "partner-northwind";
pub const CUSTOMER: &str = "contoso";
/// The role the tests' services may call `/service/access` as.
pub const SERVICE_ROLE: &str = "arn:aws:iam::123456789012:role/pipelines/telemetry-pipeline";
/// Why the test partner asks.
pub const PURPOSE: &str = "Tune alerting for the EU rollout";
pub const TEST_LINK_KEYS: &str = "t1:dGVzdC1saW5rLWtleS10ZXN0LWxpbmsta2V5LXRlc3QtbGluay1rZXk";

/// A mailer that keeps what it is given, and can be told to fail.
#[derive(Default)]
pub struct RecordingMailer {
    pub sent: Mutex<Vec<EmailMessage>>,
    pub failing: Mutex<bool>,
    pub refused: Mutex<Vec<String>>,
    pub hanging: std::sync::atomic::AtomicBool,
}

impl RecordingMailer {
    pub fn messages(&self) -> Vec<EmailMessage> {
        self.sent.lock().unwrap().clone()
    }

    /// The review links sent to `to`, oldest first.
    pub fn links_to(&self, to: &str) -> Vec<String> {
        self.messages()
            .into_iter()
            .filter(|m| m.to.as_str().eq_ignore_ascii_case(to))
            .filter_map(|m| m.link)
            .collect()
    }

    pub fn fail(&self, failing: bool) {
        *self.failing.lock().unwrap() = failing;
    }

    /// From now on, sends never return: as if the process died while sending.
    pub fn hang(&self, hanging: bool) {
        self.hanging
            .store(hanging, std::sync::atomic::Ordering::SeqCst);
    }

    /// From now on, refuse this address for good (as SES does for a rejected one).
    pub fn refuse(&self, address: &str) {
        self.refused.lock().unwrap().push(address.to_owned());
    }
}

#[async_trait]
impl Mailer for RecordingMailer {
    async fn send(&self, message: &EmailMessage) -> Result<(), MailError> {
        // A mail service takes a moment: long enough for other work to interleave.
        network_delay().await;
        if self.hanging.load(std::sync::atomic::Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        if *self.failing.lock().unwrap() {
            return Err(MailError::Transient("mail service down (test)".into()));
        }
        if self
            .refused
            .lock()
            .unwrap()
            .iter()
            .any(|a| message.to.as_str() == a)
        {
            return Err(MailError::Permanent("address rejected (test)".into()));
        }
        self.sent.lock().unwrap().push(message.clone());
        Ok(())
    }
}

/// Wraps a store with a network-like delay before every call, so that
/// concurrent commands really interleave between their read and their write.
pub struct LatentStore<S> {
    pub inner: S,
    pub conflicts: std::sync::atomic::AtomicU64,
}

impl<S> LatentStore<S> {
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            conflicts: Default::default(),
        }
    }
}

async fn network_delay() {
    let micros = uuid::Uuid::new_v4().as_u128() % 1500;
    tokio::time::sleep(std::time::Duration::from_micros(micros as u64)).await;
}

#[async_trait]
impl<S: ConsentStore> ConsentStore for LatentStore<S> {
    async fn insert(&self, request: &ConsentRequest, event: &AuditEvent) -> Result<(), StoreError> {
        network_delay().await;
        self.inner.insert(request, event).await
    }

    async fn update(&self, request: &ConsentRequest, event: &AuditEvent) -> Result<(), StoreError> {
        network_delay().await;
        let r = self.inner.update(request, event).await;
        if r == Err(StoreError::VersionConflict) {
            self.conflicts
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        r
    }

    async fn get(&self, id: RequestId) -> Result<Option<ConsentRequest>, StoreError> {
        network_delay().await;
        self.inner.get(id).await
    }

    async fn get_with_history(
        &self,
        id: RequestId,
    ) -> Result<Option<(ConsentRequest, Vec<AuditEvent>)>, StoreError> {
        network_delay().await;
        self.inner.get_with_history(id).await
    }

    async fn list_by_partner(
        &self,
        partner: &TenantId,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page, StoreError> {
        network_delay().await;
        self.inner.list_by_partner(partner, limit, cursor).await
    }

    async fn latest_in_scope(&self, scope: &ScopeKey) -> Result<Option<ScopeState>, StoreError> {
        network_delay().await;
        self.inner.latest_in_scope(scope).await
    }

    async fn due_requests(
        &self,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<ConsentRequest>, StoreError> {
        network_delay().await;
        self.inner.due_requests(now, limit).await
    }
}

/// The test tenants: two partners; Contoso lists its verified domain
/// `contoso.example`, Adatum lists none.
pub fn tenants() -> Vec<Tenant> {
    let tenant = |id: &str, name: &str, domains: &[&str]| Tenant {
        id: TenantId::parse(id).unwrap(),
        name: name.to_owned(),
        domains: domains.iter().map(|d| Domain::parse(d).unwrap()).collect(),
        contacts: Vec::new(),
    };
    vec![
        tenant(PARTNER, "Fabrikam Consulting", &[]),
        tenant(OTHER_PARTNER, "Northwind Partners", &[]),
        tenant(CUSTOMER, "Contoso Ltd", &["contoso.example"]),
        tenant("adatum", "Adatum Corporation", &[]),
    ]
}

/// The directory of [`tenants`].
pub fn directory() -> StaticDirectory {
    StaticDirectory::new(tenants())
}

/// Alice, a partner user of [`PARTNER`] (an admin when asked).
pub fn partner_caller(admin: bool) -> Caller {
    Caller {
        tenant_id: TenantId::parse(PARTNER).unwrap(),
        user_id: "alice".into(),
        email: Email::parse("alice@fabrikam.example").ok(),
        admin,
    }
}

/// A request for [`CUSTOMER`]'s environment `env`, reviewed by Bob and Carol.
pub fn create_input(env: &str) -> CreateInput {
    CreateInput {
        target_tenant_id: TenantId::parse(CUSTOMER).unwrap(),
        environment_id: EnvironmentId::parse(env).unwrap(),
        environment_name: EnvironmentName::parse("Production").unwrap(),
        purpose: AccessPurpose::parse(PURPOSE).unwrap(),
        access_term: None,
        reviewers: vec![
            Email::parse("bob@contoso.example").unwrap(),
            Email::parse("carol@contoso.example").unwrap(),
        ],
        confirmed_in_target_tenant: false,
    }
}

pub fn start_time() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_780_000_000).unwrap()
}

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
        Settings {
            public_base_url: Some("https://consent.test".into()),
            service_principals: vec![SERVICE_ROLE.to_owned()],
            ..Settings::default()
        },
    )
}

/// A service on the in-memory store, a recording mailer and a manual clock.
pub struct World {
    pub app: Arc<ConsentService>,
    pub store: Arc<dyn ConsentStore>,
    pub mailer: Arc<RecordingMailer>,
    pub clock: Arc<ManualClock>,
}

impl World {
    pub fn new() -> Self {
        Self::on(Arc::new(MemoryStore::new()))
    }

    pub fn on(store: Arc<dyn ConsentStore>) -> Self {
        Self::with_directory(store, |_| Arc::new(directory()))
    }

    /// A World whose directory is made with its clock.
    pub fn with_directory(
        store: Arc<dyn ConsentStore>,
        directory: impl FnOnce(Arc<ManualClock>) -> Arc<dyn TenantDirectory>,
    ) -> Self {
        let mailer = Arc::new(RecordingMailer::default());
        let clock = Arc::new(ManualClock::new(start_time()));
        let app = Arc::new(service_with(
            store.clone(),
            mailer.clone(),
            clock.clone(),
            directory(clock.clone()),
        ));
        Self {
            app,
            store,
            mailer,
            clock,
        }
    }

    /// A request by Alice for [`CUSTOMER`]'s environment `env`, reviewed by Bob and Carol.
    pub async fn created(&self, env: &str) -> RequestId {
        self.app
            .create(&partner_caller(true), create_input(env))
            .await
            .expect("the request is created")
            .id
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

pub fn token_of(link: &str) -> String {
    link.rsplit('/').next().unwrap().to_owned()
}

/// Claims as the HTTP API's JWT authorizer passes them.
pub fn claims(
    tenant: &str,
    user: &str,
    email: Option<&str>,
    admin: bool,
) -> HashMap<String, String> {
    let mut c = HashMap::from([
        ("tid".to_owned(), tenant.to_owned()),
        ("oid".to_owned(), user.to_owned()),
        ("sub".to_owned(), user.to_owned()),
    ]);
    if let Some(e) = email {
        c.insert("email".into(), e.into());
    }
    if admin {
        c.insert("roles".into(), "[Reader ConsentAdmin]".into());
    }
    c
}

/// An API Gateway v2 request as the Lambda runtime hands it to a handler.
pub struct ApiRequest {
    pub method: &'static str,
    pub path: String,
    pub claims: Option<HashMap<String, String>>,
    pub path_params: HashMap<String, String>,
    pub query: HashMap<String, String>,
    pub body: Option<(String, Body)>,
    /// API Gateway's `domainName` and `stage` of the endpoint that was called.
    pub endpoint: Option<(String, String)>,
    /// The signer the IAM authorizer names.
    pub iam_principal: Option<String>,
    pub route: Option<String>,
}

impl ApiRequest {
    pub fn new(method: &'static str, path: &str) -> Self {
        Self {
            method,
            path: path.to_owned(),
            claims: None,
            path_params: HashMap::new(),
            query: HashMap::new(),
            body: None,
            endpoint: None,
            iam_principal: None,
            route: None,
        }
    }

    /// As if signed with SigV4 by `arn`, accepted by the IAM authorizer.
    pub fn signed_by(mut self, arn: &str) -> Self {
        self.iam_principal = Some(arn.into());
        self
    }

    /// The route that matched, as API Gateway names it (`GET /access`).
    pub fn route(mut self, key: &str) -> Self {
        self.route = Some(key.into());
        self
    }

    /// As if called on the API's own endpoint, e.g. `abc123.execute-api.eu-west-1.amazonaws.com` and `$default`.
    pub fn endpoint(mut self, domain_name: &str, stage: &str) -> Self {
        self.endpoint = Some((domain_name.into(), stage.into()));
        self
    }

    pub fn claims(mut self, c: HashMap<String, String>) -> Self {
        self.claims = Some(c);
        self
    }

    pub fn param(mut self, k: &str, v: &str) -> Self {
        self.path_params.insert(k.into(), v.into());
        self
    }

    pub fn query(mut self, k: &str, v: &str) -> Self {
        self.query.insert(k.into(), v.into());
        self
    }

    pub fn json(mut self, body: &str) -> Self {
        self.body = Some(("application/json".into(), Body::Text(body.into())));
        self
    }

    pub fn body(mut self, content_type: &str, body: &str) -> Self {
        self.body = Some((content_type.into(), Body::Text(body.into())));
        self
    }

    /// A body of raw bytes, which need not be UTF-8.
    pub fn bytes(mut self, content_type: &str, body: Vec<u8>) -> Self {
        self.body = Some((content_type.into(), Body::Binary(body)));
        self
    }

    pub fn build(self) -> lambda_http::Request {
        let mut gateway = GatewayRequest::new()
            .path_params(self.path_params)
            .query(self.query.into_iter().map(|(k, v)| (k, vec![v])).collect());
        if let Some(c) = self.claims {
            gateway = gateway.claims(c);
        }
        if let Some((domain_name, stage)) = self.endpoint {
            gateway = gateway.endpoint(domain_name, stage);
        }
        if let Some(arn) = self.iam_principal {
            gateway = gateway.iam_principal(arn);
        }
        if let Some(route) = self.route {
            gateway = gateway.route(route);
        }
        let mut builder = lambda_http::http::Request::builder()
            .method(self.method)
            .uri(format!(
                "https://api.test{}",
                self.path
                    .replace(' ', "%20")
                    .replace('\'', "%27")
                    .replace(';', "%3B")
            ));
        let body = match self.body {
            Some((ct, b)) => {
                builder = builder.header("content-type", ct);
                b
            }
            None => Body::Empty,
        };
        gateway.wrap(builder.body(body).unwrap())
    }
}

/// A handler's response, read.
pub struct Answer {
    pub status: u16,
    pub headers: lambda_http::http::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn from_lambda(r: lambda_http::Response<Body>) -> Self {
        let (parts, body) = r.into_parts();
        Self {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: String::from_utf8_lossy(body.as_ref()).into_owned(),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// A problem+json answer with this status.
    pub fn assert_problem(&self, status: u16) -> serde_json::Value {
        assert_eq!(self.status, status, "body: {}", self.body);
        assert_eq!(
            self.header("content-type"),
            "application/problem+json",
            "{}",
            self.body
        );
        let p = self.json();
        assert_eq!(p["status"], status);
        assert!(p["type"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(p["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(p["detail"].as_str().is_some_and(|t| !t.is_empty()));
        p
    }
}

/// A plain HTTP/1 client for `consent-local`.
pub struct Client {
    inner: hyper_util::client::legacy::Client<
        hyper_util::client::legacy::connect::HttpConnector,
        Full<Bytes>,
    >,
    pub base: String,
}

impl Client {
    pub fn new(base: &str) -> Self {
        Self {
            inner:
                hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                    .build_http(),
            base: base.to_owned(),
        }
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, &str)>,
    ) -> Answer {
        let authorization = token.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> = authorization
            .iter()
            .map(|a| ("authorization", a.as_str()))
            .collect();
        self.send_with(method, path, &headers, body).await
    }

    /// A request with these headers (e.g. a cookie).
    pub async fn send_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, &str)>,
    ) -> Answer {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        };
        let mut builder = hyper::Request::builder().method(method).uri(url);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let bytes = match body {
            Some((ct, b)) => {
                builder = builder.header("content-type", ct);
                Bytes::from(b.to_owned())
            }
            None => Bytes::new(),
        };
        let response = self
            .inner
            .request(builder.body(Full::new(bytes)).unwrap())
            .await
            .expect("consent-local answers");
        let (parts, body) = response.into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        Answer {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.send("GET", path, token, None).await
    }

    pub async fn post_json(&self, path: &str, token: Option<&str>, json: &str) -> Answer {
        self.send("POST", path, token, Some(("application/json", json)))
            .await
    }

    pub async fn put_json(&self, path: &str, token: Option<&str>, json: &str) -> Answer {
        self.send("PUT", path, token, Some(("application/json", json)))
            .await
    }

    pub async fn post_form(&self, path: &str, form: &str) -> Answer {
        self.send(
            "POST",
            path,
            None,
            Some(("application/x-www-form-urlencoded", form)),
        )
        .await
    }
}

/// An email as read back from an `.eml` file.
#[derive(Debug, Clone)]
pub struct OutboxEmail {
    pub file: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl OutboxEmail {
    /// The review link in the plain-text body.
    pub fn review_link(&self) -> Option<String> {
        self.link_to("/review/")
    }

    /// The link to withdraw consent in the plain-text body.
    pub fn revoke_link(&self) -> Option<String> {
        self.link_to("/revoke/")
    }

    fn link_to(&self, path: &str) -> Option<String> {
        self.text
            .split_whitespace()
            .find(|word| word.starts_with("http") && word.contains(path))
            .map(str::to_owned)
    }
}

/// Every email in `dir`, oldest first (file names sort by time).
pub fn read_outbox(dir: &Path) -> Vec<OutboxEmail> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let raw = std::fs::read(&path).unwrap();
            let message = mail_parser::MessageParser::default()
                .parse(&raw)
                .unwrap_or_else(|| panic!("{} is not an RFC 5322 message", path.display()));
            let to = message
                .to()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap_or_default()
                .to_owned();
            OutboxEmail {
                file: path.display().to_string(),
                to,
                subject: message.subject().unwrap_or_default().to_owned(),
                text: message.body_text(0).unwrap_or_default().into_owned(),
                html: message.body_html(0).unwrap_or_default().into_owned(),
            }
        })
        .collect()
}

/// A fresh, empty folder under the system temp dir.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "consent-test-{name}-{}-{}",
        std::process::id(),
        uuid_suffix()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn uuid_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// Events are one per version, in order, ending at the request's version.
pub fn assert_history_in_step(events: &[consent_core::domain::AuditEvent], version: u64) {
    let versions: Vec<u64> = events.iter().map(|e| e.version).collect();
    assert_eq!(
        versions,
        (1..=version).collect::<Vec<_>>(),
        "one event per write"
    );
    for pair in events.windows(2) {
        assert_eq!(
            pair[0].to_status,
            pair[1].from_status.unwrap(),
            "events chain"
        );
    }
}

/// Stores `total` pending requests, of which the first `due` have their
/// first emails due at `at` (created a send lease earlier) and the rest a day later.
pub async fn fill_pending(
    store: &dyn ConsentStore,
    total: usize,
    due: usize,
    at: OffsetDateTime,
    p: &consent_core::workflow::Policy,
) {
    for i in 0..total {
        let made = if i < due {
            at - p.send_lease
        } else {
            at + time::Duration::days(1)
        };
        let t = consent_core::workflow::create(
            consent_core::workflow::NewRequest {
                id: RequestId(uuid::Uuid::new_v4()),
                partner_tenant_id: TenantId::parse(PARTNER).unwrap(),
                requester: consent_core::domain::Requester {
                    user_id: "alice".into(),
                    email: Email::parse("alice@fabrikam.example").unwrap(),
                },
                target_tenant_id: TenantId::parse(CUSTOMER).unwrap(),
                environment_id: EnvironmentId::parse(&format!("env-{i}")).unwrap(),
                environment_name: EnvironmentName::parse("Env").unwrap(),
                purpose: AccessPurpose::parse(PURPOSE).unwrap(),
                access_term: None,
                reviewers: Some([
                    Email::parse("bob@contoso.example").unwrap(),
                    Email::parse("carol@contoso.example").unwrap(),
                ]),
                customer_domains: vec![Domain::parse("contoso.example").unwrap()],
                confirmed_in_target_tenant: false,
                ask_ids: [
                    consent_core::domain::AskId(uuid::Uuid::new_v4()),
                    consent_core::domain::AskId(uuid::Uuid::new_v4()),
                ],
            },
            consent_core::domain::Actor::System,
            made,
            p,
        )
        .unwrap();
        store.insert(&t.request, &t.audit).await.unwrap();
    }
}
