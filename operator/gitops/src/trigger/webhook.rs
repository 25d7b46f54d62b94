//! Judging one webhook delivery, without I/O: is it authentic (GitHub's
//! `X-Hub-Signature-256`, GitLab's `X-Gitlab-Token`, or a generic `X-Signature`, each checked
//! in constant time against the source's secret), and is it a push of the reference the
//! source follows?

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::source::GitReference;

/// The parts of a delivery the judgement reads: the relevant headers and the raw body.
#[derive(Debug, Clone, Copy, Default)]
pub struct Delivery<'a> {
    /// `X-Hub-Signature-256` (GitHub): `sha256=<hex HMAC-SHA256 of the body>`.
    pub github_signature: Option<&'a str>,
    /// `X-GitHub-Event`: `push`, `ping`, …
    pub github_event: Option<&'a str>,
    /// `X-Gitlab-Token` (GitLab): the secret itself.
    pub gitlab_token: Option<&'a str>,
    /// `X-Gitlab-Event`: `Push Hook`, …
    pub gitlab_event: Option<&'a str>,
    /// `X-Signature` (generic): `sha256=<hex HMAC-SHA256 of the body>`.
    pub generic_signature: Option<&'a str>,
    /// The raw body, exactly as received (the signatures cover these bytes).
    pub body: &'a [u8],
}

/// What an authentic delivery asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A push of the followed reference (or one that does not say which): fetch now.
    Fetch,
    /// GitHub's `ping` on hook creation: answered, nothing fetched.
    Pong,
    /// Authentic but not for this source (another branch, another event): acknowledged only.
    Ignored { reason: String },
}

/// Why a delivery is refused. The reasons name headers, never the secret or the body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("unauthenticated: {0}")]
    Unauthenticated(&'static str),
    #[error("bad request: {0}")]
    BadRequest(String),
}

/// The part of GitHub's, GitLab's and generic push payloads the judgement reads.
#[derive(Debug, Deserialize)]
struct PushPayload {
    #[serde(rename = "ref")]
    reference: Option<String>,
}

/// Judges `delivery` for a source that follows `followed`, with the shared `secret`.
pub fn judge(
    delivery: &Delivery<'_>,
    secret: &[u8],
    followed: &GitReference,
) -> Result<Verdict, Refusal> {
    if secret.is_empty() {
        return Err(Refusal::Unauthenticated("no webhook secret is configured"));
    }
    if delivery.github_signature.is_some() || delivery.github_event.is_some() {
        check_signature(
            delivery.github_signature,
            "X-Hub-Signature-256 is missing",
            secret,
            delivery.body,
        )?;
        return match delivery.github_event.unwrap_or("push") {
            "ping" => Ok(Verdict::Pong),
            "push" => push_verdict(delivery.body, followed),
            other => Ok(ignored(format!("GitHub event `{other}` is not a push"))),
        };
    }
    if delivery.gitlab_token.is_some() || delivery.gitlab_event.is_some() {
        check_token(delivery.gitlab_token, secret)?;
        return match delivery.gitlab_event.unwrap_or("Push Hook") {
            "Push Hook" | "Tag Push Hook" => push_verdict(delivery.body, followed),
            other => Ok(ignored(format!("GitLab event `{other}` is not a push"))),
        };
    }
    check_signature(
        delivery.generic_signature,
        "X-Signature is missing",
        secret,
        delivery.body,
    )?;
    generic_verdict(delivery.body, followed)
}

/// The `sha256=<hex>` signature of `body` with `secret`, as a sender writes it in
/// `X-Hub-Signature-256` or `X-Signature`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    // HMAC takes keys of every length, so there is always a MAC.
    new_mac(secret)
        .map(|mut mac| {
            mac.update(body);
            format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
        })
        .unwrap_or_default()
}

fn new_mac(secret: &[u8]) -> Option<Hmac<Sha256>> {
    Hmac::<Sha256>::new_from_slice(secret).ok()
}

/// `sha256=<hex>` of HMAC-SHA256(secret, body), compared in constant time.
fn check_signature(
    header: Option<&str>,
    missing: &'static str,
    secret: &[u8],
    body: &[u8],
) -> Result<(), Refusal> {
    let header = header.ok_or(Refusal::Unauthenticated(missing))?;
    let hex_digest = header
        .trim()
        .strip_prefix("sha256=")
        .ok_or(Refusal::Unauthenticated(
            "the signature is not `sha256=<hex>`",
        ))?;
    let digest = hex::decode(hex_digest)
        .map_err(|_| Refusal::Unauthenticated("the signature is not `sha256=<hex>`"))?;
    let mut mac =
        new_mac(secret).ok_or(Refusal::Unauthenticated("the webhook secret is unusable"))?;
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&digest)
        .map_err(|_| Refusal::Unauthenticated("the signature does not match"))
}

/// GitLab sends the secret itself; compared in constant time.
fn check_token(token: Option<&str>, secret: &[u8]) -> Result<(), Refusal> {
    let token = token.ok_or(Refusal::Unauthenticated("X-Gitlab-Token is missing"))?;
    if bool::from(token.as_bytes().ct_eq(secret)) {
        Ok(())
    } else {
        Err(Refusal::Unauthenticated("X-Gitlab-Token does not match"))
    }
}

/// A push payload must be JSON; its `ref` decides whether this source fetches.
fn push_verdict(body: &[u8], followed: &GitReference) -> Result<Verdict, Refusal> {
    let payload: PushPayload = serde_json::from_slice(body)
        .map_err(|error| Refusal::BadRequest(format!("the push payload is not JSON: {error}")))?;
    Ok(ref_verdict(payload.reference.as_deref(), followed))
}

/// A generic delivery may carry any body; a JSON one with a `ref` is filtered like a push.
fn generic_verdict(body: &[u8], followed: &GitReference) -> Result<Verdict, Refusal> {
    let reference = serde_json::from_slice::<PushPayload>(body)
        .ok()
        .and_then(|payload| payload.reference);
    Ok(ref_verdict(reference.as_deref(), followed))
}

/// Fetch when the pushed ref is the followed one, or when the delivery does not say.
fn ref_verdict(pushed: Option<&str>, followed: &GitReference) -> Verdict {
    let wanted = match followed {
        GitReference::Branch(name) => format!("refs/heads/{name}"),
        GitReference::Tag(name) => format!("refs/tags/{name}"),
        // A commit never moves, but its first push may be what brings it into the mirror.
        GitReference::Commit(_) => return Verdict::Fetch,
    };
    match pushed {
        None => Verdict::Fetch,
        Some(pushed) if pushed == wanted => Verdict::Fetch,
        Some(pushed) => ignored(format!("push of {pushed}, this source follows {wanted}")),
    }
}

fn ignored(reason: String) -> Verdict {
    Verdict::Ignored { reason }
}

#[cfg(test)]
#[path = "webhook_tests.rs"]
mod tests;
