//! The listener, TLS, the per-connection HTTP service and the request gate
//! (recording, faults, authorization, pending answers) in front of a
//! vendor's router.

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll as TaskPoll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, DATE, RETRY_AFTER};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tower::ServiceExt as _;

use super::fault::{Fault, Poll, RequestKey};
use super::log::RecordedRequest;
use super::sessions::relock;
use super::{MAX_REQUEST_BODY, RESPONSE_ID, Shared};

/// A TLS acceptor with a fresh self-signed certificate for `localhost` and
/// `127.0.0.1`, and the certificate's PEM.
pub(crate) fn tls_acceptor() -> io::Result<(TlsAcceptor, String)> {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .map_err(io::Error::other)?;
    let pem = certified.cert.pem();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    // An explicit provider: another crate in the same build may enable a
    // second rustls backend, which makes the implicit default ambiguous.
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .map_err(io::Error::other)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok((TlsAcceptor::from(Arc::new(config)), pem))
}

pub(crate) async fn accept_loop(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    shared: Arc<Shared>,
) {
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Typically EMFILE; back off instead of spinning.
                tracing::debug!(vendor = shared.vendor.name(), error = %e, "sim: accept failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        shared.connections.fetch_add(1, Ordering::Relaxed);
        connections.spawn(serve(stream, tls.clone(), Arc::clone(&shared)));
    }
}

/// Lets the request gate drop its connection with a TCP reset.
#[derive(Debug, Default)]
struct Kill {
    reset: AtomicBool,
    notify: Notify,
}

impl Kill {
    fn now(&self) {
        self.reset.store(true, Ordering::Relaxed);
        self.notify.notify_one();
    }
}

/// A TCP stream that closes with a reset (`SO_LINGER` 0) instead of the
/// normal shutdown when its connection was killed.
struct Socket {
    stream: TcpStream,
    kill: Arc<Kill>,
}

impl Drop for Socket {
    fn drop(&mut self) {
        if self.kill.reset.load(Ordering::Relaxed) {
            let _ = self.stream.set_zero_linger();
        }
    }
}

impl AsyncRead for Socket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> TaskPoll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Socket {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> TaskPoll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> TaskPoll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> TaskPoll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> TaskPoll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

async fn serve(stream: TcpStream, tls: Option<TlsAcceptor>, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let kill = Arc::new(Kill::default());
    let socket = Socket {
        stream,
        kill: Arc::clone(&kill),
    };
    let name = shared.vendor.name();
    let service = {
        let kill = Arc::clone(&kill);
        hyper::service::service_fn(move |req: Request<Incoming>| {
            gate(Arc::clone(&shared), Arc::clone(&kill), req)
        })
    };
    let builder = auto::Builder::new(TokioExecutor::new());
    let result = match tls {
        Some(acceptor) => match acceptor.accept(socket).await {
            Ok(stream) => {
                let conn = builder.serve_connection(TokioIo::new(stream), service);
                tokio::select! {
                    result = conn => result,
                    () = kill.notify.notified() => Ok(()),
                }
            }
            Err(e) => {
                tracing::debug!(vendor = name, error = %e, "sim: TLS handshake failed");
                return;
            }
        },
        None => {
            let conn = builder.serve_connection(TokioIo::new(socket), service);
            tokio::select! {
                result = conn => result,
                () = kill.notify.notified() => Ok(()),
            }
        }
    };
    if let Err(e) = result {
        tracing::debug!(vendor = name, error = %e, "sim: connection ended with an error");
    }
}

/// Why a request body could not be read.
enum BodyError {
    TooLarge,
    Broken,
}

async fn read_body(body: Incoming) -> Result<Bytes, BodyError> {
    match Limited::new(body, MAX_REQUEST_BODY).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(BodyError::TooLarge),
        Err(_) => Err(BodyError::Broken),
    }
}

/// Runs in front of the vendor's router for every request: reads and
/// records it, applies a queued fault, then authorizes it, answers a
/// pending poll, or routes it.
async fn gate(
    shared: Arc<Shared>,
    kill: Arc<Kill>,
    req: Request<Incoming>,
) -> Result<Response, Infallible> {
    let (parts, body) = req.into_parts();
    let body = match read_body(body).await {
        Ok(body) => body,
        Err(e) => {
            relock(&shared.log).push(RecordedRequest::new(&parts, &[]));
            let response = match e {
                BodyError::TooLarge => shared.vendor.error_response(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &format!("The request body is larger than {MAX_REQUEST_BODY} bytes."),
                ),
                BodyError::Broken => shared.vendor.error_response(
                    StatusCode::BAD_REQUEST,
                    "The request body could not be read.",
                ),
            };
            shared.requests.fetch_add(1, Ordering::Relaxed);
            return Ok(dated(&shared, response));
        }
    };
    relock(&shared.log).push(RecordedRequest::new(&parts, &body));
    let fault = relock(&shared.faults).take(parts.uri.path());
    let response = match fault {
        None => admit(&shared, parts, body).await,
        Some(Fault::Delay(d)) => {
            tokio::time::sleep(d).await;
            admit(&shared, parts, body).await
        }
        Some(Fault::ExpireSessions) => {
            shared.sessions.expire_all();
            admit(&shared, parts, body).await
        }
        Some(Fault::TruncatedBody) => truncate(&shared, admit(&shared, parts, body).await).await,
        Some(Fault::Pending { polls: 0 }) => admit(&shared, parts, body).await,
        Some(Fault::Pending { polls }) => {
            let id = relock(&shared.pending).start(request_key(&parts, &body), polls);
            accepted(&shared, &id)
        }
        Some(Fault::ConnectionReset) => {
            shared.requests.fetch_add(1, Ordering::Relaxed);
            kill.now();
            // The connection task drops this future with the connection.
            return std::future::pending().await;
        }
        Some(Fault::TooManyRequests { retry_after_secs }) => {
            let mut response = shared.vendor.error_response(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests. Please retry later.",
            );
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
            response
        }
        Some(Fault::ServiceUnavailable) => shared.vendor.error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "The service is temporarily unavailable.",
        ),
        Some(Fault::InternalError) => shared.vendor.error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "An unexpected error occurred while processing the request.",
        ),
        Some(Fault::HtmlError { status }) => html_error(status),
        Some(Fault::LoginPage) => login_page(),
        Some(Fault::ErrorInside200 { body }) => {
            (StatusCode::OK, [(CONTENT_TYPE, "application/json")], body).into_response()
        }
    };
    shared.requests.fetch_add(1, Ordering::Relaxed);
    Ok(dated(&shared, response))
}

/// Sets the `Date` header from the server's clock when it is off the local
/// one; otherwise hyper dates the answer.
fn dated(shared: &Shared, mut response: Response) -> Response {
    let skew = shared.clock_skew.load(Ordering::Relaxed);
    if skew != 0
        && let Some(value) = http_date(skew)
    {
        response.headers_mut().insert(DATE, value);
    }
    response
}

/// The current time plus `skew` seconds as an HTTP date
/// (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn http_date(skew: i64) -> Option<HeaderValue> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let at = time::OffsetDateTime::now_utc().checked_add(time::Duration::seconds(skew))?;
    HeaderValue::from_str(&at.format(&format).ok()?).ok()
}

/// Authorizes the request, answers a pending poll, or routes it.
async fn admit(shared: &Shared, mut parts: Parts, body: Bytes) -> Response {
    if let Err(response) = shared.vendor.authorize(&mut parts, &shared.sessions) {
        return response;
    }
    if let Some(id) = parts.headers.get(RESPONSE_ID) {
        let id = id.to_str().unwrap_or("");
        let poll = relock(&shared.pending).poll(id, &request_key(&parts, &body));
        match poll {
            Poll::Wait => return accepted(shared, id),
            Poll::Unknown => {
                return shared.vendor.error_response(
                    StatusCode::NOT_FOUND,
                    "No pending response has this response-id; it was retrieved, expired, or belongs to another request.",
                );
            }
            Poll::Ready => {}
        }
    }
    let request = Request::from_parts(parts, Body::from(body));
    match shared.router.clone().oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

fn request_key(parts: &Parts, body: &[u8]) -> RequestKey {
    let target = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path(), |pq| pq.as_str());
    RequestKey::new(parts.method.as_str(), target, body)
}

/// 202 with an empty body and the `response-id` header.
fn accepted(shared: &Shared, id: &str) -> Response {
    match HeaderValue::from_str(id) {
        Ok(value) => {
            let mut response = StatusCode::ACCEPTED.into_response();
            response
                .headers_mut()
                .insert(HeaderName::from_static(RESPONSE_ID), value);
            response
        }
        Err(_) => shared.vendor.error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The pending response id could not be sent.",
        ),
    }
}

fn html_error(status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let body = format!(
        "<html><body><h1>{} {}</h1>The upstream server returned an invalid response.</body></html>",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error"),
    );
    (status, [(CONTENT_TYPE, "text/html")], body).into_response()
}

/// A sign-in form, as a portal in front of the API answers.
fn login_page() -> Response {
    let body = concat!(
        "<!DOCTYPE html><html><head><title>Sign in</title></head><body>",
        "<form method=\"post\" action=\"/login\"><h1>Sign in</h1>",
        "<input name=\"username\"><input name=\"password\" type=\"password\">",
        "<button type=\"submit\">Sign in</button></form></body></html>"
    );
    (
        StatusCode::OK,
        [(CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// Keeps status and headers, halves the body and lets hyper frame the
/// shorter body with a correct Content-Length.
async fn truncate(shared: &Shared, response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    // The simulator's own response: its size is already bounded.
    match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => {
            parts.headers.remove(CONTENT_LENGTH);
            let cut = bytes.slice(..bytes.len() / 2);
            Response::from_parts(parts, Body::from(cut))
        }
        Err(_) => shared.vendor.error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The response body could not be read.",
        ),
    }
}
