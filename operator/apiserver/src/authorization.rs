//! What each principal may do, in one place: the request checks and `kubectl auth can-i`
//! (SelfSubjectAccessReview) both ask [`denial`], so can-i answers what the server really
//! enforces. Admin tokens may do everything; read-only tokens may only get, list and watch, and
//! never Secrets, which hold credentials such as the SSH keys patchwarden logs in with.

use crate::auth::Principal;

/// The verbs that only read.
const READ_VERBS: &[&str] = &["get", "list", "watch"];

/// One access to decide: a verb on a resource (or on a non-resource path when `resource` is
/// `None`). `*` stands for every verb, group or resource, as in Kubernetes' attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access<'a> {
    pub verb: &'a str,
    pub group: &'a str,
    pub resource: Option<&'a str>,
}

/// Why `principal` may not make `access`, or `None` when it may.
pub fn denial(principal: Principal, access: Access<'_>) -> Option<String> {
    if principal == Principal::Admin {
        return None;
    }
    // Narrowed further by name and subresource in `agent_scope::agent_denial`.
    if principal == Principal::Agent {
        return crate::agent_scope::coarse_denial(access.verb, access.group, access.resource);
    }
    if !READ_VERBS.contains(&access.verb) {
        return Some(format!(
            "the read-only token may not {} resources",
            access.verb
        ));
    }
    let core_or_any = matches!(access.group, "" | "*");
    if core_or_any && matches!(access.resource, Some("secrets" | "*")) {
        return Some("the read-only token may not read secrets".to_string());
    }
    None
}

/// The verb of an HTTP method, as the real server names it for a request on a resource.
pub fn verb_of(method: &http::Method, names_one_object: bool) -> &'static str {
    match *method {
        http::Method::GET | http::Method::HEAD if names_one_object => "get",
        http::Method::GET | http::Method::HEAD => "list",
        http::Method::POST => "create",
        http::Method::PUT => "update",
        http::Method::PATCH => "patch",
        http::Method::DELETE if names_one_object => "delete",
        http::Method::DELETE => "deletecollection",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access<'a>(verb: &'a str, group: &'a str, resource: &'a str) -> Access<'a> {
        Access {
            verb,
            group,
            resource: Some(resource),
        }
    }

    #[test]
    fn admins_may_do_everything() {
        for verb in ["get", "create", "delete", "*", "escalate"] {
            assert_eq!(denial(Principal::Admin, access(verb, "", "secrets")), None);
        }
    }

    #[test]
    fn read_only_tokens_may_read_everything_but_secrets() {
        let ro = Principal::ReadOnly;
        assert_eq!(denial(ro, access("list", "patchwarden.io", "assets")), None);
        assert_eq!(denial(ro, access("watch", "", "configmaps")), None);
        let no_secrets = Some("the read-only token may not read secrets".to_string());
        assert_eq!(denial(ro, access("get", "", "secrets")), no_secrets);
        assert_eq!(denial(ro, access("list", "*", "*")), no_secrets);
        // A custom resource that happens to be called secrets in another group is no Secret.
        assert_eq!(denial(ro, access("get", "example.com", "secrets")), None);
        for verb in [
            "create",
            "update",
            "patch",
            "delete",
            "deletecollection",
            "*",
        ] {
            let denied = denial(ro, access(verb, "", "configmaps"));
            assert!(denied.is_some_and(|d| d.contains(verb)), "{verb}");
        }
        let path = Access {
            verb: "get",
            group: "",
            resource: None,
        };
        assert_eq!(denial(ro, path), None);
    }
}
