//! What happens around every route's handler, in Lambda and in consent-local
//! alike: the service is scoped to the address the request came in on (so
//! that links in the emails it sends point there), the request gets a log
//! span, and its answer is logged and counted.

use std::convert::Infallible;
use std::future::Future;

use consent_app::service::ConsentService;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use tracing::Instrument;

use crate::extract::api_origin;

/// A route's handler: `async fn handle(app: &ConsentService, req: Request) -> Response<Body>`.
pub trait Handler<'a>: Fn(&'a ConsentService, Request) -> Self::Answer {
    type Answer: Future<Output = Response<Body>> + Send + 'a;
}

impl<'a, F, A> Handler<'a> for F
where
    F: Fn(&'a ConsentService, Request) -> A,
    A: Future<Output = Response<Body>> + Send + 'a,
{
    type Answer = A;
}

/// Runs `handler` on `req` with the service as the request reached it.
pub async fn answer<H>(app: &ConsentService, req: Request, handler: H) -> Response<Body>
where
    H: for<'a> Handler<'a>,
{
    // The route template, never the path: review paths carry tokens.
    let (route, api_request_id) = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => (
            ctx.route_key.clone().unwrap_or_default(),
            ctx.request_id.clone().unwrap_or_default(),
        ),
        _ => (String::new(), String::new()),
    };
    let lambda_request_id = req
        .lambda_context_ref()
        .map(|c| c.request_id.clone())
        .unwrap_or_default();
    let span = tracing::info_span!("request", %lambda_request_id, %route, %api_request_id);
    // Links in the emails point where this request came in, unless configured.
    let scoped = app.reached_at(api_origin(&req));
    let response = handler(&scoped, req).instrument(span.clone()).await;
    let status = response.status().as_u16();
    span.in_scope(|| tracing::info!(status, "answered"));
    consent_app::metrics::request(&route, status);
    response
}

/// Serves one route's handler on the Lambda runtime with `app`, the
/// service built at cold start and reused by every invocation.
pub async fn serve<H>(app: ConsentService, handler: H) -> Result<(), lambda_http::Error>
where
    H: for<'a> Handler<'a> + Copy + Send + 'static,
{
    let app: &'static ConsentService = Box::leak(Box::new(app));
    lambda_http::run(lambda_http::service_fn(move |req: Request| async move {
        Ok::<_, Infallible>(answer(app, req, handler).await)
    }))
    .await
}
