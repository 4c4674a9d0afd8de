//! Asks SES, with the deployed settings, whether email can go out and its
//! outcomes come back: the sender's identity verified in the region (and
//! its DKIM), the configuration set with its event destination, the
//! account out of the sandbox with sending enabled and quota left. Each
//! problem comes with what to do.

use std::fmt;

use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::config::http::HttpResponse;
use aws_sdk_sesv2::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::types::{DkimStatus, EventType};

/// How one check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    /// Email is lost, held back or unseen until this is fixed.
    Problem,
    /// SES could not be asked (no permission, not available).
    Unknown,
}

/// One fact about the set-up, and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub check: &'static str,
    pub verdict: Verdict,
    pub says: String,
    pub fix: Option<String>,
}

impl Finding {
    fn ok(check: &'static str, says: impl Into<String>) -> Self {
        Self {
            check,
            verdict: Verdict::Ok,
            says: says.into(),
            fix: None,
        }
    }

    fn problem(check: &'static str, says: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            check,
            verdict: Verdict::Problem,
            says: says.into(),
            fix: Some(fix.into()),
        }
    }

    fn unknown<E>(check: &'static str, error: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        // The code and status of a refusal; the whole chain of anything else.
        let says = match error {
            SdkError::ServiceError(e) => format!(
                "{} (HTTP {}): may this role call it, and does this endpoint offer it?",
                e.err()
                    .code()
                    .unwrap_or("an answer SES's client cannot read"),
                e.raw().status().as_u16()
            ),
            other => DisplayErrorContext(other).to_string(),
        };
        Self {
            check,
            verdict: Verdict::Unknown,
            says: format!("SES could not be asked: {says}"),
            fix: None,
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mark = match self.verdict {
            Verdict::Ok => "ok     ",
            Verdict::Problem => "PROBLEM",
            Verdict::Unknown => "unknown",
        };
        write!(f, "{mark} {}: {}", self.check, self.says)?;
        if let Some(fix) = &self.fix {
            write!(f, "\n        what to do: {fix}")?;
        }
        Ok(())
    }
}

/// The event types the service needs from the configuration set.
const NEEDED: [EventType; 5] = [
    EventType::Bounce,
    EventType::Complaint,
    EventType::Delivery,
    EventType::DeliveryDelay,
    EventType::Reject,
];

/// The address of a sender written `Name <address>` or `address`.
fn address_of(sender: &str) -> &str {
    match (sender.rfind('<'), sender.rfind('>')) {
        (Some(open), Some(close)) if open < close => sender[open + 1..close].trim(),
        _ => sender.trim(),
    }
}

/// Whether SES lets `sender` send: its address or its domain verified, and DKIM.
pub async fn identity(client: &Client, sender: &str) -> Finding {
    const CHECK: &str = "sender identity";
    let address = address_of(sender);
    let domain = address.rsplit_once('@').map_or(address, |(_, d)| d);
    let mut last_error = None;
    for identity in [domain, address] {
        match client
            .get_email_identity()
            .email_identity(identity)
            .send()
            .await
        {
            Ok(out) if out.verified_for_sending_status() => {
                let dkim = out.dkim_attributes().and_then(|d| d.status());
                return match dkim {
                    Some(DkimStatus::Success) => Finding::ok(
                        CHECK,
                        format!("{identity} is verified in this region, with DKIM"),
                    ),
                    other => Finding::problem(
                        CHECK,
                        format!(
                            "{identity} is verified, but its DKIM is {}",
                            other.map_or("not set up", |s| s.as_str())
                        ),
                        format!(
                            "publish the DKIM CNAME records SES shows for {identity}: without DKIM, mail to many organizations lands in spam or bounces"
                        ),
                    ),
                };
            }
            Ok(_) => {
                return Finding::problem(
                    CHECK,
                    format!("{identity} exists in SES but is not verified yet"),
                    format!(
                        "finish the verification of {identity} (its DNS records, or the link SES emailed); until then SES refuses every email and the service holds them"
                    ),
                );
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_not_found_exception()) => {}
            Err(e) => last_error = Some(Finding::unknown(CHECK, &e)),
        }
    }
    match last_error {
        Some(unknown) => unknown,
        None => Finding::problem(
            CHECK,
            format!("neither {domain} nor {address} is an SES identity in this region"),
            format!(
                "create and verify the identity {domain} in SES in this region (SenderIdentity), or deploy where it is verified; until then SES refuses every email and the service holds them"
            ),
        ),
    }
}

/// Whether the configuration set exists, suppresses bounced addresses and
/// publishes what the service needs to EventBridge.
pub async fn configuration_set(client: &Client, name: &str) -> Vec<Finding> {
    const CHECK: &str = "configuration set";
    let set = match client
        .get_configuration_set()
        .configuration_set_name(name)
        .send()
        .await
    {
        Ok(set) => set,
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_not_found_exception()) =>
        {
            return vec![Finding::problem(
                CHECK,
                format!("{name} does not exist in this region"),
                "deploy the stack again with SesConfigurationSet empty (it creates one), or name a set that exists; SES refuses every email sent with a missing set",
            )];
        }
        Err(e) => return vec![Finding::unknown(CHECK, &e)],
    };
    let mut findings = vec![
        if set.sending_options().is_some_and(|o| !o.sending_enabled()) {
            Finding::problem(
                CHECK,
                format!("sending is disabled for {name}"),
                format!(
                    "enable it: aws sesv2 put-configuration-set-sending-options --configuration-set-name {name} --sending-enabled"
                ),
            )
        } else {
            Finding::ok(CHECK, format!("{name} exists and may send"))
        },
    ];
    const EVENTS: &str = "delivery events";
    findings.push(
        match client
            .get_configuration_set_event_destinations()
            .configuration_set_name(name)
            .send()
            .await
        {
            Ok(out) => {
                let complete = out.event_destinations().iter().any(|d| {
                    d.enabled()
                        && d.event_bridge_destination().is_some()
                        && NEEDED.iter().all(|t| d.matching_event_types().contains(t))
                });
                if complete {
                    Finding::ok(EVENTS, format!("{name} publishes bounces, complaints, deliveries, delays and rejects to EventBridge"))
                } else {
                    Finding::problem(
                        EVENTS,
                        format!("{name} has no enabled EventBridge destination for bounces, complaints, deliveries, delays and rejects"),
                        "deploy the stack (it adds the destination MailEventDestination to the set); without it a bounced reviewer address goes unseen",
                    )
                }
            }
            Err(e) => Finding::unknown(EVENTS, &e),
        },
    );
    findings
}

/// Whether the account may send to anyone, and how much.
pub async fn account(client: &Client) -> Finding {
    const CHECK: &str = "account";
    let out = match client.get_account().send().await {
        Ok(out) => out,
        Err(e) => return Finding::unknown(CHECK, &e),
    };
    let quota = out.send_quota().map_or_else(String::new, |q| {
        format!(
            "; {} of {} emails sent in the last 24 hours, at most {} a second",
            q.sent_last24_hours(),
            q.max24_hour_send(),
            q.max_send_rate()
        )
    });
    if !out.sending_enabled() {
        return Finding::problem(
            CHECK,
            format!(
                "sending is paused for the account (enforcement: {}){quota}",
                out.enforcement_status().unwrap_or("unknown")
            ),
            "open the SES console's reputation page: fix what it names (bounce or complaint rate) and ask AWS to resume sending",
        );
    }
    if !out.production_access_enabled() {
        return Finding::problem(
            CHECK,
            format!("the account is in the SES sandbox in this region{quota}"),
            "request production access in the SES console; until then SES sends only to verified addresses, and the service holds the emails to everyone else",
        );
    }
    if let Some(q) = out.send_quota()
        && q.max24_hour_send() > 0.0
        && q.sent_last24_hours() >= q.max24_hour_send() * 0.8
    {
        return Finding::problem(
            CHECK,
            format!("the account has used most of its daily quota{quota}"),
            "ask for a higher sending quota in the SES console (Service Quotas); over it, emails wait for the next day",
        );
    }
    Finding::ok(CHECK, format!("production access, sending enabled{quota}"))
}

/// Every check, in the order the deploy guide explains them.
pub async fn check_all(client: &Client, sender: &str, set: Option<&str>) -> Vec<Finding> {
    let mut findings = vec![identity(client, sender).await];
    match set {
        Some(set) => findings.extend(configuration_set(client, set).await),
        None => findings.push(Finding::problem(
            "configuration set",
            "none is named",
            "name the set the functions send with (the stack's output MailConfigurationSetName); without one, bounces and complaints never reach the requests",
        )),
    }
    findings.push(account(client).await);
    findings
}
