use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    consent_shared::runtime::init_tracing();
    let app = consent_shared::runtime::leaked_scheduled_service().await?;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| async move {
        let report = reminder::handle(app, event.payload).await?;
        Ok::<_, lambda_runtime::Error>(report)
    }))
    .await
}
