//! The email that tells a partner's admins and the customer's contacts that
//! the customer blocked (or stopped blocking) the partner's requests.

use askama::Template;
use consent_core::domain::{Email, PartnerBlock};
use consent_core::text::{display_time, single_line};

use crate::ports::EmailMessage;

/// Who reads a block's email: the partner's side or the customer's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockReader {
    Partner,
    Customer,
}

/// What a block's email needs: names as the reader may know them.
pub struct BlockEmail<'a> {
    pub block: &'a PartnerBlock,
    pub partner_name: &'a str,
    pub customer_name: &'a str,
    pub reader: BlockReader,
    /// The customer's view, for the customer's contacts.
    pub view_link: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "block.txt")]
struct BlockText<'a> {
    headline: &'a str,
    lines: &'a [String],
    customer: &'a str,
    partner: &'a str,
    view_link: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "block.html")]
struct BlockHtml<'a> {
    subject: &'a str,
    headline: &'a str,
    lines: &'a [String],
    customer: &'a str,
    partner: &'a str,
    view_link: Option<&'a str>,
}

/// The email to `to` about `email.block`.
pub fn block_notice(email: &BlockEmail<'_>, to: &Email) -> EmailMessage {
    let block = email.block;
    let partner = single_line(email.partner_name);
    let customer = single_line(email.customer_name);
    let lifted = block.lifted.as_ref();
    let subject = match lifted {
        Some(_) => format!("Block lifted: {partner} may ask {customer} for consent again"),
        None => format!("{customer} blocks consent requests from {partner}"),
    };
    let headline = match lifted {
        Some(_) => "The customer lifted its block: the partner may ask for consent again.",
        None => "The customer blocked the partner's consent requests.",
    };
    let mut lines = match lifted {
        Some(l) => vec![format!(
            "{} (the customer's admin) lifted the block on {}.",
            l.by.email,
            display_time(l.at)
        )],
        None => vec![format!(
            "{} (the customer's admin) blocked the partner on {}, {}.",
            block.by.email,
            display_time(block.at),
            block.until.map_or_else(
                || "until the customer lifts the block".to_owned(),
                |u| format!("until {}", display_time(u))
            )
        )],
    };
    if let (None, Some(reason)) = (lifted, &block.reason) {
        lines.push(format!(
            "Reason given: \"{}\"",
            single_line(reason.as_str())
        ));
    }
    lines.push(match (lifted, email.reader) {
        (None, BlockReader::Partner) => "Until then every new consent request of your tenant for this customer is refused, and nobody of the customer is asked or emailed on its behalf; requests already pending stay for the customer to decide or reject. Talk to the customer if you need access.".to_owned(),
        (None, BlockReader::Customer) => "Until then the partner cannot ask anyone of your organization for consent. Its requests still pending are listed on your consent page, where an admin can reject them.".to_owned(),
        (Some(_), BlockReader::Partner) => "Your tenant may submit consent requests for this customer again.".to_owned(),
        (Some(_), BlockReader::Customer) => "The partner may ask people of your organization for consent again.".to_owned(),
    });
    let (customer_id, partner_id) = (block.customer.to_string(), block.partner.to_string());
    let view_link = match email.reader {
        BlockReader::Customer => email.view_link,
        BlockReader::Partner => None,
    };
    let text = BlockText {
        headline,
        lines: &lines,
        customer: &customer_id,
        partner: &partner_id,
        view_link,
    };
    let html = BlockHtml {
        subject: &subject,
        headline,
        lines: &lines,
        customer: &customer_id,
        partner: &partner_id,
        view_link,
    };
    EmailMessage {
        to: to.clone(),
        text: text.render().expect("block email renders"),
        html: html.render().expect("block email renders"),
        subject,
        link: view_link.map(str::to_owned),
        about: None,
    }
}
