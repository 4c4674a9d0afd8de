//! The plain reference point: hello world after one HTTP request during init.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let url = hello_lambda::url()?;
    let tcp = hello_lambda::connect(&url, 80).await?;
    hello_lambda::get_over(tcp, &url).await?;
    hello_lambda::serve().await
}
