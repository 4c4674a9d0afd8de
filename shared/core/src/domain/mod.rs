//! Plain data of the consent domain. No I/O here.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// What the partner is asking to see; shown to reviewers and in emails.
pub const DATA_SCOPE: &str =
    "Telemetry insights of this environment: usage, performance and health data";

/// Identifier of a consent request (random, carries no meaning).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RequestId(pub Uuid);

impl RequestId {
    pub fn parse(s: &str) -> Option<Self> {
        // Only the canonical hyphenated form: one spelling per id.
        let id = Uuid::try_parse(s).ok()?;
        (id.hyphenated().to_string() == s.to_ascii_lowercase()).then_some(Self(id))
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// Why a value is not valid for its type: the message says what is allowed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(String);

impl InvalidValue {
    pub fn message(&self) -> &str {
        &self.0
    }
}

/// Domain strings deserialize through their `parse`, so none exists invalid.
macro_rules! parsed_from_string {
    ($($type:ty),*) => {$(
        impl TryFrom<String> for $type {
            type Error = InvalidValue;
            fn try_from(s: String) -> Result<Self, InvalidValue> {
                Self::parse(&s)
            }
        }
    )*};
}
parsed_from_string!(
    TenantId,
    EnvironmentId,
    Email,
    EnvironmentName,
    AccessPurpose,
    Domain
);

/// Identifier of one ask: one email-and-link round to one reviewer.
/// A new ask supersedes every older link of its slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AskId(pub Uuid);

/// A tenant (organization) id as issued by the identity provider.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantId(String);

impl TenantId {
    pub const MAX_LEN: usize = 64;

    /// Accepts 1..=64 characters of `[A-Za-z0-9._-]`.
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        identifier(s, Self::MAX_LEN).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An environment id inside a customer tenant.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EnvironmentId(String);

impl EnvironmentId {
    pub const MAX_LEN: usize = 64;

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        identifier(s, Self::MAX_LEN).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EnvironmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn identifier(s: &str, max: usize) -> Result<String, InvalidValue> {
    let valid = !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if valid {
        Ok(s.to_owned())
    } else {
        Err(InvalidValue(format!(
            "1 to {max} characters of A-Z, a-z, 0-9, '.', '_' or '-'"
        )))
    }
}

macro_rules! into_string {
    ($($type:ty),*) => {$(
        impl From<$type> for String {
            fn from(value: $type) -> String {
                value.0
            }
        }
    )*};
}
into_string!(
    TenantId,
    EnvironmentId,
    Email,
    EnvironmentName,
    Comment,
    AccessPurpose,
    Domain
);

/// A syntactically valid email address, kept as given (trimmed).
/// Equality of people is case-insensitive: see [`Email::same_person`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let invalid = || InvalidValue("not a valid email address".to_owned());
        let s = s.trim();
        if s.is_empty() || s.len() > Self::MAX_LEN || s.chars().any(|c| c.is_control()) {
            return Err(invalid());
        }
        let parsed = email_address::EmailAddress::parse_with_options(
            s,
            email_address::Options::default()
                .without_display_text()
                .without_domain_literal(),
        )
        .map_err(|_| invalid())?;
        // A reviewer must be reachable on the internet: a dotted domain, no quoted local part.
        let domain = parsed.domain();
        if !domain.contains('.') || parsed.local_part().starts_with('"') {
            return Err(invalid());
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn same_person(&self, other: &Email) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }

    /// The domain the address is at, in the form [`Domain`] compares.
    pub fn domain(&self) -> Option<Domain> {
        let (_, domain) = self.0.rsplit_once('@')?;
        Domain::parse(domain).ok()
    }

    /// The one of `domains` this address is at: the same domain, not a
    /// subdomain of it.
    pub fn at_one_of<'d>(&self, domains: &'d [Domain]) -> Option<&'d Domain> {
        let own = self.domain()?;
        domains.iter().find(|d| **d == own)
    }
}

/// A DNS domain name, such as the verified email domain of an organization:
/// lowercase, an internationalized name in its `xn--` (ASCII) form, so that
/// equal domains compare equal.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Domain(String);

impl Domain {
    pub const MAX_LEN: usize = 253;

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let invalid = || {
            InvalidValue(
                "not a domain name such as contoso.com (letters, digits and hyphens in dot-separated labels)"
                    .to_owned(),
            )
        };
        let s = s.trim();
        // `url` applies IDNA: Unicode names become their ASCII form, IP addresses are not domains.
        let ascii = match url::Host::parse(s) {
            Ok(url::Host::Domain(ascii)) => ascii,
            _ => return Err(invalid()),
        };
        let labels: Vec<&str> = ascii.split('.').collect();
        let label_ok = |l: &&str| {
            (1..=63).contains(&l.len())
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        let top_level_ok = labels
            .last()
            .is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()));
        if ascii.len() > Self::MAX_LEN
            || labels.len() < 2
            || !labels.iter().all(label_ok)
            || !top_level_ok
        {
            return Err(invalid());
        }
        Ok(Self(ascii.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A tenant of the directory: a partner or a customer organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: TenantId,
    /// Display name; shown to reviewers, and to a partner once consent allows it.
    pub name: String,
    /// The organization's verified email domains: where its reviewers' addresses must be.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<Domain>,
    /// Who to tell about a partner tenant's consents (its admins).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<Email>,
}

impl Tenant {
    pub const MAX_NAME_LEN: usize = 200;
    /// Domains or contacts one tenant may list.
    pub const MAX_LIST_LEN: usize = 50;
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Human name of an environment, as the partner typed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EnvironmentName(String);

impl EnvironmentName {
    pub const MAX_LEN: usize = 200;

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let s = s.trim();
        if !s.is_empty() && s.chars().count() <= Self::MAX_LEN && !s.chars().any(char::is_control) {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidValue(format!(
                "1 to {} characters, no control characters",
                Self::MAX_LEN
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why the partner asks: shown to reviewers wherever they decide.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccessPurpose(String);

impl AccessPurpose {
    pub const MAX_LEN: usize = 500;

    /// 1 to 500 characters after trimming; line breaks are kept, no other
    /// control characters are allowed.
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let s = s.trim();
        let count = s.chars().count();
        let controls = s
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r'));
        if count == 0 || count > Self::MAX_LEN || controls {
            return Err(InvalidValue(format!(
                "1 to {} characters saying why you ask; line breaks are allowed, other control characters are not",
                Self::MAX_LEN
            )));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How long access lasts once given: an ISO 8601 duration in weeks, days,
/// hours, minutes or seconds (`P90D`, `P12W`, `PT36H`, `P1DT12H`). Years and
/// months are refused: their length depends on the calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccessTerm(time::Duration);

impl AccessTerm {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let invalid = || {
            InvalidValue(
                "an ISO 8601 duration in weeks, days or hours, such as P90D, P12W or PT36H"
                    .to_owned(),
            )
        };
        let rest = s.trim().strip_prefix('P').ok_or_else(invalid)?;
        let (date, clock) = rest.split_once('T').unwrap_or((rest, ""));
        if rest.is_empty() || (rest.contains('T') && clock.is_empty()) {
            return Err(invalid());
        }
        let seconds = |part: &str, units: &[(char, i64)]| -> Result<i64, InvalidValue> {
            let mut total: i64 = 0;
            let mut number = String::new();
            let mut next_unit = 0;
            for c in part.chars() {
                if c.is_ascii_digit() {
                    number.push(c);
                    continue;
                }
                let at = units[next_unit..]
                    .iter()
                    .position(|(u, _)| *u == c)
                    .ok_or_else(invalid)?;
                let n: i64 = number.parse().map_err(|_| invalid())?;
                total = n
                    .checked_mul(units[next_unit + at].1)
                    .and_then(|v| total.checked_add(v))
                    .ok_or_else(invalid)?;
                next_unit += at + 1;
                number.clear();
            }
            if number.is_empty() {
                Ok(total)
            } else {
                Err(invalid())
            }
        };
        let total = seconds(date, &[('W', 604_800), ('D', 86_400)])?
            .checked_add(seconds(clock, &[('H', 3_600), ('M', 60), ('S', 1)])?)
            .ok_or_else(invalid)?;
        if total <= 0 {
            return Err(InvalidValue("the term must be longer than zero".to_owned()));
        }
        Ok(Self(time::Duration::seconds(total)))
    }

    pub fn duration(self) -> time::Duration {
        self.0
    }
}

impl fmt::Display for AccessTerm {
    /// The shortest ISO 8601 spelling: `P90D`, `PT36H`, `PT90M`, `PT45S`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0.whole_seconds();
        match s {
            _ if s % 86_400 == 0 => write!(f, "P{}D", s / 86_400),
            _ if s % 3_600 == 0 => write!(f, "PT{}H", s / 3_600),
            _ if s % 60 == 0 => write!(f, "PT{}M", s / 60),
            _ => write!(f, "PT{s}S"),
        }
    }
}

impl From<AccessTerm> for String {
    fn from(term: AccessTerm) -> String {
        term.to_string()
    }
}

impl TryFrom<String> for AccessTerm {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, InvalidValue> {
        Self::parse(&s)
    }
}

/// Free text a reviewer may add to a decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Comment(String);

impl Comment {
    pub const MAX_LEN: usize = 1000;

    /// Empty after trimming means "no comment"; too long or control characters
    /// other than line breaks and tabs are refused.
    pub fn parse(s: &str) -> Result<Option<Self>, InvalidValue> {
        let s = s.trim();
        if s.chars().count() > Self::MAX_LEN
            || s.chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(InvalidValue(format!(
                "at most {} characters, without control characters other than line breaks and tabs",
                Self::MAX_LEN
            )));
        }
        Ok((!s.is_empty()).then(|| Self(s.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Comment {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, InvalidValue> {
        Self::parse(&s)?.ok_or_else(|| InvalidValue("a stored comment is never empty".to_owned()))
    }
}

/// One of the two reviewer positions of a request; 1 or 2 in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum Slot {
    One,
    Two,
}

impl Slot {
    pub const ALL: [Slot; 2] = [Slot::One, Slot::Two];

    pub fn number(self) -> u8 {
        match self {
            Slot::One => 1,
            Slot::Two => 2,
        }
    }

    pub fn from_number(n: u8) -> Option<Self> {
        match n {
            1 => Some(Slot::One),
            2 => Some(Slot::Two),
            _ => None,
        }
    }

    pub fn index(self) -> usize {
        usize::from(self.number() - 1)
    }

    pub fn other(self) -> Self {
        match self {
            Slot::One => Slot::Two,
            Slot::Two => Slot::One,
        }
    }
}

impl From<Slot> for u8 {
    fn from(slot: Slot) -> u8 {
        slot.number()
    }
}

impl TryFrom<u8> for Slot {
    type Error = InvalidValue;
    fn try_from(n: u8) -> Result<Self, InvalidValue> {
        Slot::from_number(n).ok_or_else(|| InvalidValue("a reviewer slot is 1 or 2".to_owned()))
    }
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.number().fmt(f)
    }
}

/// Why a request is Not Allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosedReason {
    Rejected,
    Expired,
    Revoked,
    /// The term of access asked for ran out.
    Ended,
}

impl ClosedReason {
    /// The machine name used in the API and in events.
    pub fn code(self) -> &'static str {
        match self {
            ClosedReason::Rejected => "rejected",
            ClosedReason::Expired => "expired",
            ClosedReason::Revoked => "revoked",
            ClosedReason::Ended => "ended",
        }
    }
}

/// The lifecycle state of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "reason")]
pub enum Status {
    /// The request targets the requester's own tenant.
    NotApplicable,
    Pending,
    NotAllowed(ClosedReason),
    Allowed,
    /// Withdrawn by a partner admin; reviewers may be edited to reopen it.
    Canceled,
}

impl Status {
    /// The machine name used in the API.
    pub fn code(self) -> &'static str {
        match self {
            Status::NotApplicable => "not_applicable",
            Status::Pending => "pending",
            Status::NotAllowed(_) => "not_allowed",
            Status::Allowed => "allowed",
            Status::Canceled => "canceled",
        }
    }

    /// The label of the product documentation.
    pub fn label(self) -> &'static str {
        match self {
            Status::NotApplicable => "Not Applicable",
            Status::Pending => "Pending",
            Status::NotAllowed(_) => "Not Allowed",
            Status::Allowed => "Allowed",
            Status::Canceled => "Canceled",
        }
    }

    pub fn reason(self) -> Option<ClosedReason> {
        match self {
            Status::NotAllowed(reason) => Some(reason),
            _ => None,
        }
    }

    /// Telemetry and the customer name may be shown (a term's end aside:
    /// see [`ScopeSnapshot::grants_access_at`]).
    pub fn grants_access(self) -> bool {
        matches!(self, Status::Allowed | Status::NotApplicable)
    }

    /// A request in this state holds its (partner, tenant, environment) slot:
    /// no second request may be opened beside it.
    pub fn is_open(self) -> bool {
        !matches!(self, Status::NotAllowed(_))
    }

    /// A partner admin may cancel a request in this state.
    pub fn may_cancel(self) -> bool {
        matches!(self, Status::Pending | Status::Allowed)
    }

    /// A partner admin may name a new reviewer in this state (editing a
    /// canceled request reopens it).
    pub fn may_replace_reviewer(self) -> bool {
        matches!(self, Status::Pending | Status::Canceled)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approved,
    Rejected,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub verdict: Verdict,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub comment: Option<Comment>,
}

/// The current ask of a slot: the only one whose link may decide.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ask {
    pub id: AskId,
    #[serde(with = "time::serde::rfc3339")]
    pub asked_at: OffsetDateTime,
    pub decision: Option<Decision>,
    /// When the next email of this ask is due (first send, retry or
    /// reminder). Present only while an email is owed.
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_email_at: Option<OffsetDateTime>,
    /// Emails delivered for this ask so far.
    pub emails_sent: u32,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_email_at: Option<OffsetDateTime>,
    /// Set when the mail service refused the address for good: nobody was reached.
    #[serde(default)]
    pub delivery_failure: Option<DeliveryFailure>,
}

/// Why an ask's email could not be delivered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryFailure {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reviewer {
    pub email: Email,
    /// Who confirmed the person belongs to the target tenant: the requester
    /// (when the customer lists no domains) or the admin who replaced the reviewer.
    pub confirmed_by: Option<String>,
    /// The customer's verified domain the address was found at, when it lists domains.
    #[serde(default)]
    pub verified_domain: Option<Domain>,
    /// None while the request is canceled or closed before this reviewer was asked.
    pub ask: Option<Ask>,
}

/// The signed-in person who created a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requester {
    pub user_id: String,
    pub email: Email,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRequest {
    pub id: RequestId,
    pub partner_tenant_id: TenantId,
    pub requester: Requester,
    pub target_tenant_id: TenantId,
    pub environment_id: EnvironmentId,
    pub environment_name: EnvironmentName,
    pub purpose: AccessPurpose,
    /// How long access lasts once given; None: until withdrawn.
    #[serde(default)]
    pub access_term: Option<AccessTerm>,
    /// While allowed with a term: when access ends.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub allowed_until: Option<OffsetDateTime>,
    /// Exactly two, except for Not Applicable requests, which have none.
    pub reviewers: Vec<Reviewer>,
    #[serde(flatten)]
    pub status: Status,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Incremented by every stored change; writes are conditional on it.
    pub version: u64,
    /// While pending: when the request ends as not allowed (expired).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// Receipts and notices still to be emailed.
    #[serde(default)]
    pub notices: Vec<Notice>,
}

/// Why a notice is sent: the outcome it reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    Allowed,
    Rejected,
    Expired,
    Revoked,
    Canceled,
    /// The term of access ran out.
    Ended,
    /// To the requester, a while before the term runs out.
    EndingSoon,
}

impl NoticeKind {
    pub fn name(self) -> &'static str {
        match self {
            NoticeKind::Allowed => "allowed",
            NoticeKind::Rejected => "rejected",
            NoticeKind::Expired => "expired",
            NoticeKind::Revoked => "revoked",
            NoticeKind::Canceled => "canceled",
            NoticeKind::Ended => "ended",
            NoticeKind::EndingSoon => "ending soon",
        }
    }
}

/// Who a notice is for: that decides what it may say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Recipient {
    Requester,
    Reviewer {
        slot: Slot,
    },
    /// A partner admin contact from the tenant directory.
    PartnerContact,
}

/// Identifies a notice within its request: the version that created it and its place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NoticeId {
    pub version: u64,
    pub index: u8,
}

/// An email owed about an outcome (a receipt), delivered like an ask:
/// due until sent, retried by the scheduled function.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub id: NoticeId,
    pub kind: NoticeKind,
    pub to: Email,
    pub recipient: Recipient,
    #[serde(with = "time::serde::rfc3339")]
    pub due_at: OffsetDateTime,
    pub receipt: Receipt,
}

/// What a receipt states, fixed when the outcome happened: who did it, when,
/// why, from which state, and what each reviewer had decided by then.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: Actor,
    pub from_status: Status,
    /// A partner admin's reason for canceling.
    pub reason: Option<Comment>,
    pub reviewers: Vec<ReviewerFacts>,
}

/// A reviewer as a receipt names them: the address that held the slot then.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewerFacts {
    pub slot: Slot,
    pub email: Email,
    pub decision: Option<Decision>,
}

impl ConsentRequest {
    pub fn reviewer(&self, slot: Slot) -> Option<&Reviewer> {
        self.reviewers.get(slot.index())
    }

    pub fn current_ask(&self, slot: Slot) -> Option<&Ask> {
        self.reviewer(slot).and_then(|r| r.ask.as_ref())
    }

    /// When the scheduled function next has work on this request: an email
    /// due (ask or notice), the expiry of a pending request, or the end of
    /// an allowed one's term.
    pub fn next_due_at(&self) -> Option<OffsetDateTime> {
        let asks = self
            .reviewers
            .iter()
            .filter_map(|r| r.ask.as_ref()?.next_email_at);
        let notices = self.notices.iter().map(|n| n.due_at);
        let expiry = self.expires_at.filter(|_| self.status == Status::Pending);
        let end = self
            .allowed_until
            .filter(|_| self.status == Status::Allowed);
        asks.chain(notices).chain(expiry).chain(end).min()
    }

    /// The key under which at most one open request may exist.
    pub fn scope_key(&self) -> ScopeKey {
        ScopeKey {
            partner: self.partner_tenant_id.clone(),
            target: self.target_tenant_id.clone(),
            environment: self.environment_id.clone(),
        }
    }
}

/// Where a request stands for the access check: its status, and while
/// allowed with a term, when that ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeSnapshot {
    #[serde(flatten)]
    pub status: Status,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub allowed_until: Option<OffsetDateTime>,
}

impl ScopeSnapshot {
    pub fn of(request: &ConsentRequest) -> Self {
        Self {
            status: request.status,
            allowed_until: request.allowed_until,
        }
    }

    /// The status as it is at `now`: an allowed request past its term has
    /// ended, even before the scheduled run records it.
    pub fn status_at(self, now: OffsetDateTime) -> Status {
        match (self.status, self.allowed_until) {
            (Status::Allowed, Some(until)) if until <= now => {
                Status::NotAllowed(ClosedReason::Ended)
            }
            (status, _) => status,
        }
    }

    pub fn grants_access_at(self, now: OffsetDateTime) -> bool {
        self.status_at(now).grants_access()
    }
}

/// (partner tenant, target tenant, environment): the unit of consent.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScopeKey {
    pub partner: TenantId,
    pub target: TenantId,
    pub environment: EnvironmentId,
}

/// Who caused a change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Actor {
    User {
        tenant_id: TenantId,
        user_id: String,
        email: Option<Email>,
        admin: bool,
    },
    Reviewer {
        slot: Slot,
        email: Email,
    },
    System,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    Created,
    Approved,
    Rejected,
    Canceled,
    ReviewerReplaced,
    Expired,
    Revoked,
    /// The term of access ran out.
    Ended,
    /// Emails due are being sent (claimed, so that no other run sends them too).
    EmailSending,
    EmailSent,
    EmailRefused,
}

/// One entry of a request's history; stored atomically with the change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub request_id: RequestId,
    /// The version the change produced: orders events and ties each to one write.
    pub version: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: Actor,
    pub action: AuditAction,
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub slot: Option<Slot>,
    pub detail: Option<String>,
    /// A reviewer's comment on a decision, or an admin's reason for canceling.
    #[serde(default)]
    pub comment: Option<Comment>,
}
