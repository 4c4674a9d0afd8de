//! A reviewer's sign-in: started from a link's page, finished where the
//! identity provider sends the browser back, then kept in a sealed cookie
//! scoped to that link until the decision uses it.
//!
//! Two cookies, both sealed with the link keys and `HttpOnly`: the flow
//! (state, nonce, PKCE verifier, the link) for the callback only, named by
//! its state so that two sign-ins in one browser do not overwrite each
//! other; and the proof (who signed in) for the link's own path.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::ConsentService;
use super::links::{LinkProblem, ReviewContext};
use crate::ports::{Authorization, IdentityError, Redemption};
use consent_core::domain::{AskId, RequestId, SignIn, Slot, TenantSignIn};
use consent_core::links::{LinkClaims, Purpose};
use consent_core::workflow::{self, LinkUse, SignInRefusal, Verified};

pub(super) const FLOW_LABEL: &str = "reviewer sign-in flow";
const PROOF_LABEL: &str = "reviewer signed in";
/// How long a started sign-in may take at the provider.
pub const FLOW_TTL: Duration = Duration::minutes(10);
/// How long a sign-in stands for its person before a decision needs another.
pub const PROOF_TTL: Duration = Duration::minutes(15);
const FLOW_COOKIE_PREFIX: &str = "consent-sign-in-";
/// The cookie that carries the proof of a sign-in, on its link's path.
pub const PROOF_COOKIE: &str = "consent-reviewer";
/// The path the identity provider sends the browser back to.
pub const CALLBACK_PATH: &str = "/signed-in";

/// A cookie for the browser to keep, or to drop (`max_age` zero).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cookie {
    pub name: String,
    pub value: String,
    pub path: String,
    pub max_age: Duration,
    /// Sent over HTTPS only: the service is reached over HTTPS.
    pub secure: bool,
}

/// Where a sign-in starts: the provider's address and the flow cookie.
#[derive(Clone, Debug)]
pub struct SignInStart {
    pub location: String,
    pub cookie: Cookie,
}

/// What the browser says of itself with a decision: kept as evidence.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Client {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// What the provider sent back to the callback.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Callback {
    pub state: Option<String>,
    pub code: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// Why a sign-in came to nothing before it proved anyone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignInProblem {
    /// No started sign-in matches: another browser, too slow, or used already.
    Lost,
    /// The provider (or the person there) declined; its words.
    Declined(String),
    /// The provider's answer fails a check of ours.
    Invalid,
    /// The link itself no longer allows what the sign-in was for.
    Link(LinkProblem),
}

/// How a callback ends.
#[derive(Clone, Debug)]
pub enum SignedIn {
    /// The sign-in proves the link's reviewer: keep the proof, go back.
    Proven {
        back_to: String,
        proof: Cookie,
    },
    /// The sign-in proves someone who may not answer the link.
    Refused {
        context: Box<ReviewContext>,
        refusal: SignInRefusal,
        purpose: Purpose,
        token: String,
    },
    /// A person of a customer tenant signed in to the customer's view.
    Customer {
        back_to: String,
        session: Cookie,
    },
    /// The sign-in proves nobody of a customer tenant this service knows.
    CustomerRefused(SignInRefusal),
    Failed(SignInProblem),
}

#[derive(Serialize, Deserialize)]
pub(super) struct Flow {
    pub(super) state: String,
    pub(super) nonce: String,
    pub(super) verifier: String,
    /// The link's token; for a customer's sign-in, the tenant asked for (or empty).
    pub(super) link: String,
    pub(super) purpose: String,
    pub(super) expires: i64,
    /// A customer's sign-in: the view's page to go back to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) next: Option<String>,
}

/// What a new flow is for: a link's token (or, for a customer, the
/// tenant asked for), its purpose, and the page to go back to.
pub(super) struct FlowFor {
    pub(super) link: String,
    pub(super) purpose: String,
    pub(super) next: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Proof {
    request: RequestId,
    slot: Slot,
    ask: AskId,
    purpose: String,
    expires: i64,
    sign_in: SignIn,
    /// The customer required MFA when the sign-in was checked.
    require_mfa: bool,
}

fn purpose_code(purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::Review => "review",
        Purpose::Revoke => "revoke",
    }
}

fn purpose_of(code: &str) -> Option<Purpose> {
    match code {
        "review" => Some(Purpose::Review),
        "revoke" => Some(Purpose::Revoke),
        _ => None,
    }
}

pub(super) fn link_use(purpose: Purpose) -> LinkUse {
    match purpose {
        Purpose::Review => LinkUse::Decide,
        Purpose::Revoke => LinkUse::Withdraw,
    }
}

/// A link's page, below the service's base path: `/review/{token}`.
pub fn link_path(purpose: Purpose, token: &str) -> String {
    format!("/{}/{token}", purpose_code(purpose))
}

/// Fresh unguessable text: 122 random bits per UUID.
pub(super) fn random_text(uuids: usize) -> String {
    (0..uuids)
        .map(|_| Uuid::new_v4().simple().to_string())
        .collect()
}

/// The path part of a base URL (`https://host/prod` → `/prod`).
fn base_path(base_url: &str) -> &str {
    let rest = base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest);
    rest.find('/').map_or("", |i| &rest[i..])
}

pub(super) fn unix(at: OffsetDateTime) -> i64 {
    at.unix_timestamp()
}

impl ConsentService {
    pub(super) fn base_url(&self) -> Result<&str, LinkProblem> {
        self.settings
            .public_base_url
            .as_deref()
            .ok_or(LinkProblem::Unavailable)
    }

    pub(super) fn cookie(
        &self,
        name: String,
        value: String,
        path: &str,
        max_age: Duration,
    ) -> Cookie {
        let base = self.settings.public_base_url.as_deref().unwrap_or("");
        Cookie {
            name,
            value,
            path: format!("{}{path}", base_path(base)),
            max_age,
            secure: base.starts_with("https://"),
        }
    }

    /// The cookie that drops the flow of `state` (every callback drops it).
    pub fn forget_sign_in(&self, state: &str) -> Cookie {
        self.cookie(
            format!("{FLOW_COOKIE_PREFIX}{state}"),
            String::new(),
            CALLBACK_PATH,
            Duration::ZERO,
        )
    }

    /// The name of the cookie that holds the flow of `state`.
    pub fn sign_in_cookie_name(state: &str) -> String {
        format!("{FLOW_COOKIE_PREFIX}{state}")
    }

    /// Starts the sign-in a link's decision needs: the link must still
    /// allow it. `choose_account` asks the provider to offer other accounts.
    pub async fn start_sign_in(
        &self,
        token: &str,
        purpose: Purpose,
        choose_account: bool,
    ) -> Result<SignInStart, LinkProblem> {
        let context = self.link_context(token, purpose, None).await?;
        let reviewer = context
            .request
            .reviewer(context.slot)
            .map(|r| r.email.as_str());
        let flow = FlowFor {
            link: token.to_owned(),
            purpose: purpose_code(purpose).to_owned(),
            next: None,
        };
        self.begin_flow(flow, reviewer, choose_account).await
    }

    /// Sends the browser to the provider with a fresh flow (state, nonce,
    /// PKCE verifier) for `what`, sealed in the flow's cookie.
    pub(super) async fn begin_flow(
        &self,
        what: FlowFor,
        login_hint: Option<&str>,
        choose_account: bool,
    ) -> Result<SignInStart, LinkProblem> {
        let provider = self.identity.as_ref().ok_or(LinkProblem::Unavailable)?;
        let links = self.links.as_ref().ok_or(LinkProblem::Unavailable)?;
        let redirect_uri = format!("{}{CALLBACK_PATH}", self.base_url()?);
        let flow = Flow {
            state: random_text(1),
            nonce: random_text(1),
            verifier: random_text(2),
            link: what.link,
            purpose: what.purpose,
            expires: unix(self.now() + FLOW_TTL),
            next: what.next,
        };
        let location = provider
            .authorization_url(&Authorization {
                redirect_uri: &redirect_uri,
                state: &flow.state,
                nonce: &flow.nonce,
                code_verifier: &flow.verifier,
                login_hint,
                choose_account,
            })
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "the identity provider could not start a sign-in");
                LinkProblem::Unavailable
            })?;
        let sealed = links.seal(FLOW_LABEL, &serde_json::to_vec(&flow).expect("plain data"));
        Ok(SignInStart {
            location,
            cookie: self.cookie(
                Self::sign_in_cookie_name(&flow.state),
                sealed,
                CALLBACK_PATH,
                FLOW_TTL,
            ),
        })
    }

    /// The flow a callback's state names, from its cookie, if it is ours,
    /// unexpired and for that state.
    pub(super) fn open_flow(&self, state: &str, cookie: Option<&str>) -> Option<Flow> {
        let links = self.links.as_ref()?;
        let flow: Flow = serde_json::from_slice(&links.open(FLOW_LABEL, cookie?)?).ok()?;
        (flow.state == state && flow.expires > unix(self.now())).then_some(flow)
    }

    /// Finishes a sign-in where the provider sent the browser back:
    /// redeems the code, validates the ID token, and checks that it proves
    /// the link's reviewer. Changes nothing but the browser's cookies.
    pub async fn finish_sign_in(&self, callback: &Callback, cookie: Option<&str>) -> SignedIn {
        let Some(flow) = callback
            .state
            .as_deref()
            .and_then(|state| self.open_flow(state, cookie))
        else {
            return SignedIn::Failed(SignInProblem::Lost);
        };
        if let Some(error) = &callback.error {
            let words = callback.error_description.as_deref().unwrap_or(error);
            return SignedIn::Failed(SignInProblem::Declined(words.chars().take(300).collect()));
        }
        if flow.purpose == super::customer_session::CUSTOMER_PURPOSE {
            return self
                .finish_customer_sign_in(&flow, callback.code.as_deref())
                .await;
        }
        let Some(purpose) = purpose_of(&flow.purpose) else {
            return SignedIn::Failed(SignInProblem::Lost);
        };
        match self.prove(&flow, purpose, callback.code.as_deref()).await {
            Ok(proven) => proven,
            Err(problem) => SignedIn::Failed(problem),
        }
    }

    async fn prove(
        &self,
        flow: &Flow,
        purpose: Purpose,
        code: Option<&str>,
    ) -> Result<SignedIn, SignInProblem> {
        let code = code.ok_or(SignInProblem::Invalid)?;
        let claims = self
            .verify_link(&flow.link, purpose)
            .await
            .map_err(SignInProblem::Link)?;
        let identity = self.redeem(flow, code).await.inspect_err(|_| {
            tracing::warn!(request_id = %claims.request_id, "a reviewer's sign-in failed");
        })?;
        let context = self
            .link_context(&flow.link, purpose, None)
            .await
            .map_err(SignInProblem::Link)?;
        let tenant = self
            .tenant_sign_in(&context)
            .await
            .map_err(SignInProblem::Link)?;
        let refused = |refusal: SignInRefusal| {
            tracing::info!(request_id = %claims.request_id, slot = claims.slot.number(), refusal = refusal_code(&refusal), "a sign-in does not prove the reviewer");
            SignedIn::Refused {
                context: Box::new(context.clone()),
                refusal,
                purpose,
                token: flow.link.clone(),
            }
        };
        let sign_in = match workflow::evidence(&context.request, &identity, &tenant) {
            Ok(sign_in) => sign_in,
            Err(refusal) => return Ok(refused(refusal)),
        };
        let verified = Verified {
            sign_in,
            require_mfa: tenant.require_mfa,
        };
        if let Err(refusal) =
            workflow::check_sign_in(&context.request, claims.slot, &verified, link_use(purpose))
        {
            return Ok(refused(refusal));
        }
        tracing::info!(request_id = %claims.request_id, slot = claims.slot.number(), mfa = verified.sign_in.mfa, "a reviewer signed in");
        Ok(SignedIn::Proven {
            back_to: format!(
                "{}{}",
                self.base_url().map_err(SignInProblem::Link)?,
                link_path(purpose, &flow.link)
            ),
            proof: self.proof_cookie(&claims, &flow.link, verified),
        })
    }
}

impl ConsentService {
    /// The path every page's links begin with: the base URL's path
    /// (`/prod`), or nothing.
    pub fn base_path(&self) -> String {
        let base = self.settings.public_base_url.as_deref().unwrap_or("");
        base_path(base).trim_end_matches('/').to_owned()
    }

    /// Redeems a callback's code and validates the ID token it gives.
    pub(super) async fn redeem(
        &self,
        flow: &Flow,
        code: &str,
    ) -> Result<consent_core::domain::Identity, SignInProblem> {
        let provider = self
            .identity
            .as_ref()
            .ok_or(SignInProblem::Link(LinkProblem::Unavailable))?;
        let redirect_uri = format!(
            "{}{CALLBACK_PATH}",
            self.base_url().map_err(SignInProblem::Link)?
        );
        provider
            .redeem(&Redemption {
                code,
                redirect_uri: &redirect_uri,
                code_verifier: &flow.verifier,
                nonce: &flow.nonce,
                now: self.now(),
            })
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "a sign-in's code was not redeemed");
                match e {
                    IdentityError::Unavailable(_) => SignInProblem::Link(LinkProblem::Unavailable),
                    IdentityError::Refused(_) | IdentityError::InvalidToken(_) => {
                        SignInProblem::Invalid
                    }
                }
            })
    }

    fn proof_cookie(&self, claims: &LinkClaims, token: &str, verified: Verified) -> Cookie {
        let proof = Proof {
            request: claims.request_id,
            slot: claims.slot,
            ask: claims.ask_id,
            purpose: purpose_code(claims.purpose).to_owned(),
            expires: unix(self.now() + PROOF_TTL),
            sign_in: verified.sign_in,
            require_mfa: verified.require_mfa,
        };
        let sealed = self.links.as_ref().map_or_else(String::new, |links| {
            links.seal(
                PROOF_LABEL,
                &serde_json::to_vec(&proof).expect("plain data"),
            )
        });
        self.cookie(
            PROOF_COOKIE.to_owned(),
            sealed,
            &link_path(claims.purpose, token),
            PROOF_TTL,
        )
    }

    /// The sign-in a proof cookie holds for exactly this link's ask, while
    /// it stands, with what the customer asked of it then.
    pub(super) fn proof_for(&self, claims: &LinkClaims, cookie: Option<&str>) -> Option<Verified> {
        let links = self.links.as_ref()?;
        let proof: Proof = serde_json::from_slice(&links.open(PROOF_LABEL, cookie?)?).ok()?;
        let matches = proof.request == claims.request_id
            && proof.slot == claims.slot
            && proof.ask == claims.ask_id
            && purpose_of(&proof.purpose) == Some(claims.purpose)
            && proof.expires > unix(self.now());
        matches.then_some(Verified {
            sign_in: proof.sign_in,
            require_mfa: proof.require_mfa,
        })
    }

    /// How the target tenant's people sign in, from the directory.
    pub(super) async fn tenant_sign_in(
        &self,
        context: &ReviewContext,
    ) -> Result<TenantSignIn, LinkProblem> {
        Ok(self
            .directory
            .tenant(&context.request.target_tenant_id)
            .await?
            .map(|tenant| tenant.sign_in)
            .unwrap_or_default())
    }
}

/// A refusal's name for the log: never the address.
fn refusal_code(refusal: &SignInRefusal) -> &'static str {
    match refusal {
        SignInRefusal::NotSignedIn => "not_signed_in",
        SignInRefusal::OtherOrganization { .. } => "other_organization",
        SignInRefusal::NoVerifiedAddress { .. } => "no_verified_address",
        SignInRefusal::OtherPerson { .. } => "other_person",
        SignInRefusal::NoMfa { .. } => "no_mfa",
        SignInRefusal::SameAsOtherReviewer { .. } => "same_as_other_reviewer",
        SignInRefusal::Requester { .. } => "requester",
    }
}
