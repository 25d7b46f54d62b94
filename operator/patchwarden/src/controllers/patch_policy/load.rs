//! The predicted load of the policy's next window opening: each member's advisory rate (as
//! its assessment counted it), whether it has approved patches now and its patch estimate,
//! forecast by `core::load_forecast`.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use patchwarden_api::patch_policy::PredictedLoad;
use patchwarden_api::time::to_k8s;
use patchwarden_core::load_forecast::{MemberLoad, forecast_load};
use patchwarden_core::policy::{PolicyEvaluation, PolicyRules};

use super::super::Context;
use super::observe::Observed;

/// The forecast for the next opening, or `None` when no window opens.
pub fn predicted_load(
    context: &Context,
    observed: &Observed,
    rules: &PolicyRules,
    evaluation: &PolicyEvaluation,
    now: DateTime<Utc>,
) -> Option<PredictedLoad> {
    let opening = evaluation.next_window.as_ref()?;
    let pending: HashSet<&str> = evaluation
        .verdicts
        .iter()
        .filter(|v| !v.approved.is_empty())
        .map(|v| v.name.as_str())
        .collect();
    let members: Vec<MemberLoad> = observed
        .members
        .iter()
        .map(|member| MemberLoad {
            name: member.name.clone(),
            recent: context
                .assessment
                .get(&observed.asset_key(&member.name))
                .map(|a| a.recent_advisories.clone())
                .unwrap_or_default(),
            pending: pending.contains(member.name.as_str()),
            estimate: member
                .estimated_duration
                .unwrap_or(rules.rollout.default_asset_duration),
        })
        .collect();
    let forecast = forecast_load(&members, &rules.sla, opening.opening.opens_at, now);
    Some(PredictedLoad {
        opens_at: to_k8s(forecast.opens_at),
        recent_advisories: forecast.recent_advisories,
        expected_new_findings: forecast.expected_findings,
        expected_assets: forecast.expected_assets,
        expected_work: forecast.expected_work.to_string(),
        expected_sla_breaches: forecast.expected_sla_breaches,
        message: forecast.to_string(),
    })
}
