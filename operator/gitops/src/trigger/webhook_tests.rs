use super::*;

const SECRET: &[u8] = b"s3cret-token";

fn main() -> GitReference {
    GitReference::Branch("main".into())
}

fn sign(secret: &[u8], body: &[u8]) -> String {
    signature(secret, body)
}

#[test]
fn signatures_are_githubs_documented_example() {
    // The example in GitHub's "Validating webhook deliveries".
    assert_eq!(
        signature(b"It's a Secret to Everybody", b"Hello, World!"),
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    );
}

fn github<'a>(event: &'a str, signature: Option<&'a str>, body: &'a [u8]) -> Delivery<'a> {
    Delivery {
        github_event: Some(event),
        github_signature: signature,
        body,
        ..Delivery::default()
    }
}

#[test]
fn a_signed_github_push_of_the_followed_branch_fetches() {
    let body = br#"{"ref":"refs/heads/main","after":"abc"}"#;
    let signature = sign(SECRET, body);
    let verdict = judge(&github("push", Some(&signature), body), SECRET, &main());
    assert_eq!(verdict, Ok(Verdict::Fetch));
}

#[test]
fn a_github_push_with_a_wrong_or_missing_signature_is_unauthenticated() {
    let body = br#"{"ref":"refs/heads/main"}"#;
    let wrong_key = sign(b"another-secret", body);
    let tampered = sign(SECRET, br#"{"ref":"refs/heads/other"}"#);
    for signature in [
        Some(wrong_key.as_str()),
        Some(tampered.as_str()),
        Some("sha256=zz"),
        Some("sha1=00"),
        None,
    ] {
        let verdict = judge(&github("push", signature, body), SECRET, &main());
        assert!(
            matches!(verdict, Err(Refusal::Unauthenticated(_))),
            "{signature:?}: {verdict:?}"
        );
    }
}

#[test]
fn github_ping_is_answered_and_other_events_and_branches_are_ignored() {
    let ping = br#"{"zen":"hi"}"#;
    let signature = sign(SECRET, ping);
    assert_eq!(
        judge(&github("ping", Some(&signature), ping), SECRET, &main()),
        Ok(Verdict::Pong)
    );
    let other = br#"{"ref":"refs/heads/feature"}"#;
    let signature = sign(SECRET, other);
    let verdict = judge(&github("push", Some(&signature), other), SECRET, &main());
    assert!(
        matches!(verdict, Ok(Verdict::Ignored { ref reason }) if reason.contains("refs/heads/feature"))
    );
    let verdict = judge(&github("issues", Some(&signature), other), SECRET, &main());
    assert!(matches!(verdict, Ok(Verdict::Ignored { .. })));
}

#[test]
fn a_signed_push_whose_body_is_not_json_is_a_bad_request() {
    let body = b"not json";
    let signature = sign(SECRET, body);
    let verdict = judge(&github("push", Some(&signature), body), SECRET, &main());
    assert!(
        matches!(verdict, Err(Refusal::BadRequest(_))),
        "{verdict:?}"
    );
}

#[test]
fn gitlab_tokens_are_compared_whole() {
    let body = br#"{"ref":"refs/heads/main"}"#;
    let delivery = |token| Delivery {
        gitlab_event: Some("Push Hook"),
        gitlab_token: token,
        body,
        ..Delivery::default()
    };
    assert_eq!(
        judge(&delivery(Some("s3cret-token")), SECRET, &main()),
        Ok(Verdict::Fetch)
    );
    for token in [Some("s3cret"), Some("s3cret-token2"), Some(""), None] {
        let verdict = judge(&delivery(token), SECRET, &main());
        assert!(
            matches!(verdict, Err(Refusal::Unauthenticated(_))),
            "{token:?}"
        );
    }
}

#[test]
fn generic_deliveries_are_signed_and_filtered_by_ref_when_they_carry_one() {
    let delivery = |signature, body| Delivery {
        generic_signature: signature,
        body,
        ..Delivery::default()
    };
    let anything = b"anything";
    let signature = sign(SECRET, anything);
    assert_eq!(
        judge(
            &delivery(Some(signature.as_str()), anything),
            SECRET,
            &main()
        ),
        Ok(Verdict::Fetch)
    );
    let tag_push = br#"{"ref":"refs/tags/v2"}"#;
    let signature = sign(SECRET, tag_push);
    let tag = GitReference::Tag("v2".into());
    assert_eq!(
        judge(&delivery(Some(signature.as_str()), tag_push), SECRET, &tag),
        Ok(Verdict::Fetch)
    );
    assert!(matches!(
        judge(
            &delivery(Some(signature.as_str()), tag_push),
            SECRET,
            &main()
        ),
        Ok(Verdict::Ignored { .. })
    ));
    assert!(matches!(
        judge(&delivery(None, anything), SECRET, &main()),
        Err(Refusal::Unauthenticated(_))
    ));
}

#[test]
fn without_a_configured_secret_nothing_is_authentic() {
    let body = b"{}";
    let signature = sign(b"", body);
    assert!(matches!(
        judge(&github("push", Some(&signature), body), b"", &main()),
        Err(Refusal::Unauthenticated(_))
    ));
}
