//! Window fit: a run started in an open window carries only the waves that are expected to
//! finish before the window closes (from the per-asset duration estimates); the assets of the
//! other waves keep their approved patches and go into the next run, in a later window. At
//! least the first wave is carried, so a window too short for any estimate still makes
//! progress.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::{FrozenRun, NamedOpening, PolicyRules};
use crate::rollout::run_duration;

/// `run` started at `now` in `opening`: cut down to the waves that fit, with its limits and
/// estimate recomputed for what it carries.
pub(super) fn fit_to_window(
    rules: &PolicyRules,
    mut run: FrozenRun,
    opening: &NamedOpening,
    now: DateTime<Utc>,
) -> FrozenRun {
    run.window = Some(opening.clone());
    let fit = run.plan.fit(0, &opening.opening, now);
    if fit.remaining_waves == 0 {
        return run;
    }
    let keep_waves = fit.waves.max(1);
    run.plan.waves.truncate(keep_waves);
    let kept: BTreeSet<String> = run
        .plan
        .waves
        .iter()
        .flat_map(|w| w.assets.iter().cloned())
        .collect();
    run.assets.retain(|a| kept.contains(&a.name));
    run.plan.groups.retain(|asset, _| kept.contains(asset));
    run.plan.max_failures =
        u32::try_from(rules.rollout.max_failures.resolve_down(kept.len())).unwrap_or(u32::MAX);
    run.plan.estimated_duration = run_duration(&run.plan.waves, run.plan.pause_between_waves);
    run
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::super::{Decision, Member, NamedWindow, PolicyInput, evaluate};
    use super::*;
    use crate::Duration;
    use crate::approval::{ApprovalPolicy, ApprovalRules, UpgradeCandidate};
    use crate::rollout::{CanaryHint, RolloutSettings};
    use crate::sla::SlaRules;
    use crate::window::WindowDefinition;
    use crate::{CountOrPercent, Severity};
    use std::sync::Arc;

    fn rules() -> PolicyRules {
        PolicyRules {
            key: "default/p".into(),
            approval: ApprovalPolicy::compile(ApprovalRules::default()).expect("rules"),
            sla: SlaRules::default(),
            emergency: Vec::new(),
            epss_threshold: crate::sla::DEFAULT_EPSS_THRESHOLD,
            rollout: RolloutSettings {
                canary: Some(CountOrPercent::Count(1)),
                max_unavailable: CountOrPercent::Count(1),
                ..RolloutSettings::default()
            },
            plan_only: false,
            suspended: false,
        }
    }

    fn member(name: &str, hours: u64, hint: Option<(&str, u32)>) -> Member {
        Member {
            risk: 1.0,
            candidates: vec![Arc::new(UpgradeCandidate {
                package: "openssl".into(),
                source_package: None,
                installed_version: "1.0-1".into(),
                candidate_version: "1.0-2".into(),
                severity: Severity::High,
                published: None,
                known_exploited: false,
                cve_ids: vec!["CVE-2026-1".into()],
                security: true,
            })]
            .into(),
            canary_hint: hint.map(|(profile, past_failures)| CanaryHint {
                profile: profile.into(),
                past_failures,
            }),
            estimated_duration: Some(Duration::from_hours(hours)),
            ..Member::new(name, "web")
        }
    }

    /// Every day 11:00-15:00 UTC, evaluated at noon: three hours are left.
    fn start(members: &[Member]) -> FrozenRun {
        let window = NamedWindow {
            name: "midday".into(),
            definition: WindowDefinition::parse("0 11 * * *", "UTC", Duration::from_hours(4))
                .expect("window"),
        };
        let now = Utc
            .with_ymd_and_hms(2026, 12, 16, 12, 0, 0)
            .single()
            .expect("time");
        let evaluation = evaluate(&PolicyInput {
            rules: &rules(),
            members,
            unassessed: &[],
            windows: &[window],
            runs: &[],
            generation: Some(1),
            requested_at: None,
            now,
        });
        match evaluation.decision {
            Decision::Start { run } => run,
            other => panic!("expected a run, got {other:?}"),
        }
    }

    fn names(run: &FrozenRun) -> Vec<&str> {
        run.assets.iter().map(|a| a.name.as_str()).collect()
    }

    #[test]
    fn a_run_carries_only_the_waves_that_finish_in_the_window() {
        let members: Vec<Member> = ["a", "b", "c", "d", "e"]
            .iter()
            .map(|n| member(n, 1, None))
            .collect();
        let run = start(&members);
        // One asset per wave, an hour each: three of the five fit in the three hours left.
        assert_eq!(run.plan.waves.len(), 3);
        assert_eq!(run.assets.len(), 3);
        assert_eq!(run.plan.groups.len(), 3);
        assert_eq!(run.plan.estimated_duration, Duration::from_hours(3));
        assert_eq!(
            run.window.as_ref().map(|w| w.window.as_str()),
            Some("midday")
        );
    }

    #[test]
    fn a_run_that_fits_is_kept_whole_and_a_too_long_one_keeps_its_first_wave() {
        let short: Vec<Member> = ["a", "b"].iter().map(|n| member(n, 1, None)).collect();
        assert_eq!(start(&short).assets.len(), 2);
        let long: Vec<Member> = ["a", "b"].iter().map(|n| member(n, 5, None)).collect();
        assert_eq!(start(&long).assets.len(), 1);
    }

    #[test]
    fn the_canary_is_the_asset_whose_profile_failed_before() {
        let members = vec![
            member("a", 1, Some(("debian", 0))),
            member("b", 1, Some(("debian", 0))),
            member("c", 1, Some(("alma", 2))),
        ];
        let run = start(&members);
        let canary = run.plan.waves.iter().find(|w| w.canary).expect("canary");
        assert_eq!(canary.assets, vec!["c".to_string()]);
        assert!(names(&run).contains(&"c"));
    }
}
