//! A plain HTTP/1 client for `consent-local`.

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
