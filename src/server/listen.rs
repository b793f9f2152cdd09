//! The connection acceptor: TLS only, decided by the first byte.
//!
//! RFC 8446 §5.1: a TLS connection opens with a handshake record, content
//! type 22 (0x16). Anything else (a plain `GET /...` or `POST /...`) is
//! closed without a response, so plain HTTP never sees data (RFC 6749 §3.1,
//! §3.2, RFC 6750 §5.2; POINT11-API.md "HTTPS only"). Under the
//! `plain-http-served` fault the same connection is served as plain HTTP
//! instead, so the conformance checks for HTTPS-only can be shown to fail.
//!
//! The acceptor also enforces the connection cap (a connection over it is
//! closed before the handshake) and bounds the time from accept to the end
//! of the TLS handshake, so silent or slow clients cannot pile up.

use std::io;
use std::time::Duration;

use axum_server::accept::Accept;
use axum_server::tls_rustls::RustlsAcceptor;
use futures::future::BoxFuture;
use tokio::net::TcpStream;
use tokio_util::either::Either;

use super::limits::{ConnectionCap, HANDSHAKE_TIMEOUT, Slotted};

/// A client that connects and says nothing is dropped after this long.
const FIRST_BYTE_TIMEOUT: Duration = Duration::from_secs(10);

/// RFC 8446 §5.1 `ContentType.handshake`.
const TLS_HANDSHAKE: u8 = 0x16;

#[derive(Clone)]
pub(super) struct SniffingAcceptor {
    tls: RustlsAcceptor,
    /// The `plain-http-served` fault.
    serve_plain_http: bool,
    cap: ConnectionCap,
}

impl SniffingAcceptor {
    pub(super) fn new(tls: RustlsAcceptor, serve_plain_http: bool, cap: ConnectionCap) -> Self {
        Self {
            tls,
            serve_plain_http,
            cap,
        }
    }
}

type Inner<S> = Either<<RustlsAcceptor as Accept<TcpStream, S>>::Stream, TcpStream>;

impl<S: Send + 'static> Accept<TcpStream, S> for SniffingAcceptor {
    type Stream = Slotted<Inner<S>>;
    type Service = S;
    type Future = BoxFuture<'static, io::Result<(Self::Stream, S)>>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        let acceptor = self.clone();
        // Taken before any work: over the cap, the connection is dropped
        // (closed) at once and costs nothing more.
        let slot = self.cap.try_take();
        Box::pin(async move {
            let slot = slot.ok_or_else(|| io::Error::other("connection cap reached: closed"))?;
            let (stream, service) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.handshake(stream, service))
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no TLS handshake in time"))??;
            Ok((Slotted::new(stream, slot), service))
        })
    }
}

impl SniffingAcceptor {
    async fn handshake<S: Send + 'static>(&self, stream: TcpStream, service: S) -> io::Result<(Inner<S>, S)> {
        let mut first = [0u8; 1];
        let peeked = tokio::time::timeout(FIRST_BYTE_TIMEOUT, stream.peek(&mut first))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no first byte"))??;
        if peeked == 1 && first[0] != TLS_HANDSHAKE {
            if self.serve_plain_http {
                return Ok((Either::Right(stream), service));
            }
            // Dropping the stream closes it: no HTTP response at all.
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "plain HTTP on the HTTPS port: closed without a response",
            ));
        }
        let (tls, service) = self.tls.accept(stream, service).await?;
        Ok((Either::Left(tls), service))
    }
}
