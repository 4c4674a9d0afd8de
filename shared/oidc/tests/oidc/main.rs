//! The relying party's checks that need no provider: the PKCE challenge and
//! the issuer rules. Against a real provider: `tests/tests/sign_in.rs`.

mod token;
