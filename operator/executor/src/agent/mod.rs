//! The pull-mode protocol between the operator and `patchwarden agent`, the process that runs
//! on the asset it patches (a systemd service, or a DaemonSet pod with the host root at
//! `/host`).
//!
//! The agent connects out to the API server with its own token and watches only its own Asset.
//! The exchange lives in that Asset's status (`status.agent`, written with merge patches on
//! the status subresource), in two slots each owned by one writer:
//!
//! - `request` — written by the operator's [`AgentExecutor`]: a new id (the operation's name
//!   and 64 random bits) and an [`AgentOperation`] as JSON. The executor runs one operation
//!   per asset at a time, so the slot never holds two live requests.
//! - `result` — written by the agent: the id it answers and an [`AgentAnswer`] as JSON. The
//!   executor waits (watching the Asset) for a result with its id; without one within the
//!   operation's limit it fails (changes) or reports the asset unreachable (reads), and the
//!   run's failure limits apply as for any other executor.
//!
//! Idempotent by id: before running a request the agent records its id in a state file on the
//! host (mode 0600, under `/var/lib/patchwarden-agent`), and after it the answer. An agent
//! restarted after finishing re-reports the stored answer instead of running the operation
//! again; one killed midway runs it again, which is safe: apt runs detached and finishes on
//! its own, and `apt-get install --only-upgrade pkg=ver` of a package already at `ver` does
//! nothing (the second run reports it `AlreadyAtTarget`). A reboot that was started records
//! the boot id before it, so a restarted agent reports the reboot rather than rebooting again.
//!
//! The agent runs the operations with [`crate::LocalExecutor`]: the same apt argv and the same
//! verdict as the SSH and lab executors.

mod executor;
mod protocol;
mod state;
mod worker;

#[cfg(test)]
mod tests;

pub use executor::{AgentChannel, AgentExecutor, AgentTimeouts, agent_target};
pub use protocol::{AgentAnswer, AgentMessage, AgentOperation, AgentRequest, new_request_id};
pub use state::{AgentState, StateError, StateFile};
pub use worker::{AgentWorker, Step, next_step};
