use consent_runtime::Uses;
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    consent_runtime::lambda::init_tracing();
    let app: &'static _ = Box::leak(Box::new(
        consent_runtime::lambda::service_from_env(Uses::none().dynamodb().kms().ses()).await?,
    ));
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            let handled = mail_events::handle(app, &event.payload).await?;
            Ok::<_, lambda_runtime::Error>(handled)
        },
    ))
    .await
}
