//! Secrets read once at cold start from Secrets Manager: the link-signing
//! keys, and the OpenID Connect client secret.

use consent_app::settings::ConfigError;
use consent_core::links::{LinkKey, LinkSigner};

/// The environment variable naming the secret's ARN.
pub const LINK_KEYS_SECRET: &str = "CONSENT_LINK_KEYS_SECRET_ARN";

/// The link-signing keys of the secret's value: JSON, either one key
/// `{"kid": "k1", "secret": "…"}` (as the template generates it) or, while
/// rotating, `{"keys": [{"kid": "k2", "secret": "…"}, {"kid": "k1", "secret": "…"}]}`
/// (the first signs, all verify). A secret is used as text, at least 32 bytes.
pub fn parse_secret_keys(setting: &'static str, value: &str) -> Result<LinkSigner, ConfigError> {
    #[derive(serde::Deserialize)]
    struct Key {
        kid: String,
        secret: String,
    }
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Value {
        Rotating { keys: Vec<Key> },
        Single(Key),
    }
    let problem = |p: String| ConfigError::new(setting, p);
    let keys = match serde_json::from_str::<Value>(value).map_err(|_| {
        problem("the secret is not {\"kid\", \"secret\"} or {\"keys\": [...]} JSON".to_owned())
    })? {
        Value::Single(key) => vec![key],
        Value::Rotating { keys } => keys,
    };
    let mut keys = keys
        .into_iter()
        .map(|k| LinkKey::new(&k.kid, k.secret.into_bytes()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(problem)?;
    if keys.is_empty() {
        return Err(problem("the secret holds no key".to_owned()));
    }
    let active = keys.remove(0);
    Ok(LinkSigner::new(active, keys))
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
