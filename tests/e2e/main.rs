//! End-to-end tests of the operator: the embedded control plane, the real kubectl, the
//! `patchwarden` executable as a process and lab fleets of real dpkg roots patched by the real
//! apt-get and dpkg. Each test holds a turn (`support::cluster::take_turn`), so they run one
//! at a time.

mod agent_hosts;
mod bad_resources;
mod behavioural_health;
mod compliance_outcomes;
mod compromised;
mod crash;
mod debian_hosts;
mod epss_emergency;
mod evidence;
mod failure;
mod git_triggers;
mod happy_path;
mod health_checks;
mod incident_response;
mod leader_election;
mod node_drain;
mod quarantine;
mod reboots;
mod report;
mod report_served;
mod sla_and_delay;
mod ssh_failures;
mod ssh_hosts;
mod ssh_reboot_crash;
mod ssh_security;
mod suspend;
mod up;
mod up_auth;
mod up_preflight;
mod window_closed;
mod window_fit;
