//! The relying party's checks that need no provider: the PKCE challenge and
//! the issuer rules, the roots its client trusts. Against a real provider:
//! `tests/tests/sign_in.rs`.

mod token;
mod trust;
