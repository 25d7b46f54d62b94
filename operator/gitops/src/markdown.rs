//! The plan as Markdown for a pull-request comment: validation errors first, then the
//! resource changes, then the impact per policy.

use std::fmt::Write;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::diff::FieldChange;
use crate::impact::{FindingImpact, PlanReport, PolicyChange, PolicyImpact};

/// Longest value shown in a table cell before it is shortened.
const MAX_VALUE_CHARS: usize = 60;

/// Renders the report.
pub fn render_markdown(report: &PlanReport) -> String {
    let mut out = String::new();
    render_title(&mut out, report);
    render_counts(&mut out, report);
    if !report.valid {
        render_problems(&mut out, report);
    }
    render_changes(&mut out, report);

    if report.policies.is_empty() {
        let _ = writeln!(out, "No policy is affected.");
    }
    for policy in &report.policies {
        render_policy(&mut out, policy, report.live_state.is_some());
    }
    out
}

/// The heading, the two revisions, and the live state the impact was computed against.
fn render_title(out: &mut String, report: &PlanReport) {
    let _ = writeln!(out, "## patchwarden plan\n");
    let _ = write!(
        out,
        "`{}` → `{}` · evaluated {}",
        short(&report.base.commit),
        short(&report.head.commit),
        instant(report.evaluated_at)
    );
    match &report.live_state {
        Some(live) => {
            let _ = writeln!(
                out,
                " · live state of {} ({} asset{})\n",
                instant(live.taken_at),
                live.assets,
                plural(live.assets)
            );
        }
        None => {
            let _ = writeln!(
                out,
                " · no live state: scope and approvals are not evaluated\n"
            );
        }
    }
}

/// The summary line a reviewer reads first.
fn render_counts(out: &mut String, report: &PlanReport) {
    let summary = &report.summary;
    let mut counts = vec![format!(
        "**{} polic{} affected**",
        summary.policies_affected,
        if summary.policies_affected == 1 {
            "y"
        } else {
            "ies"
        }
    )];
    if report.live_state.is_some() {
        counts.push(format!(
            "{} finding{} newly approved",
            summary.findings_newly_approved,
            plural(summary.findings_newly_approved)
        ));
        counts.push(format!("{} held back", summary.findings_held_back));
    }
    if summary.sla_regressions > 0 {
        counts.push(format!(
            "⚠️ {} SLA deadline{} can no longer be met",
            summary.sla_regressions,
            plural(summary.sla_regressions)
        ));
    }
    if summary.emergency_changes > 0 {
        counts.push(format!(
            "{} emergency rule change{}",
            summary.emergency_changes,
            plural(summary.emergency_changes)
        ));
    }
    let _ = writeln!(out, "{}\n", counts.join(" · "));
}

/// Why the head revision is invalid.
fn render_problems(out: &mut String, report: &PlanReport) {
    let _ = writeln!(out, "### ❌ The head revision is invalid\n");
    let _ = writeln!(
        out,
        "Nothing in it would be applied: the sync rejects the whole revision and keeps the last good one.\n"
    );
    for problem in &report.problems {
        let _ = writeln!(out, "- {}", cell(&problem.to_string()));
    }
    out.push('\n');
}

fn render_changes(out: &mut String, report: &PlanReport) {
    let changes = &report.changes;
    if changes.is_empty() {
        let _ = writeln!(out, "### Resources\n\nNo resource changes.\n");
        return;
    }
    let _ = writeln!(
        out,
        "### Resources: {} added, {} changed, {} removed\n",
        changes.added.len(),
        changes.changed.len(),
        changes.removed.len()
    );
    let _ = writeln!(out, "| Change | Resource | Fields |\n|---|---|---|");
    for key in &changes.added {
        let _ = writeln!(out, "| added | {} | |", cell(&key.to_string()));
    }
    for changed in &changes.changed {
        let fields: Vec<String> = changed.changes.iter().map(field_change).collect();
        let _ = writeln!(
            out,
            "| changed | {} | {} |",
            cell(&changed.key.to_string()),
            fields.join("<br>")
        );
    }
    for key in &changes.removed {
        let _ = writeln!(out, "| removed | {} | |", cell(&key.to_string()));
    }
    out.push('\n');
}

fn render_policy(out: &mut String, policy: &PolicyImpact, live: bool) {
    let change = match policy.change {
        PolicyChange::Added => "added",
        PolicyChange::Removed => "removed",
        PolicyChange::Modified => "modified",
        PolicyChange::Indirect => "affected",
    };
    let _ = writeln!(
        out,
        "### Policy `{}/{}` ({change})\n",
        policy.namespace, policy.name
    );
    if !policy.causes.is_empty() {
        let _ = writeln!(out, "Because: {}\n", cell(&policy.causes.join("; ")));
    }
    let scope = &policy.scope;
    if !live {
        // Without live Assets there is no scope to compare.
    } else if scope.before != scope.after || !scope.entering.is_empty() || !scope.leaving.is_empty()
    {
        let _ = writeln!(
            out,
            "- **Scope**: {} → {} asset{}{}{}",
            scope.before,
            scope.after,
            plural(scope.after),
            name_list("; entering: ", &scope.entering),
            name_list("; leaving: ", &scope.leaving)
        );
    } else {
        let _ = writeln!(
            out,
            "- **Scope**: unchanged, {} asset{}",
            scope.after,
            plural(scope.after)
        );
    }
    let next = &policy.next_window;
    if next.changed {
        let _ = writeln!(
            out,
            "- **Next window**: {} → {}",
            maybe_instant(next.before),
            maybe_instant(next.after)
        );
    }
    for sla in &policy.sla {
        let marker = if sla.regression { "⚠️ " } else { "" };
        let _ = writeln!(out, "- **SLA**: {marker}{}", cell(&sla.message));
    }
    for profile in &policy.compliance {
        let marker = if profile.regression { "⚠️ " } else { "" };
        let _ = writeln!(out, "- **Compliance**: {marker}{}", cell(&profile.message));
    }
    if let Some(rollout) = &policy.rollout {
        let _ = writeln!(out, "- **Rollout**: {}", cell(&rollout.message));
    }
    if let Some(emergency) = &policy.emergency {
        for message in &emergency.messages {
            let _ = writeln!(out, "- **Emergency**: {}", cell(message));
        }
    }
    if let Some(drain) = &policy.drain {
        let marker = if drain.blocked { "⚠️ " } else { "" };
        let _ = writeln!(out, "- **Drain**: {marker}{}", cell(&drain.message));
    }
    for note in &policy.notes {
        let _ = writeln!(out, "- **Note**: {}", cell(note));
    }
    if !policy.spec_changes.is_empty() {
        let fields: Vec<String> = policy.spec_changes.iter().map(field_change).collect();
        let _ = writeln!(out, "- **Spec changes**: {}", fields.join("; "));
    }
    out.push('\n');
    findings_table(out, "Newly approved", &policy.approvals.newly_approved);
    findings_table(out, "Held back", &policy.approvals.held_back);
}

fn findings_table(out: &mut String, title: &str, findings: &[FindingImpact]) {
    if findings.is_empty() {
        return;
    }
    let _ = writeln!(out, "**{title}** ({})\n", findings.len());
    let _ = writeln!(
        out,
        "| Asset | Finding | Package | Update | Severity | KEV | Why |\n|---|---|---|---|---|---|---|"
    );
    for finding in findings {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} → {} | {} | {} | {} |",
            cell(&finding.asset),
            cell(&finding.id),
            cell(&finding.package),
            cell(&finding.installed_version),
            cell(finding.fixed_version.as_deref().unwrap_or("none")),
            finding.severity.as_str(),
            if finding.known_exploited { "yes" } else { "" },
            cell(&finding.reason)
        );
    }
    out.push('\n');
}

fn field_change(change: &FieldChange) -> String {
    match (&change.before, &change.after) {
        (Some(before), Some(after)) => {
            format!("`{}`: {} → {}", change.path, value(before), value(after))
        }
        (None, Some(after)) => format!("`{}` added: {}", change.path, value(after)),
        (Some(before), None) => format!("`{}` removed (was {})", change.path, value(before)),
        (None, None) => format!("`{}`", change.path),
    }
}

/// A value for a table cell: strings bare, anything else as compact JSON, shortened.
fn value(value: &Value) -> String {
    let text = match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    let shortened = if text.chars().count() > MAX_VALUE_CHARS {
        let head: String = text.chars().take(MAX_VALUE_CHARS).collect();
        format!("{head}…")
    } else {
        text
    };
    format!("`{}`", shortened.replace('`', "'").replace('|', "\\|"))
}

/// Text safe inside a table cell or list item.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn name_list(prefix: &str, names: &[String]) -> String {
    if names.is_empty() {
        String::new()
    } else {
        format!("{prefix}{}", names.join(", "))
    }
}

fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

fn instant(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn maybe_instant(at: Option<DateTime<Utc>>) -> String {
    at.map(instant).unwrap_or_else(|| "never".to_string())
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}
