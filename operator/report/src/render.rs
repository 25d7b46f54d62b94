//! Rendering: the report as a self-contained HTML page (inline CSS and SVG, no scripts, so it
//! works offline from a file), as JSON (the [`Report`] itself) and as Markdown.

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{Environment, UndefinedBehavior, Value, context};
use serde::Serialize;

use crate::chart::{self, Chart, Series};
use crate::model::{PolicyTrend, Report};

const HTML_TEMPLATE: &str = include_str!("../templates/report.html");
const MARKDOWN_TEMPLATE: &str = include_str!("../templates/report.md");

/// Rendering failed: a template did not compile or render, or the JSON did not serialise.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A template failed.
    #[error("rendering the {template} template: {source}")]
    Template {
        /// Which template.
        template: &'static str,
        /// Why.
        source: minijinja::Error,
    },
    /// The JSON failed.
    #[error("serialising the report as JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// The three renderings of one report.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// `report.html`.
    pub html: String,
    /// `report.json`.
    pub json: String,
    /// `report.md`.
    pub markdown: String,
}

/// Renders `report` as HTML, JSON and Markdown.
pub fn render(report: &Report) -> Result<Rendered, RenderError> {
    Ok(Rendered {
        html: render_html(report)?,
        json: serde_json::to_string_pretty(report)? + "\n",
        markdown: render_template("report.md", MARKDOWN_TEMPLATE, report, Vec::new())?,
    })
}

/// Renders `report` as the HTML page alone (what the operator serves at `/report`).
pub fn render_html(report: &Report) -> Result<String, RenderError> {
    let charts = report
        .trends
        .iter()
        .map(|t| trend_charts(t, report))
        .collect();
    render_template("report.html", HTML_TEMPLATE, report, charts)
}

/// The two charts of a policy, as markup the template inserts unescaped.
#[derive(Debug, Serialize)]
struct TrendCharts {
    policy: String,
    points: usize,
    findings: Value,
    outcomes: Value,
}

fn trend_charts(trend: &PolicyTrend, report: &Report) -> TrendCharts {
    let times = trend.points.iter().map(|p| p.at).collect();
    let values = |f: &dyn Fn(&crate::model::TrendPoint) -> Option<f64>| {
        trend.points.iter().map(f).collect::<Vec<_>>()
    };
    let findings = Chart {
        title: format!("Open findings — {}", trend.policy),
        times: Vec::clone(&times),
        end: report.generated_at,
        series: vec![
            series(
                "Critical",
                "#b91c1c",
                values(&|p| Some(f64::from(p.open_critical))),
            ),
            series("High", "#ea580c", values(&|p| Some(f64::from(p.open_high)))),
            series(
                "KEV",
                "#7c3aed",
                values(&|p| Some(f64::from(p.open_known_exploited))),
            ),
        ],
        y_max: None,
        unit: "",
    };
    let outcomes = Chart {
        title: format!("Patch success and compliance — {}", trend.policy),
        times,
        end: report.generated_at,
        series: vec![
            series(
                "Run success %",
                "#15803d",
                values(&|p| p.run_success_percent),
            ),
            series(
                "Compliant assets %",
                "#2563eb",
                values(&|p| Some(p.compliant_percent)),
            ),
        ],
        y_max: Some(100.0),
        unit: "%",
    };
    TrendCharts {
        policy: trend.policy.clone(),
        points: trend.points.len(),
        findings: Value::from_safe_string(chart::svg(&findings)),
        outcomes: Value::from_safe_string(chart::svg(&outcomes)),
    }
}

fn series(label: &str, color: &'static str, values: Vec<Option<f64>>) -> Series {
    Series {
        label: label.to_string(),
        color,
        values,
    }
}

fn render_template(
    name: &'static str,
    source: &'static str,
    report: &Report,
    charts: Vec<TrendCharts>,
) -> Result<String, RenderError> {
    let failed = |source| RenderError::Template {
        template: name,
        source,
    };
    let mut environment = Environment::new();
    // Block tags on their own lines leave no blank lines behind (tables in Markdown need it).
    let syntax = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
        .map_err(failed)?;
    environment.set_syntax(syntax);
    // A misspelt field is an error, not an empty cell.
    environment.set_undefined_behavior(UndefinedBehavior::Strict);
    environment.add_template(name, source).map_err(failed)?;
    let template = environment.get_template(name).map_err(failed)?;
    template
        .render(
            context! { report => Value::from(Serde(report)), charts => Value::from(Serde(charts)) },
        )
        .map_err(failed)
}
