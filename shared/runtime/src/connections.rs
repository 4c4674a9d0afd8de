//! What a function opens during its init, beside the read of its secrets:
//! a connection to each AWS service it calls, and the SES set-up check
//! (whose calls open the mail service's connections). Lambda gives INIT a
//! whole vCPU and the invoke phase a share of one, so the first request
//! finds its connections ready.

use std::future::Future;

use consent_app::settings::ConfigError;

use crate::backends::Backends;

impl Backends {
    /// Opens, during init, a connection to each AWS service this program
    /// calls, for its first invocation to find (Secrets Manager's is opened
    /// by the secrets read at init). Only with the process's own SDK
    /// configuration, inside Lambda.
    pub async fn open_connections(&self) -> Result<(), ConfigError> {
        use consent_aws::sdk::{DYNAMODB, KMS};
        if self.sdk.is_some() {
            return Ok(());
        }
        let services: Vec<_> = [
            (self.uses.dynamodb.is_some(), DYNAMODB),
            (self.uses.kms.is_some(), KMS),
        ]
        .into_iter()
        .filter_map(|(used, service)| used.then_some(service))
        .collect();
        // The mail set-up check's calls open the mail service's connections.
        let (opened, ()) = tokio::join!(
            consent_aws::sdk::open_connections(&services),
            self.check_mail_set_up()
        );
        opened
    }

    /// Checks the mail service's set-up (the sender's identity, the
    /// account's sending) and logs what it found, when email goes through
    /// SES: a function does it during its init, consent-local at its start.
    pub fn check_mail_set_up(&self) -> impl Future<Output = ()> + Send + 'static {
        let check = self.uses.mail_check.zip(self.sender.clone());
        let sdk = self.sdk.clone();
        async move {
            let Some((check, sender)) = check else {
                return;
            };
            let sdk = match sdk {
                Some(sdk) => sdk,
                None => match consent_aws::sdk::sdk_config().await {
                    Ok(sdk) => sdk,
                    Err(e) => return tracing::warn!(%e, "SES set-up not checked"),
                },
            };
            check(&sdk, sender).await;
        }
    }
}

#[cfg(feature = "ses")]
pub(crate) async fn log_ses_set_up(client: aws_sdk_sesv2::Client, sender: String) {
    use consent_aws::ses_check::{Verdict, account, identity};
    // At once: each on a connection of its own, which the first emails reuse.
    let (identity, account) = tokio::join!(identity(&client, &sender), account(&client));
    {
        for finding in [identity, account] {
            let fix = finding.fix.as_deref().unwrap_or_default();
            match finding.verdict {
                Verdict::Ok => {
                    tracing::info!(check = finding.check, says = %finding.says, "SES set-up")
                }
                Verdict::Problem => {
                    tracing::error!(check = finding.check, says = %finding.says, fix, "SES set-up: email is held back until this is fixed")
                }
                Verdict::Unknown => {
                    tracing::warn!(check = finding.check, says = %finding.says, "SES set-up not checked")
                }
            }
        }
    }
}
