//! Debian package names and versions as accepted by the lab and the executors.
//!
//! Both end up in dpkg control files and in apt-get arguments; a value that starts with `-` or
//! holds spaces would be read as an option, so only the characters Debian policy allows pass.

/// A package name or version Debian policy does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidPackageField {
    #[error("`{0}` is not a Debian package name ([a-z0-9][a-z0-9+.-]+)")]
    Name(String),
    #[error("`{0}` is not a Debian version")]
    Version(String),
}

/// Checks a package name against Debian policy §5.6.1: `[a-z0-9][a-z0-9+.-]+`.
pub fn validate_package_name(name: &str) -> Result<(), InvalidPackageField> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let rest_ok = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '+' | '-' | '.'));
    if name.len() >= 2 && first_ok && rest_ok {
        Ok(())
    } else {
        Err(InvalidPackageField::Name(name.to_string()))
    }
}

/// Checks a version against Debian policy §5.6.12: `[epoch:]upstream[-revision]`, where the
/// epoch is digits, the upstream version starts with a digit, and only `[A-Za-z0-9.+~-]` (and
/// `:` when there is an epoch) occur.
pub fn validate_version(version: &str) -> Result<(), InvalidPackageField> {
    let bad = || InvalidPackageField::Version(version.to_string());
    let (epoch, rest) = match version.split_once(':') {
        Some((e, r)) => (Some(e), r),
        None => (None, version),
    };
    if let Some(e) = epoch
        && (e.is_empty() || !e.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(bad());
    }
    let starts_with_digit = rest.chars().next().is_some_and(|c| c.is_ascii_digit());
    let allowed = rest
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '~' | '-' | ':'));
    if starts_with_digit && allowed && !rest.ends_with('-') {
        Ok(())
    } else {
        Err(bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_names_and_versions_pass() {
        for n in [
            "libssl3",
            "libgnutls28-dev",
            "g++",
            "libstdc++6",
            "xz-utils",
            "perl-base",
        ] {
            validate_package_name(n).unwrap();
        }
        for v in [
            "3.0.19-1~deb12u2",
            "2:3.87.1-1+deb12u4",
            "1:2.38.1-5+deb12u3",
            "2025b-0+deb12u2",
            "20230311+deb12u1",
            "1.0.9-2+b6",
            "17.0.21.1+2-1~deb12u1",
        ] {
            validate_version(v).unwrap();
        }
    }

    #[test]
    fn option_like_or_shell_like_values_are_rejected() {
        for n in [
            "-oDir=/", "Libssl", "a", "pkg name", "pkg;rm", "pkg=1.0", "",
        ] {
            assert!(validate_package_name(n).is_err(), "{n}");
        }
        for v in [
            "-1", "1.0 2", "a1.0", "1.0;x", ":1.0", "x:1.0", "1.0-", "$(id)", "",
        ] {
            assert!(validate_version(v).is_err(), "{v}");
        }
    }
}
