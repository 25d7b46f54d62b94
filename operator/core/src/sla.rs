//! SLA deadlines: when each finding must be fixed, whether the next usable maintenance window
//! comes before that, and which emergency rules let patching start out of window.
//!
//! A finding's deadline is its severity's SLA counted from the advisory's publication, or the
//! CISA KEV due date where it is listed (the earlier wins). A KEV due date is a calendar date and
//! counts until the end of that day in UTC.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::window::{self, WindowDefinition};
use crate::{Duration, Severity};

/// A policy's SLA rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SlaRules {
    /// How long after publication a finding of each severity must be fixed; severities without
    /// an entry have no SLA.
    #[serde(default)]
    pub deadlines: BTreeMap<Severity, Duration>,
    /// Whether a CISA KEV due date also sets a deadline (the default).
    #[serde(default = "default_true")]
    pub kev_due_date: bool,
}

fn default_true() -> bool {
    true
}

impl Default for SlaRules {
    fn default() -> Self {
        SlaRules {
            deadlines: BTreeMap::new(),
            kev_due_date: true,
        }
    }
}

/// What the SLA needs to know about one finding.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SlaFinding {
    /// The advisory or CVE id shown to people.
    pub id: String,
    #[serde(default)]
    pub severity: Severity,
    #[serde(default)]
    pub published: Option<DateTime<Utc>>,
    /// The CISA KEV due date, when the vulnerability is listed.
    #[serde(default)]
    pub kev_due: Option<NaiveDate>,
}

/// A finding as SLA deadlines read it, with the package whose upgrade fixes it. Hosts of one
/// image have the same ones, so a fleet's are shared (see `Member::findings`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "(String, SlaFinding)", into = "(String, SlaFinding)")]
pub struct PackageFinding {
    pub package: String,
    pub finding: SlaFinding,
}

impl From<(String, SlaFinding)> for PackageFinding {
    fn from((package, finding): (String, SlaFinding)) -> Self {
        PackageFinding { package, finding }
    }
}

impl From<PackageFinding> for (String, SlaFinding) {
    fn from(f: PackageFinding) -> Self {
        (f.package, f.finding)
    }
}

/// Where a deadline comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum DeadlineSource {
    /// The policy's SLA for the finding's severity, counted from publication.
    SeveritySla {
        severity: Severity,
        sla: Duration,
        published: DateTime<Utc>,
    },
    /// The CISA KEV catalog's due date.
    KevDueDate { due: NaiveDate },
}

/// The instant by which a finding must be fixed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deadline {
    pub finding: String,
    pub at: DateTime<Utc>,
    pub source: DeadlineSource,
}

impl fmt::Display for DeadlineSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeadlineSource::SeveritySla {
                severity,
                sla,
                published,
            } => write!(
                f,
                "{severity} SLA {sla} from publication on {}",
                published.format("%Y-%m-%d")
            ),
            DeadlineSource::KevDueDate { due } => write!(f, "CISA KEV due date {due}"),
        }
    }
}

impl fmt::Display for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} due {} ({})",
            self.finding,
            format_instant(self.at),
            self.source
        )
    }
}

fn format_instant(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn end_of_day(date: NaiveDate) -> Option<DateTime<Utc>> {
    Some(
        date.checked_add_days(Days::new(1))?
            .and_time(NaiveTime::MIN)
            .and_utc(),
    )
}

/// The deadline of one finding under `rules`: the earlier of its severity SLA and its KEV due
/// date; `None` when neither applies.
pub fn deadline(rules: &SlaRules, finding: &SlaFinding) -> Option<Deadline> {
    let by_severity = finding.published.and_then(|published| {
        let sla = *rules.deadlines.get(&finding.severity)?;
        Some(Deadline {
            finding: finding.id.clone(),
            at: published.checked_add_signed(sla.to_chrono())?,
            source: DeadlineSource::SeveritySla {
                severity: finding.severity,
                sla,
                published,
            },
        })
    });
    let by_kev = finding
        .kev_due
        .filter(|_| rules.kev_due_date)
        .and_then(|due| {
            Some(Deadline {
                finding: finding.id.clone(),
                at: end_of_day(due)?,
                source: DeadlineSource::KevDueDate { due },
            })
        });
    match (by_severity, by_kev) {
        (Some(a), Some(b)) => Some(if b.at < a.at { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// The earliest deadline among `findings` (ties go to the first listed).
pub fn earliest_deadline(rules: &SlaRules, findings: &[SlaFinding]) -> Option<Deadline> {
    findings
        .iter()
        .filter_map(|f| deadline(rules, f))
        .fold(None, |best: Option<Deadline>, d| match best {
            Some(b) if b.at <= d.at => Some(b),
            _ => Some(d),
        })
}

/// Whether an asset's next usable window comes in time for its earliest deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Forecast {
    /// No finding has a deadline.
    NoDeadline,
    /// Work can start before the deadline.
    OnTrack {
        deadline: Deadline,
        next_start: DateTime<Utc>,
    },
    /// The deadline passes before any window lets work start.
    WillBreach {
        deadline: Deadline,
        /// The first time a window lets work start, if one does within the search horizon.
        next_start: Option<DateTime<Utc>>,
    },
    /// The deadline has passed.
    Breached {
        deadline: Deadline,
        now: DateTime<Utc>,
    },
}

impl Forecast {
    /// The deadline the forecast is about.
    pub fn deadline(&self) -> Option<&Deadline> {
        match self {
            Forecast::NoDeadline => None,
            Forecast::OnTrack { deadline, .. }
            | Forecast::WillBreach { deadline, .. }
            | Forecast::Breached { deadline, .. } => Some(deadline),
        }
    }

    /// Whether the SLA is breached or will be unless something changes.
    pub fn is_at_risk(&self) -> bool {
        matches!(
            self,
            Forecast::WillBreach { .. } | Forecast::Breached { .. }
        )
    }
}

fn span(from: DateTime<Utc>, until: DateTime<Utc>) -> Duration {
    Duration::from_secs(u64::try_from((until - from).num_seconds()).unwrap_or(0))
}

impl fmt::Display for Forecast {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Forecast::NoDeadline => f.write_str("no SLA deadline applies"),
            Forecast::OnTrack {
                deadline,
                next_start,
            } => write!(
                f,
                "on track: a window lets work start {}, {} before {}",
                format_instant(*next_start),
                span(*next_start, deadline.at),
                deadline
            ),
            Forecast::WillBreach {
                deadline,
                next_start,
            } => {
                write!(
                    f,
                    "will breach on {} ({}) unless patched out of window or a window is added before then: ",
                    deadline.at.format("%Y-%m-%d"),
                    deadline
                )?;
                match next_start {
                    Some(t) => write!(f, "the next window lets work start {}", format_instant(*t)),
                    None => f.write_str("no window opens in the next two years"),
                }
            }
            Forecast::Breached { deadline, now } => write!(
                f,
                "breached on {} ({}), overdue by {}",
                deadline.at.format("%Y-%m-%d"),
                deadline,
                span(deadline.at, *now)
            ),
        }
    }
}

/// Forecasts one asset: its earliest deadline against the first time any of `windows` lets work
/// start at or after `now`.
pub fn forecast(
    rules: &SlaRules,
    findings: &[SlaFinding],
    windows: &[WindowDefinition],
    now: DateTime<Utc>,
) -> Forecast {
    let Some(deadline) = earliest_deadline(rules, findings) else {
        return Forecast::NoDeadline;
    };
    if deadline.at <= now {
        return Forecast::Breached { deadline, now };
    }
    match window::next_start_opportunity(windows, now) {
        Some(start) if start < deadline.at => Forecast::OnTrack {
            deadline,
            next_start: start,
        },
        next_start => Forecast::WillBreach {
            deadline,
            next_start,
        },
    }
}

/// A policy's emergency rule: when patching may start out of window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum EmergencyRule {
    /// An approved fix for a CISA KEV-listed vulnerability starts at once.
    KnownExploited,
    /// An asset whose SLA will breach before the next window starts at once.
    SlaBreach,
    /// An approved fix for a finding whose EPSS probability is above the policy's threshold
    /// starts at once.
    EpssAbove,
    /// An asset another system reported compromised (the `patchwarden.io/compromised`
    /// annotation or label) starts at once with every approved fix.
    Compromised,
    /// Never start out of window (overrides the others).
    Never,
}

/// The EPSS threshold `EpssAbove` uses when the policy sets none.
pub const DEFAULT_EPSS_THRESHOLD: f64 = 0.5;

/// The emergency rules in force for the `declared` ones: `Never` overrides the others, so a
/// list that contains it allows nothing. Every caller that asks "may this start out of window?"
/// goes through here.
pub fn effective_emergency_rules(declared: &[EmergencyRule]) -> BTreeSet<EmergencyRule> {
    if declared.contains(&EmergencyRule::Never) {
        return BTreeSet::new();
    }
    declared.iter().copied().collect()
}

/// Why an out-of-window start is allowed. `Display` is a one-line explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum EmergencyReason {
    KnownExploited {
        finding: String,
    },
    SlaBreach {
        forecast: Forecast,
    },
    /// A finding's EPSS probability is above the threshold (the feed's score, not a guess).
    EpssAbove {
        finding: String,
        epss: EpssPermille,
        threshold: EpssPermille,
    },
    /// The asset is reported compromised, with the reporter's reason when it gave one.
    Compromised {
        reason: Option<String>,
    },
}

/// An EPSS probability in thousandths: exact, so reasons compare and serialise stably.
pub type EpssPermille = u16;

/// `probability` (0 to 1) in thousandths, rounded; out-of-range values are clamped.
pub fn epss_permille(probability: f64) -> EpssPermille {
    // Clamped to [0, 1000] first, so the cast cannot truncate.
    (probability.clamp(0.0, 1.0) * 1000.0).round() as EpssPermille
}

impl fmt::Display for EmergencyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmergencyReason::KnownExploited { finding } => write!(
                f,
                "emergency (KnownExploited): {finding} is exploited in the wild (CISA KEV), patching starts out of window"
            ),
            EmergencyReason::SlaBreach { forecast } => match forecast.deadline() {
                Some(d) => write!(
                    f,
                    "emergency (SlaBreach): {} would be missed before the next window, patching starts out of window",
                    d
                ),
                None => f.write_str("emergency (SlaBreach): patching starts out of window"),
            },
            EmergencyReason::EpssAbove {
                finding,
                epss,
                threshold,
            } => write!(
                f,
                "emergency (EpssAbove): {finding} has EPSS {:.3}, above the policy's {:.3}, patching starts out of window",
                f64::from(*epss) / 1000.0,
                f64::from(*threshold) / 1000.0
            ),
            EmergencyReason::Compromised { reason } => {
                f.write_str("emergency (Compromised): the asset is reported compromised")?;
                if let Some(reason) = reason {
                    write!(f, " ({reason})")?;
                }
                f.write_str(", patching starts out of window")
            }
        }
    }
}

/// Whether `rules` allow an out-of-window start for an asset whose approved fixes address
/// `findings` (with `known_exploited` marking the KEV-listed ones) and whose SLA `forecast` is
/// given. `Never` anywhere in the rules wins.
pub fn emergency_reason(
    rules: &[EmergencyRule],
    known_exploited: &[&str],
    forecast: &Forecast,
) -> Option<EmergencyReason> {
    let rules = effective_emergency_rules(rules);
    if rules.contains(&EmergencyRule::KnownExploited)
        && let Some(first) = known_exploited.first()
    {
        return Some(EmergencyReason::KnownExploited {
            finding: (*first).to_string(),
        });
    }
    if rules.contains(&EmergencyRule::SlaBreach) && forecast.is_at_risk() {
        return Some(EmergencyReason::SlaBreach {
            forecast: forecast.clone(),
        });
    }
    None
}

/// Whether `rules` allow an out-of-window start because one of `scores` (finding id and EPSS
/// probability of an approved fix) is above `threshold`: the highest such finding is named.
pub fn epss_emergency(
    rules: &[EmergencyRule],
    threshold: f64,
    scores: &[(&str, f64)],
) -> Option<EmergencyReason> {
    if !effective_emergency_rules(rules).contains(&EmergencyRule::EpssAbove) {
        return None;
    }
    let threshold = epss_permille(threshold);
    scores
        .iter()
        .map(|(id, p)| (*id, epss_permille(*p)))
        .filter(|(_, epss)| *epss > threshold)
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(id, epss)| EmergencyReason::EpssAbove {
            finding: id.to_string(),
            epss,
            threshold,
        })
}
