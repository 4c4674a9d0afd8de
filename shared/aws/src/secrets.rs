//! Secrets read once at cold start from Secrets Manager: the link-signing
//! keys, and the OpenID Connect client secret.

use consent_app::settings::ConfigError;
use consent_core::links::LinkSigner;

/// The environment variable naming the secret's ARN.
pub const LINK_KEYS_SECRET: &str = "CONSENT_LINK_KEYS_SECRET_ARN";

/// The link-signing keys of the secret's value
/// ([`LinkSigner::from_secret_value`]); an error names `setting`.
pub fn parse_secret_keys(setting: &'static str, value: &str) -> Result<LinkSigner, ConfigError> {
    LinkSigner::from_secret_value(value).map_err(|p| ConfigError::new(setting, p))
}

/// The text value of the secret `arn`; an error names `setting`.
pub async fn secret_text(
    client: &aws_sdk_secretsmanager::Client,
    arn: &str,
    setting: &'static str,
) -> Result<String, ConfigError> {
    let value = client
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .map_err(|e| {
            ConfigError::new(
                setting,
                aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string(),
            )
        })?;
    value
        .secret_string()
        .map(str::to_owned)
        .ok_or_else(|| ConfigError::new(setting, "the secret has no string value".to_owned()))
}

/// Reads the link keys from the secret `arn`.
pub async fn link_keys_from_secret(
    client: &aws_sdk_secretsmanager::Client,
    arn: &str,
) -> Result<LinkSigner, ConfigError> {
    let text = secret_text(client, arn, LINK_KEYS_SECRET).await?;
    parse_secret_keys(LINK_KEYS_SECRET, &text)
}
