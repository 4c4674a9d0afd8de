//! Why the service did not do what was asked, in the terms the HTTP edge
//! answers with.

use consent_core::domain::RequestId;
use consent_core::workflow::{FieldError, OverBudget, WorkflowError};

use crate::ports::{DirectoryError, StoreError};

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    #[error("the input is not valid")]
    Invalid(Vec<FieldError>),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Forbidden(&'static str),
    /// The customer blocked the partner from asking: the words say until when.
    #[error("{0}")]
    Blocked(String),
    #[error("{detail}")]
    Conflict {
        detail: String,
        existing: Option<RequestId>,
    },
    #[error("the page cursor is not valid")]
    BadCursor,
    /// A backing service failed; the same call may succeed later.
    #[error("a dependency is unavailable: {0}")]
    Unavailable(String),
    /// Stored data this service cannot read: a fault of ours, not the caller's.
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    /// A send budget is spent: nothing was written or sent.
    #[error("{0}")]
    OverBudget(OverBudget),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::VersionConflict => ServiceError::Conflict {
                detail: "the request was changed by someone else at the same time; reload it and try again".to_owned(),
                existing: None,
            },
            StoreError::Duplicate { existing } => ServiceError::Conflict {
                detail: format!(
                    "your tenant already has an open consent request ({existing}) for this tenant and environment: while it is pending or allowed no second one is set up; a partner admin can name new reviewers on it, or cancel it and set up a new one"
                ),
                existing: Some(existing),
            },
            StoreError::BadCursor => ServiceError::BadCursor,
            StoreError::OverBudget(charge) => ServiceError::OverBudget(OverBudget {
                what: charge.what,
                retry_at: Some(charge.window_ends),
            }),
            e @ StoreError::Unavailable(_) => ServiceError::Unavailable(e.to_string()),
            e @ StoreError::Corrupt { .. } => ServiceError::Corrupt(e.to_string()),
        }
    }
}

impl From<DirectoryError> for ServiceError {
    fn from(e: DirectoryError) -> Self {
        match e {
            DirectoryError::Unavailable(_) => ServiceError::Unavailable(e.to_string()),
            DirectoryError::Corrupt { .. } => ServiceError::Corrupt(e.to_string()),
        }
    }
}

/// The request to change is not stored.
pub(super) struct Missing;

impl From<Missing> for ServiceError {
    fn from(_: Missing) -> Self {
        ServiceError::NotFound
    }
}

impl From<WorkflowError> for ServiceError {
    fn from(e: WorkflowError) -> Self {
        match e {
            WorkflowError::Invalid(errors) => ServiceError::Invalid(errors),
            WorkflowError::OverBudget(over) => ServiceError::OverBudget(over),
            WorkflowError::NotCustomerAdmin => {
                ServiceError::Forbidden("only an admin of the customer's organization may do this")
            }
            other => ServiceError::Conflict {
                detail: other.to_string(),
                existing: None,
            },
        }
    }
}
