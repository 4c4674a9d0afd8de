use consent_runtime::Uses;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    consent_runtime::lambda::init_tracing();
    let app =
        consent_runtime::lambda::service_from_env(Uses::none().dynamodb().kms().ses().secrets())
            .await?;
    consent_http::lambda::serve(app, replace_reviewer::handle).await
}
