//! The built-in kinds: Namespace, Event (core `v1` and `events.k8s.io/v1`, one store), ConfigMap,
//! Secret, Node, Lease, CustomResourceDefinition and Job, with the printer columns and field
//! selectors kubectl relies on.

use super::{EVENT_STORE, PrinterColumn, ResourceDef, View};

/// A `v1` built-in with its store named after its group and plural; no status subresource,
/// columns or extra field selectors until the caller adds them.
pub(super) fn builtin(
    group: &str,
    plural: &str,
    kind: &str,
    namespaced: bool,
    short_names: &[&str],
    description: &str,
) -> ResourceDef {
    let store_group = if group.is_empty() { "core" } else { group };
    ResourceDef {
        group: group.to_string(),
        version: "v1".to_string(),
        plural: plural.to_string(),
        singular: kind.to_ascii_lowercase(),
        kind: kind.to_string(),
        list_kind: format!("{kind}List"),
        namespaced,
        short_names: short_names.iter().map(|s| s.to_string()).collect(),
        categories: Vec::new(),
        store: format!("{store_group}/{plural}"),
        schema: None,
        status_subresource: false,
        printer_columns: Vec::new(),
        selectable_fields: Vec::new(),
        view: View::Plain,
        custom: false,
        description: description.to_string(),
    }
}

fn column(name: &str, type_: &str, json_path: &str, description: &str) -> PrinterColumn {
    PrinterColumn {
        name: name.to_string(),
        type_: type_.to_string(),
        format: String::new(),
        description: description.to_string(),
        priority: 0,
        json_path: json_path.to_string(),
    }
}

const AGE_DESCRIPTION: &str =
    "CreationTimestamp is a timestamp representing the server time when this object was created.";

/// The column every resource without columns of its own shows.
pub fn age_column() -> PrinterColumn {
    column(
        "Age",
        "date",
        ".metadata.creationTimestamp",
        AGE_DESCRIPTION,
    )
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Every built-in resource, in discovery order.
pub fn builtins() -> Vec<ResourceDef> {
    vec![
        namespaces(),
        core_events(),
        builtin(
            "",
            "configmaps",
            "ConfigMap",
            true,
            &["cm"],
            "ConfigMap holds configuration data for pods to consume.",
        ),
        secrets(),
        nodes(),
        events_v1(),
        builtin(
            "coordination.k8s.io",
            "leases",
            "Lease",
            true,
            &[],
            "Lease defines a lease concept.",
        ),
        crds(),
        jobs(),
    ]
    .into_iter()
    .chain(super::stored::stored_kinds())
    .collect()
}

fn namespaces() -> ResourceDef {
    let mut namespaces = builtin(
        "",
        "namespaces",
        "Namespace",
        false,
        &["ns"],
        "Namespace provides a scope for Names.",
    );
    namespaces.status_subresource = true;
    namespaces.printer_columns = vec![
        column(
            "Status",
            "string",
            ".status.phase",
            "The phase of the namespace.",
        ),
        age_column(),
    ];
    namespaces
}

/// Core `v1` Events: a view of the events.k8s.io store under the old field names.
fn core_events() -> ResourceDef {
    let mut core_events = builtin(
        "",
        "events",
        "Event",
        true,
        &["ev"],
        "Event is a report of an event somewhere in the cluster.",
    );
    core_events.store = EVENT_STORE.to_string();
    core_events.view = View::CoreEvent;
    core_events.selectable_fields = strings(&[
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ]);
    core_events.printer_columns = vec![
        column(
            "Last Seen",
            "date",
            ".lastTimestamp",
            "Time of the last occurrence.",
        ),
        column("Type", "string", ".type", "Type of this event."),
        column("Reason", "string", ".reason", "Why the action was taken."),
        column(
            "Object",
            "string",
            ".involvedObject.name",
            "The object this event is about.",
        ),
        column(
            "Message",
            "string",
            ".message",
            "A human-readable description.",
        ),
    ];
    core_events
}

/// `events.k8s.io/v1` Events: the stored form.
fn events_v1() -> ResourceDef {
    let mut events_v1 = builtin(
        "events.k8s.io",
        "events",
        "Event",
        true,
        &["ev"],
        "Event is a report of an event somewhere in the cluster.",
    );
    events_v1.store = EVENT_STORE.to_string();
    events_v1.view = View::EventsV1;
    events_v1.selectable_fields = strings(&["regarding.kind", "regarding.name", "reason", "type"]);
    events_v1
}

fn crds() -> ResourceDef {
    let mut crds = builtin(
        "apiextensions.k8s.io",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        false,
        &["crd", "crds"],
        "CustomResourceDefinition represents a resource that should be exposed on the API server.",
    );
    crds.status_subresource = true;
    crds.printer_columns = vec![column(
        "Created At",
        "date",
        ".metadata.creationTimestamp",
        AGE_DESCRIPTION,
    )];
    crds
}

fn nodes() -> ResourceDef {
    let mut nodes = builtin(
        "",
        "nodes",
        "Node",
        false,
        &["no"],
        "Node is a worker in the fleet.",
    );
    nodes.status_subresource = true;
    nodes
}

fn jobs() -> ResourceDef {
    let mut jobs = builtin(
        "batch",
        "jobs",
        "Job",
        true,
        &[],
        "Job represents the configuration of a single job.",
    );
    jobs.status_subresource = true;
    jobs.categories = vec!["all".to_string()];
    jobs
}

fn secrets() -> ResourceDef {
    let mut secrets = builtin(
        "",
        "secrets",
        "Secret",
        true,
        &[],
        "Secret holds secret data of a certain type.",
    );
    secrets.selectable_fields = vec!["type".to_string()];
    secrets
}
