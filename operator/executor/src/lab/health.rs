//! Health checks and hooks on lab hosts. A lab host is a directory on the operator's own
//! machine, so a command taken from a policy would run as the operator, with the operator's
//! files and credentials in reach. Only programs that lie inside the host's own root are run
//! (the lab's built-in check by default); anything else is refused before a process starts.
//! The roots are chrootless (no shell, no libraries), so confining a host command with a
//! chroot into the root is not possible; the program itself is what is confined.

use std::path::{Component, Path, PathBuf};
use std::time::Instant;

use patchwarden_lab::LabHost;

use super::LabExecutor;
use crate::command::{CommandSpec, run, tail};
use crate::error::ExecError;
use crate::model::{AssetRef, HealthCheck, HealthReport};

/// Why a command may not run on a lab host; the program alone is named, never its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The command is an empty argv or starts with an empty program.
    Empty,
    /// Not an absolute path: it would be looked up on the operator's PATH.
    NotAbsolute { program: String },
    /// `..` or another component that could step out of the root.
    Escapes { program: String },
    /// Not a file inside the host's root (missing, or a link leading outside).
    NotInRoot { program: String },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const RULE: &str = "lab hosts run only programs inside their own root, named by an \
                            absolute path such as /usr/lib/patchwarden-lab/health-check";
        match self {
            Refusal::Empty => write!(f, "empty program"),
            Refusal::NotAbsolute { program } => write!(
                f,
                "`{program}` (arguments withheld) would run on the operator's machine; {RULE}"
            ),
            Refusal::Escapes { program } => write!(
                f,
                "`{program}` (arguments withheld) leaves the host's root; {RULE}"
            ),
            Refusal::NotInRoot { program } => write!(
                f,
                "`{program}` (arguments withheld) is not a file inside the host's root; {RULE}"
            ),
        }
    }
}

/// The path of `program` relative to a host root, if its form allows it to be looked up
/// there: absolute, with only normal components.
pub(crate) fn relative_program(program: &str) -> Result<PathBuf, Refusal> {
    if program.is_empty() {
        return Err(Refusal::Empty);
    }
    let path = Path::new(program);
    if !path.is_absolute() {
        return Err(Refusal::NotAbsolute {
            program: program.to_string(),
        });
    }
    let mut relative = PathBuf::new();
    for component in path.components() {
        match component {
            Component::RootDir => {}
            Component::Normal(part) => relative.push(part),
            Component::CurDir | Component::ParentDir | Component::Prefix(_) => {
                return Err(Refusal::Escapes {
                    program: program.to_string(),
                });
            }
        }
    }
    if relative.as_os_str().is_empty() {
        return Err(Refusal::NotInRoot {
            program: program.to_string(),
        });
    }
    Ok(relative)
}

/// The program inside `root` that `program` names, with links resolved: it must be a file
/// and stay inside the root.
fn program_in_root(root: &Path, program: &str) -> Result<PathBuf, Refusal> {
    let relative = relative_program(program)?;
    let not_in_root = || Refusal::NotInRoot {
        program: program.to_string(),
    };
    let root = root.canonicalize().map_err(|_| not_in_root())?;
    let resolved = root
        .join(relative)
        .canonicalize()
        .map_err(|_| not_in_root())?;
    if resolved.starts_with(&root) && resolved.is_file() {
        Ok(resolved)
    } else {
        Err(not_in_root())
    }
}

/// The argv of a check on `host`: the host's own check for an empty command, otherwise the
/// command with its program resolved inside the host's root.
fn lab_health_argv(host: &LabHost, check: &HealthCheck) -> Result<Vec<String>, Refusal> {
    let Some((program, args)) = check.command.split_first() else {
        return Ok(vec![host.health_check_program().display().to_string()]);
    };
    let inside = program_in_root(&host.root, program)?;
    Ok(std::iter::once(inside.display().to_string())
        .chain(args.iter().cloned())
        .collect())
}

impl LabExecutor {
    /// Runs a check (or hook) on a lab host; a refused command is an invalid request, a
    /// timeout an unhealthy report.
    pub(super) async fn run_health_check(
        &self,
        asset: &AssetRef,
        check: &HealthCheck,
    ) -> Result<HealthReport, ExecError> {
        let host = self.reach(asset)?;
        let _guard = self.locks.acquire(&host.name).await;
        let argv = lab_health_argv(&host, check).map_err(|refusal| ExecError::InvalidRequest {
            asset: asset.name.clone(),
            field: "health check or hook command".into(),
            reason: refusal.to_string(),
        })?;
        let mut spec = CommandSpec::new(argv[0].clone()).args(argv[1..].iter().cloned());
        for (k, v) in host.apt_env() {
            spec = spec.env(k, v.display().to_string());
        }
        spec.cwd = Some(host.root.clone());
        let started = Instant::now();
        match run(&asset.name, &spec, Some(check.timeout)).await {
            Ok(out) => Ok(HealthReport {
                asset: asset.name.clone(),
                healthy: out.success(),
                exit_code: out.exit_code,
                output: tail(&format!("{}\n{}", out.stdout, out.stderr), 12),
                duration: out.duration,
            }),
            Err(ExecError::Timeout { after, .. }) => Ok(HealthReport::timed_out(
                &asset.name,
                after,
                started.elapsed(),
            )),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absolute_programs_with_plain_components_can_be_looked_up_in_a_root() {
        assert_eq!(
            relative_program("/usr/lib/patchwarden-lab/health-check"),
            Ok(PathBuf::from("usr/lib/patchwarden-lab/health-check"))
        );
        assert_eq!(relative_program(""), Err(Refusal::Empty));
        for program in ["false", "bin/true", "./x"] {
            assert!(
                matches!(relative_program(program), Err(Refusal::NotAbsolute { .. })),
                "{program}"
            );
        }
        for program in ["/usr/../../bin/sh", "/usr/bin/..", "/.."] {
            assert!(
                matches!(relative_program(program), Err(Refusal::Escapes { .. })),
                "{program}"
            );
        }
        assert!(matches!(
            relative_program("/"),
            Err(Refusal::NotInRoot { .. })
        ));
    }

    #[test]
    fn a_program_must_be_a_file_inside_the_root_even_through_links() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        let bin = root.join("usr/bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(bin.join("check"), "#!/bin/sh\n").unwrap();
        std::fs::write(tmp.path().join("outside"), "").unwrap();
        std::os::unix::fs::symlink(tmp.path().join("outside"), bin.join("escape")).unwrap();
        std::os::unix::fs::symlink("check", bin.join("alias")).unwrap();
        let inside = program_in_root(&root, "/usr/bin/check").expect("inside");
        assert!(inside.ends_with("usr/bin/check"), "{}", inside.display());
        assert!(program_in_root(&root, "/usr/bin/alias").is_ok());
        for program in [
            "/usr/bin/escape",
            "/usr/bin/missing",
            "/usr/bin",
            "/bin/true",
        ] {
            assert_eq!(
                program_in_root(&root, program),
                Err(Refusal::NotInRoot {
                    program: program.to_string()
                }),
                "{program}"
            );
        }
    }

    #[test]
    fn a_refusal_names_the_program_but_never_its_arguments() {
        let message = Refusal::NotAbsolute {
            program: "sh".into(),
        }
        .to_string();
        assert!(
            message.starts_with("`sh` (arguments withheld)"),
            "{message}"
        );
        assert!(message.contains("operator's machine"), "{message}");
    }
}
