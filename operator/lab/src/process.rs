//! Running the Debian tools the lab is built with: argv only, output captured, failures typed.

use std::process::{Command, Output, Stdio};

use crate::error::LabError;

/// Runs `cmd` to completion with stdin closed; a non-zero exit is an error carrying stderr.
pub(crate) fn run(cmd: &mut Command) -> Result<Output, LabError> {
    let output = run_unchecked(cmd)?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(LabError::Command {
            command: describe(cmd),
            status: output.status.to_string(),
            stderr: tail(&output.stderr),
        })
    }
}

/// Runs `cmd` to completion and returns its output whatever the exit status.
pub(crate) fn run_unchecked(cmd: &mut Command) -> Result<Output, LabError> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("LC_ALL", "C.UTF-8")
        .env("DEBIAN_FRONTEND", "noninteractive");
    cmd.output().map_err(|e| LabError::Spawn {
        program: cmd.get_program().to_string_lossy().into_owned(),
        source: e,
    })
}

/// The command line for messages (display only; never executed).
pub(crate) fn describe(cmd: &Command) -> String {
    let mut parts = vec![cmd.get_program().to_string_lossy().into_owned()];
    parts.extend(cmd.get_args().map(|a| a.to_string_lossy().into_owned()));
    parts.join(" ")
}

/// The last lines of a tool's output, enough to explain a failure.
pub(crate) fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines.len().saturating_sub(8);
    lines[start..].join(" | ")
}
