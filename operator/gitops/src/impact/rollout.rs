//! When work would start and how the rollout of the approved patches would run: the next start
//! opportunity, and the run the core would plan with its waves spread over the coming openings.

use chrono::{DateTime, Utc};
use patchwarden_core::window;

use super::side::PolicySide;
use super::{
    FirstWindowShare, NextWindowImpact, RolloutForecast, RolloutImpact, SLA_HORIZON, human_duration,
};

/// The next moment work may start, before and after.
pub(super) fn next_window_impact(
    before: Option<&PolicySide<'_>>,
    after: Option<&PolicySide<'_>>,
) -> NextWindowImpact {
    let next =
        |side: Option<&PolicySide<'_>>| side.and_then(|side| side.evaluation.as_ref()?.next_start);
    let (before, after) = (next(before), next(after));
    NextWindowImpact {
        before,
        after,
        changed: before != after,
    }
}

/// Window openings the rollout forecast spreads waves over.
const ROLLOUT_MAX_WINDOWS: usize = 8;

/// The run a window would freeze, with its waves spread over the coming openings.
fn rollout_forecast(side: &PolicySide<'_>, now: DateTime<Utc>) -> Option<RolloutForecast> {
    let run = side.evaluation.as_ref()?.scheduled_run.as_ref()?;
    let plan = &run.plan;
    let until = now + SLA_HORIZON.to_chrono();
    let mut openings: Vec<window::Opening> = side
        .windows
        .iter()
        .flat_map(|w| {
            window::openings(&w.definition, now, until)
                .filter(window::Opening::is_usable)
                .collect::<Vec<_>>()
        })
        .collect();
    openings.sort_by_key(|opening| opening.opens_at);
    let schedule = plan.schedule(openings, ROLLOUT_MAX_WINDOWS);
    // A run longer than its window is split: say how much the first window takes.
    let first_window = schedule
        .assignments
        .first()
        .filter(|_| schedule.assignments.len() > 1)
        .map(|first| FirstWindowShare {
            assets: plan
                .waves
                .iter()
                .skip(first.first_wave)
                .take(first.waves)
                .map(|wave| wave.assets.len())
                .sum(),
            date: first.opening.opens_at.format("%-d %b").to_string(),
        });
    Some(RolloutForecast {
        assets: plan.asset_count(),
        waves: plan.waves.len(),
        canaries: plan.waves.iter().filter(|wave| wave.canary).count(),
        estimated_duration: human_duration(plan.estimated_duration),
        windows: schedule.assignments.len(),
        unscheduled: schedule.unscheduled_from_wave.is_some(),
        first_window,
        wave_assets: plan.waves.iter().map(|wave| wave.assets.clone()).collect(),
    })
}

/// The rollout forecast before and after, when it changes.
pub(super) fn rollout_impact(
    before: Option<&PolicySide<'_>>,
    after: Option<&PolicySide<'_>>,
    now: DateTime<Utc>,
) -> Option<RolloutImpact> {
    let old = before.and_then(|side| rollout_forecast(side, now));
    let new = after.and_then(|side| rollout_forecast(side, now));
    if old == new {
        return None;
    }
    let message = match (&old, &new) {
        (Some(old), Some(new)) if old.to_string() == new.to_string() => format!(
            "{new}; waves change from {} to {}",
            waves_in_words(&old.wave_assets),
            waves_in_words(&new.wave_assets)
        ),
        (Some(old), Some(new)) => format!("{old} → {new}"),
        (None, Some(new)) => format!("none → {new}"),
        (Some(old), None) => format!("{old} → none"),
        (None, None) => return None,
    };
    Some(RolloutImpact {
        before: old,
        after: new,
        message,
    })
}

/// "[web-1], [web-2, api-1]": the assets of each wave, canary first.
fn waves_in_words(waves: &[Vec<String>]) -> String {
    waves
        .iter()
        .map(|wave| format!("[{}]", wave.join(", ")))
        .collect::<Vec<_>>()
        .join(", ")
}
