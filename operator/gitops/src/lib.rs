//! patchwarden-gitops: Git source sync (apply a repository's resources, prune, record the revision) and plan for pull requests.
