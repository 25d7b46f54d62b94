//! Reboots: what an executor is asked for (the command, how long the asset may take to come
//! back, the boot id recorded before a reboot that may already have been issued) and what it
//! reports (the boot ids before and after, whether it issued the command, how long it took).
//!
//! A reboot is proven by the boot id (`/proc/sys/kernel/random/boot_id`), which the kernel
//! draws anew at every boot: the asset answering again is not enough.

use std::time::Duration;

use crate::error::ExecError;

/// The command a reboot runs when none is configured.
pub const DEFAULT_REBOOT_COMMAND: [&str; 2] = ["systemctl", "reboot"];

/// One reboot of one asset.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RebootRequest {
    /// The reboot command (argv), run like any other command (through sudo where configured).
    pub command: Vec<String>,
    /// How long the asset may take to answer again with a new boot id.
    pub timeout: Duration,
    /// How often reachability is tried while the asset is down.
    pub poll_interval: Duration,
    /// The boot id recorded before this reboot was first asked for. When it is set and the
    /// asset's current boot id differs, the reboot already happened (before a restart of the
    /// caller) and is not issued again.
    pub boot_id_before: Option<String>,
}

impl RebootRequest {
    /// A request with the default command and poll interval.
    pub fn new(timeout: Duration) -> RebootRequest {
        RebootRequest {
            command: DEFAULT_REBOOT_COMMAND.map(String::from).to_vec(),
            timeout,
            poll_interval: Duration::from_secs(5),
            boot_id_before: None,
        }
    }

    /// Refuses an empty command or an empty argument, naming the asset.
    pub fn validate(&self, asset: &str) -> Result<(), ExecError> {
        let invalid = |reason: &str| ExecError::InvalidRequest {
            asset: asset.to_string(),
            field: "reboot command".to_string(),
            reason: reason.to_string(),
        };
        if self.command.is_empty() {
            return Err(invalid("empty"));
        }
        if self.command.iter().any(|a| a.is_empty()) {
            return Err(invalid("has an empty argument"));
        }
        Ok(())
    }
}

/// What a reboot did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RebootReport {
    pub asset: String,
    /// The boot id before the reboot.
    pub boot_id_before: String,
    /// The boot id the asset answered with afterwards (differs from `boot_id_before`).
    pub boot_id_after: String,
    /// Whether this call ran the reboot command; false when the asset had already rebooted.
    pub issued: bool,
    /// From the call until the asset answered with a new boot id.
    pub duration: Duration,
}

/// A boot id as read from the kernel's file: one line, a UUID-shaped token.
pub fn parse_boot_id(asset: &str, text: &str) -> Result<String, ExecError> {
    let id = text.trim();
    let shaped =
        !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    if shaped {
        Ok(id.to_string())
    } else {
        Err(ExecError::InvalidRequest {
            asset: asset.to_string(),
            field: "boot id".to_string(),
            reason: format!(
                "not a boot id: {:?}",
                text.chars().take(80).collect::<String>()
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_request_runs_systemctl_reboot_and_validates() {
        let request = RebootRequest::new(Duration::from_secs(600));
        assert_eq!(request.command, ["systemctl", "reboot"]);
        assert!(request.validate("web-1").is_ok());
    }

    #[test]
    fn empty_commands_and_arguments_are_refused_naming_the_asset() {
        let mut request = RebootRequest::new(Duration::from_secs(1));
        request.command.clear();
        let error = request.validate("web-1").expect_err("empty").to_string();
        assert_eq!(error, "web-1: invalid reboot command: empty");
        request.command = vec!["shutdown".into(), String::new()];
        let error = request
            .validate("web-1")
            .expect_err("empty arg")
            .to_string();
        assert_eq!(
            error,
            "web-1: invalid reboot command: has an empty argument"
        );
    }

    #[test]
    fn boot_ids_are_trimmed_and_garbage_is_refused() {
        let id = "0b5c5d3e-2f0a-4c8e-9a51-6f1e2d3c4b5a";
        assert_eq!(
            parse_boot_id("a", &format!("{id}\n")).ok().as_deref(),
            Some(id)
        );
        assert!(parse_boot_id("a", "").is_err());
        assert!(parse_boot_id("a", "cat: no such file").is_err());
    }
}
