//! A Lambda function's SDK configuration, built from what Lambda sets, over
//! the wire: each service is reached at its own endpoint override when one is
//! set, else at the common one, as the SDK's defaults would.

use std::collections::HashMap;

use consent_aws::sdk::{Anchors, LambdaEnvironment, TrustAnchors, http_client};
use consent_tests::moto;

#[tokio::test]
async fn each_service_is_reached_at_its_own_endpoint_or_the_common_one() {
    let vars: HashMap<&str, String> = [
        (
            "AWS_LAMBDA_FUNCTION_NAME",
            "consent-create-request".to_owned(),
        ),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
        ("AWS_SESSION_TOKEN", "test".to_owned()),
        ("AWS_ENDPOINT_URL", moto::endpoint()),
        ("AWS_ENDPOINT_URL_SESV2", moto::ses_endpoint()),
    ]
    .into_iter()
    .collect();
    let config = LambdaEnvironment::read(|name| vars.get(name).cloned())
        .expect("a Lambda environment")
        .sdk_config(
            http_client(
                TrustAnchors {
                    anchors: Anchors::AmazonRoots,
                    extra: None,
                }
                .trust_store()
                .unwrap(),
            )
            .unwrap(),
        );

    let identity = format!(
        "sender-{}@lambda-env.example",
        uuid::Uuid::new_v4().simple()
    );
    aws_sdk_sesv2::Client::new(&config)
        .create_email_identity()
        .email_identity(&identity)
        .send()
        .await
        .expect("SES through the Lambda configuration");
    let ses_moto = moto::ses_sdk_config().await;
    let common_moto = moto::sdk_config().await;
    assert!(
        has_identity(&ses_moto, &identity).await,
        "SES went to its own endpoint"
    );
    assert!(
        !has_identity(&common_moto, &identity).await,
        "not to the common one"
    );

    let name = format!("lambda-env-{}", uuid::Uuid::new_v4().simple());
    aws_sdk_secretsmanager::Client::new(&config)
        .create_secret()
        .name(&name)
        .secret_string("{}")
        .send()
        .await
        .expect("Secrets Manager through the Lambda configuration");
    aws_sdk_secretsmanager::Client::new(&common_moto)
        .describe_secret()
        .secret_id(&name)
        .send()
        .await
        .expect("Secrets Manager, with no endpoint of its own, went to the common one");

    let tables = aws_sdk_dynamodb::Client::new(&config)
        .list_tables()
        .send()
        .await
        .expect("DynamoDB through the Lambda configuration");
    assert!(tables.table_names.is_some());
}

async fn has_identity(config: &aws_config::SdkConfig, identity: &str) -> bool {
    aws_sdk_sesv2::Client::new(config)
        .get_email_identity()
        .email_identity(identity)
        .send()
        .await
        .is_ok()
}
