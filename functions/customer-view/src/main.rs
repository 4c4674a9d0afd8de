use consent_runtime::Uses;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    consent_runtime::lambda::init_tracing();
    let uses = Uses::none().dynamodb().kms().ses().secrets().identity();
    let app = consent_runtime::lambda::service_from_env(uses).await?;
    consent_http::lambda::serve(app, customer_view::handle).await
}
