//! Finding and reading the YAML files under the paths given on the command line.

use std::path::{Path, PathBuf};

/// A path that cannot be validated at all (a usage error).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The path does not exist.
    #[error("{path}: no such file or directory")]
    NotFound { path: PathBuf },
    /// The path cannot be read.
    #[error("{path}: {source}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Why one file found under the paths cannot be read. It is reported as a diagnostic of that
/// file, so that the other files are still validated.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReadError {
    /// Reading the file failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// Walking a directory failed at this entry (no permission, a loop of links).
    #[error(transparent)]
    Walk(#[from] walkdir::Error),
}

/// One file found under the paths: its name for messages and its bytes, or why it could not be
/// read.
pub(crate) struct LoadedFile {
    pub name: String,
    pub content: Result<Vec<u8>, ReadError>,
}

fn is_yaml(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

fn display(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// The files under `paths`: files as given (whatever their extension), directories walked
/// recursively for `*.yaml`/`*.yml` in name order, hidden entries skipped.
pub(crate) fn load(paths: &[PathBuf]) -> Result<Vec<LoadedFile>, LoadError> {
    let mut files = Vec::new();
    // A file reached twice (overlapping arguments) is read once.
    let mut seen = std::collections::HashSet::new();
    let mut first_time = |path: &Path| {
        seen.insert(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
    };
    for path in paths {
        let metadata = std::fs::metadata(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                LoadError::NotFound { path: path.clone() }
            } else {
                LoadError::Unreadable {
                    path: path.clone(),
                    source,
                }
            }
        })?;
        if metadata.is_dir() {
            let walker = walkdir::WalkDir::new(path)
                .sort_by_file_name()
                .into_iter()
                .filter_entry(|e| {
                    e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.')
                });
            for entry in walker {
                match entry {
                    Ok(entry)
                        if entry.file_type().is_file()
                            && is_yaml(entry.path())
                            && first_time(entry.path()) =>
                    {
                        files.push(LoadedFile {
                            name: display(entry.path()),
                            content: std::fs::read(entry.path()).map_err(ReadError::from),
                        });
                    }
                    Ok(_) => {}
                    Err(error) => files.push(LoadedFile {
                        name: error.path().map(display).unwrap_or_else(|| display(path)),
                        content: Err(ReadError::from(error)),
                    }),
                }
            }
        } else if first_time(path) {
            files.push(LoadedFile {
                name: display(path),
                content: std::fs::read(path).map_err(ReadError::from),
            });
        }
    }
    Ok(files)
}
