//! The rules of an agent token: a `patchwarden agent` runs on the machine it patches, so its
//! token is the credential most exposed to the machine's own compromise. It may only read its
//! own Asset (get, or list and watch narrowed to it by `fieldSelector=metadata.name=NAME`) and
//! write that Asset's status, where the agent exchange lives; nothing else, Secrets and other
//! Assets included.
//!
//! As with Kubernetes' node authorizer, the identity is in the user name: a token whose groups
//! include [`AGENT_GROUP`] must be for the user `patchwarden:agent:NAMESPACE:NAME`, the Asset
//! it serves.

/// The group that marks an agent token.
pub const AGENT_GROUP: &str = "patchwarden:agents";
/// The prefix of an agent token's user name, followed by `NAMESPACE:NAME`.
pub const AGENT_USER_PREFIX: &str = "patchwarden:agent:";

const GROUP: &str = "patchwarden.io";
const RESOURCE: &str = "assets";

/// The Asset an agent user serves, `(namespace, name)`; `None` for a user name of another form.
pub fn asset_of(user: &str) -> Option<(&str, &str)> {
    let (namespace, name) = user.strip_prefix(AGENT_USER_PREFIX)?.split_once(':')?;
    let valid = |s: &str| !s.is_empty() && !s.contains([':', '/']);
    (valid(namespace) && valid(name)).then_some((namespace, name))
}

/// One request of an agent token, with everything that scopes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentRequest<'a> {
    pub verb: &'a str,
    pub group: &'a str,
    pub resource: &'a str,
    pub namespace: Option<&'a str>,
    pub name: Option<&'a str>,
    /// The URL addresses the status subresource.
    pub status: bool,
    /// The request's `fieldSelector`, for lists and watches.
    pub field_selector: Option<&'a str>,
}

/// Why the agent `user` may not make `request`, or `None` when it may.
pub fn agent_denial(user: &str, request: &AgentRequest<'_>) -> Option<String> {
    let Some((namespace, name)) = asset_of(user) else {
        return Some(format!(
            "{user} is not an agent user ({AGENT_USER_PREFIX}NAMESPACE:NAME)"
        ));
    };
    let own_asset = request.group == GROUP
        && request.resource == RESOURCE
        && request.namespace == Some(namespace);
    let allowed = own_asset
        && match request.verb {
            "get" => request.name == Some(name),
            "list" | "watch" => request.name.is_none() && selects_only(request, name),
            "patch" | "update" => request.name == Some(name) && request.status,
            _ => false,
        };
    (!allowed).then(|| {
        format!(
            "the agent token of {namespace}/{name} may only read Asset {namespace}/{name} and write its status, not {} {}{}",
            request.verb,
            request.resource,
            request.name.map(|n| format!(" {n}")).unwrap_or_default()
        )
    })
}

/// Whether the request's field selector narrows it to the object `name`: one of its
/// comma-separated terms is `metadata.name=NAME` (the others can only narrow it further).
fn selects_only(request: &AgentRequest<'_>, name: &str) -> bool {
    request.field_selector.is_some_and(|selector| {
        selector.split(',').any(|term| {
            let term = term.trim();
            let value = term
                .strip_prefix("metadata.name==")
                .or_else(|| term.strip_prefix("metadata.name="));
            value == Some(name)
        })
    })
}

/// What an agent token may do where only the verb and the resource are known: the request's
/// first check, and `kubectl auth can-i` without a name. Reads and status writes of Assets
/// may pass on to [`agent_denial`]; everything else is refused here.
pub fn coarse_denial(verb: &str, group: &str, resource: Option<&str>) -> Option<String> {
    let verb_ok = matches!(verb, "get" | "list" | "watch" | "patch" | "update");
    let resource_ok = match resource {
        None => true,
        Some(resource) => group == GROUP && resource == RESOURCE,
    };
    (!(verb_ok && resource_ok)).then(|| {
        format!(
            "an agent token may only read its own Asset and write its status, not {verb} {}",
            resource.unwrap_or("this path")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: &str = "patchwarden:agent:default:web-1";

    fn request<'a>(verb: &'a str, resource: &'a str, name: Option<&'a str>) -> AgentRequest<'a> {
        AgentRequest {
            verb,
            group: GROUP,
            resource,
            namespace: Some("default"),
            name,
            status: false,
            field_selector: None,
        }
    }

    #[test]
    fn the_user_name_names_the_asset() {
        assert_eq!(asset_of(USER), Some(("default", "web-1")));
        for other in [
            "admin",
            "patchwarden:agent:default",
            "patchwarden:agent::web-1",
            "patchwarden:agent:default:",
            "patchwarden:agent:a:b:c",
        ] {
            assert_eq!(asset_of(other), None, "{other}");
        }
    }

    #[test]
    fn an_agent_reads_its_own_asset_and_writes_only_its_status() {
        assert_eq!(
            agent_denial(USER, &request("get", RESOURCE, Some("web-1"))),
            None
        );
        let mut status = request("patch", RESOURCE, Some("web-1"));
        status.status = true;
        assert_eq!(agent_denial(USER, &status), None);
        let mut watch = request("list", RESOURCE, None);
        watch.field_selector = Some("metadata.name=web-1");
        assert_eq!(agent_denial(USER, &watch), None);
        watch.field_selector = Some("metadata.namespace=default,metadata.name==web-1");
        assert_eq!(agent_denial(USER, &watch), None);
    }

    #[test]
    fn an_agent_reaches_nothing_else() {
        let denied = |r: &AgentRequest<'_>| agent_denial(USER, r).is_some();
        assert!(denied(&request("get", RESOURCE, Some("web-2"))));
        assert!(
            denied(&request("patch", RESOURCE, Some("web-1"))),
            "the spec"
        );
        assert!(denied(&request("delete", RESOURCE, Some("web-1"))));
        assert!(denied(&request("list", RESOURCE, None)), "every Asset");
        let mut other = request("list", RESOURCE, None);
        other.field_selector = Some("metadata.name=web-2");
        assert!(denied(&other));
        other.field_selector = Some("metadata.name!=web-2");
        assert!(denied(&other));
        let mut elsewhere = request("get", RESOURCE, Some("web-1"));
        elsewhere.namespace = Some("prod");
        assert!(denied(&elsewhere));
        let mut secret = request("get", "secrets", Some("web-1"));
        secret.group = "";
        assert!(denied(&secret));
        assert!(denied(&request("get", "patchpolicies", Some("web-1"))));
        let message = agent_denial("admin", &request("get", RESOURCE, Some("web-1")));
        assert!(message.is_some_and(|m| m.contains("not an agent user")));
    }

    #[test]
    fn the_coarse_check_lets_only_asset_reads_and_writes_through() {
        assert_eq!(coarse_denial("get", GROUP, Some(RESOURCE)), None);
        assert_eq!(coarse_denial("patch", GROUP, Some(RESOURCE)), None);
        assert_eq!(coarse_denial("get", "", None), None);
        assert!(coarse_denial("get", "", Some("secrets")).is_some());
        assert!(coarse_denial("list", "*", Some("*")).is_some());
        assert!(coarse_denial("create", GROUP, Some(RESOURCE)).is_some());
        assert!(coarse_denial("delete", "", None).is_some());
    }
}
