//! Rollouts: planning the order and waves of a patch run ([`plan`]), and driving a frozen plan
//! one decision at a time ([`machine`]), deciding reboots ([`reboot`]), and judging health checks before and after patching
//! ([`health`]).

pub mod canary;
pub mod health;
pub mod machine;
pub mod plan;
pub mod reboot;

pub use canary::CanaryHint;
pub use health::{CheckOutcome, CheckRecord, HealthVerdict, http_outcome, judge};
pub use machine::{
    Action, AssetProgress, AssetState, Decision, HaltReason, Observations, OperationState,
    PauseReason, RunPhase, RunStatus, StartGate, Step, decide, operation_id,
};
pub use plan::{
    PlanAsset, RolloutPlan, RolloutSettings, Wave, WindowAssignment, WindowFit, WindowSchedule,
    plan_rollout, plan_rollout_with, run_duration, stable_hash,
};
pub use reboot::{RebootMode, should_reboot};
