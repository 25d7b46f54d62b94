//! The address and login user of an SSH destination, refused before ssh runs when ssh could
//! read them as options or they are not names at all.

/// An SSH destination refused before ssh is run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum InvalidDestination {
    #[error("`{0}` is not a host name or IP address")]
    Address(String),
    #[error("`{0}` is not a user name")]
    User(String),
}

/// Host names, IPv4 and IPv6 literals; never something ssh would read as an option.
pub(super) fn validate_address(address: &str) -> Result<(), InvalidDestination> {
    let ok = !address.is_empty()
        && !address.starts_with('-')
        && address
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_' | '%'));
    if ok {
        Ok(())
    } else {
        Err(InvalidDestination::Address(address.to_string()))
    }
}

/// POSIX user names (`[a-z_][a-z0-9_-]*`, optionally ending in `$`).
pub(super) fn validate_user(user: &str) -> Result<(), InvalidDestination> {
    let mut chars = user.chars();
    let first = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let body = user.trim_end_matches('$');
    let rest = body
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-'));
    if first && rest && user.len() <= 32 {
        Ok(())
    } else {
        Err(InvalidDestination::User(user.to_string()))
    }
}
