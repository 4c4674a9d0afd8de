//! The AWS side of the cold-start runs, on moto: the table, the sender, the
//! link-key secret, the requests each event refers to, and the events.

use consent_tests::AsReviewer;
use std::sync::Arc;

use consent_app::embedded::clock::SystemClock;
use consent_app::embedded::directory::StaticDirectory;
use consent_app::service::ConsentService;
use consent_app::settings::Settings;
use consent_aws::dynamodb::store::DynamoStore;
use consent_aws::secrets::parse_secret_keys;
use consent_core::domain::{ConsentRequest, RequestId, Slot, Verdict};
use consent_core::links::{LinkClaims, LinkSigner, Purpose};
use consent_tests::{CUSTOMER, PARTNER, create_input, partner_caller};
use serde_json::{Value, json};

pub const SENDER: &str = "consent@bench.example";
const PUBLIC_BASE_URL: &str = "https://consent.example";
const SECRET_VALUE: &str =
    r#"{"kid":"k1","secret":"bench-link-key-bench-link-key-bench-link-key"}"#;
/// The directory the functions read from the table, as in production.
pub const DIRECTORY: &str = r#"{"tenants":[{"id":"partner-fabrikam","name":"Fabrikam Consulting","kind":"partner"},{"id":"contoso","name":"Contoso Ltd","domains":["contoso.example"]}]}"#;

pub struct Seed {
    pub table: String,
    /// The EventBridge bus the publisher puts events on.
    pub bus: String,
    pub secret_arn: String,
    /// The KMS key the writing functions sign records with.
    pub record_key: String,
    /// The client secret of the sign-in functions' OpenID Connect client.
    oidc_secret_arn: String,
    app: ConsentService,
    signer: LinkSigner,
    /// A pending request, for the routes that only look.
    pending: ConsentRequest,
    /// An allowed request, for the withdraw page.
    allowed: ConsentRequest,
}

impl Seed {
    pub async fn new() -> Self {
        let (dynamodb, _) = consent_tests::moto::dynamodb().await;
        let table = consent_tests::moto::fresh_table(&dynamodb, "bench").await;
        consent_aws::dynamodb::directory::DynamoDirectory::new(dynamodb.clone(), table.clone())
            .import(
                &consent_app::embedded::directory::parse_tenants(DIRECTORY).unwrap(),
                &mut |_, _, _| {},
            )
            .await
            .expect("import the directory on moto");
        let config = consent_tests::moto::sdk_config().await;
        let identity = aws_sdk_sesv2::Client::new(&config)
            .create_email_identity()
            .email_identity(SENDER)
            .send()
            .await;
        if let Err(e) = identity {
            // A seed before this one may have created it.
            let exists = e
                .as_service_error()
                .is_some_and(|e| e.is_already_exists_exception());
            assert!(
                exists,
                "create the SES identity on moto: {}",
                aws_sdk_sesv2::error::DisplayErrorContext(e)
            );
        }
        let secret_arn = aws_sdk_secretsmanager::Client::new(&config)
            .create_secret()
            .name(format!("bench-link-keys-{}", uuid::Uuid::new_v4().simple()))
            .secret_string(SECRET_VALUE)
            .send()
            .await
            .expect("create the link-key secret on moto")
            .arn()
            .unwrap()
            .to_owned();
        let oidc_secret_arn = aws_sdk_secretsmanager::Client::new(&config)
            .create_secret()
            .name(format!(
                "bench-oidc-client-{}",
                uuid::Uuid::new_v4().simple()
            ))
            .secret_string("bench-client-secret")
            .send()
            .await
            .expect("create the sign-in client secret on moto")
            .arn()
            .unwrap()
            .to_owned();
        // The record-signing key, as the template's RecordKey.
        let record_key = aws_sdk_kms::Client::new(&config)
            .create_key()
            .key_spec(aws_sdk_kms::types::KeySpec::EccNistP256)
            .key_usage(aws_sdk_kms::types::KeyUsageType::SignVerify)
            .send()
            .await
            .expect("create the record-signing key on moto's KMS")
            .key_metadata
            .expect("a created key has metadata")
            .key_id;
        let bus = format!("bench-events-{}", uuid::Uuid::new_v4().simple());
        aws_sdk_eventbridge::Client::new(&config)
            .create_event_bus()
            .name(&bus)
            .send()
            .await
            .expect("create the event bus on moto");
        let signer = parse_secret_keys("bench", SECRET_VALUE).unwrap();
        let app = ConsentService::without_email(
            Arc::new(DynamoStore::new(dynamodb, table.clone())),
            Arc::new(StaticDirectory::from_json(DIRECTORY).unwrap()),
            Arc::new(SystemClock),
            parse_secret_keys("bench", SECRET_VALUE).unwrap(),
            consent_tests::roomy(Settings {
                public_base_url: Some(PUBLIC_BASE_URL.to_owned()),
                ..Settings::default()
            }),
        )
        .with_identity_provider(std::sync::Arc::new(consent_tests::NamedIdentity));
        let pending = app
            .create(&partner_caller(true), create_input("bench-pending"))
            .await
            .unwrap();
        let mut seed = Self {
            table,
            bus,
            secret_arn,
            record_key,
            oidc_secret_arn,
            app,
            signer,
            allowed: pending.clone(),
            pending,
        };
        seed.allowed = seed.allowed_request("bench-allowed").await;
        seed
    }

    /// Deletes the seed's table, so that moto no longer holds it.
    pub async fn remove(self) {
        let (dynamodb, _) = consent_tests::moto::dynamodb().await;
        consent_tests::moto::drop_table(&dynamodb, &self.table).await;
    }

    /// The environment of a Lambda function as the template and Lambda set
    /// it, without the endpoints and the trust store (see `cold`); the
    /// sign-in functions' provider is `issuer`.
    pub fn env(&self, function: &str, issuer: &str) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = [
            ("PATH", "/usr/bin:/bin"),
            ("RUST_LOG", "info"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_DEFAULT_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "bench"),
            ("AWS_SECRET_ACCESS_KEY", "bench"),
            ("AWS_SESSION_TOKEN", "bench"),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
            ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench"),
            ("AWS_LAMBDA_LOG_STREAM_NAME", "bench"),
            ("CONSENT_SENDER", SENDER),
            ("CONSENT_PUBLIC_BASE_URL", PUBLIC_BASE_URL),
            // Each binary's runs make hundreds of requests of one partner
            // user, asking the same two reviewers.
            ("CONSENT_ASKS_PER_ADDRESS_PER_DAY", "100000"),
            ("CONSENT_REQUESTS_PER_USER_PER_HOUR", "100000"),
            ("CONSENT_REQUESTS_PER_TENANT_PER_HOUR", "100000"),
            ("CONSENT_REVIEWER_CHANGES_PER_DAY", "100000"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        env.push((
            "AWS_LAMBDA_FUNCTION_NAME".into(),
            format!("consent-{function}"),
        ));
        env.push(("CONSENT_TABLE".into(), self.table.clone()));
        if let Ok(filter) = std::env::var("CONSENT_BENCH_RUST_LOG") {
            env.push(("RUST_LOG".into(), filter));
        }
        env.push(("CONSENT_RECORD_KEY_ID".into(), self.record_key.clone()));
        if function == "event-publisher" {
            env.push(("CONSENT_EVENT_BUS".into(), self.bus.clone()));
        }
        if function == "reviewer-sign-in" || function == "customer-view" {
            env.push(("CONSENT_OIDC_ISSUER".into(), issuer.to_owned()));
            env.push(("CONSENT_OIDC_CLIENT_ID".into(), "bench-client".into()));
            env.push((
                "CONSENT_OIDC_CLIENT_SECRET_ARN".into(),
                self.oidc_secret_arn.clone(),
            ));
        }
        if handles_links(function) {
            env.push((
                "CONSENT_LINK_KEYS_SECRET_ARN".into(),
                self.secret_arn.clone(),
            ));
        }
        env
    }

    /// One realistic event for `function`; what it changes is made fresh for each run.
    pub async fn event(&self, function: &str, run: usize) -> Value {
        let id = self.pending.id.to_string();
        let unique = format!(
            "bench-{run}-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        match function {
            "hello-lambda" | "hello-http" | "hello-tls" | "access-check" => api_event(
                "GET /access",
                "/access",
                &[],
                &[("tenantId", CUSTOMER), ("environmentId", "bench-pending")],
                None,
            ),
            "create-request" => {
                let body = json!({"targetTenantId": CUSTOMER, "environmentId": unique, "environmentName": "Production", "purpose": "Tune alerting for the EU rollout", "reviewers": ["bob@contoso.example", "carol@contoso.example"]});
                api_event(
                    "POST /consent-requests",
                    "/consent-requests",
                    &[],
                    &[],
                    Some(body.to_string()),
                )
            }
            "list-requests" => {
                api_event("GET /consent-requests", "/consent-requests", &[], &[], None)
            }
            "get-request" => api_event(
                "GET /consent-requests/{id}",
                &format!("/consent-requests/{id}"),
                &[("id", &id)],
                &[],
                None,
            ),
            "cancel-request" => {
                let fresh = self.fresh(&unique).await.id.to_string();
                api_event(
                    "POST /consent-requests/{id}/cancel",
                    &format!("/consent-requests/{fresh}/cancel"),
                    &[("id", &fresh)],
                    &[],
                    None,
                )
            }
            "replace-reviewer" => {
                let fresh = self.fresh(&unique).await.id.to_string();
                let body =
                    json!({"email": "dave@contoso.example", "confirmedInTargetTenant": true});
                api_event(
                    "PUT /consent-requests/{id}/reviewers/{slot}",
                    &format!("/consent-requests/{fresh}/reviewers/2"),
                    &[("id", &fresh), ("slot", "2")],
                    &[],
                    Some(body.to_string()),
                )
            }
            "review-page" => {
                let token = self.token(&self.pending, Purpose::Review);
                page_event("GET /review/{token}", "review", &token, None)
            }
            "reviewer-sign-in" => {
                let token = self.token(&self.pending, Purpose::Review);
                let mut event = page_event("GET /review/{token}/sign-in", "review", &token, None);
                event["rawPath"] = json!(format!("/review/{token}/sign-in"));
                event["requestContext"]["http"]["path"] = json!(format!("/review/{token}/sign-in"));
                event
            }
            "review-decision" => {
                let token = self.token(&self.fresh(&unique).await, Purpose::Review);
                let mut event = page_event(
                    "POST /review/{token}",
                    "review",
                    &token,
                    Some("decision=approve"),
                );
                self.signed_in(&mut event, &token, Purpose::Review).await;
                event
            }
            "revoke-page" => {
                let token = self.token(&self.allowed, Purpose::Revoke);
                page_event("GET /revoke/{token}", "revoke", &token, None)
            }
            "revoke-decision" => {
                let token = self.token(&self.allowed_request(&unique).await, Purpose::Revoke);
                let mut event = page_event(
                    "POST /revoke/{token}",
                    "revoke",
                    &token,
                    Some("confirm=withdraw"),
                );
                self.signed_in(&mut event, &token, Purpose::Revoke).await;
                event
            }
            "customer-view" => {
                let mut event =
                    api_event("GET /customer/sign-in", "/customer/sign-in", &[], &[], None);
                event["requestContext"]
                    .as_object_mut()
                    .unwrap()
                    .remove("authorizer");
                event
            }
            "consent-record" => api_event(
                "GET /consent-requests/{id}/record",
                &format!("/consent-requests/{id}/record"),
                &[("id", &id)],
                &[],
                None,
            ),
            // SES's report that a fresh request's first ask was delivered.
            "mail-events" => {
                let fresh = self.fresh(&unique).await;
                let reviewer = &fresh.reviewers()[0];
                let ask = reviewer.ask.as_ref().unwrap();
                consent_aws::ses_simulator::ses_event(
                    "Delivery",
                    &reviewer.email,
                    Some(consent_app::ports::About {
                        request_id: fresh.id,
                        ask: Some((Slot::One, ask.id)),
                    }),
                    json!({"delivery": {"timestamp": "2026-12-01T00:00:01Z", "recipients": [reviewer.email.as_str()], "smtpResponse": "250 2.6.0 Message received", "processingTimeMillis": 900}}),
                )
            }
            // The change that gives access: one stream record, two events.
            "event-publisher" => {
                let allowed = format!("REQ#{}", self.allowed.id);
                let record = consent_tests::events::stream_records(&self.table)
                    .await
                    .into_iter()
                    .rfind(|r| {
                        r["dynamodb"]["Keys"]["pk"]["S"] == allowed.as_str()
                            && r["dynamodb"]["NewImage"]["consent_events"]["S"]
                                .as_str()
                                .is_some_and(|e| e.contains("\"allowed\""))
                    })
                    .expect("the allowed request's record in the stream");
                json!({ "Records": [record] })
            }
            "reminder" => json!({
                "version": "0",
                "id": uuid::Uuid::new_v4().to_string(),
                "detail-type": "Scheduled Event",
                "source": "aws.events",
                "account": "123456789012",
                "time": "2026-12-01T00:00:00Z",
                "region": "us-east-1",
                "resources": ["arn:aws:events:us-east-1:123456789012:rule/consent-reminders"],
                "detail": {}
            }),
            other => panic!("no event for {other}"),
        }
    }

    async fn fresh(&self, env: &str) -> ConsentRequest {
        self.app
            .create(&partner_caller(true), create_input(env))
            .await
            .unwrap()
    }

    async fn allowed_request(&self, env: &str) -> ConsentRequest {
        let request = self.fresh(env).await;
        for _ in 0..2 {
            let current = self.get(request.id).await;
            let slot = if current.reviewers()[0]
                .ask
                .as_ref()
                .unwrap()
                .decision
                .is_none()
            {
                Slot::One
            } else {
                Slot::Two
            };
            let token = self.token_for(&current, Purpose::Review, slot);
            self.app
                .decide_signed_in(&token, Verdict::Approved, None)
                .await
                .unwrap();
        }
        self.get(request.id).await
    }

    async fn get(&self, id: RequestId) -> ConsentRequest {
        self.app
            .get(
                &partner_caller(true),
                id,
                consent_app::service::HistoryQuery::default(),
            )
            .await
            .unwrap()
            .0
    }

    /// Adds the proof cookie the link's reviewer gets by signing in.
    async fn signed_in(&self, event: &mut Value, token: &str, purpose: Purpose) {
        let proof = self
            .app
            .reviewer_proof(token, purpose)
            .await
            .expect("the reviewer signs in");
        event["cookies"] = json!([format!("{}={proof}", consent_app::service::PROOF_COOKIE)]);
    }

    fn token(&self, request: &ConsentRequest, purpose: Purpose) -> String {
        self.token_for(request, purpose, Slot::One)
    }

    fn token_for(&self, request: &ConsentRequest, purpose: Purpose, slot: Slot) -> String {
        let index = usize::from(slot.number() - 1);
        let ask = request.reviewers()[index].ask.as_ref().unwrap();
        self.signer
            .sign(&LinkClaims {
                purpose,
                request_id: request.id,
                slot,
                ask_id: ask.id,
                expires_at: time::OffsetDateTime::now_utc() + time::Duration::days(1),
            })
            .as_str()
            .to_owned()
    }
}

/// The functions the template gives the link-key secret.
pub fn handles_links(function: &str) -> bool {
    matches!(
        function,
        "create-request"
            | "customer-view"
            | "reviewer-sign-in"
            | "replace-reviewer"
            | "review-page"
            | "review-decision"
            | "revoke-page"
            | "revoke-decision"
            | "reminder"
    )
}

fn api_event(
    route: &str,
    path: &str,
    path_params: &[(&str, &str)],
    query: &[(&str, &str)],
    body: Option<String>,
) -> Value {
    let (method, _) = route.split_once(' ').unwrap();
    let raw_query: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut event = json!({
        "version": "2.0",
        "routeKey": route,
        "rawPath": path,
        "rawQueryString": raw_query.join("&"),
        "headers": {"host": "api.example", "user-agent": "bench", "content-type": "application/json"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "bench",
            "domainName": "api.example",
            "domainPrefix": "api",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9", "userAgent": "bench"},
            "requestId": uuid::Uuid::new_v4().to_string(),
            "routeKey": route,
            "stage": "$default",
            "time": "01/Dec/2026:00:00:00 +0000",
            "timeEpoch": 1_796_083_200_000_u64,
            "authorizer": {"jwt": {"claims": {
                "tid": PARTNER, "oid": "alice", "sub": "alice",
                "email": "alice@fabrikam.example", "roles": "[ConsentAdmin]"
            }, "scopes": null}}
        },
        "isBase64Encoded": false
    });
    if !path_params.is_empty() {
        event["pathParameters"] = path_params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect();
    }
    if !query.is_empty() {
        event["queryStringParameters"] = query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect();
    }
    if let Some(body) = body {
        event["body"] = json!(body);
    }
    event
}

/// A review or withdraw page event: no JWT, the token in the path.
fn page_event(route: &str, kind: &str, token: &str, form: Option<&str>) -> Value {
    let path = format!("/{kind}/{token}");
    let mut event = api_event(
        route,
        &path,
        &[("token", token)],
        &[],
        form.map(str::to_owned),
    );
    event["requestContext"]
        .as_object_mut()
        .unwrap()
        .remove("authorizer");
    event["headers"]["content-type"] = json!("application/x-www-form-urlencoded");
    event
}
