//! patchwarden-apiserver: a small Kubernetes-API-compatible control plane persisted in SQLite.
//!
//! It serves built-in kinds (Namespace, Event in both API groups, Lease,
//! CustomResourceDefinition, Node, Secret, ConfigMap, Job) and every established CRD, with
//! discovery, OpenAPI v3, tables, watches and the write semantics kubectl and kube-rs rely on.
//!
//! Start it in-process with [`ApiServer::start`]; the returned [`RunningServer`] knows its URL,
//! token and kubeconfig, and stops with [`RunningServer::shutdown`].

#![cfg_attr(test, allow(clippy::unwrap_used))]

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;
use tokio::net::TcpListener;

mod agent_scope;
mod auth;
mod authorization;
mod capacity;
mod cluster;
mod discovery;
pub mod error;
mod events;
mod http;
mod json;
mod limits;
mod listener;
mod objects;
mod openapi;
pub mod patch;
mod protobuf;
mod registry;
mod schema;
mod selector;
mod store;
mod table;
mod tls;
mod watch;

pub use agent_scope::{AGENT_GROUP, AGENT_USER_PREFIX};
pub use auth::READ_ONLY_GROUP;
pub use capacity::ServerLimits;
use error::create_private_dir;
pub use error::{ServerError, write_private};
pub use store::SyncMode;

/// Default request body limit (the real server's default is 3 MiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

/// How to run the server.
#[derive(Debug, Clone)]
pub struct Config {
    /// Holds `state.db` (SQLite), `token`, `kubeconfig` and `tls/`.
    pub data_dir: PathBuf,
    /// Address to bind; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Serve HTTPS with a self-signed CA (kept in `data_dir/tls`). Bearer tokens are required
    /// over TLS. Plain HTTP is only allowed on loopback, where requests without credentials
    /// are admitted unless `require_token` (kubectl never sends tokens over plain HTTP) and
    /// sent tokens are checked.
    pub tls: bool,
    /// Refuse requests without a token over plain HTTP too (over TLS they always are).
    pub require_token: bool,
    /// Extra DNS names or IP addresses the serving certificate is for, beside the loopback
    /// names and the listen address; the CA is constrained to these names.
    pub tls_hosts: Vec<String>,
    /// kube-apiserver style token file (`token,user,uid[,"groups"]`). Without it an admin
    /// token is generated once and kept in `data_dir/token`, and the agent tokens listed in
    /// `data_dir/agent-tokens` (if any) are accepted beside it.
    pub tokens_file: Option<PathBuf>,
    /// Commit durability; see [`SyncMode`].
    pub sync: SyncMode,
    /// Requests with larger bodies get 413 RequestEntityTooLarge.
    pub max_body_bytes: usize,
    /// Events retained for watch resume; older resourceVersions get 410 Expired.
    pub history_limit: usize,
    /// Connections, header and body timeouts, watches and queued writes clients may hold.
    pub limits: ServerLimits,
}

impl Config {
    /// Loopback on a free port, plain HTTP, durable commits.
    pub fn new(data_dir: impl Into<PathBuf>) -> Config {
        Config {
            data_dir: data_dir.into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: false,
            require_token: false,
            tls_hosts: Vec::new(),
            tokens_file: None,
            sync: SyncMode::Full,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            history_limit: cluster::DEFAULT_HISTORY,
            limits: ServerLimits::default(),
        }
    }
}

/// Namespace for [`ApiServer::start`].
pub struct ApiServer;

impl ApiServer {
    /// Opens (or creates) the store, binds the listener, writes the kubeconfig and starts
    /// serving on the current tokio runtime.
    pub async fn start(config: Config) -> Result<RunningServer, ServerError> {
        start(config).await
    }
}

/// A server that is running; dropping it stops accepting connections.
pub struct RunningServer {
    /// The bound address (the real port when 0 was asked for).
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT` or `https://…`.
    pub base_url: String,
    /// An admin bearer token.
    pub token: String,
    /// PEM of the CA to trust when TLS is on.
    pub ca_pem: Option<String>,
    /// Where the kubeconfig was written (`data_dir/kubeconfig`).
    pub kubeconfig_path: PathBuf,
    shutdown_tx: tokio::sync::watch::Sender<bool>,
    accept_task: Option<tokio::task::JoinHandle<()>>,
    shared: Arc<cluster::Shared>,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl RunningServer {
    /// The kubeconfig text (also written to `kubeconfig_path`).
    pub fn kubeconfig_yaml(&self) -> String {
        kubeconfig(&self.base_url, &self.token, self.ca_pem.as_deref())
    }

    /// Stops accepting, ends open watches and connections, finishes queued writes and closes
    /// the database.
    pub async fn shutdown(mut self) {
        self.stop().await;
    }

    async fn stop(&mut self) {
        let _ = self.shutdown_tx.send(true);
        if let Some(task) = self.accept_task.take() {
            let _ = task.await;
        }
        self.shared.close();
        if let Some(writer) = self.writer.take() {
            let _ = tokio::task::spawn_blocking(move || writer.join()).await;
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.shutdown_tx.send(true);
        if self.writer.is_some() {
            self.shared.close();
        }
    }
}

fn base64_std(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// A kubeconfig for the server with one admin user.
pub fn kubeconfig(base_url: &str, token: &str, ca_pem: Option<&str>) -> String {
    let ca = match ca_pem {
        Some(pem) => format!(
            "\n    certificate-authority-data: {}",
            base64_std(pem.as_bytes())
        ),
        None => String::new(),
    };
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: patchwarden
  cluster:
    server: {base_url}{ca}
users:
- name: patchwarden-admin
  user:
    token: {token}
contexts:
- name: patchwarden
  context:
    cluster: patchwarden
    user: patchwarden-admin
    namespace: default
current-context: patchwarden
"
    )
}

fn load_auth(config: &Config) -> Result<auth::Auth, ServerError> {
    if let Some(file) = &config.tokens_file {
        return auth::Auth::from_file(file);
    }
    let token_path = config.data_dir.join("token");
    // Only a missing file makes a new token: any other failure to read it is an error, so a
    // transient fault never silently invalidates every kubeconfig written so far.
    let token = match std::fs::read_to_string(&token_path) {
        Ok(t) if !t.trim().is_empty() => t.trim().to_string(),
        Ok(_) => {
            return Err(ServerError::Tokens {
                path: token_path.display().to_string(),
                line: 0,
                reason: "the token file is empty".to_string(),
            });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let t = auth::generate_token()?;
            write_private(&token_path, &t)?;
            t
        }
        Err(source) => {
            return Err(ServerError::Io {
                action: "reading the token file",
                path: token_path.display().to_string(),
                source,
            });
        }
    };
    agent_tokens(auth::Auth::single(&token), config)
}

/// Adds the agent tokens of `data_dir/agent-tokens` (tokens-file lines, each in the group
/// `patchwarden:agents`), when there is such a file: how agents get their own least-privilege
/// tokens without a full tokens file.
fn agent_tokens(auth: auth::Auth, config: &Config) -> Result<auth::Auth, ServerError> {
    let path = config.data_dir.join("agent-tokens");
    match std::fs::read_to_string(&path) {
        Ok(text) => auth.with_agent_tokens(&text, &path.display().to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(auth),
        Err(source) => Err(ServerError::Io {
            action: "reading the agent tokens file",
            path: path.display().to_string(),
            source,
        }),
    }
}

/// The token written into the admin kubeconfig; a tokens file must name one admin.
fn admin_token(auth: &auth::Auth, config: &Config) -> Result<String, ServerError> {
    let token = auth.admin_token().ok_or_else(|| ServerError::Tokens {
        path: config
            .tokens_file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        line: 0,
        reason: "no admin token (every token is read-only)".to_string(),
    })?;
    Ok(token.to_string())
}

/// The listener and the address it really got (the port when 0 was asked for).
async fn bind(listen: SocketAddr) -> Result<(TcpListener, SocketAddr), ServerError> {
    let bind_err = |source| ServerError::Bind {
        addr: listen.to_string(),
        source,
    };
    let listener = TcpListener::bind(listen).await.map_err(bind_err)?;
    let addr = listener.local_addr().map_err(bind_err)?;
    Ok((listener, addr))
}

/// Where clients reach a server bound to `addr`: a wildcard address is no destination (and no
/// name the certificate carries), so they use loopback of the same family.
fn client_address(addr: SocketAddr) -> SocketAddr {
    let ip = match addr.ip() {
        ip if !ip.is_unspecified() => ip,
        std::net::IpAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
        std::net::IpAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
    };
    SocketAddr::new(ip, addr.port())
}

async fn start(config: Config) -> Result<RunningServer, ServerError> {
    create_private_dir(&config.data_dir)?;
    if !config.tls && !config.listen.ip().is_loopback() {
        return Err(ServerError::Insecure {
            addr: config.listen.to_string(),
        });
    }
    let mut auth = load_auth(&config)?;
    if !config.tls && !config.require_token {
        auth = auth.allow_anonymous_admin();
    }
    let token = admin_token(&auth, &config)?;
    let db_path = config.data_dir.join("state.db");
    let (shared, writer) = cluster::Shared::open(
        &db_path,
        config.sync,
        config.history_limit,
        config.limits.max_queued_writes,
    )?;
    shared
        .write(|txn| {
            objects::bootstrap_namespaces(txn);
            Ok(cluster::Reply::ok(Value::Null))
        })
        .await
        .map_err(|_| ServerError::WriterStopped)?;
    let (listener, addr) = bind(config.listen).await?;
    let tls = if config.tls {
        Some(tls::setup(
            &config.data_dir.join("tls"),
            addr.ip(),
            &config.tls_hosts,
        )?)
    } else {
        None
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let base_url = format!("{scheme}://{}", client_address(addr));
    let ca_pem = tls.as_ref().map(|t| t.ca_pem.clone());
    let kubeconfig_path = config.data_dir.join("kubeconfig");
    write_private(
        &kubeconfig_path,
        &kubeconfig(&base_url, &token, ca_pem.as_deref()),
    )?;
    let (shutdown_tx, shutdown_rx) = tokio::sync::watch::channel(false);
    let server = Arc::new(http::Server {
        shared: shared.clone(),
        auth,
        max_body: config.max_body_bytes,
        address: addr.to_string(),
        served_names: http::host::served_names(&config.tls_hosts),
        shutdown: shutdown_rx.clone(),
        watch_slots: capacity::WatchSlots::new(config.limits.max_watches_per_user),
        limits: config.limits.clone(),
    });
    let acceptor = tls.map(|t| tokio_rustls::TlsAcceptor::from(t.server_config));
    let accept_task = tokio::spawn(listener::accept_loop(
        listener,
        server,
        acceptor,
        shutdown_rx,
    ));
    tracing::info!(%base_url, kubeconfig = %kubeconfig_path.display(), "API server listening");
    Ok(RunningServer {
        addr,
        base_url,
        token,
        ca_pem,
        kubeconfig_path,
        shutdown_tx,
        accept_task: Some(accept_task),
        shared,
        writer: Some(writer),
    })
}

/// Runs the server until SIGINT or SIGTERM: the body of `patchwarden apiserver`. Prints the
/// URL and kubeconfig path on stdout once it is serving.
pub async fn run_until_signal(config: Config) -> Result<(), ServerError> {
    let running = ApiServer::start(config).await?;
    // Whoever started us may stop reading stdout; that must not stop the server.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "serving {}", running.base_url);
    let _ = writeln!(out, "kubeconfig {}", running.kubeconfig_path.display());
    let _ = out.flush();
    drop(out);
    wait_for_signal().await;
    running.shutdown().await;
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod token_file_tests {
    use super::*;

    #[test]
    fn a_token_file_that_cannot_be_read_is_an_error_and_is_kept() {
        let dir = tempfile::tempdir().expect("dir");
        let token_path = dir.path().join("token");
        std::fs::write(&token_path, [0xff, 0xfe, 0xfd]).expect("write");
        let error = load_auth(&Config::new(dir.path())).expect_err("an unreadable token file");
        assert!(
            error.to_string().contains("reading the token file"),
            "{error}"
        );
        assert_eq!(
            std::fs::read(&token_path).expect("read"),
            [0xff, 0xfe, 0xfd]
        );
        std::fs::write(&token_path, "  \n").expect("write");
        let error = load_auth(&Config::new(dir.path())).expect_err("an empty token file");
        assert!(
            error.to_string().contains("the token file is empty"),
            "{error}"
        );
    }

    #[test]
    fn a_missing_token_file_gets_a_new_token_that_is_kept() {
        let dir = tempfile::tempdir().expect("dir");
        let first = load_auth(&Config::new(dir.path())).expect("auth");
        let token = first.admin_token().expect("admin").to_string();
        let again = load_auth(&Config::new(dir.path())).expect("auth");
        assert_eq!(again.admin_token(), Some(token.as_str()));
    }

    #[cfg(unix)]
    #[test]
    fn private_files_are_0600_written_whole_and_never_through_a_symlink() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("dir");
        let elsewhere = dir.path().join("elsewhere");
        std::fs::write(&elsewhere, "keep").expect("write");
        let target = dir.path().join("token");
        std::os::unix::fs::symlink(&elsewhere, &target).expect("symlink");
        write_private(&target, "secret").expect("write_private");
        assert_eq!(std::fs::read_to_string(&elsewhere).expect("read"), "keep");
        let meta = std::fs::symlink_metadata(&target).expect("metadata");
        assert!(meta.file_type().is_file());
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "secret");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn the_data_directory_is_0700_and_the_database_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("dir");
        let data = dir.path().join("data");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let server = runtime
            .block_on(ApiServer::start(Config::new(&data)))
            .expect("start");
        let mode = |p: &std::path::Path| {
            std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777
        };
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join("state.db")), 0o600);
        assert_eq!(mode(&data.join("token")), 0o600);
        assert_eq!(mode(&data.join("kubeconfig")), 0o600);
        drop(server);
    }
}
