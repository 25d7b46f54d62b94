//! Copying and removing the directory trees of host roots. A host starts as a copy of the
//! image root, like a machine provisioned from a golden image.

use std::fs;
use std::path::Path;

use crate::error::LabError;
use crate::host::create_dir;

/// Copies an image root to `target` (through a temporary name, so a half copy is never taken
/// for a host). apt's binary caches are left out: apt rebuilds them for the new root.
pub(super) fn clone_root(image: &Path, target: &Path) -> Result<(), LabError> {
    let partial = target.with_extension("partial");
    remove_tree(&partial)?;
    copy_tree(image, &partial)?;
    fs::rename(&partial, target).map_err(|e| LabError::Io {
        path: target.to_path_buf(),
        action: "rename into place",
        source: e,
    })
}

/// Removes `path` and everything below it, if it exists.
pub(super) fn remove_tree(path: &Path) -> Result<(), LabError> {
    if path.exists() {
        fs::remove_dir_all(path).map_err(|e| LabError::Io {
            path: path.to_path_buf(),
            action: "remove",
            source: e,
        })?;
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), LabError> {
    let io = |path: &Path, action: &'static str| {
        let path = path.to_path_buf();
        move |e| LabError::Io {
            path,
            action,
            source: e,
        }
    };
    create_dir(to)?;
    for entry in fs::read_dir(from).map_err(io(from, "list"))? {
        let entry = entry.map_err(io(from, "list"))?;
        let source = entry.path();
        let dest = to.join(entry.file_name());
        let kind = entry.file_type().map_err(io(&source, "inspect"))?;
        if kind.is_dir() {
            copy_tree(&source, &dest)?;
        } else if kind.is_symlink() {
            let link = fs::read_link(&source).map_err(io(&source, "read link"))?;
            std::os::unix::fs::symlink(&link, &dest).map_err(io(&dest, "create link"))?;
        } else if source.extension().is_some_and(|e| e == "bin")
            && source
                .parent()
                .is_some_and(|p| p.ends_with("var/cache/apt"))
        {
            continue;
        } else {
            fs::copy(&source, &dest).map_err(io(&source, "copy"))?;
        }
    }
    Ok(())
}
