//! The SES v2 mailer: `SendEmail` with simple content (subject, text, HTML).

use async_trait::async_trait;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::error::DisplayErrorContext;
use aws_sdk_sesv2::operation::get_suppressed_destination::GetSuppressedDestinationError;
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::types::{
    Body, Content, Destination, EmailContent, Message, MessageTag, SuppressionListReason,
};
use time::OffsetDateTime;

use consent_app::ports::{EmailMessage, MailError, Mailer};
use consent_core::domain::{Email, MailOutcome, MailReport};

pub struct SesMailer {
    client: Client,
    from: String,
    configuration_set: Option<String>,
    reply_to: Option<String>,
}

impl SesMailer {
    /// `from` is `Name <address>` or an address, verified in SES.
    pub fn new(
        client: Client,
        from: impl Into<String>,
        configuration_set: Option<String>,
        reply_to: Option<String>,
    ) -> Self {
        Self {
            client,
            from: from.into(),
            configuration_set,
            reply_to,
        }
    }
}

fn utf8(text: &str) -> Result<Content, MailError> {
    Content::builder()
        .data(text)
        .charset("UTF-8")
        .build()
        .map_err(|e| MailError::Permanent(e.to_string()))
}

/// What an operator does about a refusal that means the sending set-up is
/// wrong, not the recipient; None for any other refusal.
pub fn setup_fix(e: &SendEmailError) -> Option<&'static str> {
    let message = e.to_string();
    match e {
        SendEmailError::MessageRejected(_) if message.contains("not verified") => Some(
            "an identity is not verified in this region: verify the sender's domain (SenderIdentity) in SES in the stack's region, and, while the account is in the SES sandbox, request production access (every recipient must be verified until then); `consent-local ses-check` shows which",
        ),
        SendEmailError::MailFromDomainNotVerifiedException(_) => Some(
            "the sender's custom MAIL FROM domain is not verified: publish its MX and SPF records, or turn custom MAIL FROM off for the identity",
        ),
        SendEmailError::NotFoundException(_) => Some(
            "the configuration set does not exist in this region: deploy the stack again (it creates one), or give SesConfigurationSet the name of one that exists",
        ),
        SendEmailError::SendingPausedException(_) => Some(
            "sending is paused for the account or the configuration set: read the SES console's reputation page, fix the cause, and enable sending again",
        ),
        SendEmailError::AccountSuspendedException(_) => Some(
            "SES suspended sending for this account: open the SES console's reputation page and contact AWS Support",
        ),
        _ if matches!(
            e.meta().code(),
            Some("AccessDenied" | "AccessDeniedException")
        ) =>
        {
            Some(
                "the function may not send as this sender: its role needs ses:SendEmail on the identity (SenderIdentity) and the configuration set; SenderAddress must be at SenderIdentity",
            )
        }
        _ => None,
    }
}

/// Whether SES will ever take this message: a set-up error waits for an
/// operator; a rejected message or a bad request never will; throttling,
/// the daily quota and outages may pass.
fn classify(e: &SendEmailError) -> MailError {
    let error = DisplayErrorContext(e).to_string();
    if let Some(fix) = setup_fix(e) {
        return MailError::Setup(format!("{fix} (SES said: {error})"));
    }
    match e {
        SendEmailError::MessageRejected(_) | SendEmailError::BadRequestException(_) => {
            MailError::Permanent(error)
        }
        _ => MailError::Transient(error),
    }
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, message: &EmailMessage) -> Result<(), MailError> {
        let content = EmailContent::builder()
            .simple(
                Message::builder()
                    .subject(utf8(&message.subject)?)
                    .body(
                        Body::builder()
                            .text(utf8(&message.text)?)
                            .html(utf8(&message.html)?)
                            .build(),
                    )
                    .build(),
            )
            .build();
        let result = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(
                Destination::builder()
                    .to_addresses(message.to.as_str())
                    .build(),
            )
            .content(content)
            .set_reply_to_addresses(self.reply_to.clone().map(|r| vec![r]))
            .set_configuration_set_name(self.configuration_set.clone())
            .set_email_tags(message.about.map(|about| {
                about
                    .tags()
                    .into_iter()
                    .filter_map(|(name, value)| {
                        MessageTag::builder().name(name).value(value).build().ok()
                    })
                    .collect()
            }))
            .send()
            .await;
        match result {
            Ok(out) => {
                tracing::info!(
                    message_id = out.message_id().unwrap_or_default(),
                    "email accepted by SES"
                );
                Ok(())
            }
            Err(e) => Err(match e.as_service_error() {
                Some(service_error) => classify(service_error),
                None => MailError::Transient(DisplayErrorContext(&e).to_string()),
            }),
        }
    }

    /// The account's suppression list entry of `to`, if any. A failed
    /// lookup (not allowed, not available) is logged and answers None: it
    /// never stops a reviewer from being named.
    async fn suppressed(&self, to: &Email) -> Option<MailReport> {
        match self
            .client
            .get_suppressed_destination()
            .email_address(to.as_str())
            .send()
            .await
        {
            Ok(out) => {
                let entry = out.suppressed_destination()?;
                let outcome = match entry.reason() {
                    SuppressionListReason::Complaint => MailOutcome::Complained,
                    _ => MailOutcome::Bounced,
                };
                let at = OffsetDateTime::from_unix_timestamp(entry.last_update_time().secs())
                    .unwrap_or(OffsetDateTime::UNIX_EPOCH);
                Some(MailReport::new(
                    outcome,
                    at,
                    Some("on the SES account's suppression list"),
                ))
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(GetSuppressedDestinationError::is_not_found_exception) =>
            {
                None
            }
            Err(e) => {
                tracing::warn!(error = %DisplayErrorContext(&e), "could not read the SES suppression list; the address is not checked against it");
                None
            }
        }
    }
}
