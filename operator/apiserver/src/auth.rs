//! Bearer-token authentication. Tokens come from a file in the kube-apiserver
//! `--token-auth-file` format (`token,user,uid[,"group1,group2"]`); a token whose groups include
//! `patchwarden:read-only` may only read. Without a file, one admin token is generated and kept
//! in the data directory so kubeconfigs stay valid across restarts.

use std::collections::HashMap;
use std::path::Path;

use http::{HeaderMap, header};
use subtle::ConstantTimeEq;

use crate::agent_scope::{AGENT_GROUP, asset_of};
use crate::error::{ApiError, ServerError};

/// The group that marks a read-only token.
pub const READ_ONLY_GROUP: &str = "patchwarden:read-only";

/// What a request may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    Admin,
    ReadOnly,
    /// A `patchwarden agent`: its own Asset only (`agent_scope`).
    Agent,
}

/// The user of requests without credentials (plain HTTP on loopback only).
const ANONYMOUS: &str = "system:anonymous";

/// An authenticated request's sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user: String,
    pub principal: Principal,
}

/// The accepted tokens.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    tokens: HashMap<String, (String, Principal)>,
    /// Requests without credentials act as admin. Only for plain HTTP on loopback: kubectl
    /// never sends a bearer token over an unencrypted connection, so there a token cannot be
    /// demanded; a token that is sent is still checked.
    anonymous_admin: bool,
}

impl Auth {
    /// Accepts exactly one admin token.
    pub fn single(token: &str) -> Auth {
        let mut tokens = HashMap::new();
        tokens.insert(token.to_string(), ("admin".to_string(), Principal::Admin));
        Auth {
            tokens,
            anonymous_admin: false,
        }
    }

    /// Parses a token file.
    pub fn from_file(path: &Path) -> Result<Auth, ServerError> {
        let text = std::fs::read_to_string(path).map_err(|source| ServerError::Io {
            action: "reading the tokens file",
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    pub fn parse(text: &str, origin: &str) -> Result<Auth, ServerError> {
        let mut tokens = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |reason: &str| ServerError::Tokens {
                path: origin.to_string(),
                line: i + 1,
                reason: reason.to_string(),
            };
            let mut fields = line.splitn(4, ',');
            let token = fields.next().unwrap_or("").trim();
            let user = fields.next().unwrap_or("").trim();
            let _uid = fields.next();
            let groups = fields.next().unwrap_or("").trim().trim_matches('"');
            if token.is_empty() {
                return Err(err("the token is empty"));
            }
            if user.is_empty() {
                return Err(err("the user name is empty"));
            }
            if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(err("the token contains whitespace"));
            }
            let in_group = |group: &str| groups.split(',').any(|g| g.trim() == group);
            let principal = match (in_group(READ_ONLY_GROUP), in_group(AGENT_GROUP)) {
                (true, true) => return Err(err("a token is either read-only or an agent's")),
                (true, false) => Principal::ReadOnly,
                (false, true) if asset_of(user).is_none() => {
                    return Err(err(
                        "an agent token's user must be patchwarden:agent:NAMESPACE:NAME",
                    ));
                }
                (false, true) => Principal::Agent,
                (false, false) => Principal::Admin,
            };
            if tokens
                .insert(token.to_string(), (user.to_string(), principal))
                .is_some()
            {
                return Err(err("the token is listed twice"));
            }
        }
        if tokens.is_empty() {
            return Err(ServerError::Tokens {
                path: origin.to_string(),
                line: 0,
                reason: "no tokens".to_string(),
            });
        }
        Ok(Auth {
            tokens,
            anonymous_admin: false,
        })
    }

    /// Adds the agent tokens listed in `text` (the tokens-file format); any other kind of
    /// token there is refused, so the file can grant no more than one Asset per line.
    pub fn with_agent_tokens(mut self, text: &str, origin: &str) -> Result<Auth, ServerError> {
        let agents = Self::parse(text, origin)?;
        let refused = |reason: &str| ServerError::Tokens {
            path: origin.to_string(),
            line: 0,
            reason: reason.to_string(),
        };
        for (token, (user, principal)) in agents.tokens {
            if principal != Principal::Agent {
                return Err(refused(&format!(
                    "{user} is not in the group {AGENT_GROUP}"
                )));
            }
            if self
                .tokens
                .insert(token, (user.clone(), principal))
                .is_some()
            {
                return Err(refused(&format!("the token of {user} is already in use")));
            }
        }
        Ok(self)
    }

    /// Lets requests without credentials through as admin (see `anonymous_admin`).
    pub fn allow_anonymous_admin(mut self) -> Auth {
        self.anonymous_admin = true;
        self
    }

    /// The first admin token (written into kubeconfigs).
    pub fn admin_token(&self) -> Option<&str> {
        let mut admins: Vec<&String> = self
            .tokens
            .iter()
            .filter(|(_, (_, p))| *p == Principal::Admin)
            .map(|(t, _)| t)
            .collect();
        admins.sort();
        admins.first().map(|t| t.as_str())
    }

    /// Who sent the request: the user of its token and what it may do.
    pub fn caller(&self, headers: &HeaderMap) -> Result<Caller, ApiError> {
        let Some(header_value) = headers.get(header::AUTHORIZATION) else {
            return if self.anonymous_admin {
                Ok(Caller {
                    user: ANONYMOUS.to_string(),
                    principal: Principal::Admin,
                })
            } else {
                Err(ApiError::unauthorized())
            };
        };
        let token = header_value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(ApiError::unauthorized)?;
        // Every known token is compared in constant time, so the time taken says nothing
        // about how much of a guess was right.
        let mut caller = None;
        for (known, (user, principal)) in &self.tokens {
            if bool::from(known.as_bytes().ct_eq(token.as_bytes())) {
                caller = Some(Caller {
                    user: user.clone(),
                    principal: *principal,
                });
            }
        }
        caller.ok_or_else(ApiError::unauthorized)
    }
}

/// A new random token (32 hex characters).
pub fn generate_token() -> Result<String, ServerError> {
    let mut buf = [0u8; 16];
    getrandom::fill(&mut buf).map_err(|e| ServerError::Io {
        action: "generating a token with",
        path: "the system random source".to_string(),
        source: std::io::Error::other(e.to_string()),
    })?;
    Ok(hex::encode(buf))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn token_file_with_read_only_group() {
        let auth = Auth::parse(
            "# comment\nabc,alice,1\nro1,bob,2,\"viewers,patchwarden:read-only\"\n",
            "tokens.csv",
        )
        .unwrap();
        let mut h = HeaderMap::new();
        assert_eq!(auth.caller(&h).map(|c| c.principal).unwrap_err().code, 401);
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer ro1"),
        );
        assert_eq!(
            auth.caller(&h).map(|c| c.principal).unwrap(),
            Principal::ReadOnly
        );
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert_eq!(
            auth.caller(&h).map(|c| c.principal).unwrap(),
            Principal::Admin
        );
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer nope"),
        );
        assert_eq!(auth.caller(&h).map(|c| c.principal).unwrap_err().code, 401);
        assert_eq!(auth.admin_token(), Some("abc"));
    }

    #[test]
    fn agent_tokens_name_their_asset() {
        let line = "ag1,patchwarden:agent:default:web-1,3,\"patchwarden:agents\"\n";
        let auth = Auth::single("adm")
            .with_agent_tokens(line, "agents")
            .unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer ag1"),
        );
        let caller = auth.caller(&h).unwrap();
        assert_eq!(caller.principal, Principal::Agent);
        assert_eq!(caller.user, "patchwarden:agent:default:web-1");
        assert_eq!(auth.admin_token(), Some("adm"));
        let no_asset = Auth::parse("ag2,bob,4,\"patchwarden:agents\"\n", "t").unwrap_err();
        assert!(
            no_asset.to_string().contains("NAMESPACE:NAME"),
            "{no_asset}"
        );
        let admin = Auth::single("adm").with_agent_tokens("x,alice,1\n", "agents");
        assert!(admin.is_err_and(|e| e.to_string().contains("alice")));
    }

    #[test]
    fn bad_token_lines_name_the_line() {
        let err = Auth::parse("abc,alice\n,bob\n", "t.csv").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }
}
