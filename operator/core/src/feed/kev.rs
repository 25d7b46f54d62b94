//! The CISA Known Exploited Vulnerabilities catalog (JSON).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::FeedError;

/// The catalog: its version and its entries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KevCatalog {
    /// `catalogVersion` (e.g. `2025.08.25`).
    pub catalog_version: String,
    /// `dateReleased`, as written.
    pub date_released: String,
    /// The entries, in catalog order.
    pub entries: Vec<KevEntry>,
}

/// One known exploited vulnerability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KevEntry {
    /// `CVE-…`.
    pub cve_id: String,
    /// Vendor or project (free text).
    pub vendor_project: String,
    /// Product (free text).
    pub product: String,
    /// The vulnerability's name.
    pub name: String,
    /// When CISA added it.
    pub date_added: NaiveDate,
    /// The remediation due date for US federal agencies.
    pub due_date: NaiveDate,
    /// Whether it is known to be used in ransomware campaigns.
    pub known_ransomware_use: bool,
}

/// Parses the catalog. Entries are numbered from 1 in `vulnerabilities`.
pub fn parse_catalog(text: &str) -> Result<KevCatalog, FeedError> {
    let document: Value = serde_json::from_str(text).map_err(|e| {
        FeedError::new(
            0,
            None,
            format!("json (line {}, column {})", e.line(), e.column()),
            e.to_string(),
        )
    })?;
    let text_field = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
    let list = document
        .get("vulnerabilities")
        .and_then(Value::as_array)
        .ok_or_else(|| FeedError::new(0, None, "vulnerabilities", "missing or not a list"))?;
    let mut entries = Vec::with_capacity(list.len());
    for (index, item) in list.iter().enumerate() {
        let record = index + 1;
        let cve_id = text_field(item, "cveID")
            .ok_or_else(|| FeedError::new(record, None, "cveID", "missing or not a string"))?;
        let err =
            |field: &str, reason: String| FeedError::new(record, Some(&cve_id), field, reason);
        let date = |field: &str| -> Result<NaiveDate, FeedError> {
            let raw = text_field(item, field)
                .ok_or_else(|| err(field, "missing or not a string".into()))?;
            NaiveDate::parse_from_str(&raw, "%Y-%m-%d")
                .map_err(|e| err(field, format!("{raw:?}: {e}")))
        };
        entries.push(KevEntry {
            vendor_project: text_field(item, "vendorProject").unwrap_or_default(),
            product: text_field(item, "product").unwrap_or_default(),
            name: text_field(item, "vulnerabilityName").unwrap_or_default(),
            date_added: date("dateAdded")?,
            due_date: date("dueDate")?,
            known_ransomware_use: text_field(item, "knownRansomwareCampaignUse").as_deref()
                == Some("Known"),
            cve_id,
        });
    }
    Ok(KevCatalog {
        catalog_version: text_field(&document, "catalogVersion").unwrap_or_default(),
        date_released: text_field(&document, "dateReleased").unwrap_or_default(),
        entries,
    })
}
