//! The check of an Asset's spec: the connections that need an address have one.

use super::{CheckSpec, SpecError};
use crate::asset::Asset;
use crate::common::ConnectionKind;

impl CheckSpec for Asset {
    fn spec_errors(&self) -> Vec<SpecError> {
        let spec = &self.spec;
        let mut errors = Vec::new();
        let needs_address = match spec.connection {
            ConnectionKind::Ssh => Some("an SSH asset needs an address (host name or IP)"),
            ConnectionKind::Node => Some("a node asset needs an address (the Node's name)"),
            ConnectionKind::Agent | ConnectionKind::Lab => None,
        };
        if let Some(message) = needs_address
            && spec.address.as_deref().is_none_or(|a| a.trim().is_empty())
        {
            errors.push(SpecError::new("spec.address", message));
        }
        errors
    }
}
