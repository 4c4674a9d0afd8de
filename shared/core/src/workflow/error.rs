//! Why a command was refused.

use serde::Serialize;

use super::SignInRefusal;
use crate::domain::{Decision, Status};

/// A field-level validation failure, addressed by JSON pointer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    #[error("the input is not valid")]
    Invalid(Vec<FieldError>),
    /// The link's ask is no longer the slot's current one.
    #[error("this link has been replaced by a newer one")]
    Superseded,
    #[error("this ask was already decided")]
    AlreadyDecided(Box<Decision>),
    /// The command does not apply to a request in this state.
    #[error("a {} request cannot be {action}", .status.code())]
    WrongStatus {
        status: Status,
        action: &'static str,
    },
    /// The sign-in does not prove the slot's reviewer (or there was none).
    #[error("the sign-in decides nothing: {0}")]
    SignIn(SignInRefusal),
    /// The change would mail more than a budget allows.
    #[error("{0}")]
    OverBudget(OverBudget),
    /// Only an admin of the request's target tenant may do this.
    #[error("only an admin of the customer's organization may do this")]
    NotCustomerAdmin,
}

/// A send budget spent: what, in plain words, and when trying again helps
/// (None: waiting does not).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{what}")]
pub struct OverBudget {
    pub what: String,
    pub retry_at: Option<time::OffsetDateTime>,
}
