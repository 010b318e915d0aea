//! The HTTP listener of `specflow serve`: hyper's HTTP/1 connections driven here rather than by
//! `axum::serve`, because the server must bound what a client can hold.
//!
//! `axum::serve` has no header-read timeout and no connection cap: a connection trickling its
//! headers or its body stayed open for minutes, and 4,000 half-open connections were all held.
//! Here each connection needs a permit of a semaphore of `max_connections` before it is accepted
//! (beyond that, connections wait in the kernel's backlog); hyper closes a connection whose
//! request head does not arrive within `header_read_timeout` (hyper starts that clock whenever it
//! waits for a head, the next one on a kept-alive connection too); a connection with no request
//! in flight and no byte read or written for `keep_alive_timeout` is shut down; a request body
//! that stops arriving for `body_read_timeout` fails its read; and the router answers a handler
//! still running after the request timeout with 503.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;
use tower::ServiceExt;
use tower_http::timeout::RequestBodyTimeoutLayer;

/// What one client may hold of the server.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// How long a request's head (request line and headers) may take to arrive, counted from
    /// when the connection waits for it.
    pub header_read_timeout: Duration,
    /// How long a connection may stay open with no request in flight and nothing read or written.
    pub keep_alive_timeout: Duration,
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
    let max_connections = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS);
    let permits = Arc::new(Semaphore::new(max_connections));
    let (stopping, stop_watch) = watch::channel(false);
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
        let activity = Arc::new(Activity::new());
        // The peer's address is what failed sign-ins are counted against (pages/session.rs).
        let in_flight = activity.clone();
        let finished = activity.clone();
        let service = app
            .clone()
            .map_request(move |mut request: hyper::Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                in_flight.requests.fetch_add(1, Ordering::Relaxed);
                request
            })
            .map_response(move |response| {
                finished.requests.fetch_sub(1, Ordering::Relaxed);
                finished.touch();
                response
            });
        let connection = connections.serve_connection(
            TokioIo::new(TrackedStream {
                stream,
                activity: activity.clone(),
            }),
            TowerToHyperService::new(service),
        );
        let stop_watch = stop_watch.clone();
        let keep_alive_timeout = limits.keep_alive_timeout;
        tokio::spawn(async move {
            drive(connection, &activity, keep_alive_timeout, stop_watch).await;
            drop(permit);
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    // Every connection gives its permit back when it ends: all of them back means all ended.
    let all_ended = permits.acquire_many(u32::try_from(max_connections).unwrap_or(u32::MAX));
    if tokio::time::timeout(limits.shutdown_grace, all_ended)
        .await
        .is_err()
    {
        tracing::warn!(
            seconds = limits.shutdown_grace.as_secs(),
            "stopping: some connections did not finish in time and are dropped"
        );
    }
}

/// Runs one connection to its end, shutting it down gracefully (the request in flight finishes,
/// then it closes) when it has been idle for `keep_alive_timeout` or the server stops.
async fn drive<S>(
    connection: hyper::server::conn::http1::Connection<TokioIo<TrackedStream>, S>,
    activity: &Activity,
    keep_alive_timeout: Duration,
    mut stop_watch: watch::Receiver<bool>,
) where
    S: hyper::service::HttpService<Incoming>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    S::ResBody: 'static,
    <S::ResBody as hyper::body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    tokio::pin!(connection);
    let mut shutting_down = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, "connection ended with an error");
                }
                return;
            }
            () = activity.idle_for(keep_alive_timeout), if !shutting_down => {
                connection.as_mut().graceful_shutdown();
                shutting_down = true;
            }
            changed = stop_watch.changed(), if !shutting_down => {
                if changed.is_err() || *stop_watch.borrow() {
                    connection.as_mut().graceful_shutdown();
                    shutting_down = true;
                }
            }
        }
    }
}

/// When a connection last read or wrote a byte, and how many of its requests are in flight.
#[derive(Debug)]
struct Activity {
    started: Instant,
    last_micros: AtomicU64,
    requests: AtomicUsize,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            started: Instant::now(),
            last_micros: AtomicU64::new(0),
            requests: AtomicUsize::new(0),
        }
    }

    fn touch(&self) {
        let micros = u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.last_micros.store(micros, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.started + Duration::from_micros(self.last_micros.load(Ordering::Relaxed))
    }

    /// Completes once no request is in flight and nothing was read or written for `timeout`.
    async fn idle_for(&self, timeout: Duration) {
        loop {
            let deadline = self.last() + timeout;
            if Instant::now() >= deadline && self.requests.load(Ordering::Relaxed) == 0 {
                return;
            }
            // A request in flight is the request timeout's to bound; look again a while later.
            let wake = if Instant::now() >= deadline {
                Instant::now() + timeout
            } else {
                deadline
            };
            tokio::time::sleep_until(wake).await;
        }
    }
}

/// A TCP stream that notes in its [`Activity`] every read or write that moved a byte.
struct TrackedStream {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for TrackedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buffer.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(context, buffer);
        if matches!(polled, Poll::Ready(Ok(()))) && buffer.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for TrackedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(context, bytes);
        if matches!(polled, Poll::Ready(Ok(written)) if written > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(context)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(context)
    }
}
