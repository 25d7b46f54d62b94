//! Rollout planning: a deterministic order (riskiest first, then a hash seeded by the policy so
//! that equally risky assets are not always patched in the same order by every policy), a canary,
//! waves limited by `maxUnavailable` per asset group, the failure budget, a duration estimate and
//! how the waves fit into maintenance windows.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::canary::{CanaryHint, choose as choose_canaries};
use super::reboot::RebootMode;
use crate::window::Opening;
use crate::{CountOrPercent, Duration};

/// A policy's rollout settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutSettings {
    /// Assets patched first, alone, before anything else (`1` or `"10%"`); none when absent.
    #[serde(default)]
    pub canary: Option<CountOrPercent>,
    /// How many assets of a group may be unavailable (being patched, verified or rolled back) at
    /// once; a percentage is of the group's size, rounded down, and at least one.
    pub max_unavailable: CountOrPercent,
    /// How many failed assets the run tolerates; one more halts it. A percentage is of the run's
    /// size, rounded down.
    #[serde(default = "zero_failures")]
    pub max_failures: CountOrPercent,
    /// Wait between the end of one wave and the start of the next.
    #[serde(default)]
    pub pause_between_waves: Duration,
    /// Roll a failed asset back to its recorded versions.
    #[serde(default)]
    pub rollback_on_failure: bool,
    /// How long an asset takes when nothing better is known.
    #[serde(default = "default_asset_duration")]
    pub default_asset_duration: Duration,
}

fn zero_failures() -> CountOrPercent {
    CountOrPercent::Count(0)
}

fn default_asset_duration() -> Duration {
    Duration::from_mins(10)
}

impl Default for RolloutSettings {
    fn default() -> Self {
        RolloutSettings {
            canary: None,
            max_unavailable: CountOrPercent::Count(1),
            max_failures: zero_failures(),
            pause_between_waves: Duration::ZERO,
            rollback_on_failure: false,
            default_asset_duration: default_asset_duration(),
        }
    }
}

/// One asset to plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanAsset {
    pub name: String,
    /// The asset group whose `maxUnavailable` applies; assets without one share a pool.
    #[serde(default)]
    pub group: Option<String>,
    /// The asset's risk score; higher goes first.
    #[serde(default)]
    pub risk: f64,
    /// How long patching this asset is expected to take (from past outcomes).
    #[serde(default)]
    pub estimated_duration: Option<Duration>,
}

/// How long a run of `waves` is expected to take: each wave's estimate, one after the other,
/// with `pause` between two waves.
pub fn run_duration(waves: &[Wave], pause: Duration) -> Duration {
    let pauses = u64::try_from(waves.len().saturating_sub(1)).unwrap_or(u64::MAX);
    let waves: u64 = waves
        .iter()
        .map(|w| w.estimated_duration.as_secs())
        .fold(0, u64::saturating_add);
    Duration::from_secs(waves.saturating_add(pause.as_secs().saturating_mul(pauses)))
}

/// One wave: assets patched together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Wave {
    pub index: u32,
    pub canary: bool,
    /// Asset names, in rollout order.
    pub assets: Vec<String>,
    /// The longest asset estimate in the wave (its assets run side by side).
    pub estimated_duration: Duration,
}

/// A frozen rollout plan: what a PatchRun's spec records and the state machine drives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutPlan {
    /// Identifies the run; operation ids are derived from it. Set by whoever creates the run.
    #[serde(default)]
    pub run_id: String,
    pub waves: Vec<Wave>,
    /// Asset name to its group key (`""` for assets without a group).
    pub groups: BTreeMap<String, String>,
    /// Group key to how many of its assets may be unavailable at once.
    pub max_unavailable: BTreeMap<String, u32>,
    /// Failed assets tolerated; one more halts the run.
    pub max_failures: u32,
    pub pause_between_waves: Duration,
    pub rollback_on_failure: bool,
    /// Waves plus pauses, from the per-asset estimates.
    pub estimated_duration: Duration,
    /// How often to look at operations in flight.
    pub poll_interval: Duration,
    /// The first wave must start by this instant; past it, a run that has not started halts
    /// without starting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_deadline: Option<DateTime<Utc>>,
    /// When an asset is rebooted after its install (before it is verified).
    #[serde(default)]
    pub reboot: RebootMode,
}

impl RolloutPlan {
    /// Number of assets in the plan.
    pub fn asset_count(&self) -> usize {
        self.waves.iter().map(|w| w.assets.len()).sum()
    }

    /// The in-flight limit of `asset`'s group.
    pub fn limit_for(&self, asset: &str) -> u32 {
        self.groups
            .get(asset)
            .and_then(|g| self.max_unavailable.get(g))
            .copied()
            .unwrap_or(1)
    }

    /// How many waves, starting at `first_wave`, fit into `opening` when the run may begin at
    /// `start`: a wave fits when it starts before the cutoff and ends before the window closes.
    pub fn fit(&self, first_wave: usize, opening: &Opening, start: DateTime<Utc>) -> WindowFit {
        let mut t = start.max(opening.opens_at);
        let mut fit = WindowFit {
            waves: 0,
            assets: 0,
            finishes_at: None,
            remaining_waves: self.waves.len().saturating_sub(first_wave),
            remaining_assets: self
                .waves
                .iter()
                .skip(first_wave)
                .map(|w| w.assets.len())
                .sum(),
        };
        for wave in self.waves.iter().skip(first_wave) {
            if t >= opening.cutoff_at {
                break;
            }
            let Some(end) = t.checked_add_signed(wave.estimated_duration.to_chrono()) else {
                break;
            };
            if end > opening.closes_at {
                break;
            }
            fit.waves += 1;
            fit.assets += wave.assets.len();
            fit.remaining_waves -= 1;
            fit.remaining_assets -= wave.assets.len();
            fit.finishes_at = Some(end);
            t = end
                .checked_add_signed(self.pause_between_waves.to_chrono())
                .unwrap_or(DateTime::<Utc>::MAX_UTC);
        }
        fit
    }

    /// Spreads the waves over successive `openings` (at most `max_windows` of them).
    pub fn schedule(
        &self,
        openings: impl IntoIterator<Item = Opening>,
        max_windows: usize,
    ) -> WindowSchedule {
        let mut next_wave = 0;
        let mut assignments = Vec::new();
        for opening in openings.into_iter().take(max_windows) {
            if next_wave >= self.waves.len() {
                break;
            }
            let fit = self.fit(next_wave, &opening, opening.opens_at);
            if fit.waves > 0 {
                assignments.push(WindowAssignment {
                    opening,
                    first_wave: next_wave,
                    waves: fit.waves,
                    finishes_at: fit.finishes_at.unwrap_or(opening.opens_at),
                });
                next_wave += fit.waves;
            }
        }
        WindowSchedule {
            assignments,
            unscheduled_from_wave: self.waves.get(next_wave).map(|w| w.index),
        }
    }
}

/// How much of a plan fits into one opening.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowFit {
    pub waves: usize,
    pub assets: usize,
    /// When the last fitting wave is expected to end.
    pub finishes_at: Option<DateTime<Utc>>,
    /// Left for the next window.
    pub remaining_waves: usize,
    pub remaining_assets: usize,
}

impl fmt::Display for WindowFit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} waves ({} assets) fit", self.waves, self.assets)?;
        if let Some(end) = self.finishes_at {
            write!(f, ", finishing by {}", end.format("%Y-%m-%d %H:%M UTC"))?;
        }
        if self.remaining_waves > 0 {
            write!(
                f,
                "; {} waves ({} assets) are left for the next window",
                self.remaining_waves, self.remaining_assets
            )?;
        }
        Ok(())
    }
}

/// Waves assigned to one opening.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowAssignment {
    pub opening: Opening,
    pub first_wave: usize,
    pub waves: usize,
    pub finishes_at: DateTime<Utc>,
}

/// Waves spread over openings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowSchedule {
    pub assignments: Vec<WindowAssignment>,
    /// The first wave that found no opening (too long for any, or beyond the openings given).
    pub unscheduled_from_wave: Option<u32>,
}

/// A stable 64-bit hash (FNV-1a with a SplitMix64 finish): the same on every platform and
/// release, unlike the standard library's randomly keyed hasher.
pub fn stable_hash(seed: &str, value: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in seed
        .bytes()
        .chain(std::iter::once(0xff))
        .chain(value.bytes())
    {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash = (hash ^ (hash >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    hash = (hash ^ (hash >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    hash ^ (hash >> 31)
}

fn saturating_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Plans a rollout of `assets` under `settings`. `seed` (the policy's namespace/name) orders
/// equally risky assets; the same inputs always give the same plan. Duplicate asset names are
/// planned once.
pub fn plan_rollout(seed: &str, assets: &[PlanAsset], settings: &RolloutSettings) -> RolloutPlan {
    plan_rollout_with(seed, assets, settings, &BTreeMap::new())
}

/// `plan_rollout` with what is known of the assets' profiles (by asset name): the canary
/// wave covers the profiles, those that failed before first (see [`super::canary`]).
pub fn plan_rollout_with(
    seed: &str,
    assets: &[PlanAsset],
    settings: &RolloutSettings,
    hints: &BTreeMap<String, CanaryHint>,
) -> RolloutPlan {
    let mut seen = std::collections::HashSet::with_capacity(assets.len());
    let mut ordered: Vec<(&PlanAsset, u64)> = assets
        .iter()
        .filter(|a| seen.insert(a.name.as_str()))
        .map(|a| (a, stable_hash(seed, &a.name)))
        .collect();
    ordered.sort_by(|(a, ha), (b, hb)| {
        b.risk
            .total_cmp(&a.risk)
            .then(ha.cmp(hb))
            .then_with(|| a.name.cmp(&b.name))
    });

    let group_of = |a: &PlanAsset| a.group.clone().unwrap_or_default();
    let mut group_sizes: BTreeMap<String, usize> = BTreeMap::new();
    for (a, _) in &ordered {
        *group_sizes.entry(group_of(a)).or_default() += 1;
    }
    let max_unavailable: BTreeMap<String, u32> = group_sizes
        .iter()
        .map(|(g, size)| {
            let limit = settings.max_unavailable.resolve_down(*size).max(1);
            (g.clone(), saturating_u32(limit))
        })
        .collect();

    let total = ordered.len();
    let canaries = match settings.canary {
        Some(c) => c.resolve_up(total),
        None => 0,
    };
    let ordered_hints: Vec<Option<&CanaryHint>> =
        ordered.iter().map(|(a, _)| hints.get(&a.name)).collect();
    let chosen = choose_canaries(&ordered_hints, canaries);
    let (canary_assets, rest): (Vec<_>, Vec<_>) = ordered
        .iter()
        .enumerate()
        .partition(|(position, _)| chosen.binary_search(position).is_ok());
    let canary_assets: Vec<(&PlanAsset, u64)> =
        canary_assets.into_iter().map(|(_, a)| *a).collect();
    let rest: Vec<(&PlanAsset, u64)> = rest.into_iter().map(|(_, a)| *a).collect();
    let mut waves = Vec::new();
    pack_waves(&canary_assets, true, &max_unavailable, settings, &mut waves);
    pack_waves(&rest, false, &max_unavailable, settings, &mut waves);

    let estimated = run_duration(&waves, settings.pause_between_waves);

    RolloutPlan {
        run_id: String::new(),
        waves,
        groups: ordered
            .iter()
            .map(|(a, _)| (a.name.clone(), group_of(a)))
            .collect(),
        max_unavailable,
        max_failures: saturating_u32(settings.max_failures.resolve_down(total)),
        pause_between_waves: settings.pause_between_waves,
        rollback_on_failure: settings.rollback_on_failure,
        estimated_duration: estimated,
        poll_interval: Duration::from_secs(15),
        start_deadline: None,
        reboot: RebootMode::Never,
    }
}

/// Packs ordered assets into waves: each wave takes, from every group, the next assets of that
/// group up to the group's limit, so no wave exceeds any group's `maxUnavailable`.
fn pack_waves(
    ordered: &[(&PlanAsset, u64)],
    canary: bool,
    limits: &BTreeMap<String, u32>,
    settings: &RolloutSettings,
    waves: &mut Vec<Wave>,
) {
    // Positions per group, in rollout order.
    let mut queues: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (position, (asset, _)) in ordered.iter().enumerate() {
        queues
            .entry(asset.group.as_deref().unwrap_or(""))
            .or_default()
            .push(position);
    }
    let mut cursors: BTreeMap<&str, usize> = queues.keys().map(|g| (*g, 0)).collect();
    let mut remaining = ordered.len();
    while remaining > 0 {
        let mut members: Vec<usize> = Vec::new();
        for (group, queue) in &queues {
            let limit = limits.get(*group).copied().unwrap_or(1) as usize;
            let cursor = cursors.entry(group).or_default();
            let take = limit.min(queue.len() - *cursor);
            members.extend_from_slice(&queue[*cursor..*cursor + take]);
            *cursor += take;
        }
        members.sort_unstable();
        remaining -= members.len();
        let estimated_duration = members
            .iter()
            .map(|&i| {
                ordered[i]
                    .0
                    .estimated_duration
                    .unwrap_or(settings.default_asset_duration)
            })
            .max()
            .unwrap_or(Duration::ZERO);
        waves.push(Wave {
            index: saturating_u32(waves.len()),
            canary,
            assets: members.iter().map(|&i| ordered[i].0.name.clone()).collect(),
            estimated_duration,
        });
    }
}
