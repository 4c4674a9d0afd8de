use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    consent_runtime::lambda::init_tracing();
    let bus: &'static _ = Box::leak(Box::new(
        consent_runtime::backends::event_bus_from_env().await?,
    ));
    let retry: &'static _ = Box::leak(Box::new(consent_app::publisher::Retry::default()));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| async move {
        Ok::<_, lambda_runtime::Error>(event_publisher::handle(bus, event.payload, retry).await)
    }))
    .await
}
