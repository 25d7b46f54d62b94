//! The reboot step against a real lab host: the decision (`IfRequired` without a reboot
//! required does nothing), and a step asked for again after a restart — with the boot id
//! recorded before the crash, it does not reboot twice when the host already came back, and
//! reboots when the crash came before the command.

#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected errors

use std::sync::Arc;
use std::time::Duration;

use patchwarden_api::patch_run::PlannedAsset;
use patchwarden_executor::{AssetRef, Executor, LabExecutor};
use patchwarden_lab::{Lab, LabDelta, LabHost, LabSpec};

use super::*;
use crate::controllers::operations::StepKind;

/// An Asset API that is never called: a record already read, or no reboot, writes nothing.
fn unused_api() -> Api<Asset> {
    let config = kube::Config::new("http://127.0.0.1:9".parse().unwrap());
    Api::namespaced(kube::Client::try_from(config).unwrap(), "default")
}

fn request(lab: &Lab, mode: RebootMode, recorded: Option<String>) -> OperationRequest {
    let executor: Arc<dyn Executor> = Arc::new(LabExecutor::new(lab.clone()));
    OperationRequest {
        run: "default/r".into(),
        id: "default/r/web-1/reboot".into(),
        step: StepKind::Reboot,
        asset_name: "web-1".into(),
        target: AssetRef {
            address: Some("lab-01".into()),
            ..AssetRef::named("web-1")
        },
        executor,
        planned: PlannedAsset {
            name: "web-1".into(),
            group: None,
            packages: Vec::new(),
            reboot_expected: true,
        },
        health_checks: Vec::new(),
        baseline: Vec::new(),
        default_health_check: false,
        pre_patch: Vec::new(),
        post_patch: Vec::new(),
        reboot: Some(RebootSettings {
            mode,
            timeout: Duration::from_secs(60),
            command: vec!["systemctl".into(), "reboot".into()],
            record: BootIdRecord {
                api: unused_api(),
                asset: "web-1".into(),
                run: "default/r".into(),
                recorded,
            },
        }),
        drain: None,
    }
}

fn lab_host(dir: &std::path::Path) -> (Lab, LabHost) {
    let lab = Lab::create(dir, &LabDelta::embedded().unwrap(), &LabSpec::new(1))
        .unwrap()
        .0;
    let host = lab.host("lab-01").unwrap();
    (lab, host)
}

#[tokio::test]
async fn if_required_without_a_required_reboot_leaves_the_host_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let (lab, host) = lab_host(tmp.path());
    let details = reboot(&request(&lab, RebootMode::IfRequired, None))
        .await
        .unwrap();
    assert!(!details.rebooted);
    assert_eq!(
        details.message,
        "web-1: not rebooted: reboot is IfRequired and the asset requires no reboot after the install (the plan expected one)"
    );
    assert!(
        !host.boot_id_file().exists(),
        "the boot id was not even read"
    );
}

#[tokio::test]
async fn after_a_restart_a_host_that_already_rebooted_is_not_rebooted_again() {
    let tmp = tempfile::tempdir().unwrap();
    let (lab, host) = lab_host(tmp.path());
    let recorded = host.boot_id().unwrap();
    // The reboot ran before the operator was killed; the host came back.
    let current = host.reboot().unwrap();
    let details = reboot(&request(&lab, RebootMode::Always, Some(recorded.clone())))
        .await
        .unwrap();
    assert!(details.rebooted);
    assert!(
        details
            .message
            .starts_with("web-1: had already rebooted in "),
        "{}",
        details.message
    );
    assert_eq!(host.boot_id().unwrap(), current, "not rebooted twice");
}

#[tokio::test]
async fn after_a_restart_before_the_command_ran_the_host_is_rebooted() {
    let tmp = tempfile::tempdir().unwrap();
    let (lab, host) = lab_host(tmp.path());
    let recorded = host.boot_id().unwrap();
    let details = reboot(&request(&lab, RebootMode::Always, Some(recorded.clone())))
        .await
        .unwrap();
    assert!(details.rebooted);
    assert!(
        details.message.starts_with("web-1: rebooted in "),
        "{}",
        details.message
    );
    assert_ne!(host.boot_id().unwrap(), recorded);
}

fn asset_with(annotation: Option<&str>) -> Asset {
    let mut asset = Asset::new("web-1", Default::default());
    if let Some(value) = annotation {
        asset.metadata.annotations =
            Some([(REBOOT_ANNOTATION.to_string(), value.to_string())].into());
    }
    asset
}

#[test]
fn only_the_boot_id_recorded_for_this_run_counts() {
    let record = r#"{"run":"default/r1","bootId":"b-1"}"#;
    assert_eq!(
        recorded_boot_id(&asset_with(Some(record)), "default/r1").as_deref(),
        Some("b-1")
    );
    assert_eq!(
        recorded_boot_id(&asset_with(Some(record)), "default/r2"),
        None
    );
    assert_eq!(
        recorded_boot_id(&asset_with(Some("garbage")), "default/r1"),
        None
    );
    assert_eq!(recorded_boot_id(&asset_with(None), "default/r1"), None);
}
