//! The chart ships exactly the committed `crds/` (which the workspace tests hold to what
//! `patchwarden crds` generates from the API types).

use std::collections::BTreeMap;
use std::path::Path;

use support::paths::repo_path;

/// Every file of a directory, by name.
fn files(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| entry.ok())
        .map(|entry| {
            let text = std::fs::read_to_string(entry.path()).expect("a readable CRD file");
            (entry.file_name().to_string_lossy().into_owned(), text)
        })
        .collect()
}

#[test]
fn chart_crds_are_the_committed_crds() {
    let committed = files(&repo_path("crds"));
    let shipped = files(&repo_path("charts/patchwarden/crds"));
    assert_eq!(committed.len(), 6, "{:?}", committed.keys());
    let names = |files: &BTreeMap<String, String>| files.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&shipped),
        names(&committed),
        "files in the chart's crds/"
    );
    for (name, text) in &committed {
        assert!(
            shipped[name] == *text,
            "charts/patchwarden/crds/{name} differs from crds/{name}; after \
             `cargo run -p patchwarden -- crds`, also run \
             `cargo run -p patchwarden -- crds --dir charts/patchwarden/crds`"
        );
    }
}
