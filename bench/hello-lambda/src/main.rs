//! Hello world on `lambda_runtime`: answers every event with a greeting, on
//! the current-thread runtime the functions use.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    hello_lambda::serve().await
}
