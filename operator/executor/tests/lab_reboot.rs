//! Reboots of lab hosts: an upgrade that asks for a reboot leaves `run/reboot-required`; the
//! reboot gives the host a new boot id and clears it; a reboot asked for again with the boot
//! id recorded before is not carried out twice; the command is validated, and an unreachable
//! host is reported as such.

#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected errors

use std::path::Path;
use std::time::Duration;

use patchwarden_executor::{
    AssetRef, ExecError, ExecErrorKind, Executor, LabExecutor, LabVersion, RebootRequest,
    source_targets,
};
use patchwarden_lab::{Fault, FaultKind, Lab, LabDelta, LabSpec};

fn lab(dir: &Path) -> Lab {
    let mut spec = LabSpec::new(2);
    spec.faults = Fault::parse_list(FaultKind::RebootRequired, "libssl3@lab-01").unwrap();
    spec.unreachable = vec!["lab-02".to_string()];
    Lab::create(dir, &LabDelta::embedded().unwrap(), &spec)
        .unwrap()
        .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lab_reboot_changes_the_boot_id_and_clears_reboot_required() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = lab(tmp.path());
    let exec = LabExecutor::new(lab.clone());
    let asset = AssetRef::named("lab-01");
    let fixed = source_targets(&lab, "openssl", LabVersion::Candidate);
    assert!(exec.upgrade(&asset, &fixed).await.unwrap().succeeded());
    assert!(
        exec.collect_inventory(&asset)
            .await
            .unwrap()
            .reboot_required
    );

    let before = exec.boot_id(&asset).await.unwrap();
    assert_eq!(
        exec.boot_id(&asset).await.unwrap(),
        before,
        "stable until a reboot"
    );
    let request = RebootRequest::new(Duration::from_secs(60));
    let report = exec.reboot(&asset, &request).await.unwrap();
    assert!(report.issued);
    assert_eq!(report.boot_id_before, before);
    assert_ne!(report.boot_id_after, before);
    assert_eq!(exec.boot_id(&asset).await.unwrap(), report.boot_id_after);
    let inventory = exec.collect_inventory(&asset).await.unwrap();
    assert!(!inventory.reboot_required);
    assert!(inventory.reboot_required_packages.is_empty());

    // Asked again (after a restart) with the boot id recorded before: already rebooted.
    let mut again = request.clone();
    again.boot_id_before = Some(before);
    let repeated = exec.reboot(&asset, &again).await.unwrap();
    assert!(!repeated.issued);
    assert_eq!(repeated.boot_id_after, report.boot_id_after);
    assert_eq!(exec.boot_id(&asset).await.unwrap(), report.boot_id_after);

    let mut empty = request.clone();
    empty.command = vec!["systemctl".to_string(), String::new()];
    let error = exec.reboot(&asset, &empty).await.unwrap_err();
    assert!(matches!(error, ExecError::InvalidRequest { .. }), "{error}");

    let error = exec
        .reboot(&AssetRef::named("lab-02"), &request)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ExecErrorKind::Unreachable, "{error}");
}
