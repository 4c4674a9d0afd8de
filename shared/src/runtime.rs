//! Bootstrap of a Lambda function: build the service once per cold start, then serve.

use std::convert::Infallible;
use std::future::Future;

use lambda_http::{Body, Request, Response, service_fn};

use crate::config::service_from_env;
use crate::service::ConsentService;

pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_ansi(false)
        .without_time()
        .try_init();
}

/// The service for the life of this process (built at cold start, reused by every invocation).
pub async fn leaked_service() -> Result<&'static ConsentService, lambda_http::Error> {
    Ok(Box::leak(Box::new(service_from_env().await?)))
}

/// Serves one HTTP route handler on the Lambda runtime.
pub async fn run_http<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(&'static ConsentService, Request) -> Fut,
    Fut: Future<Output = Response<Body>> + Send + 'static,
{
    init_tracing();
    let app = leaked_service().await?;
    lambda_http::run(service_fn(move |req| {
        let answer = handler(app, req);
        async move { Ok::<_, Infallible>(answer.await) }
    }))
    .await
}
