//! The webhook of an incident response: a JSON notice signed with HMAC-SHA256 under the key
//! in the policy's Secret.

use std::time::Duration;

use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use patchwarden_api::patch_policy::IncidentRecord;
use patchwarden_core::incident::IncidentNotice;
use patchwarden_gitops::trigger::webhook::signature;

use super::super::super::object_key;
use super::super::super::operations::http_client;
use super::Responder;

/// How long a webhook call may take.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
/// The header carrying the body's signature.
const SIGNATURE_HEADER: &str = "X-Patchwarden-Signature";

impl Responder<'_> {
    pub(super) fn notice(
        &self,
        event: &'static str,
        record: &IncidentRecord,
        actions: &[String],
        now: DateTime<Utc>,
    ) -> IncidentNotice {
        IncidentNotice {
            event,
            policy: object_key(self.policy),
            asset: format!("{}/{}", self.namespace, record.asset),
            cause: record.cause.trim_start_matches("ended; ").to_string(),
            actions: actions.to_vec(),
            at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }

    /// POSTs the signed notice; the HTTP status when the receiver accepted it (2xx).
    pub(super) async fn notify(&self, notice: &IncidentNotice) -> Result<u16, String> {
        let Some(webhook) = &self.response.webhook else {
            return Err("no webhook".into());
        };
        let secrets: Api<Secret> = self.context.api_for(self.policy);
        let secret = secrets
            .get_opt(&webhook.secret_ref.name)
            .await
            .map_err(|e| format!("reading Secret {}: {e}", webhook.secret_ref.name))?
            .ok_or_else(|| format!("Secret {} does not exist", webhook.secret_ref.name))?;
        let key = secret
            .data
            .as_ref()
            .and_then(|data| data.get(&webhook.secret_ref.key))
            .ok_or_else(|| {
                format!(
                    "Secret {} has no key {}",
                    webhook.secret_ref.name, webhook.secret_ref.key
                )
            })?;
        let body = serde_json::to_vec(notice).map_err(|e| e.to_string())?;
        let client = http_client(WEBHOOK_TIMEOUT).map_err(|e| e.to_string())?;
        let response = client
            .post(&webhook.url)
            .header("Content-Type", "application/json")
            .header(SIGNATURE_HEADER, signature(&key.0, &body))
            .body(body)
            .send()
            .await
            .map_err(|e| format!("POST {}: {e}", webhook.url))?;
        let status = response.status().as_u16();
        if response.status().is_success() {
            Ok(status)
        } else {
            Err(format!("POST {}: HTTP status {status}", webhook.url))
        }
    }
}
