//! The HTTP listener of `specflow serve`: hyper's HTTP/1 connections driven here rather than by
//! `axum::serve`, because the server must bound what a client can hold.
//!
//! `axum::serve` has no header-read timeout and no connection cap: a connection trickling its
//! headers or its body stayed open for minutes, and 4,000 half-open connections were all held.
//! Here each connection needs a permit of a semaphore of `max_connections` before it is accepted
//! (beyond that, connections wait in the kernel's backlog), hyper closes a connection whose
//! request head does not arrive within `header_read_timeout` (hyper starts that clock whenever it
//! waits for a head, so an idle keep-alive connection is closed after the same time), a request
//! body that stops arriving for `body_read_timeout` fails its read, and the router answers a
//! handler still running after `request_timeout` with 503.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;
use tower_http::timeout::RequestBodyTimeoutLayer;

/// What one client may hold of the server.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// How long a request's head (request line and headers) may take to arrive, counted from
    /// when the connection waits for it; an idle keep-alive connection is closed after as long.
    pub header_read_timeout: Duration,
    /// How long a request's body may go without a byte arriving.
    pub body_read_timeout: Duration,
    /// How many connections are served at once.
    pub max_connections: usize,
    /// How long in-flight requests may take to finish once the server is asked to stop.
    pub shutdown_grace: Duration,
}

/// Serves `app` on `listener` within `limits` until `stop` completes; then accepts nothing more
/// and lets open connections finish their requests, for at most `limits.shutdown_grace`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    stop: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut connections = hyper::server::conn::http1::Builder::new();
    connections
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let app = tower::ServiceBuilder::new()
        .layer(RequestBodyTimeoutLayer::new(limits.body_read_timeout))
        .service(app);
    tokio::pin!(stop);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut stop => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        // The peer's address is what failed sign-ins are counted against (pages/session.rs).
        let service = app
            .clone()
            .map_request(move |mut request: hyper::Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            });
        let connection =
            connections.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            seconds = limits.shutdown_grace.as_secs(),
            "stopping: some connections did not finish in time and are dropped"
        );
    }
}
