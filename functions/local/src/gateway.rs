//! A small stand-in for the HTTP API: routes requests to the same handlers
//! the Lambda functions run, with the same API Gateway v2 request context.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use consent_shared::http::{GatewayRequest, json_response, problem};
use consent_shared::service::ConsentService;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::http::{HeaderValue, Method, StatusCode, header};
use lambda_http::Body;

use crate::auth::DevAuth;
use crate::portal::{PageRequest, Portal};

/// Largest body the gateway passes on (API Gateway's own limit is higher;
/// handlers apply their own, smaller limits).
const MAX_REQUEST_BYTES: usize = 1024 * 1024;

pub const OPENAPI_JSON: &str = include_str!("../../../openapi.json");

type HandlerFuture = Pin<Box<dyn Future<Output = lambda_http::Response<Body>> + Send>>;
type Handler = fn(Arc<ConsentService>, lambda_http::Request) -> HandlerFuture;

macro_rules! route_to {
    ($handle:path) => {
        |app: Arc<ConsentService>, req: lambda_http::Request| -> HandlerFuture {
            Box::pin(async move { $handle(&app, req).await })
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

/// Every route of the product, API and pages, plus the local extras.
pub fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::GET,
            path: "/health",
            auth: Auth::None,
            handler: |_, _| {
                Box::pin(async {
                    json_response(StatusCode::OK, &serde_json::json!({"status": "ok"}))
                })
            },
        },
        Route {
            method: Method::GET,
            path: "/openapi.json",
            auth: Auth::None,
            handler: |_, _| Box::pin(async { openapi() }),
        },
        Route {
            method: Method::POST,
            path: "/consent-requests",
            auth: Auth::User,
            handler: route_to!(create_request::handle),
        },
        Route {
            method: Method::GET,
            path: "/consent-requests",
            auth: Auth::User,
            handler: route_to!(list_requests::handle),
        },
        Route {
            method: Method::GET,
            path: "/consent-requests/{id}",
            auth: Auth::User,
            handler: route_to!(get_request::handle),
        },
        Route {
            method: Method::POST,
            path: "/consent-requests/{id}/cancel",
            auth: Auth::User,
            handler: route_to!(cancel_request::handle),
        },
        Route {
            method: Method::PUT,
            path: "/consent-requests/{id}/reviewers/{slot}",
            auth: Auth::User,
            handler: route_to!(replace_reviewer::handle),
        },
        Route {
            method: Method::GET,
            path: "/review/{token}",
            auth: Auth::None,
            handler: route_to!(review_page::handle),
        },
        Route {
            method: Method::POST,
            path: "/review/{token}",
            auth: Auth::None,
            handler: route_to!(review_decision::handle),
        },
        Route {
            method: Method::GET,
            path: "/access",
            auth: Auth::User,
            handler: route_to!(access_check::handle),
        },
        Route {
            method: Method::GET,
            path: "/service/access",
            auth: Auth::Service,
            handler: route_to!(access_check::handle_service),
        },
        Route {
            method: Method::GET,
            path: "/revoke/{token}",
            auth: Auth::None,
            handler: route_to!(revoke_page::handle),
        },
        Route {
            method: Method::POST,
            path: "/revoke/{token}",
            auth: Auth::None,
            handler: route_to!(revoke_decision::handle),
        },
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
}

impl Gateway {
    pub fn new(app: Arc<ConsentService>, auth: DevAuth, portal: Portal) -> Self {
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
        }
    }

    pub async fn serve(&self, req: hyper::Request<Incoming>) -> hyper::Response<Full<Bytes>> {
        let is_head = req.method() == Method::HEAD;
        let response = self.dispatch(req).await;
        let (parts, body) = response.into_parts();
        let bytes = if is_head {
            Bytes::new()
        } else {
            Bytes::from(body.to_vec())
        };
        hyper::Response::from_parts(parts, Full::new(bytes))
    }

    async fn dispatch(&self, req: hyper::Request<Incoming>) -> lambda_http::Response<Body> {
        let path = req.uri().path().to_owned();
        if self.portal.serves(&path) {
            return self.page(&path, req).await;
        }
        let Ok(matched) = self.router.at(&path) else {
            return problem(
                StatusCode::NOT_FOUND,
                "no-route",
                "Not found",
                "no such route",
            );
        };
        // HEAD is served as GET without a body, as a browser or scanner expects.
        let wanted = if req.method() == Method::HEAD {
            Method::GET
        } else {
            req.method().clone()
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
            return r;
        };
        let path_params: HashMap<String, String> = matched
            .params
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let route = route.clone();

        let mut gateway = GatewayRequest::new()
            .route(format!("{} {}", route.method, route.path))
            .request_id(uuid_like())
            .path_params(path_params);
        match route.auth {
            Auth::None => {}
            Auth::User => match self.bearer(&req).and_then(|t| self.auth.verify(t)) {
                Ok(claims) => gateway = gateway.claims(claims),
                Err(detail) => return consent_shared::http::unauthorized(&detail),
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

        let query: HashMap<String, Vec<String>> = {
            let pairs: Vec<(String, String)> =
                serde_urlencoded::from_str(req.uri().query().unwrap_or("")).unwrap_or_default();
            let mut map: HashMap<String, Vec<String>> = HashMap::new();
            for (k, v) in pairs {
                map.entry(k).or_default().push(v);
            }
            map
        };
        let (parts, incoming) = req.into_parts();
        let bytes = match Limited::new(incoming, MAX_REQUEST_BYTES).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => {
                return problem(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too-large",
                    "Body too large",
                    "the request body is too large",
                );
            }
        };
        let body = if bytes.is_empty() {
            Body::Empty
        } else {
            match String::from_utf8(bytes.to_vec()) {
                Ok(text) => Body::Text(text),
                Err(e) => Body::Binary(e.into_bytes()),
            }
        };
        let request = gateway
            .query(query)
            .wrap(lambda_http::Request::from_parts(parts, body));
        (route.handler)(self.app.clone(), request).await
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

/// A request id for the context (API Gateway sets one per request).
fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("local-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}
