//! The held-back updates of a policy's members in one line for people: how many are held
//! back, and the one that is approvable soonest (or else the first), with its reason — for a
//! delay, the date it will be approved.

use super::Verdict;
use crate::approval::HoldReason;

/// "N updates held back on M assets; ASSET: PACKAGE FROM -> TO held back: REASON", or `None`
/// when nothing is held back. The example is the delayed update approvable soonest, else the
/// first held-back update in member order.
pub fn held_back_note(verdicts: &[Verdict]) -> Option<String> {
    let held = || {
        verdicts
            .iter()
            .flat_map(|v| v.held_back.iter().map(move |h| (v.name.as_str(), h)))
    };
    let (asset, example) = held()
        .filter_map(|(asset, h)| match &h.reason {
            HoldReason::TooRecent { approvable_at, .. } => Some((*approvable_at, asset, h)),
            _ => None,
        })
        .min_by_key(|(at, _, _)| *at)
        .map(|(_, asset, h)| (asset, h))
        .or_else(|| held().next())?;
    let updates = held().count();
    let assets = verdicts.iter().filter(|v| !v.held_back.is_empty()).count();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    Some(format!(
        "{} held back on {}; {asset}: {example}",
        plural(updates, "update"),
        plural(assets, "asset"),
    ))
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeDelta, Utc};

    use super::*;
    use crate::approval::{HeldBack, UpgradeCandidate};
    use crate::{Duration, Severity};
    use std::sync::Arc;

    fn held(package: &str, reason: HoldReason) -> HeldBack {
        HeldBack {
            candidate: Arc::new(UpgradeCandidate {
                package: package.into(),
                source_package: None,
                installed_version: "1.0-1".into(),
                candidate_version: "1.0-2".into(),
                severity: Severity::High,
                published: None,
                known_exploited: false,
                cve_ids: vec![],
                security: true,
            }),
            reason,
        }
    }

    fn verdict(name: &str, held_back: Vec<HeldBack>) -> Verdict {
        Verdict {
            name: name.into(),
            group: "g".into(),
            approved: vec![],
            held_back,
            failing: false,
        }
    }

    #[test]
    fn names_the_delayed_update_approvable_soonest_with_its_date() {
        let published = DateTime::parse_from_rfc3339("2026-12-06T00:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .expect("instant");
        let too_recent = |days: i64| HoldReason::TooRecent {
            published,
            approve_after: Duration::from_secs(7 * 86_400),
            approvable_at: published + TimeDelta::days(days),
        };
        let verdicts = [
            verdict("a", vec![held("curl", HoldReason::NotSecurity)]),
            verdict(
                "b",
                vec![
                    held("libssl3", too_recent(9)),
                    held("zlib1g", too_recent(7)),
                ],
            ),
            verdict("c", vec![]),
        ];
        assert_eq!(
            held_back_note(&verdicts).as_deref(),
            Some(
                "3 updates held back on 2 assets; b: zlib1g 1.0-1 -> 1.0-2 held back: advisory published 2026-12-06 00:00 UTC is younger than approveAfter 1w; approvable from 2026-12-13 00:00 UTC"
            )
        );
        assert_eq!(
            held_back_note(&verdicts[..1]).as_deref(),
            Some(
                "1 update held back on 1 asset; a: curl 1.0-1 -> 1.0-2 held back: not a security update, and the policy approves security updates only"
            )
        );
        assert_eq!(held_back_note(&verdicts[2..]), None);
    }
}
