//! Reviewers who sign in, for tests of everything after the sign-in: an
//! identity provider that vouches for whoever the test names (the relying
//! party against real providers is `tests/tests/sign_in.rs`), and decisions
//! taken through the service's own sign-in with it.

use async_trait::async_trait;
use consent_app::ports::{Authorization, IdentityError, IdentityProvider, Redemption};
use consent_app::service::{
    Callback, Client, ConsentService, LinkProblem, ReviewContext, SignedIn,
};
use consent_core::domain::{Comment, Identity, Verdict};
use consent_core::links::Purpose;

/// A provider that signs in whoever the code names: the code is
/// `subject|address|tenant|mfa|roles` (`mfa` 0 or 1, `roles` comma-separated app roles).
pub struct NamedIdentity;

#[async_trait]
impl IdentityProvider for NamedIdentity {
    async fn authorization_url(&self, start: &Authorization<'_>) -> Result<String, IdentityError> {
        Ok(format!(
            "https://idp.test/authorize?state={}&login_hint={}",
            start.state,
            start.login_hint.unwrap_or_default()
        ))
    }

    async fn redeem(&self, code: &Redemption<'_>) -> Result<Identity, IdentityError> {
        let parts: Vec<&str> = code.code.split('|').collect();
        let [subject, address, tenant, mfa, roles] = parts[..] else {
            return Err(IdentityError::Refused("invalid_grant".into()));
        };
        Ok(Identity {
            issuer: "https://idp.test".into(),
            tenant: Some(tenant.into()),
            subject: subject.into(),
            email: Some(address.into()),
            email_verified: Some(true),
            upn: None,
            signed_in_at: code.now,
            methods: if mfa == "1" {
                vec!["pwd".into(), "mfa".into()]
            } else {
                vec!["pwd".into()]
            },
            roles: (roles.split(',').filter(|r| !r.is_empty()))
                .map(str::to_owned)
                .collect(),
        })
    }
}

/// Who signs in: a subject, an address and a tenant, with MFA or not.
#[derive(Clone, Debug)]
pub struct Person {
    pub subject: String,
    pub email: String,
    pub tenant: String,
    pub mfa: bool,
    /// App roles in the ID token (`roles`).
    pub roles: Vec<String>,
}

impl Person {
    /// The code [`NamedIdentity`] redeems for this person.
    pub fn code(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}",
            self.subject,
            self.email,
            self.tenant,
            u8::from(self.mfa),
            self.roles.join(",")
        )
    }
}

/// Decisions as the link's reviewer, signed in with MFA (the service's own
/// sign-in, through [`NamedIdentity`]).
#[async_trait]
pub trait AsReviewer {
    /// The proof cookie `person` gets by signing in for the link `token`,
    /// or what the sign-in came to instead.
    async fn sign_in_as(
        &self,
        token: &str,
        purpose: Purpose,
        person: &Person,
    ) -> Result<String, SignedIn>;

    /// The link's own reviewer, signed in to the request's tenant with MFA.
    async fn reviewer_of(&self, token: &str, purpose: Purpose) -> Option<Person>;

    /// The proof cookie of the link's own reviewer, signed in; None when
    /// the link fails before any sign-in (it then answers as without one).
    async fn reviewer_proof(&self, token: &str, purpose: Purpose) -> Option<String> {
        let person = self.reviewer_of(token, purpose).await?;
        self.sign_in_as(token, purpose, &person).await.ok()
    }

    /// Decides with `token` as its reviewer, signed in; a link that fails
    /// before any sign-in answers as it would without one.
    async fn decide_signed_in(
        &self,
        token: &str,
        verdict: Verdict,
        comment: Option<Comment>,
    ) -> Result<ReviewContext, LinkProblem>;

    /// Withdraws with `token` as its reviewer, signed in.
    async fn revoke_signed_in(&self, token: &str) -> Result<ReviewContext, LinkProblem>;
}

#[async_trait]
impl AsReviewer for ConsentService {
    async fn sign_in_as(
        &self,
        token: &str,
        purpose: Purpose,
        person: &Person,
    ) -> Result<String, SignedIn> {
        let start = self
            .start_sign_in(token, purpose, false)
            .await
            .map_err(|p| SignedIn::Failed(consent_app::service::SignInProblem::Link(p)))?;
        let state = crate::param_of(&start.location, "state");
        let callback = Callback {
            state: Some(state),
            code: Some(person.code()),
            ..Callback::default()
        };
        match self
            .finish_sign_in(&callback, Some(&start.cookie.value))
            .await
        {
            SignedIn::Proven { proof, .. } => Ok(proof.value),
            other => Err(other),
        }
    }

    async fn reviewer_of(&self, token: &str, purpose: Purpose) -> Option<Person> {
        let context = match purpose {
            Purpose::Review => self.review_context(token, None).await,
            Purpose::Revoke => self.revoke_context(token, None).await,
        }
        .ok()?;
        let reviewer = context.request.reviewer(context.slot)?;
        Some(Person {
            subject: format!("subject-of-{}", reviewer.email),
            email: reviewer.email.to_string(),
            tenant: context.request.target_tenant_id.to_string(),
            mfa: true,
            roles: Vec::new(),
        })
    }

    async fn decide_signed_in(
        &self,
        token: &str,
        verdict: Verdict,
        comment: Option<Comment>,
    ) -> Result<ReviewContext, LinkProblem> {
        let proof = self.reviewer_proof(token, Purpose::Review).await;
        self.decide(
            token,
            (verdict, comment),
            proof.as_deref(),
            &reviewer_client(),
        )
        .await
    }

    async fn revoke_signed_in(&self, token: &str) -> Result<ReviewContext, LinkProblem> {
        let proof = self.reviewer_proof(token, Purpose::Revoke).await;
        self.revoke(token, proof.as_deref(), &reviewer_client())
            .await
    }
}

/// The browser the tests' reviewers use.
pub fn reviewer_client() -> Client {
    Client {
        ip: Some("192.0.2.10".into()),
        user_agent: Some("consent-tests".into()),
    }
}
