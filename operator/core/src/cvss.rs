//! CVSS base scores from vector strings (v3.0, v3.1 and v4.0), computed by RustSec's `cvss`
//! crate, which implements the FIRST specifications and is tested against their examples.

use std::str::FromStr;

use crate::advisory::CvssScore;

/// A vector that cannot be scored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid CVSS vector {vector:?}: {reason}")]
pub struct CvssError {
    /// The rejected vector.
    pub vector: String,
    /// Why it was rejected.
    pub reason: String,
}

/// Scores a `CVSS:3.x/…` or `CVSS:4.0/…` vector.
pub fn score_vector(vector: &str) -> Result<CvssScore, CvssError> {
    let vector = vector.trim();
    let fail = |reason: String| CvssError {
        vector: vector.to_string(),
        reason,
    };
    let score = if vector.starts_with("CVSS:3.") {
        cvss::v3::Vector::from_str(vector)
            .map_err(|e| fail(e.to_string()))?
            .base_score()
            .value()
    } else if vector.starts_with("CVSS:4.0/") {
        cvss::v4::Vector::from_str(vector)
            .map_err(|e| fail(e.to_string()))?
            .score()
            .value()
    } else {
        return Err(fail("only CVSS v3.x and v4.0 vectors are scored".into()));
    };
    Ok(CvssScore {
        vector: vector.to_string(),
        score,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_specification_examples() {
        // CVE-2023-4911 (glibc), as published by NVD: 7.8 High.
        let glibc = score_vector("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H").expect("v3.1");
        assert_eq!(glibc.score, 7.8);
        // The CVSS v3.1 specification's maximum: 10.0.
        let max = score_vector("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H").expect("v3.1");
        assert_eq!(max.score, 10.0);
        // A CVSS v4.0 specification example (base, no threat metrics): 9.3.
        let v4 = score_vector("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")
            .expect("v4");
        assert_eq!(v4.score, 9.3);
        assert!(score_vector("CVSS:3.1/AV:X").is_err());
        assert!(score_vector("AV:N/AC:L/Au:N/C:P/I:P/A:P").is_err());
    }
}
