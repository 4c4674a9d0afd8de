//! The Data Consent page: the partner portal's view of its tenant's consent
//! requests, served by consent-local as the reference for portal integrators.
//!
//! It is a client of the same [`ConsentService`] as the API handlers, with
//! the same caller (the session cookie holds the dev bearer token the API
//! accepts, read by the same claim rules), and it reads requests through the
//! API's own views; only the presentation is its own. Plain forms and
//! redirects, no script; every post carries the session's form token.

mod answers;
mod controls;
mod form;
mod requests;
pub mod session;
mod sign_in;
mod tenants;
pub mod views;

pub use tenants::{SIGN_IN_CHOICES, SignInTenants};

use std::sync::Arc;

use consent_app::service::{Caller, ConsentService};
use hyper::body::Bytes;
use lambda_http::Body;
use lambda_http::http::{HeaderMap, HeaderValue, Method, StatusCode, header};

use crate::auth::DevAuth;
use answers::redirect;
use session::FormTokens;
use views::SignedIn;

pub(super) type Response = lambda_http::Response<Body>;

/// How long a page session lasts.
pub(super) const SESSION_SECONDS: u64 = 12 * 3600;
/// Requests per page of the view (the API's default page size).
pub(super) const PAGE_SIZE: usize = list_requests::DEFAULT_LIMIT;
/// Largest form body accepted.
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// The page's routes, beside the API's.
#[derive(Clone, Copy, Debug)]
enum PageRoute {
    Home,
    SignIn,
    SignOut,
    List,
    New,
    Detail,
    Cancel,
    Reviewer,
    Record,
}

/// A request to the page, as the gateway read it.
pub struct PageRequest {
    pub method: Method,
    pub headers: HeaderMap,
    pub query: Option<String>,
    /// None when it was larger than [`MAX_FORM_BYTES`] or broke off.
    pub body: Option<Bytes>,
}

/// The signed-in caller of a request.
pub(super) struct Session {
    /// The cookie's token: what the forms' tokens are bound to.
    pub token: String,
    pub caller: Caller,
    pub shown: SignedIn,
}

pub struct Portal {
    pub(super) app: Arc<ConsentService>,
    pub(super) auth: DevAuth,
    pub(super) forms: FormTokens,
    pub(super) tenants: SignInTenants,
    router: matchit::Router<PageRoute>,
}

impl Portal {
    pub fn new(
        app: Arc<ConsentService>,
        auth: DevAuth,
        dev_secret: &str,
        tenants: SignInTenants,
    ) -> Self {
        let mut router = matchit::Router::new();
        for (path, route) in [
            ("/", PageRoute::Home),
            ("/sign-in", PageRoute::SignIn),
            ("/sign-out", PageRoute::SignOut),
            ("/data-consent", PageRoute::List),
            ("/data-consent/new", PageRoute::New),
            ("/data-consent/{id}", PageRoute::Detail),
            ("/data-consent/{id}/cancel", PageRoute::Cancel),
            ("/data-consent/{id}/reviewers/{slot}", PageRoute::Reviewer),
            ("/data-consent/{id}/record", PageRoute::Record),
        ] {
            router.insert(path, route).expect("page paths are distinct");
        }
        Self {
            app,
            auth,
            forms: FormTokens::new(dev_secret),
            tenants,
            router,
        }
    }

    /// Whether `path` is one of the page's.
    pub fn serves(&self, path: &str) -> bool {
        self.router.at(path).is_ok()
    }

    pub async fn serve(&self, path: &str, req: PageRequest) -> Response {
        let Ok(matched) = self.router.at(path) else {
            return self.message(
                None,
                StatusCode::NOT_FOUND,
                "Page not found",
                vec!["There is no such page.".to_owned()],
            );
        };
        let route = *matched.value;
        let id = matched.params.get("id").map(str::to_owned);
        let slot = matched.params.get("slot").map(str::to_owned);
        let get = req.method == Method::GET || req.method == Method::HEAD;
        let post = req.method == Method::POST;
        match (route, get, post) {
            (PageRoute::Home, true, _) => match self.session(&req.headers).await {
                Some(_) => redirect("/data-consent"),
                None => redirect("/sign-in"),
            },
            (PageRoute::SignIn, true, _) => self.sign_in_form(&req).await,
            (PageRoute::SignIn, _, true) => self.sign_in(&req).await,
            (PageRoute::SignOut, _, true) => self.sign_out(&req),
            (PageRoute::List, true, _) => self.signed_in(&req, |s| self.list(s, &req)).await,
            (PageRoute::New, true, _) => {
                self.signed_in(&req, |s| async move { self.new_form(s) })
                    .await
            }
            (PageRoute::New, _, true) => self.posted(&req, |s, f| self.create(s, f)).await,
            (PageRoute::Detail, true, _) => {
                let id = id.unwrap_or_default();
                self.signed_in(&req, |s| self.detail(s, id, &req)).await
            }
            (PageRoute::Record, true, _) => {
                let id = id.unwrap_or_default();
                self.signed_in(&req, |s| self.record(s, id)).await
            }
            (PageRoute::Cancel, true, _) => {
                let id = id.unwrap_or_default();
                self.signed_in(&req, |s| self.cancel_form(s, id)).await
            }
            (PageRoute::Cancel, _, true) => {
                let id = id.unwrap_or_default();
                self.posted(&req, |s, f| self.cancel(s, id, f)).await
            }
            (PageRoute::Reviewer, true, _) => {
                let (id, slot) = (id.unwrap_or_default(), slot.unwrap_or_default());
                self.signed_in(&req, |s| self.reviewer_form(s, id, slot))
                    .await
            }
            (PageRoute::Reviewer, _, true) => {
                let (id, slot) = (id.unwrap_or_default(), slot.unwrap_or_default());
                self.posted(&req, |s, f| self.replace_reviewer(s, id, slot, f))
                    .await
            }
            (route, _, _) => {
                let allow = match route {
                    PageRoute::SignIn => "GET, HEAD, POST",
                    PageRoute::SignOut => "POST",
                    PageRoute::New | PageRoute::Cancel | PageRoute::Reviewer => "GET, HEAD, POST",
                    _ => "GET, HEAD",
                };
                let mut r = self.message(
                    None,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "Not a way to use this page",
                    vec![format!("This page answers {allow} only.")],
                );
                r.headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static(allow));
                r
            }
        }
    }
}
