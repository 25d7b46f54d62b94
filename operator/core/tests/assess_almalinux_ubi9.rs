//! The UBI 9 image's real rpm-manifest assessed against the complete AlmaLinux 9 OSV
//! advisories. rpm's own `labelCompare` confirms every decision in both directions: each
//! reported advisory has installed < fixed, and each advisory for an installed package that
//! is not reported has installed >= fixed.

mod assess_support;

use std::collections::HashSet;

use assess_support::{read_data, rpm_label_compare};
use patchwarden_core::advisory::RangeEvent;
use patchwarden_core::ecosystem::Ecosystem;
use patchwarden_core::feed::osv;
use patchwarden_core::finding::AssetContext;
use patchwarden_core::index::{AdvisoryIndex, FeedSet};
use patchwarden_core::inventory::{Inventory, InventoryFormat};
use patchwarden_core::risk::{Criticality, Exposure};

#[test]
fn ubi9_findings_are_confirmed_by_rpm() {
    let advisories = osv::parse_document(&read_data("osv/almalinux-osv-2026-08-21.jsonl.gz"))
        .expect("AlmaLinux OSV parses");
    assert_eq!(advisories.len(), 5680);
    let index = AdvisoryIndex::build(FeedSet {
        advisories,
        ..FeedSet::default()
    });
    let manifest = read_data("inventories/ubi9-amd64-rpm-manifest-2022-05-03.json.gz");
    assert_eq!(
        InventoryFormat::detect(&manifest),
        Some(InventoryFormat::RpmManifest)
    );
    let inventory = Inventory::parse(InventoryFormat::RpmManifest, &manifest).expect("manifest");
    assert_eq!(inventory.len(), 181);
    let context = AssetContext {
        name: "ubi9".into(),
        ecosystem: Ecosystem::new("AlmaLinux:9"),
        criticality: Criticality::Medium,
        exposure: Exposure::Internet,
    };
    let assessment = index.assess(&inventory, &context);
    assert!(
        assessment.findings.len() > 50,
        "a 2022 image has many fixes pending: {}",
        assessment.findings.len()
    );

    let reported: HashSet<(String, String)> = assessment
        .findings
        .iter()
        .flat_map(|f| {
            f.matched
                .advisories
                .iter()
                .map(move |a| (f.matched.package.clone(), a.id.clone()))
        })
        .collect();
    // Every (installed, fixed) decision the index could make for this inventory.
    let mut pairs = Vec::new();
    let mut expect_vulnerable = Vec::new();
    for package in &inventory.packages {
        for advisory in index.advisories() {
            for affected in &advisory.affected {
                if affected.ecosystem != context.ecosystem || affected.package != *package.name {
                    continue;
                }
                for range in &affected.ranges {
                    for event in &range.events {
                        if let RangeEvent::Fixed(fixed) = event {
                            pairs.push((package.version.to_string(), fixed.clone()));
                            expect_vulnerable.push(
                                reported.contains(&(package.name.to_string(), advisory.id.clone())),
                            );
                        }
                    }
                }
            }
        }
    }
    assert!(pairs.len() >= reported.len());
    let verdicts = rpm_label_compare(&pairs);
    let mut wrong = Vec::new();
    for (((installed, fixed), vulnerable), verdict) in
        pairs.iter().zip(&expect_vulnerable).zip(&verdicts)
    {
        if *vulnerable != (*verdict < 0) {
            wrong.push(format!(
                "installed {installed} fixed {fixed}: rpm says {verdict}, we reported {vulnerable}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} disagreements with rpm:\n{}",
        wrong.len(),
        wrong[..wrong.len().min(20)].join("\n")
    );
    for finding in &assessment.findings {
        let fixed = finding
            .matched
            .fixed_version
            .as_deref()
            .expect("AlmaLinux advisories all have a fix");
        assert!(
            patchwarden_core::version::VersionScheme::Rpm
                .compare(&finding.matched.installed_version, fixed)
                .is_lt()
        );
    }
    assert!(assessment.summary.kev == 0, "no KEV catalog loaded");

    // The same image with every finding's package at its fixed version has no findings left.
    let mut patched = inventory.clone();
    for package in &mut patched.packages {
        if let Some(finding) = assessment
            .findings
            .iter()
            .find(|f| f.matched.package == *package.name)
        {
            let mut updated = (**package).clone();
            updated.version = finding
                .matched
                .fixed_version
                .as_deref()
                .expect("fix")
                .into();
            *package = std::sync::Arc::new(updated);
        }
    }
    let after = index.assess(&patched, &context);
    assert!(
        after.findings.is_empty(),
        "left after patching: {:?}",
        after
            .findings
            .iter()
            .map(|f| &f.matched.package)
            .collect::<Vec<_>>()
    );
}
