//! patchwarden-api: the `patchwarden.io/v1alpha1` custom resources.
