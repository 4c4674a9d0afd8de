//! A third-party OpenID Connect provider for the sign-in's tests: PyPI's
//! `oidc-provider-mock`, which the test command installs (pinned) and names
//! in `CONSENT_OIDC_PROVIDER_MOCK`. Each test starts its own, on a free port;
//! a restart on the same port gives it a new signing key.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::Client;
use crate::lambda::Answer;

/// The client id the tests register (the provider accepts any, with any secret).
pub const CLIENT_ID: &str = "consent-tests";
pub const CLIENT_SECRET: &str = "consent-tests-secret";

pub struct MockProvider {
    /// The issuer: `http://127.0.0.1:{port}`.
    pub url: String,
    port: u16,
    child: Child,
    client: Client,
}

fn program() -> String {
    std::env::var("CONSENT_OIDC_PROVIDER_MOCK").unwrap_or_else(|_| {
        panic!(
            "CONSENT_OIDC_PROVIDER_MOCK is not set: run the tests with tests/run.sh, which installs oidc-provider-mock (pinned, on CPython 3.12 or newer) and names it there"
        )
    })
}

fn spawn(port: u16) -> Child {
    Command::new(program())
        .args(["--port", &port.to_string(), "--require-nonce", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("oidc-provider-mock starts")
}

impl MockProvider {
    pub async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("http://127.0.0.1:{port}");
        let provider = Self {
            child: spawn(port),
            client: Client::new(&url),
            url,
            port,
        };
        provider.ready().await;
        provider
    }

    async fn ready(&self) {
        for _ in 0..200 {
            let discovery = format!("{}/.well-known/openid-configuration", self.url);
            if self
                .client
                .try_get(&discovery)
                .await
                .is_some_and(|a| a.status == 200)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("oidc-provider-mock did not start on {}", self.url);
    }

    /// Stops the provider and starts it again on the same port: the same
    /// issuer with a new signing key (it makes one at every start).
    pub async fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for _ in 0..100 {
            if std::net::TcpListener::bind(("127.0.0.1", self.port)).is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.child = spawn(self.port);
        self.ready().await;
    }

    /// The claims the provider gives `sub` (its ID tokens carry them).
    pub async fn user(&self, sub: &str, claims: Value) {
        let answer = self
            .client
            .send(
                "PUT",
                &format!("/users/{sub}"),
                None,
                Some(("application/json", &claims.to_string())),
            )
            .await;
        assert_eq!(answer.status, 204, "{}", answer.body);
    }

    /// `sub` signs in at the provider's authorization URL `authorize`, as
    /// its login form posts: the address it sends the browser back to.
    pub async fn authorize(&self, authorize: &str, sub: &str) -> String {
        let answer = self
            .client
            .send(
                "POST",
                authorize,
                None,
                Some(("application/x-www-form-urlencoded", &format!("sub={sub}"))),
            )
            .await;
        assert_eq!(answer.status, 302, "{}", answer.body);
        answer.header("location").to_owned()
    }

    /// An ID token for `sub` with `nonce`, from the provider's own token
    /// endpoint; `host` stands for the host the provider believes it was
    /// called on (it names its issuer after it).
    pub async fn id_token(&self, sub: &str, nonce: &str, host: Option<&str>) -> String {
        let authorize = format!(
            "{}/oauth2/authorize?response_type=code&client_id={CLIENT_ID}&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb&scope=openid+email+profile&state=s&nonce={nonce}",
            self.url
        );
        let back = self.authorize(&authorize, sub).await;
        let code = crate::param_of(&back, "code");
        let form = format!(
            "grant_type=authorization_code&code={code}&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}"
        );
        let forwarded = host.map(|h| ("x-forwarded-host", h));
        let headers: Vec<(&str, &str)> = forwarded.into_iter().collect();
        let answer: Answer = self
            .client
            .send_with(
                "POST",
                "/oauth2/token",
                &headers,
                Some(("application/x-www-form-urlencoded", &form)),
            )
            .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.json()["id_token"].as_str().unwrap().to_owned()
    }
}

impl Drop for MockProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
