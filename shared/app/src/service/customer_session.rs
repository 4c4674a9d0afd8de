//! A customer's sign-in to its view: the same relying party and callback as
//! a reviewer's, then a sealed cookie on `/customer` that says who of which
//! tenant signed in, whether an admin, and the token its forms carry.

use serde::{Deserialize, Serialize};
use time::Duration;

use super::ConsentService;
use super::links::LinkProblem;
use super::sign_in::{
    Cookie, Flow, FlowFor, SignInProblem, SignInStart, SignedIn, random_text, unix,
};
use consent_core::domain::{Email, Identity, SignIn, TenantId, TenantKind};
use consent_core::workflow::{self, SignInRefusal};

/// The flow's purpose for a customer's sign-in.
pub(super) const CUSTOMER_PURPOSE: &str = "customer";
const SESSION_LABEL: &str = "customer signed in";
/// How long a customer's sign-in stands before the view asks for another.
pub const CUSTOMER_SESSION_TTL: Duration = Duration::hours(1);
/// The cookie of a customer's sign-in.
pub const CUSTOMER_COOKIE: &str = "consent-customer";
/// The customer's view, below the service's base path.
pub const CUSTOMER_PATH: &str = "/customer";

/// A person of a customer tenant, signed in to the customer's view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerSession {
    pub tenant_id: TenantId,
    pub tenant_name: String,
    pub sign_in: SignIn,
    /// Holds the customer admin role, or is one of the tenant's contacts.
    pub admin: bool,
    /// Every form of the view carries it; a POST without it changes nothing.
    pub form_token: String,
    expires: i64,
}

impl CustomerSession {
    pub fn person(&self) -> workflow::CustomerPerson {
        workflow::CustomerPerson {
            tenant_id: self.tenant_id.clone(),
            sign_in: self.sign_in.clone(),
            admin: self.admin,
        }
    }

    pub fn email(&self) -> &Email {
        &self.sign_in.email
    }
}

/// A page of the view a sign-in may go back to: `/customer` or one
/// request's page, nothing else (never another site).
pub fn view_page(path: &str) -> bool {
    path == CUSTOMER_PATH
        || path
            .strip_prefix("/customer/requests/")
            .is_some_and(|id| consent_core::domain::RequestId::parse(id).is_some())
}

impl ConsentService {
    /// Starts a customer's sign-in; `tenant` names the customer tenant for
    /// providers whose tokens carry no tenant claim, `next` the view's page
    /// to come back to.
    pub async fn start_customer_sign_in(
        &self,
        tenant: Option<&str>,
        (next, choose_account): (Option<&str>, bool),
    ) -> Result<SignInStart, LinkProblem> {
        let tenant = tenant
            .and_then(|t| TenantId::parse(t).ok())
            .map(|t| t.to_string());
        let flow = FlowFor {
            link: tenant.unwrap_or_default(),
            purpose: CUSTOMER_PURPOSE.to_owned(),
            next: next.filter(|n| view_page(n)).map(str::to_owned),
        };
        self.begin_flow(flow, None, choose_account).await
    }

    pub(super) async fn finish_customer_sign_in(
        &self,
        flow: &Flow,
        code: Option<&str>,
    ) -> SignedIn {
        let Some(code) = code else {
            return SignedIn::Failed(SignInProblem::Invalid);
        };
        let identity = match self.redeem(flow, code).await {
            Ok(identity) => identity,
            Err(problem) => return SignedIn::Failed(problem),
        };
        match self.customer_of(flow, &identity).await {
            Ok(Ok(session)) => {
                tracing::info!(tenant = %session.tenant_id, admin = session.admin, mfa = session.sign_in.mfa, "a customer's person signed in");
                let Ok(base) = self.base_url() else {
                    return SignedIn::Failed(SignInProblem::Link(LinkProblem::Unavailable));
                };
                let page = flow.next.as_deref().filter(|n| view_page(n));
                SignedIn::Customer {
                    back_to: format!("{base}{}", page.unwrap_or(CUSTOMER_PATH)),
                    session: self.session_cookie(&session),
                }
            }
            Ok(Err(refusal)) => SignedIn::CustomerRefused(refusal),
            Err(problem) => SignedIn::Failed(problem),
        }
    }

    /// Who `identity` is to the customer tenant the flow names (or its
    /// token's tenant): a session, or why not.
    async fn customer_of(
        &self,
        flow: &Flow,
        identity: &Identity,
    ) -> Result<Result<CustomerSession, SignInRefusal>, SignInProblem> {
        let outsider = || SignInRefusal::OtherOrganization {
            signed_in_as: (identity.vouched_address())
                .or(identity.email.as_deref())
                .unwrap_or(&identity.subject)
                .to_owned(),
        };
        let named = Some(flow.link.as_str())
            .filter(|t| !t.is_empty())
            .or(identity.tenant.as_deref());
        let Some(tenant_id) = named.and_then(|t| TenantId::parse(t).ok()) else {
            return Ok(Err(outsider()));
        };
        let tenant = self
            .directory
            .tenant(&tenant_id)
            .await
            .map_err(|_| SignInProblem::Link(LinkProblem::Unavailable))?;
        let Some(tenant) = tenant.filter(|t| t.kind == TenantKind::Customer) else {
            return Ok(Err(outsider()));
        };
        let person = match workflow::customer_person(
            identity,
            &tenant.id,
            &tenant.sign_in,
            &tenant.contacts,
            &self.settings.customer_admin_role,
        ) {
            Ok(person) => person,
            Err(refusal) => return Ok(Err(refusal)),
        };
        if tenant.sign_in.require_mfa && !person.sign_in.mfa {
            return Ok(Err(SignInRefusal::NoMfa {
                signed_in_as: person.sign_in.email,
            }));
        }
        Ok(Ok(CustomerSession {
            tenant_id: tenant.id,
            tenant_name: tenant.name,
            sign_in: person.sign_in,
            admin: person.admin,
            form_token: random_text(1),
            expires: unix(self.now() + CUSTOMER_SESSION_TTL),
        }))
    }

    fn session_cookie(&self, session: &CustomerSession) -> Cookie {
        let sealed = self.links.as_ref().map_or_else(String::new, |links| {
            links.seal(
                SESSION_LABEL,
                &serde_json::to_vec(session).expect("plain data"),
            )
        });
        self.cookie(
            CUSTOMER_COOKIE.to_owned(),
            sealed,
            CUSTOMER_PATH,
            CUSTOMER_SESSION_TTL,
        )
    }

    /// The customer's sign-in a cookie holds, while it stands.
    pub fn customer_session(&self, cookie: Option<&str>) -> Option<CustomerSession> {
        let links = self.links.as_ref()?;
        let session: CustomerSession =
            serde_json::from_slice(&links.open(SESSION_LABEL, cookie?)?).ok()?;
        (session.expires > unix(self.now())).then_some(session)
    }

    /// The cookie that ends a customer's sign-in.
    pub fn end_customer_session(&self) -> Cookie {
        self.cookie(
            CUSTOMER_COOKIE.to_owned(),
            String::new(),
            CUSTOMER_PATH,
            Duration::ZERO,
        )
    }
}
