#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    consent_shared::runtime::run_http(create_request::handle).await
}
