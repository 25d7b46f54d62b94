//! `POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews`, what `kubectl auth can-i`
//! asks: may the caller's token make this access? Answered from the same rules the requests are
//! held to ([`crate::authorization`]); any authenticated token may ask about itself.

use http::{Request, Response};
use hyper::body::Incoming;
use serde_json::{Map, Value, json};

use super::request::{content_type, decode_body, read_body};
use super::response::json_response;
use super::{Body, Server};
use crate::auth::Principal;
use crate::authorization::{Access, denial};
use crate::error::ApiError;
use crate::protobuf;

/// The group, version and plural of the review.
pub const PATH: [&str; 4] = [
    "apis",
    "authorization.k8s.io",
    "v1",
    "selfsubjectaccessreviews",
];

const API_VERSION: &str = "authorization.k8s.io/v1";
const KIND: &str = "SelfSubjectAccessReview";

/// Reads the review (JSON or protobuf), decides it and answers 201 with its status filled in.
pub async fn create(
    server: &Server,
    req: Request<Incoming>,
    principal: Principal,
) -> Result<Response<Body>, ApiError> {
    if req.method() != http::Method::POST {
        return Err(ApiError::method_not_allowed(format!(
            "the server does not allow this method on the requested resource: {}",
            req.method()
        )));
    }
    let ct = content_type(req.headers());
    let body = read_body(req, server).await?;
    let review = if protobuf::is_protobuf(&ct) {
        protobuf::decode(&body)?
    } else {
        decode_body(&body, &ct)?
    };
    Ok(json_response(201, &review_answer(principal, review)?))
}

/// The review with its `status`: pure, so every rule is tested without a server.
pub fn review_answer(principal: Principal, review: Value) -> Result<Value, ApiError> {
    let Value::Object(mut review) = review else {
        return Err(ApiError::bad_request(
            "the object provided is unrecognized: expected a SelfSubjectAccessReview object",
        ));
    };
    if review
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k != KIND)
    {
        return Err(ApiError::bad_request(format!(
            "the kind in the data does not match the expected kind ({KIND})"
        )));
    }
    let spec = review.get("spec").cloned().unwrap_or(Value::Null);
    let access = access_of(&spec)?;
    let status = match denial(principal, access) {
        None => json!({"allowed": true, "reason": "allowed by the token's role"}),
        Some(reason) => json!({"allowed": false, "denied": true, "reason": reason}),
    };
    review.insert("apiVersion".into(), json!(API_VERSION));
    review.insert("kind".into(), json!(KIND));
    review
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    review.insert("status".into(), status);
    Ok(Value::Object(review))
}

/// The access a review's spec asks about; exactly one of the two attribute sets is required.
fn access_of(spec: &Value) -> Result<Access<'_>, ApiError> {
    let field = |attrs: &'static str, name: &str| {
        spec.get(attrs)
            .and_then(|a| a.get(name))
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    let resource = spec.get("resourceAttributes").filter(|a| !a.is_null());
    let non_resource = spec.get("nonResourceAttributes").filter(|a| !a.is_null());
    match (resource, non_resource) {
        (Some(_), None) => Ok(Access {
            verb: field("resourceAttributes", "verb"),
            group: field("resourceAttributes", "group"),
            resource: Some(field("resourceAttributes", "resource")),
        }),
        (None, Some(_)) => Ok(Access {
            verb: field("nonResourceAttributes", "verb"),
            group: "",
            resource: None,
        }),
        _ => Err(ApiError::invalid_field(
            KIND,
            "authorization.k8s.io",
            "",
            "FieldValueRequired",
            "spec.resourceAttributes",
            "Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(attrs: Value) -> Value {
        json!({"apiVersion": API_VERSION, "kind": KIND, "spec": attrs})
    }

    fn allowed(principal: Principal, verb: &str, resource: &str) -> bool {
        let attrs = json!({"resourceAttributes": {"verb": verb, "resource": resource, "namespace": "default"}});
        let answer = review_answer(principal, review(attrs)).unwrap();
        answer["status"]["allowed"].as_bool().unwrap()
    }

    #[test]
    fn reviews_answer_from_the_token_role() {
        assert!(allowed(Principal::Admin, "get", "secrets"));
        assert!(allowed(Principal::Admin, "delete", "configmaps"));
        assert!(allowed(Principal::ReadOnly, "list", "configmaps"));
        assert!(!allowed(Principal::ReadOnly, "get", "secrets"));
        assert!(!allowed(Principal::ReadOnly, "create", "configmaps"));
    }

    #[test]
    fn a_denial_says_why_and_keeps_the_spec() {
        let attrs = json!({"resourceAttributes": {"verb": "get", "resource": "secrets"}});
        let answer = review_answer(Principal::ReadOnly, review(attrs.clone())).unwrap();
        assert_eq!(answer["spec"], attrs);
        assert_eq!(answer["status"]["denied"], true);
        assert_eq!(
            answer["status"]["reason"],
            "the read-only token may not read secrets"
        );
    }

    #[test]
    fn a_review_without_attributes_or_of_another_kind_is_refused() {
        let error = review_answer(Principal::Admin, review(json!({}))).unwrap_err();
        assert_eq!(error.code, 422);
        let mut other = review(json!({"nonResourceAttributes": {"verb": "get", "path": "/"}}));
        other["kind"] = json!("SubjectAccessReview");
        assert_eq!(
            review_answer(Principal::Admin, other).unwrap_err().code,
            400
        );
        assert_eq!(
            review_answer(Principal::Admin, json!([])).unwrap_err().code,
            400
        );
    }
}
