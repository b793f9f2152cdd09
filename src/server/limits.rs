//! Limits that keep the server up under abuse: request body size, header
//! size and count, time to send headers and to finish a request, and the
//! number of open connections. Each refusal is a clean 4xx or a closed
//! connection, never a 5xx or a stuck task.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Form bodies of the OAuth endpoints are a few hundred bytes; the JSON
/// bodies of the resources and harness controls are small too. Larger
/// bodies get 413 (RFC 9110 §15.5.14) before a handler reads them.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// HTTP/1.1 read buffer, which bounds the request line plus headers;
/// beyond it hyper answers 431 (RFC 6585 §5). 8 KiB is hyper's minimum.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;

/// Header fields per HTTP/1.1 request; more gets 431.
pub const MAX_HEADERS: usize = 64;

/// HTTP/2 `SETTINGS_MAX_HEADER_LIST_SIZE` (RFC 9113 §6.5.2).
pub const MAX_HEADER_LIST_BYTES: u32 = 16 * 1024;

/// A client that has not sent a whole request head by then is dropped
/// (slow-header clients).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// TCP accept to the end of the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Tunable limits (tests shrink them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections served at once; further ones are closed at accept.
    pub max_connections: usize,
    /// From the request head to the response, body upload included: a slow
    /// body gets 408 (RFC 9110 §15.5.9).
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// Middleware: a request that takes longer than `timeout` is answered 408
/// and its handler dropped.
pub async fn request_timeout(State(timeout): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => (
            StatusCode::REQUEST_TIMEOUT,
            axum::Json(json!({"error": "invalid_request", "error_description": "The request took too long"})),
        )
            .into_response(),
    }
}

/// Counts open connections; a connection holds a [`Slot`] for its life.
#[derive(Debug, Clone)]
pub struct ConnectionCap {
    slots: Arc<Semaphore>,
}

impl ConnectionCap {
    pub fn new(max: usize) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(max.max(1))),
        }
    }

    /// A slot, or `None` when every one is taken: the caller closes the
    /// connection at once rather than queueing it.
    pub fn try_take(&self) -> Option<OwnedSemaphorePermit> {
        self.slots.clone().try_acquire_owned().ok()
    }
}

/// A stream that gives its connection slot back when dropped.
#[derive(Debug)]
pub struct Slotted<S> {
    inner: S,
    _slot: OwnedSemaphorePermit,
}

impl<S> Slotted<S> {
    pub fn new(inner: S, slot: OwnedSemaphorePermit) -> Self {
        Self { inner, _slot: slot }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Slotted<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Slotted<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
