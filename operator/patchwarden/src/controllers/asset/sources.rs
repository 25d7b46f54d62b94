//! The host's own package sources in an asset's assessment: for each upgrade, what the
//! sources offer (apt's candidate and where it comes from) and whether that reaches the
//! advisory's fixed version (`core::host_supply`). A fix the sources do not offer yet is shown
//! with its reason, counted in the findings summary and is no patch target; one they do offer
//! is installed at the host's candidate.
//!
//! Assessment only reads the package lists; it does not refresh them (`apt-get update` needs
//! root and changes the host, and assessments repeat every few minutes): they are as fresh as
//! the host's own apt timers or the last patch, whose change refreshes them when configured
//! to. A PatchRun records the release date of the lists it installed from.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use patchwarden_core::ecosystem::Ecosystem;
use patchwarden_core::host_supply::HostSupply;
use patchwarden_core::version::VersionScheme;
use patchwarden_executor::{AssetRef, Executor, HostSources, PackageSource};

use crate::controllers::assessment::{Assessments, AssetAssessment};
use crate::controllers::assessment_inputs::Completion;

/// What the host's sources offer for one package.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct HostOffer {
    pub package: String,
    /// apt's candidate; none when no source offers the package.
    pub candidate: Option<String>,
    /// `URI suite[/component]` of the candidate.
    pub origin: Option<String>,
}

/// The offers for the packages a host was asked about, sorted by package; one apt does not
/// know has an offer without a candidate. Hosts of one image are offered the same versions
/// from the same places, so each offer is shared (see `Assessments::share_offers`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostOffers(Box<[Arc<HostOffer>]>);

impl HostOffers {
    /// Sorted by package, the first offer of each package kept.
    pub fn new(mut offers: Vec<Arc<HostOffer>>) -> HostOffers {
        offers.sort_by(|a, b| a.package.cmp(&b.package));
        offers.dedup_by(|a, b| a.package == b.package);
        HostOffers(offers.into_boxed_slice())
    }

    /// The offer for `package`, if the host was asked about it.
    pub fn get(&self, package: &str) -> Option<&HostOffer> {
        let at = self
            .0
            .binary_search_by(|o| o.package.as_str().cmp(package))
            .ok()?;
        Some(&self.0[at])
    }
}

/// What the sources offer for each of `asked`; packages apt does not know have no candidate.
pub fn offers(asked: &[String], sources: &HostSources) -> Vec<HostOffer> {
    let by_package: BTreeMap<&str, &PackageSource> = sources
        .packages
        .iter()
        .map(|p| (p.package.as_str(), p))
        .collect();
    asked
        .iter()
        .map(|package| {
            let source = by_package.get(package.as_str());
            let origin = source.and_then(|p| p.origin.as_ref()).map(|o| {
                let suite = o
                    .component
                    .as_ref()
                    .map_or(o.dist.clone(), |c| format!("{}/{c}", o.dist));
                format!("{} {suite}", o.uri)
            });
            HostOffer {
                package: package.clone(),
                candidate: source.and_then(|p| p.candidate.clone()),
                origin,
            }
        })
        .collect()
}

/// The assessment with each upgrade's host candidate, origin and availability, and the count
/// of findings whose fix is not available yet. Recomputed from the fixed versions, so applying
/// it again with newer offers replaces the old ones.
pub fn apply(
    assessed: &AssetAssessment,
    scheme: VersionScheme,
    offers: &HostOffers,
) -> AssetAssessment {
    let mut out = assessed.clone();
    let mut not_available: BTreeSet<&str> = BTreeSet::new();
    for upgrade in &mut out.upgrades {
        let upgrade = Arc::make_mut(upgrade);
        let offer = offers.get(&upgrade.package);
        let candidate = offer.and_then(|o| o.candidate.clone());
        let supply = HostSupply::decide(scheme, &upgrade.fixed_version, candidate.as_deref());
        upgrade.not_available_reason = supply.reason(&upgrade.fixed_version);
        upgrade.host_candidate_version = candidate;
        upgrade.host_origin = offer.and_then(|o| o.origin.clone());
    }
    for upgrade in out.upgrades.iter().filter(|u| !u.is_patch_target()) {
        if upgrade.fixes.is_empty() {
            not_available.insert(&upgrade.package);
        }
        not_available.extend(upgrade.fixes.iter().map(|f| f.id.as_str()));
    }
    out.summary.fix_not_yet_available = u32::try_from(not_available.len()).unwrap_or(u32::MAX);
    out
}

/// The version order of an ecosystem whose hosts apt manages; `None` for the others, whose
/// sources are not read.
pub fn apt_scheme(ecosystem: Option<&str>) -> Option<VersionScheme> {
    let scheme = Ecosystem::new(ecosystem?).scheme()?;
    (scheme == VersionScheme::Dpkg).then_some(scheme)
}

/// Applies the host's sources to a fresh assessment (when apt manages the host and they can
/// be read) and stores it for policies.
pub async fn complete(
    assessments: &Assessments,
    key: &str,
    ecosystem: Option<&str>,
    executor: &dyn Executor,
    target: &AssetRef,
    assessed: &AssetAssessment,
) -> Arc<AssetAssessment> {
    let with_sources = match apt_scheme(ecosystem) {
        Some(scheme) => read(executor, target, assessed)
            .await
            .map(|(asked, sources)| {
                let offers = assessments.share_offers(offers(&asked, &sources));
                let completed = apply(assessed, scheme, &offers);
                assessments.complete_with(key, &assessed.basis, completion(scheme, offers));
                completed
            }),
        None => None,
    };
    assessments.store(key, with_sources.unwrap_or_else(|| assessed.clone()))
}

/// Applies these offers to a re-assessment of the same inventory when they cover its
/// upgrades (a package that was no upgrade before was not asked about).
fn completion(scheme: VersionScheme, offers: HostOffers) -> Completion {
    Arc::new(move |fresh: &AssetAssessment| {
        let covered = fresh
            .upgrades
            .iter()
            .all(|u| offers.get(&u.package).is_some());
        covered.then(|| apply(fresh, scheme, &offers))
    })
}

/// Reads the host's sources for the packages of the assessment's upgrades: the packages asked
/// about and the answer. `None` (and a warning) when they cannot be read, so the assessment
/// keeps the advisories' fixed versions.
pub async fn read(
    executor: &dyn Executor,
    target: &AssetRef,
    assessed: &AssetAssessment,
) -> Option<(Vec<String>, HostSources)> {
    let packages: Vec<String> = assessed
        .upgrades
        .iter()
        .map(|u| u.package.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if packages.is_empty() {
        return None;
    }
    match executor.package_sources(target, &packages).await {
        Ok(sources) => Some((packages, sources)),
        Err(error) => {
            tracing::warn!(asset = %target.name, %error, "cannot read the host's package sources");
            None
        }
    }
}

#[cfg(test)]
#[path = "sources_tests.rs"]
mod tests;
