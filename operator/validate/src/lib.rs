//! patchwarden-validate: Loading resource YAML from files and checking it: schema, meaning and references.
