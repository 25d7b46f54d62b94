//! The chart ships exactly the CRDs `patchwarden crds` generates.

use std::collections::BTreeSet;

use support::paths::repo_path;

#[test]
fn chart_crds_are_the_generated_crds() {
    let generated = patchwarden_api::crds::files().expect("CRDs render as YAML");
    let dir = repo_path("charts/patchwarden/crds");
    for (name, text) in &generated {
        let shipped = std::fs::read_to_string(dir.join(name))
            .unwrap_or_else(|e| panic!("charts/patchwarden/crds/{name}: {e}"));
        assert!(
            shipped == *text,
            "charts/patchwarden/crds/{name} differs from the generated CRD; run \
             `cargo run -p patchwarden -- crds --dir charts/patchwarden/crds`"
        );
    }
    let expected: BTreeSet<String> = generated.into_iter().map(|(name, _)| name).collect();
    let present: BTreeSet<String> = std::fs::read_dir(&dir)
        .expect("charts/patchwarden/crds exists")
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(present, expected, "files in the chart's crds/");
}
