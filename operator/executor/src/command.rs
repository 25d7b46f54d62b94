//! Running one command as argv (never through a shell), asynchronously, with its output
//! captured and an optional time limit.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::error::ExecError;

/// A command as argv plus environment and working directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSpec {
    pub program: String,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub cwd: Option<PathBuf>,
    /// The program messages name when it is not `program` itself (a wrapper such as `chroot`
    /// runs the program that matters).
    pub label: Option<String>,
}

impl CommandSpec {
    pub fn new(program: impl Into<String>) -> CommandSpec {
        CommandSpec {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            cwd: None,
            label: None,
        }
    }
    pub fn arg(mut self, arg: impl Into<String>) -> CommandSpec {
        self.args.push(arg.into());
        self
    }
    pub fn args<I, S>(mut self, args: I) -> CommandSpec
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> CommandSpec {
        self.env.push((key.into(), value.into()));
        self
    }
    /// Names `program` in messages instead of the program run.
    pub fn labelled(mut self, program: impl Into<String>) -> CommandSpec {
        self.label = Some(program.into());
        self
    }
    /// How messages (errors, and from them status, Events and logs) name the command: the
    /// program alone. Arguments can carry a hook's parameters or secrets; they are withheld.
    pub fn display(&self) -> String {
        withheld(self.label.as_deref().unwrap_or(&self.program))
    }
}

/// `program`'s file name followed by "(arguments withheld)": how a command is named in messages.
pub fn withheld(program: &str) -> String {
    let name = std::path::Path::new(program)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| program.to_string());
    format!("{name} (arguments withheld)")
}

/// What a finished command produced.
#[derive(Debug, Clone)]
pub struct CommandOutput {
    /// `None` when the process was killed by a signal.
    pub exit_code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub duration: Duration,
}

impl CommandOutput {
    pub fn success(&self) -> bool {
        self.exit_code == Some(0)
    }
    pub fn status_text(&self) -> String {
        match self.exit_code {
            Some(code) => format!("exit {code}"),
            None => "killed by a signal".to_string(),
        }
    }
}

/// Runs `spec` to completion. With a `limit`, the process is killed when it runs longer.
/// Without one, the process is left to finish even if the returned future is dropped: an
/// interrupted apt run would leave the dpkg database half-configured.
pub async fn run(
    asset: &str,
    spec: &CommandSpec,
    limit: Option<Duration>,
) -> Result<CommandOutput, ExecError> {
    let started = Instant::now();
    let mut cmd = tokio::process::Command::new(&spec.program);
    cmd.args(&spec.args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("LC_ALL", "C.UTF-8")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .kill_on_drop(limit.is_some());
    for (k, v) in &spec.env {
        cmd.env(k, v);
    }
    if let Some(dir) = &spec.cwd {
        cmd.current_dir(dir);
    }
    let child = cmd.spawn().map_err(|e| spawn_error(asset, spec, e))?;
    let waited = child.wait_with_output();
    let output = match limit {
        Some(limit) => match tokio::time::timeout(limit, waited).await {
            Ok(result) => result,
            // Dropping the future kills the child (kill_on_drop).
            Err(_) => {
                return Err(ExecError::Timeout {
                    asset: asset.to_string(),
                    command: spec.display(),
                    after: limit,
                });
            }
        },
        None => waited.await,
    }
    .map_err(|e| ExecError::Spawn {
        asset: asset.to_string(),
        program: spec.program.clone(),
        source: e,
    })?;
    Ok(CommandOutput {
        exit_code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        duration: started.elapsed(),
    })
}

/// Why `spec` could not start. A program that is not installed is named with its package
/// (for a wrapper such as `chroot`, the program it runs is looked for under that name too).
fn spawn_error(asset: &str, spec: &CommandSpec, source: std::io::Error) -> ExecError {
    if source.kind() == std::io::ErrorKind::NotFound {
        return ExecError::MissingTool {
            asset: asset.to_string(),
            program: spec.program.clone(),
            package: crate::tools::package_of(&spec.program),
        };
    }
    ExecError::Spawn {
        asset: asset.to_string(),
        program: spec.program.clone(),
        source,
    }
}

/// Like [`run`], but a non-zero exit is an error carrying stderr.
pub async fn run_checked(
    asset: &str,
    spec: &CommandSpec,
    limit: Option<Duration>,
) -> Result<CommandOutput, ExecError> {
    let out = run(asset, spec, limit).await?;
    if out.success() {
        Ok(out)
    } else {
        Err(ExecError::Command {
            asset: asset.to_string(),
            command: spec.display(),
            status: out.status_text(),
            stderr: tail(&out.stderr, 8),
        })
    }
}

/// The last `n` non-empty lines of some output, joined with ` | `.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join(" | ")
}

/// Distinguishes the output files of concurrent runs in one process.
static OUTPUT_FILE_COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Runs `spec` to completion like [`run`] without a time limit, but with its output in files
/// under `output_dir` and in its own process group, so the command finishes even if this
/// process dies or the future is dropped: a package manager killed midway (by a closed pipe
/// or a terminal's Ctrl-C) would leave the dpkg database half-configured.
pub async fn run_detached(
    asset: &str,
    spec: &CommandSpec,
    output_dir: &std::path::Path,
) -> Result<CommandOutput, ExecError> {
    let started = Instant::now();
    let n = OUTPUT_FILE_COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let base = format!("patchwarden-{}-{n}", std::process::id());
    let out_path = output_dir.join(format!("{base}.stdout"));
    let err_path = output_dir.join(format!("{base}.stderr"));
    let io = |path: &std::path::Path, action: &'static str| {
        let path = path.to_path_buf();
        let asset = asset.to_string();
        move |e| ExecError::Io {
            asset,
            action,
            path,
            source: e,
        }
    };
    let stdout = std::fs::File::create(&out_path).map_err(io(&out_path, "create"))?;
    let stderr = std::fs::File::create(&err_path).map_err(io(&err_path, "create"))?;
    let mut cmd = tokio::process::Command::new(&spec.program);
    cmd.args(&spec.args)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .env("LC_ALL", "C.UTF-8")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .process_group(0)
        .kill_on_drop(false);
    for (k, v) in &spec.env {
        cmd.env(k, v);
    }
    if let Some(dir) = &spec.cwd {
        cmd.current_dir(dir);
    }
    let mut child = cmd.spawn().map_err(|e| spawn_error(asset, spec, e))?;
    let status = child.wait().await.map_err(|e| ExecError::Spawn {
        asset: asset.to_string(),
        program: spec.program.clone(),
        source: e,
    })?;
    let read = |path: &std::path::Path| {
        let bytes = std::fs::read(path).map_err(io(path, "read"))?;
        let _ = std::fs::remove_file(path);
        Ok::<_, ExecError>(String::from_utf8_lossy(&bytes).into_owned())
    };
    Ok(CommandOutput {
        exit_code: status.code(),
        stdout: read(&out_path)?,
        stderr: read(&err_path)?,
        duration: started.elapsed(),
    })
}

#[cfg(test)]
#[path = "command_tests.rs"]
mod tests;
