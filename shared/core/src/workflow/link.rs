//! The one check of a link: whether its ask may still be used.

use super::WorkflowError;
use super::commands::wrong_status;
use crate::domain::{AskId, ConsentRequest, Slot, Status, Verdict};

/// What the holder of a link would do with its ask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkUse {
    Decide,
    Withdraw,
}

/// Whether the ask `ask_id` of `slot` may still be used so: the one check
/// of a link, which the commands apply too.
pub fn link_may(
    request: &ConsentRequest,
    slot: Slot,
    ask_id: AskId,
    use_: LinkUse,
) -> Result<(), WorkflowError> {
    let ask = request
        .current_ask(slot)
        .filter(|ask| ask.id == ask_id)
        .ok_or(WorkflowError::Superseded)?;
    match use_ {
        LinkUse::Decide => {
            if let Some(earlier) = &ask.decision {
                return Err(WorkflowError::AlreadyDecided(Box::new(earlier.clone())));
            }
            if request.status() != Status::Pending {
                return Err(wrong_status(request, "decided"));
            }
        }
        LinkUse::Withdraw => {
            let approved = ask
                .decision
                .as_ref()
                .is_some_and(|d| d.verdict == Verdict::Approved);
            if request.status() != Status::Allowed || !approved {
                return Err(wrong_status(request, "withdrawn"));
            }
        }
    }
    Ok(())
}
