//! Requests as the Lambda runtime hands them to a handler, and its answers.

use std::collections::HashMap;

use consent_http::gateway::GatewayRequest;
use lambda_http::Body;

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
    /// A `Cookie` header, as the browser sends it.
    pub cookie: Option<String>,
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
            cookie: None,
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

    /// The browser sends the cookie `name`.
    pub fn cookie(mut self, name: &str, value: &str) -> Self {
        self.cookie = Some(format!("{name}={value}"));
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
        if let Some(cookie) = self.cookie {
            builder = builder.header("cookie", cookie);
        }
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
    /// The first cookie the answer sets, as `name=value` (what a browser sends back).
    pub fn set_cookie(&self) -> String {
        self.header("set-cookie")
            .split(';')
            .next()
            .unwrap_or_default()
            .to_owned()
    }

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

    /// The (field, message) pairs of a 422's problem body, in its order.
    pub fn field_errors(&self) -> Vec<(String, String)> {
        self.assert_problem(422)["errors"]
            .as_array()
            .expect("a 422 lists its errors")
            .iter()
            .map(|e| {
                (
                    e["field"].as_str().unwrap().to_owned(),
                    e["message"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
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
