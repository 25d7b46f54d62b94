//! Accepting connections: each is served on its own task with the header timeout, and past
//! the connection cap a connection is answered 503 and closed.

use std::sync::Arc;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::{capacity, http};

/// Accepts until shutdown, then ends every open connection.
pub async fn accept_loop(
    listener: TcpListener,
    server: Arc<http::Server>,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let permits = Arc::new(Semaphore::new(server.limits.max_connections));
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!(error = %e, "accepting a connection failed");
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let Ok(permit) = permits.clone().try_acquire_owned() else {
                    connections.spawn(refuse(stream));
                    continue;
                };
                let server = server.clone();
                let acceptor = acceptor.clone();
                connections.spawn(async move {
                    serve_connection(stream, server, acceptor).await;
                    drop(permit);
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = shutdown.changed() => break,
        }
    }
    connections.abort_all();
    while connections.join_next().await.is_some() {}
}

/// Serves one connection; a client that takes longer than the header timeout to complete
/// the TLS handshake or to send a request's headers is cut off.
async fn serve_connection(
    stream: tokio::net::TcpStream,
    server: Arc<http::Server>,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
) {
    let handshake_timeout = server.limits.header_read_timeout;
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(server.limits.header_read_timeout);
    let service = service_fn(move |req| http::handle(server.clone(), req));
    let result = match acceptor {
        // A handshake gets the header timeout too: a client that opens connections and never
        // completes one would otherwise hold each of them for good.
        Some(acceptor) => {
            match tokio::time::timeout(handshake_timeout, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => builder.serve_connection(TokioIo::new(tls), service).await,
                Ok(Err(e)) => {
                    tracing::debug!(error = %e, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!("TLS handshake timed out");
                    return;
                }
            }
        }
        None => {
            builder
                .serve_connection(TokioIo::new(stream), service)
                .await
        }
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

/// Answers a connection over the limit with 503 and closes it, never waiting long on it.
async fn refuse(mut stream: tokio::net::TcpStream) {
    use tokio::io::AsyncWriteExt;
    let write = async {
        let _ = stream.write_all(capacity::TOO_MANY_CONNECTIONS).await;
        let _ = stream.shutdown().await;
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), write).await;
}
