//! `consent-local`: every route and the scheduled function in one process,
//! on the embedded store, the outbox mailer and a JSON tenant directory —
//! or on DynamoDB and SES when a table and a sender are named.

pub mod auth;
pub mod dev_idp;
pub mod gateway;
pub mod portal;
pub mod stream;
pub mod tenants;
pub mod verify;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use consent_app::embedded::clock::SystemClock;
use consent_app::embedded::directory::{CachedDirectory, parse_tenants};
use consent_app::embedded::event_log::EventLog;
use consent_app::embedded::memory::MemoryStore;
use consent_app::embedded::record_key::LocalRecordKey;
use consent_app::ports::{ConsentStore, EventBus, MAX_EVENTS_PER_PUT};
use consent_app::service::ConsentService;
use consent_app::settings::Settings;
use consent_aws::dynamodb::directory::DynamoDirectory;
use consent_core::events::ConsentEvent;
use consent_core::links::LinkSigner;
use consent_runtime::{Backends, Config, SignInConfig, TenantsFile, Uses};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::auth::DevAuth;
use crate::dev_idp::DevIdp;
use crate::gateway::Gateway;
use crate::portal::{Portal, SignInTenants};

/// The sample directory shipped in the repo, used when no file is given.
pub const SAMPLE_TENANTS: &str = include_str!("../../../infra/tenants.sample.json");
/// Link key used when `CONSENT_LINK_KEYS` is not set. For local use only.
pub const DEV_LINK_KEYS: &str = "dev:Y29uc2VudC1sb2NhbC1kZXYtbGluay1rZXktbm90LWZvci1wcm9kdWN0aW9u";

#[derive(Clone, Debug)]
pub struct LocalConfig {
    pub host: String,
    /// 0 picks a free port.
    pub port: u16,
    /// Store, mailer and directory: in memory, `.eml` files and the sample
    /// directory unless a table, a sender or a directory file is named.
    pub backends: Backends,
    /// Where review links point; defaults to this server's address.
    pub public_base_url: Option<String>,
    /// How often the scheduled function runs.
    pub tick: Duration,
    /// False: the scheduled function never runs (`--no-schedule`), so a
    /// deployed table can be looked at without mailing anyone.
    pub schedule: bool,
    pub link_keys: LinkSigner,
    pub dev_jwt_secret: String,
    pub settings: Settings,
    /// Where the embedded store's consent events are appended, one JSON line
    /// each (the command line's default is `events.ndjson`); None keeps none.
    pub events: Option<PathBuf>,
    /// The provider reviewers sign in with; without an issuer, the
    /// development provider this process serves.
    pub sign_in: SignInConfig,
    /// The key file records are signed with (made on first start); None: a
    /// key held in memory for this run.
    pub record_key: Option<PathBuf>,
}

impl Default for LocalConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port: 3000,
            backends: Backends {
                outbox: PathBuf::from("outbox"),
                ..Backends::default()
            },
            public_base_url: None,
            tick: Duration::from_secs(10),
            schedule: true,
            link_keys: dev_link_keys(),
            dev_jwt_secret: auth::DEFAULT_DEV_SECRET.to_owned(),
            settings: Settings::default(),
            events: None,
            sign_in: SignInConfig::default(),
            record_key: None,
        }
    }
}

impl LocalConfig {
    /// What consent-local runs with before any setting is given: emails in
    /// `./outbox`, a scheduled run every 10 seconds.
    pub fn default_config() -> Config {
        Config {
            backends: Backends {
                outbox: PathBuf::from("outbox"),
                ..Backends::default()
            },
            ..Config::default()
        }
    }
}

/// The `Host` values this process answers: its own address, `localhost` at
/// its port, and the host of the base URL its links point to.
fn own_hosts(addr: SocketAddr, public_base_url: Option<&str>) -> Vec<String> {
    let mut hosts = vec![addr.to_string(), format!("localhost:{}", addr.port())];
    if let Some(authority) = public_base_url
        .and_then(|url| url.parse::<hyper::Uri>().ok())
        .and_then(|uri| uri.authority().cloned())
    {
        hosts.push(authority.as_str().to_owned());
    }
    hosts
}

/// The development link key, when `CONSENT_LINK_KEYS` names none.
pub fn dev_link_keys() -> LinkSigner {
    LinkSigner::from_spec(DEV_LINK_KEYS).expect("the development link key is well formed")
}

/// The AWS services consent-local wires in when a table or a sender is named.
pub fn uses() -> Uses {
    Uses::none().dynamodb().ses().identity()
}

/// A running local server.
pub struct Running {
    pub addr: SocketAddr,
    pub base_url: String,
    pub app: Arc<ConsentService>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// Stops accepting and ends the schedule.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Binds, builds the service and starts serving and ticking.
pub async fn start(config: LocalConfig) -> Result<Running, String> {
    let listener = TcpListener::bind((config.host.as_str(), config.port))
        .await
        .map_err(|e| format!("cannot listen on {}:{}: {e}", config.host, config.port))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let base_url = format!("http://{addr}");
    let mut backends = config.backends.clone();
    backends.uses = uses();
    // A table holds its directory (`consent-local tenants import`); without
    // one, the sample.
    if backends.tenants.is_none() && backends.table.is_none() {
        backends.tenants = Some(TenantsFile::Json(SAMPLE_TENANTS.to_owned()));
    }
    let links = config.link_keys.clone();
    let settings = local_settings(&config, &base_url);
    // The outbox acts as SES's mailbox simulator; its events take the
    // delivery-event function's path.
    let (simulator, mail_events) = tokio::sync::mpsc::unbounded_channel();
    backends.mail_simulator = Some(simulator);
    tokio::spawn(backends.check_mail_set_up());
    // The embedded store feeds its consent events to the event log, as the
    // table's stream feeds the publisher in AWS.
    backends.validate().map_err(|e| e.to_string())?;
    let (store, events) = store_and_events(&backends, config.events.as_deref()).await?;
    let (sign_in, dev_idp) = reviewer_sign_in(&config, settings.public_base_url.as_deref())?;
    let rule = settings.policy.reviewer_sign_in;
    let mut service = backends
        .service_on(store, Arc::new(SystemClock), Some(links), settings)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(provider) = backends
        .identity_provider(&sign_in, rule)
        .await
        .map_err(|e| e.to_string())?
    {
        service = service.with_identity_provider(provider);
    }
    let record_key = match &config.record_key {
        Some(path) => LocalRecordKey::load_or_create(path)?,
        None => LocalRecordKey::generate(),
    };
    let app = Arc::new(service.with_record_signer(Arc::new(record_key)));
    let auth = DevAuth::new(&config.dev_jwt_secret)?;
    let tenants = sign_in_tenants(&backends).await?;
    let dev_idp = match dev_idp {
        Some(idp) => Some((
            idp,
            tenants.offered().await.map(|(t, _)| t).unwrap_or_default(),
        )),
        None => None,
    };
    let portal = Portal::new(app.clone(), auth.clone(), &config.dev_jwt_secret, tenants);
    let gateway = Arc::new(
        Gateway::new(app.clone(), auth, portal, dev_idp)
            .answering(own_hosts(addr, config.public_base_url.as_deref())),
    );
    let (shutdown, stopped) = watch::channel(false);
    let server = tokio::spawn(accept_loop(listener, gateway, stopped.clone()));
    let mut tasks = vec![server];
    if config.schedule {
        tasks.push(tokio::spawn(schedule_loop(
            app.clone(),
            config.tick,
            stopped.clone(),
        )));
    }
    tasks.push(tokio::spawn(mail_event_loop(
        app.clone(),
        mail_events,
        stopped.clone(),
    )));
    tasks.extend(follow_events(events, stopped).await);
    Ok(Running {
        addr,
        base_url,
        app,
        shutdown,
        tasks,
    })
}

/// The service's settings as consent-local runs it: links, the portal's
/// Data Consent page and the service role at this server, unless set.
fn local_settings(config: &LocalConfig, base_url: &str) -> Settings {
    let mut settings = Settings {
        public_base_url: Some(
            config
                .public_base_url
                .clone()
                .unwrap_or_else(|| base_url.to_owned()),
        ),
        ..config.settings.clone()
    };
    if settings.portal_url.is_none() {
        settings.portal_url = Some(format!("{base_url}/data-consent"));
    }
    if settings.service_principals.is_empty() {
        settings.service_principals = vec![auth::local_role_arn(auth::DEFAULT_SERVICE_ROLE)];
    }
    settings
}

/// The task that carries consent events to the log, if any: from the
/// embedded store's feed, or from the table's stream as of now.
async fn follow_events(
    events: Option<Events>,
    stopped: watch::Receiver<bool>,
) -> Option<JoinHandle<()>> {
    match events? {
        Events::Feed(log, feed) => Some(tokio::spawn(event_loop(feed, log, stopped))),
        Events::Stream(streams, arn, log) => {
            let from = stream::from_now(&streams, &arn).await;
            Some(tokio::spawn(stream::follow(
                streams, arn, from, log, stopped,
            )))
        }
    }
}

/// How reviewers sign in: the provider configured, else the development
/// provider this process serves at `{base_url}/dev-idp`.
fn reviewer_sign_in(
    config: &LocalConfig,
    base_url: Option<&str>,
) -> Result<(SignInConfig, Option<Arc<DevIdp>>), String> {
    if config.sign_in.issuer.is_some() {
        return Ok((config.sign_in.clone(), None));
    }
    let idp = Arc::new(DevIdp::new(base_url.unwrap_or_default())?);
    let sign_in = SignInConfig {
        issuer: Some(idp.issuer().to_owned()),
        client_id: Some(dev_idp::CLIENT_ID.to_owned()),
        client_secret: Some("development".to_owned()),
        ..config.sign_in.clone()
    };
    Ok((sign_in, Some(idp)))
}

async fn accept_loop(
    listener: TcpListener,
    gateway: Arc<Gateway>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            },
            _ = stopped.changed() => return,
        };
        let (stream, peer) = stream;
        let gateway = gateway.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let gateway = gateway.clone();
                async move { Ok::<_, std::convert::Infallible>(gateway.serve(req, peer).await) }
            });
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(error = %e, "connection closed with an error");
            }
        });
    }
}

/// The tenants the page's development sign-in offers: the directory's.
async fn sign_in_tenants(backends: &Backends) -> Result<SignInTenants, String> {
    let text = match (&backends.tenants, &backends.table) {
        (Some(TenantsFile::Json(text)), _) => text.clone(),
        (Some(TenantsFile::Path(path)), _) => std::fs::read_to_string(path)
            .map_err(|e| format!("tenant directory {}: {e}", path.display()))?,
        (None, Some(table)) => {
            let sdk = backends.sdk_config().await.map_err(|e| e.to_string())?;
            let client = aws_sdk_dynamodb::Client::new(&sdk);
            let cache = backends.directory_cache;
            return Ok(SignInTenants::Table {
                directory: DynamoDirectory::new(client.clone(), table.clone()),
                cached: CachedDirectory::new(
                    Arc::new(DynamoDirectory::new(client, table.clone())),
                    Arc::new(SystemClock),
                    cache.max_age,
                    cache.capacity,
                ),
            });
        }
        (None, None) => SAMPLE_TENANTS.to_owned(),
    };
    parse_tenants(&text)
        .map(SignInTenants::Listed)
        .map_err(|e| format!("tenant directory: {e}"))
}

/// Where the consent events come from, on their way to the event log.
enum Events {
    /// The embedded store's commits.
    Feed(EventLog, UnboundedReceiver<ConsentEvent>),
    /// The table's stream, as the publisher reads it in AWS.
    Stream(aws_sdk_dynamodbstreams::Client, String, EventLog),
}

/// The store, and where its consent events are followed from when an event log is wanted.
async fn store_and_events(
    backends: &Backends,
    log: Option<&std::path::Path>,
) -> Result<(Arc<dyn ConsentStore>, Option<Events>), String> {
    let Some(path) = log else {
        return Ok((backends.store().await.map_err(|e| e.to_string())?, None));
    };
    match &backends.table {
        None => {
            let (store, feed) = MemoryStore::with_event_feed();
            Ok((
                Arc::new(store),
                Some(Events::Feed(EventLog::open(path)?, feed)),
            ))
        }
        Some(table) => {
            let sdk = backends.sdk_config().await.map_err(|e| e.to_string())?;
            let arn = stream::stream_of(&aws_sdk_dynamodb::Client::new(&sdk), table).await?;
            let streams = aws_sdk_dynamodbstreams::Client::new(&sdk);
            let store = backends.store().await.map_err(|e| e.to_string())?;
            Ok((
                store,
                Some(Events::Stream(streams, arn, EventLog::open(path)?)),
            ))
        }
    }
}

/// Appends the embedded store's consent events to the event log, in commit
/// order, until stopped (then what was committed before is still written).
async fn event_loop(
    mut feed: UnboundedReceiver<ConsentEvent>,
    log: EventLog,
    mut stopped: watch::Receiver<bool>,
) {
    let mut batch = Vec::new();
    loop {
        let stopping = tokio::select! {
            received = feed.recv_many(&mut batch, MAX_EVENTS_PER_PUT) => received == 0,
            _ = stopped.changed() => true,
        };
        if stopping {
            while let Ok(event) = feed.try_recv() {
                batch.push(event);
            }
        }
        for chunk in batch.chunks(MAX_EVENTS_PER_PUT) {
            if let Err(e) = log.put(chunk).await {
                tracing::error!(error = %e, "consent events not logged");
            }
        }
        batch.clear();
        if stopping {
            return;
        }
    }
}

/// Runs the scheduled function as EventBridge would, every `tick`.
/// Hands each event the mailbox simulator publishes to the delivery-event
/// function's handler, as EventBridge does in AWS.
async fn mail_event_loop(
    app: Arc<ConsentService>,
    mut events: UnboundedReceiver<serde_json::Value>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        let event = tokio::select! {
            event = events.recv() => match event {
                Some(event) => event,
                None => return,
            },
            _ = stopped.changed() => return,
        };
        if let Err(error) = mail_events::handle(&app, &event).await {
            tracing::warn!(%error, "mail event not recorded");
        }
    }
}

async fn schedule_loop(
    app: Arc<ConsentService>,
    tick: Duration,
    mut stopped: watch::Receiver<bool>,
) {
    let mut interval = tokio::time::interval(tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    interval.tick().await;
    loop {
        tokio::select! {
            _ = interval.tick() => {
                let mut event = EventBridgeEvent::<serde_json::Value>::default();
                event.source = "aws.events".to_owned();
                event.detail_type = "Scheduled Event".to_owned();
                if let Err(e) = reminder::handle(&app, event).await {
                    tracing::warn!(error = %e, "scheduled run failed");
                }
            }
            _ = stopped.changed() => return,
        }
    }
}
