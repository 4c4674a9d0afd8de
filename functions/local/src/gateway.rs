//! A small stand-in for the HTTP API: routes requests to the same handlers
//! the Lambda functions run, with the same API Gateway v2 request context.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use consent_app::service::ConsentService;
use consent_http::gateway::GatewayRequest;
use consent_http::problem::json_response;
use consent_http::problem::problem;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::http::{HeaderValue, Method, StatusCode, header};
use lambda_http::Body;

use crate::auth::DevAuth;
use crate::dev_idp::DevIdp;
use crate::portal::{PageRequest, Portal};
use consent_core::domain::Tenant;

/// Largest body the gateway passes on (API Gateway's own limit is higher;
/// handlers apply their own, smaller limits).
const MAX_REQUEST_BYTES: usize = 1024 * 1024;

pub const OPENAPI_JSON: &str = include_str!("../../../openapi.json");

type PathParams = HashMap<String, String>;
/// The gateway's own answer, when no handler is called.
type Refused = Box<lambda_http::Response<Body>>;
type HandlerFuture = Pin<Box<dyn Future<Output = lambda_http::Response<Body>> + Send>>;
type Handler = fn(Arc<ConsentService>, lambda_http::Request) -> HandlerFuture;

/// A route's handler, called as the Lambda bootstrap calls it.
macro_rules! route_to {
    ($handle:path) => {
        |app: Arc<ConsentService>, req: lambda_http::Request| -> HandlerFuture {
            Box::pin(async move { consent_http::lambda::answer(&app, req, $handle).await })
        }
    };
}

/// Who may call a route, as API Gateway checks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Auth {
    /// Anyone (pages reached from an email link, health, the document).
    None,
    /// A portal user's bearer token (the JWT authorizer in AWS).
    User,
    /// A service's dev token standing in for a SigV4 signature (the IAM
    /// authorizer in AWS); a user's token is refused.
    Service,
}

/// How a route is reached.
#[derive(Clone)]
pub struct Route {
    pub method: Method,
    /// Path template, as in the OpenAPI document.
    pub path: &'static str,
    pub auth: Auth,
    handler: Handler,
}

fn route(method: Method, path: &'static str, auth: Auth, handler: Handler) -> Route {
    Route {
        method,
        path,
        auth,
        handler,
    }
}

/// Every route of the product, API and pages, plus the local extras.
pub fn routes() -> Vec<Route> {
    let mut routes = vec![
        route(Method::GET, "/health", Auth::None, |_, _| {
            Box::pin(async { json_response(StatusCode::OK, &serde_json::json!({"status": "ok"})) })
        }),
        route(Method::GET, "/openapi.json", Auth::None, |_, _| {
            Box::pin(async { openapi() })
        }),
    ];
    routes.extend(api_routes());
    routes.extend(link_routes());
    routes.extend(customer_routes());
    routes
}

/// The customer's view: its own sign-in, pages, forms and record.
fn customer_routes() -> Vec<Route> {
    let get = [
        "/customer",
        "/customer/sign-in",
        "/customer/requests/{id}",
        "/customer/export.csv",
        "/customer/export.json",
        "/customer/record.json",
        "/customer/requests/{id}/record",
        "/customer/requests/{id}/record.json",
    ];
    let post = [
        "/customer/sign-out",
        "/customer/requests/{id}/reject",
        "/customer/requests/{id}/withdraw",
        "/customer/requests/{id}/reviewers/{slot}",
        "/customer/blocks",
        "/customer/blocks/{partner}/lift",
    ];
    (get.iter().map(|p| (Method::GET, *p)))
        .chain(post.iter().map(|p| (Method::POST, *p)))
        .map(|(method, path)| route(method, path, Auth::None, route_to!(customer_view::handle)))
        .collect()
}

/// The partners' API and the services' access check.
fn api_routes() -> Vec<Route> {
    vec![
        route(
            Method::POST,
            "/consent-requests",
            Auth::User,
            route_to!(create_request::handle),
        ),
        route(
            Method::GET,
            "/consent-requests",
            Auth::User,
            route_to!(list_requests::handle),
        ),
        route(
            Method::GET,
            "/consent-requests/{id}",
            Auth::User,
            route_to!(get_request::handle),
        ),
        route(
            Method::POST,
            "/consent-requests/{id}/cancel",
            Auth::User,
            route_to!(cancel_request::handle),
        ),
        route(
            Method::PUT,
            "/consent-requests/{id}/reviewers/{slot}",
            Auth::User,
            route_to!(replace_reviewer::handle),
        ),
        route(
            Method::GET,
            "/consent-requests/{id}/record",
            Auth::User,
            route_to!(consent_record::handle),
        ),
        route(
            Method::GET,
            "/.well-known/consent-record-keys.json",
            Auth::None,
            route_to!(consent_record::handle),
        ),
        route(
            Method::GET,
            "/access",
            Auth::User,
            route_to!(access_check::handle),
        ),
        route(
            Method::GET,
            "/service/access",
            Auth::Service,
            route_to!(access_check::handle_service),
        ),
    ]
}

/// What the emailed links open: the pages, the decisions, the reviewer's sign-in.
fn link_routes() -> Vec<Route> {
    vec![
        route(
            Method::GET,
            "/review/{token}",
            Auth::None,
            route_to!(review_page::handle),
        ),
        route(
            Method::POST,
            "/review/{token}",
            Auth::None,
            route_to!(review_decision::handle),
        ),
        route(
            Method::GET,
            "/revoke/{token}",
            Auth::None,
            route_to!(revoke_page::handle),
        ),
        route(
            Method::POST,
            "/revoke/{token}",
            Auth::None,
            route_to!(revoke_decision::handle),
        ),
        route(
            Method::GET,
            "/review/{token}/sign-in",
            Auth::None,
            route_to!(reviewer_sign_in::handle),
        ),
        route(
            Method::GET,
            "/revoke/{token}/sign-in",
            Auth::None,
            route_to!(reviewer_sign_in::handle),
        ),
        route(
            Method::GET,
            "/signed-in",
            Auth::None,
            route_to!(reviewer_sign_in::handle),
        ),
    ]
}

fn openapi() -> lambda_http::Response<Body> {
    let mut r = lambda_http::Response::new(Body::Text(OPENAPI_JSON.to_owned()));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

pub struct Gateway {
    app: Arc<ConsentService>,
    auth: DevAuth,
    router: matchit::Router<Vec<Route>>,
    /// The Data Consent page, beside the API.
    portal: Portal,
    /// The development identity provider, with the directory's tenants it
    /// fills in from an address; None when another provider is configured.
    dev_idp: Option<(Arc<DevIdp>, Vec<Tenant>)>,
    /// The `Host` values answered (lower case); empty answers any.
    hosts: Vec<String>,
}

impl Gateway {
    pub fn new(
        app: Arc<ConsentService>,
        auth: DevAuth,
        portal: Portal,
        dev_idp: Option<(Arc<DevIdp>, Vec<Tenant>)>,
    ) -> Self {
        let mut by_path: HashMap<&'static str, Vec<Route>> = HashMap::new();
        for route in routes() {
            by_path.entry(route.path).or_default().push(route);
        }
        let mut router = matchit::Router::new();
        for (path, routes) in by_path {
            router
                .insert(path, routes)
                .expect("route templates are distinct");
        }
        Self {
            app,
            auth,
            router,
            portal,
            dev_idp,
            hosts: Vec::new(),
        }
    }

    /// Answers only requests whose `Host` is one of `hosts` (`name:port`):
    /// a page elsewhere that makes a browser call this process through a
    /// name it controls (DNS rebinding) is refused.
    pub fn answering(mut self, hosts: Vec<String>) -> Self {
        self.hosts = hosts.into_iter().map(|h| h.to_ascii_lowercase()).collect();
        self
    }

    /// A `421` for a request to a name this process does not answer to.
    fn misdirected(&self, req: &hyper::Request<Incoming>) -> Option<lambda_http::Response<Body>> {
        if self.hosts.is_empty() {
            return None;
        }
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| req.uri().authority().map(|a| a.as_str()))
            .unwrap_or_default()
            .to_ascii_lowercase();
        if self.hosts.contains(&host) {
            return None;
        }
        Some(problem(
            StatusCode::MISDIRECTED_REQUEST,
            "misdirected",
            "Misdirected Request",
            &format!(
                "consent-local answers only at {}, not at the host {host:?}",
                self.hosts.join(", ")
            ),
        ))
    }

    /// Answers `req`, which came from `peer`.
    pub async fn serve(
        &self,
        req: hyper::Request<Incoming>,
        peer: std::net::SocketAddr,
    ) -> hyper::Response<Full<Bytes>> {
        let is_head = req.method() == Method::HEAD;
        let response = self.dispatch(req, peer).await;
        let (parts, body) = response.into_parts();
        let bytes = if is_head {
            Bytes::new()
        } else {
            Bytes::from(body.to_vec())
        };
        hyper::Response::from_parts(parts, Full::new(bytes))
    }

    async fn dispatch(
        &self,
        req: hyper::Request<Incoming>,
        peer: std::net::SocketAddr,
    ) -> lambda_http::Response<Body> {
        if let Some(refused) = self.misdirected(&req) {
            return refused;
        }
        let path = req.uri().path().to_owned();
        if self.portal.serves(&path) {
            return self.page(&path, req).await;
        }
        if let Some((idp, tenants)) = self.dev_idp.as_ref().filter(|_| DevIdp::serves(&path)) {
            let (parts, incoming) = req.into_parts();
            let body = body_of(incoming).await.map(|b| Bytes::from(b.to_vec()));
            return idp.serve(
                &parts.method,
                &path,
                parts.uri.query(),
                body.as_ref(),
                tenants,
            );
        }
        let (route, path_params) = match self.route_of(req.method(), &path) {
            Ok(found) => found,
            Err(refused) => return *refused,
        };
        let mut gateway = GatewayRequest::new()
            .route(format!("{} {}", route.method, route.path))
            .request_id(uuid_like())
            .path_params(path_params)
            .query(query_of(&req))
            .source_ip(peer.ip().to_string());
        match route.auth {
            Auth::None => {}
            Auth::User => match self.bearer(&req).and_then(|t| self.auth.verify(t)) {
                Ok(claims) => gateway = gateway.claims(claims),
                Err(detail) => return consent_http::problem::unauthorized(&detail),
            },
            // Without a valid service token the context has no IAM principal,
            // and the handler refuses the call as the IAM authorizer would.
            Auth::Service => {
                if let Some(arn) = self
                    .bearer(&req)
                    .ok()
                    .and_then(|t| self.auth.verify_service(t).ok())
                {
                    gateway = gateway.iam_principal(arn);
                }
            }
        }
        let (parts, incoming) = req.into_parts();
        let Some(body) = body_of(incoming).await else {
            return problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                "Body too large",
                "the request body is too large",
            );
        };
        let request = gateway.wrap(lambda_http::Request::from_parts(parts, body));
        (route.handler)(self.app.clone(), request).await
    }

    /// The route of `method` and `path` with its path parameters, or the
    /// answer that there is none.
    fn route_of(&self, method: &Method, path: &str) -> Result<(Route, PathParams), Refused> {
        let Ok(matched) = self.router.at(path) else {
            return Err(Box::new(problem(
                StatusCode::NOT_FOUND,
                "no-route",
                "Not found",
                "no such route",
            )));
        };
        // HEAD is served as GET without a body, as a browser or scanner expects.
        let wanted = if method == Method::HEAD {
            Method::GET
        } else {
            method.clone()
        };
        let Some(route) = matched.value.iter().find(|r| r.method == wanted) else {
            let allow: Vec<&str> = matched.value.iter().map(|r| r.method.as_str()).collect();
            let mut r = problem(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
                &format!("this route accepts {}", allow.join(", ")),
            );
            if let Ok(v) = HeaderValue::from_str(&allow.join(", ")) {
                r.headers_mut().insert(header::ALLOW, v);
            }
            return Err(Box::new(r));
        };
        let params = matched
            .params
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Ok((route.clone(), params))
    }

    /// A request to the Data Consent page.
    async fn page(&self, path: &str, req: hyper::Request<Incoming>) -> lambda_http::Response<Body> {
        let (parts, incoming) = req.into_parts();
        let body = Limited::new(incoming, crate::portal::MAX_FORM_BYTES)
            .collect()
            .await
            .map(|collected| collected.to_bytes())
            .ok();
        let request = PageRequest {
            method: parts.method,
            headers: parts.headers,
            query: parts.uri.query().map(str::to_owned),
            body,
        };
        self.portal.serve(path, request).await
    }

    fn bearer<'r>(&self, req: &'r hyper::Request<Incoming>) -> Result<&'r str, String> {
        let value = req
            .headers()
            .get(header::AUTHORIZATION)
            .ok_or("sign in: send Authorization: Bearer <token> (consent-local token --help)")?;
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .ok_or("the Authorization header must be: Bearer <token>")?;
        Ok(token.trim())
    }
}

/// The query string's parameters, each with its values in order.
fn query_of(req: &hyper::Request<Incoming>) -> HashMap<String, Vec<String>> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(req.uri().query().unwrap_or("")).unwrap_or_default();
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in pairs {
        map.entry(k).or_default().push(v);
    }
    map
}

/// The body as API Gateway passes it (text when it is UTF-8), or None when
/// it is larger than the gateway takes.
async fn body_of(incoming: Incoming) -> Option<Body> {
    let bytes = Limited::new(incoming, MAX_REQUEST_BYTES)
        .collect()
        .await
        .ok()?
        .to_bytes();
    Some(if bytes.is_empty() {
        Body::Empty
    } else {
        match String::from_utf8(bytes.to_vec()) {
            Ok(text) => Body::Text(text),
            Err(e) => Body::Binary(e.into_bytes()),
        }
    })
}

/// A request id for the context (API Gateway sets one per request).
fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("local-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}
