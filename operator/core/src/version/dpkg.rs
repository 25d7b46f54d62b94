//! Debian package version ordering (`[epoch:]upstream[-revision]`), as implemented by
//! dpkg's `verrevcmp`: `~` sorts before everything (even the end of the string),
//! letters before other characters, digit runs compare numerically.

use std::cmp::Ordering;

use super::VersionError;

/// A dpkg version split into its three parts. Borrowed from the input string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DpkgVersion<'a> {
    /// The epoch (0 when absent).
    pub epoch: u64,
    /// The upstream version.
    pub upstream: &'a str,
    /// The Debian revision ("" when absent).
    pub revision: &'a str,
}

impl<'a> DpkgVersion<'a> {
    /// Parses and validates a version by dpkg's rules (`parseversion`).
    pub fn parse(text: &'a str) -> Result<Self, VersionError> {
        let version = text.trim();
        let invalid = |reason: &'static str| VersionError::new("dpkg", text, reason);
        if version.is_empty() {
            return Err(invalid("empty version"));
        }
        if version.contains(char::is_whitespace) {
            return Err(invalid("embedded whitespace"));
        }
        let (epoch, rest) = match version.split_once(':') {
            Some((epoch, rest)) => {
                if epoch.is_empty() || !epoch.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid("epoch is not a number"));
                }
                let epoch: u64 = epoch
                    .parse()
                    .ok()
                    .filter(|&e| e <= i32::MAX as u64)
                    .ok_or_else(|| invalid("epoch is too large"))?;
                if rest.is_empty() {
                    return Err(invalid("nothing after the epoch colon"));
                }
                (epoch, rest)
            }
            None => (0, version),
        };
        let (upstream, revision) = match rest.rfind('-') {
            Some(at) => {
                let revision = &rest[at + 1..];
                if revision.is_empty() {
                    return Err(invalid("empty revision after '-'"));
                }
                (&rest[..at], revision)
            }
            None => (rest, ""),
        };
        if upstream.is_empty() {
            return Err(invalid("empty upstream version"));
        }
        if !upstream.as_bytes()[0].is_ascii_digit() {
            return Err(invalid("upstream version does not start with a digit"));
        }
        if !upstream
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".+-~:".contains(&b))
        {
            return Err(invalid("invalid character in upstream version"));
        }
        if !revision
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".+~".contains(&b))
        {
            return Err(invalid("invalid character in revision"));
        }
        Ok(DpkgVersion {
            epoch,
            upstream,
            revision,
        })
    }

    /// Splits without validating; used for comparison, which (like apt) never fails.
    fn split_lenient(text: &'a str) -> (&'a str, &'a str, &'a str) {
        let version = text.trim();
        let (epoch, rest) = match version.split_once(':') {
            Some((epoch, rest)) => (epoch, rest),
            None => ("", version),
        };
        match rest.rfind('-') {
            Some(at) => (epoch, &rest[..at], &rest[at + 1..]),
            None => (epoch, rest, ""),
        }
    }
}

impl Ord for DpkgVersion<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(self.upstream, other.upstream))
            .then_with(|| verrevcmp(self.revision, other.revision))
    }
}

impl PartialOrd for DpkgVersion<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares two dpkg versions. Never fails: malformed input is ordered the way apt orders it
/// (epochs compare as digit strings), so ordering stays total.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (ea, ua, ra) = DpkgVersion::split_lenient(a);
    let (eb, ub, rb) = DpkgVersion::split_lenient(b);
    verrevcmp(ea, eb)
        .then_with(|| verrevcmp(ua, ub))
        .then_with(|| verrevcmp(ra, rb))
}

/// The weight of one non-digit byte; `None` is the end of the string.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`: alternating non-digit and digit runs.
fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0usize, 0usize);
    let at = |s: &[u8], k: usize| s.get(k).copied();
    while i < a.len() || j < b.len() {
        let mut first_diff = 0i32;
        while at(a, i).is_some_and(|c| !c.is_ascii_digit())
            || at(b, j).is_some_and(|c| !c.is_ascii_digit())
        {
            let ac = order(at(a, i));
            let bc = order(at(b, j));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while at(a, i) == Some(b'0') {
            i += 1;
        }
        while at(b, j) == Some(b'0') {
            j += 1;
        }
        while let (Some(x), Some(y)) = (at(a, i), at(b, j)) {
            if !(x.is_ascii_digit() && y.is_ascii_digit()) {
                break;
            }
            if first_diff == 0 {
                first_diff = i32::from(x) - i32::from(y);
            }
            i += 1;
            j += 1;
        }
        if at(a, i).is_some_and(|c| c.is_ascii_digit()) {
            return Ordering::Greater;
        }
        if at(b, j).is_some_and(|c| c.is_ascii_digit()) {
            return Ordering::Less;
        }
        if first_diff != 0 {
            return first_diff.cmp(&0);
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tilde_sorts_before_end_and_binnmu_after() {
        assert_eq!(compare("1.0~rc1", "1.0"), Ordering::Less);
        assert_eq!(compare("1.0-1", "1.0-1+b1"), Ordering::Less);
        assert_eq!(compare("1:0.1", "2.0"), Ordering::Greater);
        assert_eq!(compare("0.0.0", "0:0.0.0-0"), Ordering::Equal);
    }

    #[test]
    fn rejects_malformed_versions() {
        assert!(DpkgVersion::parse("a:1.0").is_err());
        assert!(DpkgVersion::parse("1.0-").is_err());
        assert!(DpkgVersion::parse("").is_err());
        assert!(DpkgVersion::parse("1.0 2").is_err());
        assert!(DpkgVersion::parse("x1.0").is_err());
        let v = DpkgVersion::parse("1:2.38.1-5+deb12u3").expect("valid");
        assert_eq!(
            (v.epoch, v.upstream, v.revision),
            (1, "2.38.1", "5+deb12u3")
        );
    }
}
