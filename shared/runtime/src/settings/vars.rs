//! Environment variable names.

pub const LINK_KEYS: &str = "CONSENT_LINK_KEYS";
pub const LINK_KEYS_SECRET: &str = "CONSENT_LINK_KEYS_SECRET_ARN";
/// The KMS key that signs the consent records (its id or ARN).
pub const RECORD_KEY_ID: &str = "CONSENT_RECORD_KEY_ID";
/// KMS keys that signed records before, comma-separated: published, never signing.
pub const RECORD_RETIRED_KEY_IDS: &str = "CONSENT_RECORD_RETIRED_KEY_IDS";
pub const PUBLIC_BASE_URL: &str = "CONSENT_PUBLIC_BASE_URL";
/// The API's own URL, for links sent by a function no request invokes.
pub const API_URL: &str = "CONSENT_API_URL";
pub const ADMIN_ROLE: &str = "CONSENT_ADMIN_ROLE";
/// The app role (`roles` in the ID token) that makes a customer's person its admin.
pub const CUSTOMER_ADMIN_ROLE: &str = "CONSENT_CUSTOMER_ADMIN_ROLE";
pub const LINK_TTL: &str = "CONSENT_LINK_TTL";
pub const REVOKE_LINK_TTL: &str = "CONSENT_REVOKE_LINK_TTL";
pub const REMIND_AFTER: &str = "CONSENT_REMIND_AFTER";
pub const MAX_REMINDERS: &str = "CONSENT_MAX_REMINDERS";
/// Asks one mailbox receives in a UTC day, from all partners.
pub const ASKS_PER_ADDRESS_PER_DAY: &str = "CONSENT_ASKS_PER_ADDRESS_PER_DAY";
/// New requests one partner user, and one partner tenant, submit in a UTC hour.
pub const REQUESTS_PER_USER_PER_HOUR: &str = "CONSENT_REQUESTS_PER_USER_PER_HOUR";
pub const REQUESTS_PER_TENANT_PER_HOUR: &str = "CONSENT_REQUESTS_PER_TENANT_PER_HOUR";
/// Reviewer changes one request takes in 24 hours, and in its life.
pub const REVIEWER_CHANGES_PER_DAY: &str = "CONSENT_REVIEWER_CHANGES_PER_DAY";
pub const REVIEWER_CHANGES_IN_LIFE: &str = "CONSENT_REVIEWER_CHANGES_IN_LIFE";
/// How long an address that bounced or complained gets no email.
pub const BOUNCE_HOLD: &str = "CONSENT_BOUNCE_HOLD";
pub const MAIL_AT_ONCE: &str = "CONSENT_MAIL_AT_ONCE";
/// The partner portal's Data Consent page, for the Edit link of a notice.
pub const PORTAL_URL: &str = "CONSENT_PORTAL_URL";
pub const EXPIRE_AFTER: &str = "CONSENT_EXPIRE_AFTER";
pub const SEND_LEASE: &str = "CONSENT_SEND_LEASE";
pub const MAX_ACCESS_TERM: &str = "CONSENT_MAX_ACCESS_TERM";
pub const ENDING_NOTICE: &str = "CONSENT_ENDING_NOTICE";
/// IAM principals (role ARNs) allowed to call `GET /service/access`, comma-separated.
pub const SERVICE_PRINCIPALS: &str = "CONSENT_SERVICE_PRINCIPALS";
pub const TABLE: &str = "CONSENT_TABLE";
pub const SENDER: &str = "CONSENT_SENDER";
pub const CONFIGURATION_SET: &str = "CONSENT_SES_CONFIGURATION_SET";
pub const REPLY_TO: &str = "CONSENT_REPLY_TO";
pub const OUTBOX_DIR: &str = "CONSENT_OUTBOX_DIR";
/// A directory file (path or JSON) instead of the table's tenants.
pub const TENANT_DIRECTORY: &str = "CONSENT_TENANT_DIRECTORY";
/// How long a looked-up tenant is kept in the function's memory.
pub const DIRECTORY_CACHE_TTL: &str = "CONSENT_DIRECTORY_CACHE_TTL";
/// How many tenants the function keeps in memory at most.
pub const DIRECTORY_CACHE_SIZE: &str = "CONSENT_DIRECTORY_CACHE_SIZE";
/// The EventBridge bus the publisher puts consent events on.
pub const EVENT_BUS: &str = "CONSENT_EVENT_BUS";
/// consent-local only: the key of its dev sign-in tokens.
pub const DEV_JWT_SECRET: &str = "CONSENT_DEV_JWT_SECRET";
/// `required` (the default) or `link-only`.
pub const REVIEWER_SIGN_IN: &str = "CONSENT_REVIEWER_SIGN_IN";
/// The OpenID Connect issuer reviewers sign in with.
pub const OIDC_ISSUER: &str = "CONSENT_OIDC_ISSUER";
pub const OIDC_CLIENT_ID: &str = "CONSENT_OIDC_CLIENT_ID";
/// The Secrets Manager secret (ARN) whose value is the OIDC client secret.
pub const OIDC_CLIENT_SECRET: &str = "CONSENT_OIDC_CLIENT_SECRET_ARN";
/// The least time between two fetches of the provider's signing keys.
pub const OIDC_KEY_REFETCH_AFTER: &str = "CONSENT_OIDC_KEY_REFETCH_AFTER";
