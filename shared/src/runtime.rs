//! Bootstrap of a Lambda function: build the service once per cold start, then serve.

use std::convert::Infallible;
use std::future::Future;

use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response, service_fn};
use tracing::Instrument;

use crate::config::{scheduled_service_from_env, service_from_env};
use crate::service::ConsentService;

/// Logs: JSON lines inside Lambda (with the fields of the current request's
/// span), plain text elsewhere. `RUST_LOG` filters.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false);
    let _ = if std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some() {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_target(false)
            .try_init()
    } else {
        builder.without_time().try_init()
    };
}

/// The service for the life of this process (built at cold start, reused by every invocation).
pub async fn leaked_service() -> Result<&'static ConsentService, lambda_http::Error> {
    Ok(Box::leak(Box::new(service_from_env().await?)))
}

/// The scheduled function's service, built once like [`leaked_service`].
pub async fn leaked_scheduled_service() -> Result<&'static ConsentService, lambda_http::Error> {
    Ok(Box::leak(Box::new(scheduled_service_from_env().await?)))
}

/// Serves one HTTP route handler on the Lambda runtime.
pub async fn run_http<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(&'static ConsentService, Request) -> Fut,
    Fut: Future<Output = Response<Body>> + Send + 'static,
{
    init_tracing();
    let app = leaked_service().await?;
    lambda_http::run(service_fn(move |req: Request| {
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
        let answer = handler(app, req).instrument(span.clone());
        async move {
            let response = answer.await;
            let status = response.status().as_u16();
            span.in_scope(|| tracing::info!(status, "answered"));
            crate::metrics::request(&route, status);
            Ok::<_, Infallible>(response)
        }
    }))
    .await
}
