//! kube-rs clients and extra kubeconfigs for a server.

use std::path::{Path, PathBuf};

use kube::Client;
use kube::config::{KubeConfigOptions, Kubeconfig};
use patchwarden_apiserver::RunningServer;

/// A kube-rs client from a kubeconfig file.
pub async fn client(kubeconfig: &Path) -> Client {
    let kubeconfig = Kubeconfig::read_from(kubeconfig).expect("read the kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .expect("kube config from the kubeconfig");
    Client::try_from(config).expect("kube client")
}

/// Writes a kubeconfig for `server` that presents `token` instead of the admin token, at `path`.
pub fn write_with_token(server: &RunningServer, token: &str, path: &Path) -> PathBuf {
    let yaml = patchwarden_apiserver::kubeconfig(&server.base_url, token, server.ca_pem.as_deref());
    std::fs::write(path, yaml).expect("write the kubeconfig");
    path.to_path_buf()
}
