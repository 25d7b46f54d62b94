//! Step charts as inline SVG, written by hand: a few paths, axes and labels are all the report
//! needs, so no plotting crate (and no font loading) is pulled in, and the output is plain
//! text that a test can read.
//!
//! Counts hold between observations, so each series is drawn as steps: flat until the next
//! point, and flat from the last point to the end of the time axis (the report's `now`).

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

/// One line of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Its name in the legend.
    pub label: String,
    /// Its colour (`#rrggbb`).
    pub color: &'static str,
    /// One value per instant of the chart; `None` leaves a gap.
    pub values: Vec<Option<f64>>,
}

/// A chart to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// The title, also the SVG's accessible name.
    pub title: String,
    /// The instants, oldest first.
    pub times: Vec<DateTime<Utc>>,
    /// Where the time axis ends.
    pub end: DateTime<Utc>,
    /// The series.
    pub series: Vec<Series>,
    /// The top of the value axis; the highest value (at least 1) when unset.
    pub y_max: Option<f64>,
    /// Appended to the value axis labels (`%`).
    pub unit: &'static str,
}

const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 40.0;

/// The SVG of `chart`.
pub fn svg(chart: &Chart) -> String {
    let y_max = chart.y_max.unwrap_or_else(|| nice_max(&chart.series));
    let start = chart.times.first().copied().unwrap_or(chart.end);
    let span = (chart.end - start).num_seconds().max(1) as f64;
    let x = |t: DateTime<Utc>| {
        LEFT + (WIDTH - LEFT - RIGHT) * ((t - start).num_seconds() as f64 / span)
    };
    let y = |v: f64| TOP + (HEIGHT - TOP - BOTTOM) * (1.0 - (v / y_max).clamp(0.0, 1.0));
    let mut out = String::new();
    let title = escape(&chart.title);
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{title}"><title>{title}</title>"#
    );
    let _ = write!(
        out,
        r##"<text x="{LEFT}" y="16" font-size="13" font-weight="600" fill="#1f2937">{title}</text>"##
    );
    axes(&mut out, y_max, chart.unit, start, chart.end);
    for (index, series) in chart.series.iter().enumerate() {
        let d = step_path(&chart.times, &series.values, chart.end, &x, &y);
        if !d.is_empty() {
            let _ = write!(
                out,
                r#"<path class="series" data-series="{}" d="{d}" fill="none" stroke="{}" stroke-width="2"/>"#,
                escape(&series.label),
                series.color
            );
        }
        let legend_x = LEFT + 150.0 * index as f64;
        let legend_y = HEIGHT - 8.0;
        let _ = write!(
            out,
            r##"<rect x="{legend_x}" y="{}" width="10" height="10" fill="{}"/><text x="{}" y="{legend_y}" font-size="11" fill="#374151">{}</text>"##,
            legend_y - 9.0,
            series.color,
            legend_x + 14.0,
            escape(&series.label)
        );
    }
    out.push_str("</svg>");
    out
}

/// The value axis with three gridlines, and the first and last dates under the time axis.
fn axes(out: &mut String, y_max: f64, unit: &str, start: DateTime<Utc>, end: DateTime<Utc>) {
    let bottom = HEIGHT - BOTTOM;
    // Seconds matter only when the whole history fits in an hour.
    let format = if end - start < chrono::TimeDelta::hours(1) {
        "%Y-%m-%d %H:%M:%S"
    } else {
        "%Y-%m-%d %H:%M"
    };
    for step in 0..=2 {
        let value = y_max * f64::from(step) / 2.0;
        let y = TOP + (bottom - TOP) * (1.0 - f64::from(step) / 2.0);
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" y1="{y}" x2="{}" y2="{y}" stroke="#e5e7eb"/><text x="{}" y="{}" font-size="10" text-anchor="end" fill="#6b7280">{}{unit}</text>"##,
            WIDTH - RIGHT,
            LEFT - 4.0,
            y + 3.0,
            format_value(value)
        );
    }
    let _ = write!(
        out,
        r##"<line x1="{LEFT}" y1="{bottom}" x2="{}" y2="{bottom}" stroke="#9ca3af"/><text x="{LEFT}" y="{}" font-size="10" fill="#6b7280">{}</text><text x="{}" y="{}" font-size="10" text-anchor="end" fill="#6b7280">{}</text>"##,
        WIDTH - RIGHT,
        bottom + 13.0,
        start.format(format),
        WIDTH - RIGHT,
        bottom + 13.0,
        end.format(format),
    );
}

/// The step path of one series: `M` at each run of values after a gap, `H` to the next
/// instant, `V` to its value, and `H` to the end of the axis.
fn step_path(
    times: &[DateTime<Utc>],
    values: &[Option<f64>],
    end: DateTime<Utc>,
    x: &impl Fn(DateTime<Utc>) -> f64,
    y: &impl Fn(f64) -> f64,
) -> String {
    let mut d = String::new();
    let mut drawing = false;
    for (index, (time, value)) in times.iter().zip(values).enumerate() {
        let Some(value) = value else {
            drawing = false;
            continue;
        };
        let next = times.get(index + 1).copied().unwrap_or(end);
        if drawing {
            let _ = write!(d, " V{:.1}", y(*value));
        } else {
            let _ = write!(
                d,
                "{}M{:.1} {:.1}",
                if d.is_empty() { "" } else { " " },
                x(*time),
                y(*value)
            );
        }
        let _ = write!(d, " H{:.1}", x(next).max(x(*time) + 1.0));
        drawing = true;
    }
    d
}

/// The top of the value axis: the highest value rounded up to an even number (at least 2).
fn nice_max(series: &[Series]) -> f64 {
    let highest = series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .fold(0.0_f64, |a, b| a.max(*b));
    let rounded = highest.ceil().max(2.0);
    if rounded % 2.0 == 0.0 {
        rounded
    } else {
        rounded + 1.0
    }
}

fn format_value(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

/// Escapes text for XML content and attributes.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, hour, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn chart(values: Vec<Option<f64>>) -> Chart {
        Chart {
            title: "Open <critical>".to_string(),
            times: (0..values.len() as u32).map(at).collect(),
            end: at(values.len() as u32),
            series: vec![Series {
                label: "critical".to_string(),
                color: "#dc2626",
                values,
            }],
            y_max: None,
            unit: "",
        }
    }

    #[test]
    fn steps_hold_each_value_until_the_next_point_and_to_the_end() {
        let svg = svg(&chart(vec![Some(4.0), Some(2.0)]));
        // x spans 44..548 over two hours; y spans 28 (4) .. 180 (0).
        assert!(
            svg.contains(r#"d="M44.0 28.0 H296.0 V104.0 H548.0""#),
            "{svg}"
        );
        assert!(svg.contains("<title>Open &lt;critical&gt;</title>"));
    }

    #[test]
    fn a_single_point_still_draws_a_line() {
        let svg = svg(&chart(vec![Some(0.0)]));
        assert!(svg.contains(r#"d="M44.0 180.0 H548.0""#), "{svg}");
    }

    #[test]
    fn gaps_start_a_new_subpath_and_no_values_draw_no_path() {
        let svg_text = svg(&chart(vec![Some(1.0), None, Some(1.0)]));
        assert!(svg_text.contains(" M380.0"), "{svg_text}");
        assert!(!svg(&chart(vec![None])).contains("<path"));
    }
}
