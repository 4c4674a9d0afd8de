//! The AWS adapters' tests that need no backing service.

mod sdk;
