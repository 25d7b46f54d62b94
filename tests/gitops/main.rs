//! GitOps against real Git repositories made with git2: reading revisions, `plan` golden
//! files, and the Git source sync applying revisions to the embedded control plane.

mod git_source;
mod plan_golden;
mod plan_matches_run;
mod sync_apiserver;
