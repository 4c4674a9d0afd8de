//! The SES v2 mailer: `SendEmail` with simple content (subject, text, HTML).

use async_trait::async_trait;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::error::DisplayErrorContext;
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};

use consent_app::ports::{EmailMessage, MailError, Mailer};

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

/// Whether SES will ever take this message: a rejected message or a bad
/// request will not; throttling, paused sending and outages may pass.
fn classify(e: &SendEmailError) -> fn(String) -> MailError {
    match e {
        SendEmailError::MessageRejected(_) | SendEmailError::BadRequestException(_) => {
            MailError::Permanent
        }
        _ => MailError::Transient,
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
            Err(e) => {
                let kind = e
                    .as_service_error()
                    .map_or(MailError::Transient as fn(String) -> MailError, classify);
                Err(kind(DisplayErrorContext(&e).to_string()))
            }
        }
    }
}
