//! A plain HTTP/1 client for `consent-local` (and the other servers the
//! tests start).

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;

use crate::lambda::Answer;

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
        self.try_send_with(method, path, headers, body)
            .await
            .expect("the server answers")
    }

    /// A GET, or None when nothing answers (yet).
    pub async fn try_get(&self, path: &str) -> Option<Answer> {
        self.try_send_with("GET", path, &[], None).await
    }

    async fn try_send_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, &str)>,
    ) -> Option<Answer> {
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
            .ok()?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.ok()?.to_bytes();
        Some(Answer {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
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

    /// Signs in for the link `link` (a URL or path of `/review/…` or
    /// `/revoke/…`) at consent-local's development provider as a browser
    /// would: `person` (address, tenant), or whom the provider's page fills
    /// in (the link's reviewer, the tenant of their domain). The `Cookie`
    /// value with the proof, or the answer where the sign-in stopped.
    pub async fn sign_in_at_link(
        &self,
        link: &str,
        person: Option<(&str, &str)>,
    ) -> Result<String, Answer> {
        let start = self.get(&format!("{link}/sign-in"), None).await;
        if start.status != 303 {
            return Err(start);
        }
        let authorize = start.header("location").to_owned();
        let flow = start.set_cookie();
        let page = self.get(&authorize, None).await;
        if page.status != 200 {
            return Err(page);
        }
        let (endpoint, query) = authorize.split_once('?').unwrap_or((&authorize, ""));
        let mut fields: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
        let hint = fields
            .iter()
            .find(|(k, _)| k == "login_hint")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let prefilled = input_value(&page.body, "tenant");
        let (email, tenant) = person.unwrap_or((&hint, &prefilled));
        fields.extend([
            ("email".to_owned(), email.to_owned()),
            ("tenant".to_owned(), tenant.to_owned()),
            ("mfa".to_owned(), "yes".to_owned()),
            ("action".to_owned(), "sign-in".to_owned()),
        ]);
        let form = serde_urlencoded::to_string(&fields).unwrap();
        let signed_in = self
            .send(
                "POST",
                endpoint,
                None,
                Some(("application/x-www-form-urlencoded", &form)),
            )
            .await;
        if signed_in.status != 303 {
            return Err(signed_in);
        }
        let callback = signed_in.header("location").to_owned();
        let back = self
            .send_with("GET", &callback, &[("cookie", &flow)], None)
            .await;
        if back.status != 303 {
            return Err(back);
        }
        back.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("consent-reviewer="))
            .and_then(|v| v.split(';').next())
            .map(str::to_owned)
            .ok_or(back)
    }

    /// Posts `form` to the link `link` as its reviewer's browser, after
    /// signing in as the development provider suggests (a link the sign-in
    /// cannot start for is posted to without one: it answers as it would).
    pub async fn answer(&self, link: &str, form: &str) -> Answer {
        let proof = self.sign_in_at_link(link, None).await.ok();
        let headers: Vec<(&str, &str)> = proof.iter().map(|c| ("cookie", c.as_str())).collect();
        self.send_with(
            "POST",
            link,
            &headers,
            Some(("application/x-www-form-urlencoded", form)),
        )
        .await
    }
}

/// The `value` of the input named `name` in a page.
fn input_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    html.split_once(&marker)
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(value, _)| value.to_owned())
        .unwrap_or_default()
}
