//! Canary choice: the canary wave covers the distinct asset profiles (OS and package set) of
//! the run before any asset is picked twice for a profile, and profiles that failed before
//! come first, so that a failure shows up on a canary rather than in a later wave.

use std::collections::BTreeMap;

/// What the canary choice knows of one asset.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CanaryHint {
    /// Its profile (OS and package set); assets without a hint share the empty profile.
    pub profile: String,
    /// How often assets of this profile failed before (from the outcome statistics).
    pub past_failures: u32,
}

/// Picks `count` canaries among `ordered` (in rollout order) and returns their positions, in
/// rollout order. Profiles are visited by past failures (most first), then by their first
/// position; each visit takes the profile's next asset in rollout order, round after round.
/// Without hints this is the first `count` assets, as before profiles were known.
pub fn choose(ordered: &[Option<&CanaryHint>], count: usize) -> Vec<usize> {
    let empty = CanaryHint::default();
    let mut queues: BTreeMap<&str, (u32, Vec<usize>)> = BTreeMap::new();
    for (position, hint) in ordered.iter().enumerate() {
        let hint = hint.unwrap_or(&empty);
        let entry = queues.entry(hint.profile.as_str()).or_default();
        entry.0 = entry.0.max(hint.past_failures);
        entry.1.push(position);
    }
    let mut profiles: Vec<(u32, Vec<usize>)> = queues.into_values().collect();
    profiles.sort_by(|(fa, a), (fb, b)| fb.cmp(fa).then(a.first().cmp(&b.first())));
    let count = count.min(ordered.len());
    let mut chosen = Vec::with_capacity(count);
    let mut round = 0;
    while chosen.len() < count {
        for (_, positions) in &profiles {
            if chosen.len() == count {
                break;
            }
            if let Some(position) = positions.get(round) {
                chosen.push(*position);
            }
        }
        round += 1;
    }
    chosen.sort_unstable();
    chosen
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;

    fn hint(profile: &str, past_failures: u32) -> CanaryHint {
        CanaryHint {
            profile: profile.to_string(),
            past_failures,
        }
    }

    #[test]
    fn without_hints_the_first_assets_are_the_canaries() {
        assert_eq!(choose(&[None, None, None, None], 2), vec![0, 1]);
    }

    #[test]
    fn profiles_that_failed_before_come_first() {
        let (a, b, c) = (hint("debian", 0), hint("alma", 3), hint("ubuntu", 1));
        let ordered = [Some(&a), Some(&a), Some(&c), Some(&b)];
        assert_eq!(choose(&ordered, 1), vec![3]);
        assert_eq!(choose(&ordered, 2), vec![2, 3]);
        assert_eq!(choose(&ordered, 3), vec![0, 2, 3]);
        assert_eq!(choose(&ordered, 9), vec![0, 1, 2, 3]);
    }

    proptest! {
        #[test]
        fn every_profile_gets_a_canary_when_there_are_enough(
            profiles in proptest::collection::vec((0u8..6, 0u32..3), 1..40),
            extra in 0usize..5,
        ) {
            let hints: Vec<CanaryHint> = profiles
                .iter()
                .map(|(p, f)| hint(&format!("p{p}"), *f))
                .collect();
            let ordered: Vec<Option<&CanaryHint>> = hints.iter().map(Some).collect();
            let distinct: BTreeSet<&str> = hints.iter().map(|h| h.profile.as_str()).collect();
            let count = distinct.len() + extra;
            let chosen = choose(&ordered, count);
            prop_assert_eq!(chosen.len(), count.min(hints.len()));
            let covered: BTreeSet<&str> =
                chosen.iter().map(|&i| hints[i].profile.as_str()).collect();
            prop_assert_eq!(covered, distinct);
            prop_assert!(chosen.windows(2).all(|w| w[0] < w[1]));
        }
    }
}
