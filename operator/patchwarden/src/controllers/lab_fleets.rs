//! The lab fleets the controllers act on: one lab directory per AssetGroup that declares
//! `spec.lab`, under the operator's lab root (`<root>/<namespace>/<group>`), and the
//! `LabExecutor` of each.
//!
//! A lab host's Asset is named `<prefix>-<index>` (the group's naming); its `spec.address` is
//! the lab's own host name (`lab-01`, …), which is what the executor acts on.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use patchwarden_api::asset_group::{LabFaultKind, LabFleet};
use patchwarden_executor::LabExecutor;
use patchwarden_lab::{Fault, FaultKind, Lab, LabDelta, LabSpec};

/// Errors of making or opening a lab fleet.
#[derive(Debug, thiserror::Error)]
pub enum LabFleetError {
    /// The operator runs without `--lab-root`.
    #[error(
        "AssetGroup {namespace}/{group} declares a lab fleet, but the operator runs without a lab root (--lab-root)"
    )]
    NoLabRoot { namespace: String, group: String },
    /// A fault names a host outside the fleet.
    #[error("spec.lab.faults[{index}].hosts: {host:?} is not one of the fleet's hosts ({known})")]
    UnknownFaultHost {
        index: usize,
        host: String,
        known: String,
    },
    /// A package fault without a package.
    #[error("spec.lab.faults[{index}].package is required for {kind:?}")]
    MissingFaultPackage { index: usize, kind: LabFaultKind },
    /// The lab could not be created or opened.
    #[error("lab fleet {dir}: {source}")]
    Lab {
        dir: PathBuf,
        #[source]
        source: patchwarden_lab::LabError,
    },
    /// The blocking task creating the lab failed.
    #[error("lab fleet {dir}: creation task failed: {message}")]
    Task { dir: PathBuf, message: String },
}

impl LabFleetError {
    /// Whether a change to the spec is needed (terminal) rather than a retry.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            LabFleetError::NoLabRoot { .. }
                | LabFleetError::UnknownFaultHost { .. }
                | LabFleetError::MissingFaultPackage { .. }
        )
    }
}

/// A created lab fleet: its executor and, in order, the lab host name of each member index.
#[derive(Clone)]
pub struct Fleet {
    /// The executor acting on the fleet's hosts.
    pub executor: Arc<LabExecutor>,
    /// Lab host names, by member index.
    pub hosts: Vec<String>,
}

/// Every lab fleet of this operator.
pub struct LabFleets {
    root: Option<PathBuf>,
    fleets: Mutex<HashMap<(String, String), Fleet>>,
    /// Told of each lab made ready, so that what reads the lab's files (a feed the lab
    /// writes) looks again at once rather than after its retry backoff.
    ready: tokio::sync::broadcast::Sender<()>,
}

impl LabFleets {
    /// Fleets under `root`; `None` disables lab assets.
    pub fn new(root: Option<PathBuf>) -> Self {
        Self {
            root,
            fleets: Mutex::new(HashMap::new()),
            ready: tokio::sync::broadcast::channel(16).0,
        }
    }

    /// Tells of every lab this process makes ready (created, completed or reused by
    /// `ensure`) from now on.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<()> {
        self.ready.subscribe()
    }

    /// The directory of a group's lab.
    pub fn dir(&self, namespace: &str, group: &str) -> Option<PathBuf> {
        self.root
            .as_ref()
            .map(|root| root.join(namespace).join(group))
    }

    fn cached(&self, namespace: &str, group: &str) -> Option<Fleet> {
        self.fleets
            .lock()
            .ok()
            .and_then(|m| m.get(&(namespace.to_string(), group.to_string())).cloned())
    }

    fn remember(&self, namespace: &str, group: &str, fleet: Fleet) {
        if let Ok(mut map) = self.fleets.lock() {
            map.insert((namespace.to_string(), group.to_string()), fleet);
        }
    }

    /// Creates (or completes, or reuses) the lab a group declares. Creation builds packages
    /// with `dpkg-deb` and runs dpkg, so it runs on a blocking thread.
    pub async fn ensure(
        &self,
        namespace: &str,
        group: &str,
        fleet: &LabFleet,
    ) -> Result<Fleet, LabFleetError> {
        let dir = self
            .dir(namespace, group)
            .ok_or_else(|| LabFleetError::NoLabRoot {
                namespace: namespace.to_string(),
                group: group.to_string(),
            })?;
        let spec = lab_spec(group, fleet)?;
        let target = dir.clone();
        let wanted = spec.clone();
        let created = tokio::task::spawn_blocking(move || -> Result<Lab, LabFleetError> {
            let lab_error = |source| LabFleetError::Lab {
                dir: target.clone(),
                source,
            };
            let delta = LabDelta::embedded().map_err(lab_error)?;
            if let Ok(existing) = Lab::open(&target)
                && existing.host_names().len() == spec.hosts
                && same_faults(existing.faults(), &spec.faults)
            {
                return Ok(existing);
            }
            Lab::create(&target, &delta, &spec)
                .map(|(lab, _)| lab)
                .map_err(lab_error)
        })
        .await
        .map_err(|e| LabFleetError::Task {
            dir: dir.clone(),
            message: e.to_string(),
        })??;
        sync_unreachable(&created, &wanted).map_err(|source| LabFleetError::Lab {
            dir: dir.clone(),
            source,
        })?;
        let hosts = created.host_names().to_vec();
        let fleet = Fleet {
            executor: Arc::new(LabExecutor::new(created)),
            hosts,
        };
        let first = self.cached(namespace, group).is_none();
        self.remember(namespace, group, fleet.clone());
        if first {
            // Nobody listening is fine: nothing reads lab files yet.
            let _ = self.ready.send(());
        }
        Ok(fleet)
    }

    /// The lab of a group created earlier (e.g. by a previous operator process).
    pub fn open(&self, namespace: &str, group: &str) -> Result<Fleet, LabFleetError> {
        if let Some(fleet) = self.cached(namespace, group) {
            return Ok(fleet);
        }
        let dir = self
            .dir(namespace, group)
            .ok_or_else(|| LabFleetError::NoLabRoot {
                namespace: namespace.to_string(),
                group: group.to_string(),
            })?;
        let lab = Lab::open(&dir).map_err(|source| LabFleetError::Lab {
            dir: dir.clone(),
            source,
        })?;
        let fleet = Fleet {
            hosts: lab.host_names().to_vec(),
            executor: Arc::new(LabExecutor::new(lab)),
        };
        self.remember(namespace, group, fleet.clone());
        Ok(fleet)
    }

    /// The root directory, if any.
    pub fn root(&self) -> Option<&Path> {
        self.root.as_deref()
    }
}

fn same_faults(existing: &[Fault], wanted: &[Fault]) -> bool {
    let mut a = existing.to_vec();
    let mut b = wanted.to_vec();
    a.sort();
    b.sort();
    a == b
}

/// Marks the hosts the spec calls unreachable, and clears the others.
fn sync_unreachable(lab: &Lab, spec: &LabSpec) -> Result<(), patchwarden_lab::LabError> {
    for host in lab.host_names() {
        let wanted = spec.unreachable.contains(host);
        if lab.unreachable_marker(host).exists() != wanted {
            lab.set_unreachable(host, wanted)?;
        }
    }
    Ok(())
}

/// The lab's spec for a group's fleet: fault hosts named `<prefix>-<index>` become the lab's
/// host names.
fn lab_spec(group: &str, fleet: &LabFleet) -> Result<LabSpec, LabFleetError> {
    let hosts = usize::try_from(fleet.hosts).unwrap_or(usize::MAX);
    let mut spec = LabSpec::new(hosts);
    let members = fleet.host_names(group);
    for (index, fault) in fleet.faults.iter().enumerate() {
        for host in &fault.hosts {
            let position = members.iter().position(|m| m == host).ok_or_else(|| {
                LabFleetError::UnknownFaultHost {
                    index,
                    host: host.clone(),
                    known: members.join(", "),
                }
            })?;
            let lab_host = patchwarden_lab::fleet::host_name(position + 1);
            let kind = match fault.kind {
                LabFaultKind::Unreachable => {
                    spec.unreachable.push(lab_host);
                    continue;
                }
                LabFaultKind::PostinstFails => FaultKind::PostinstFail,
                LabFaultKind::HealthCheckFails => FaultKind::HealthBreak,
                LabFaultKind::RequiresReboot => FaultKind::RebootRequired,
            };
            let package = fault
                .package
                .clone()
                .ok_or(LabFleetError::MissingFaultPackage {
                    index,
                    kind: fault.kind,
                })?;
            spec.faults.push(Fault {
                kind,
                package,
                host: lab_host,
            });
        }
    }
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchwarden_api::asset_group::LabFault;

    #[test]
    fn fault_hosts_map_to_lab_host_names_and_unknown_hosts_are_named() {
        let fleet = LabFleet {
            hosts: 3,
            name_prefix: Some("web".into()),
            labels: Default::default(),
            faults: vec![
                LabFault {
                    kind: LabFaultKind::PostinstFails,
                    hosts: vec!["web-0".into()],
                    package: Some("openssl".into()),
                },
                LabFault {
                    kind: LabFaultKind::Unreachable,
                    hosts: vec!["web-2".into()],
                    package: None,
                },
            ],
        };
        let spec = lab_spec("g", &fleet).expect("valid");
        assert_eq!(spec.faults[0].host, patchwarden_lab::fleet::host_name(1));
        assert_eq!(spec.unreachable, vec![patchwarden_lab::fleet::host_name(3)]);
        let mut bad = fleet.clone();
        bad.faults[0].hosts = vec!["web-9".into()];
        let err = lab_spec("g", &bad).expect_err("unknown host");
        assert!(err.to_string().contains("web-9"), "{err}");
        assert!(err.is_terminal());
    }
}
