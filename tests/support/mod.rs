//! The test harness of the workspace, shared by every test binary and benchmark that needs a
//! server, kubectl, a process or a Git repository:
//!
//! - [`cluster`]: the embedded control plane in-process on a loopback port the system picks
//!   ([`cluster::TestServer`]), and with the patchwarden CRDs installed ([`cluster::Cluster`]);
//! - [`kubeconfig`]: kube-rs clients and extra kubeconfigs for a server;
//! - [`kubectl`]: the real `kubectl` (`$KUBECTL`, default `kubectl`) with its own HOME and cache;
//! - [`process`]: processes killed by PID when their guard drops, also when a test panics;
//! - [`operator`]: `patchwarden operator` as a process; [`up`]: `patchwarden up` as a process;
//! - [`http`]: a raw HTTP/1.1 client for requests no typed client would send;
//! - [`wait`]: polling until something holds, with a timeout that names what was awaited;
//! - [`git`]: Git repositories made with git2, one commit per whole file set;
//! - [`namespace`]: a test re-run inside a private network, mount and PID namespace;
//! - [`debian_hosts`]: real Debian 12 system containers with sshd, and their signed archive;
//!   [`ssh_up`]: `patchwarden up` patching them over SSH, set up as a user would; [`agent`]:
//!   `patchwarden agent` inside one, with its own token;
//! - [`resources`], [`lab`], [`paths`]: resource snippets, lab host state and repository paths.

pub mod agent;
pub mod cluster;
pub mod debian_hosts;
pub mod git;
pub mod http;
pub mod kubeconfig;
pub mod kubectl;
pub mod lab;
pub mod namespace;
pub mod operator;
pub mod paths;
pub mod process;
pub mod resources;
pub mod ssh_up;
pub mod up;
pub mod wait;

/// A [`std::process::Command`] for the `patchwarden` command line built for the tests (the
/// `patchwarden-cli` target of this package). A macro, because Cargo sets
/// `CARGO_BIN_EXE_patchwarden-cli` only while it compiles a test or benchmark target.
#[macro_export]
macro_rules! patchwarden {
    () => {
        ::std::process::Command::new(env!("CARGO_BIN_EXE_patchwarden-cli"))
    };
}
