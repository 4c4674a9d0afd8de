use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    consent_shared::runtime::init_tracing();
    let bus: &'static _ = Box::leak(Box::new(
        consent_shared::config::event_bus_from_env().await?,
    ));
    let retry: &'static _ = Box::leak(Box::new(consent_shared::publisher::Retry::default()));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| async move {
        Ok::<_, lambda_runtime::Error>(event_publisher::handle(bus, event.payload, retry).await)
    }))
    .await
}
