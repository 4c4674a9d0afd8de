//! A real browser for the page tests: headless Chromium driven over the
//! WebDriver protocol (chromedriver, started by tests/run.sh), and axe-core
//! for accessibility.

use std::time::Duration;

use serde_json::{Value, json};

use crate::Client;

/// Where axe-core's `axe.min.js` is (tests/run.sh installs it, pinned).
pub const AXE_VAR: &str = "CONSENT_AXE_CORE";

pub const DRIVER_VAR: &str = "CONSENT_CHROMEDRIVER";
/// The W3C WebDriver key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A WebDriver session on headless Chromium.
pub struct Browser {
    driver: Client,
    session: String,
}

impl Browser {
    pub async fn open() -> Self {
        let url = std::env::var(DRIVER_VAR).unwrap_or_else(|_| {
            panic!(
                "{DRIVER_VAR} is not set, so there is no browser for this test. Run tests/run.sh, which \
                 installs Debian's chromium and chromium-driver and starts chromedriver; or run \
                 `chromedriver --port=9515` yourself and set {DRIVER_VAR}=http://127.0.0.1:9515"
            )
        });
        let driver = Client::new(&url);
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1000,900",
        ];
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}
        }}});
        let created = driver
            .post_json("/session", None, &capabilities.to_string())
            .await;
        assert_eq!(created.status, 200, "chromedriver: {}", created.body);
        let session = created.json()["value"]["sessionId"]
            .as_str()
            .unwrap()
            .to_owned();
        Self { driver, session }
    }

    pub async fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let path = format!("/session/{}{path}", self.session);
        let body = body.to_string();
        let answer = match method {
            "GET" => self.driver.get(&path, None).await,
            _ => {
                self.driver
                    .send(method, &path, None, Some(("application/json", &body)))
                    .await
            }
        };
        assert_eq!(answer.status, 200, "{method} {path}: {}", answer.body);
        answer.json()["value"].clone()
    }

    pub async fn go(&self, url: &str) {
        self.call("POST", "/url", json!({"url": url})).await;
    }

    pub async fn text(&self, css: &str) -> String {
        let element = self.find(css).await;
        self.call("GET", &format!("/element/{element}/text"), Value::Null)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn find(&self, css: &str) -> String {
        let found = self
            .call(
                "POST",
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {found}"))
            .to_owned()
    }

    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.call("POST", &format!("/element/{element}/click"), json!({}))
            .await;
    }

    pub async fn script(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            json!({"script": script, "args": []}),
        )
        .await
    }

    /// Waits until the page's first heading reads `heading`.
    pub async fn wait_for_heading(&self, heading: &str) {
        for _ in 0..50 {
            let h1 = self
                .script("const h = document.querySelector('h1'); return h ? h.textContent : '';")
                .await;
            if h1 == heading {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the page never said {heading:?}");
    }

    /// Waits until the page has an element `css` (a page that answers a
    /// click replaces the one clicked on only when it arrives).
    pub async fn wait_for(&self, css: &str) {
        let probe = format!(
            "return document.querySelector({}) !== null;",
            serde_json::to_string(css).unwrap()
        );
        for _ in 0..50 {
            if self.script(&probe).await == json!(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the page never had {css}");
    }

    /// The value of the form field `css`.
    pub async fn value(&self, css: &str) -> String {
        let script = format!(
            "return document.querySelector({}).value;",
            serde_json::to_string(css).unwrap()
        );
        self.script(&script)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// On a link's page: "Sign in to answer", then the development
    /// provider's page as it comes (the reviewer's address and tenant filled
    /// in), then back on the link's page, signed in. The provider's page is
    /// checked for accessibility on the way.
    pub async fn sign_in_to_answer(&self) {
        self.click("#sign-in").await;
        self.wait_for("#idp-sign-in").await;
        self.assert_accessible("the development provider's sign-in")
            .await;
        self.click("#idp-sign-in").await;
        self.wait_for("#signed-in").await;
    }

    /// Types `text` into the field `css`, replacing what it held.
    pub async fn fill(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.call("POST", &format!("/element/{element}/clear"), json!({}))
            .await;
        self.call(
            "POST",
            &format!("/element/{element}/value"),
            json!({ "text": text }),
        )
        .await;
    }

    /// The address the browser shows.
    pub async fn url(&self) -> String {
        self.call("GET", "/url", Value::Null)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The value of cookie `name` (HttpOnly ones too: WebDriver sees them).
    pub async fn cookie(&self, name: &str) -> Option<String> {
        let cookies = self.call("GET", "/cookie", Value::Null).await;
        cookies.as_array()?.iter().find_map(|c| {
            (c["name"] == name).then(|| c["value"].as_str().unwrap_or_default().to_owned())
        })
    }

    /// Every WCAG 2.1 A and AA violation axe-core finds on the page, one
    /// line each (rule, what it means, where).
    pub async fn accessibility_violations(&self) -> Vec<String> {
        let path = std::env::var(AXE_VAR).unwrap_or_else(|_| {
            panic!(
                "{AXE_VAR} is not set, so axe-core cannot check the page. Run tests/run.sh, which \
                 installs npm's axe-core (pinned) into .tools/; or `npm install axe-core` and set \
                 {AXE_VAR}=node_modules/axe-core/axe.min.js"
            )
        });
        let source =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{AXE_VAR}={path}: {e}"));
        self.call(
            "POST",
            "/execute/sync",
            json!({"script": format!("{source}\nreturn typeof axe;"), "args": []}),
        )
        .await;
        let script = "const done = arguments[arguments.length - 1];\
            axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})\
            .then(r => done(r.violations.map(v => v.id + ': ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', '))))\
            .catch(e => done(['axe failed: ' + e]));";
        let found = self
            .call(
                "POST",
                "/execute/async",
                json!({"script": script, "args": []}),
            )
            .await;
        found
            .as_array()
            .unwrap_or_else(|| panic!("axe answered {found}"))
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Asserts that axe-core finds no WCAG 2.1 A or AA violation on `page`.
    pub async fn assert_accessible(&self, page: &str) {
        let violations = self.accessibility_violations().await;
        assert!(
            violations.is_empty(),
            "{page} ({}) is not accessible: {violations:#?}",
            self.url().await
        );
    }

    pub async fn close(self) {
        let path = format!("/session/{}", self.session);
        self.driver.send("DELETE", &path, None, None).await;
    }
}
