//! The network layer: accepts connections, applies injected faults, keeps the journal and
//! hands each buffered request to the router.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use super::faults::{Fault, PreFault};
use super::reply::{self, Reply};
use super::{JournalEntry, Shared, cluster_api, routes};

/// Lets a request close its own connection without a response.
#[derive(Clone)]
struct ConnAbort(Arc<Notify>);

pub(super) async fn accept_loop(listener: TcpListener, router: Router, tls: TlsAcceptor) {
    // Owning the connections here means aborting this task closes every connection too.
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    conns.spawn(serve_connection(stream, router.clone(), tls.clone()));
                }
                Err(e) => {
                    tracing::warn!("emulator: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
}

/// Serves one connection, over TLS when it starts with a handshake (the cluster API).
async fn serve_connection(stream: TcpStream, router: Router, tls: TlsAcceptor) {
    if cluster_api::starts_with_tls(&stream).await {
        match tls.accept(stream).await {
            Ok(stream) => serve_io(TokioIo::new(stream), router).await,
            Err(e) => tracing::debug!("emulator: TLS handshake failed: {e}"),
        }
    } else {
        serve_io(TokioIo::new(stream), router).await;
    }
}

async fn serve_io<I>(io: TokioIo<I>, router: Router)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let abort = Arc::new(Notify::new());
    let handle = ConnAbort(Arc::clone(&abort));
    let service =
        hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(handle.clone());
            router.clone().oneshot(req.map(Body::new))
        });
    let conn = http1::Builder::new().serve_connection(io, service);
    tokio::select! {
        biased;
        () = abort.notified() => {}
        _ = conn => {}
    }
}

fn is_write(m: &http::Method) -> bool {
    matches!(
        *m,
        http::Method::POST | http::Method::PATCH | http::Method::PUT | http::Method::DELETE
    )
}

fn into_response(r: Reply) -> Response {
    let mut builder = Response::builder()
        .status(r.status)
        .header(http::header::CONTENT_TYPE, r.content_type);
    for (k, v) in r.headers {
        builder = builder.header(k, v);
    }
    builder.body(Body::from(r.body)).unwrap_or_else(|_| {
        let mut resp = Response::new(Body::from("emulator: bad response"));
        *resp.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
        resp
    })
}

fn fault_reply(status: u16, retry_after: Option<Duration>) -> Reply {
    let reason = match status {
        // Kubernetes' reason for a 409: the object changed under the request.
        409 => "Conflict",
        429 => "TooManyRequests",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "InternalError",
    };
    let secs = retry_after.map(|d| d.as_secs() + u64::from(d.subsec_nanos() > 0));
    let details = secs.map(|s| serde_json::json!({"retryAfterSeconds": s}));
    let r = reply::status(
        status,
        reason,
        &format!("injected fault: HTTP {status}"),
        details,
    );
    match secs {
        Some(s) => r.with_header("retry-after", s.to_string()),
        None => r,
    }
}

/// Closes the connection carrying this request; never returns when that is possible.
async fn close_connection(abort: Option<ConnAbort>) -> Response {
    if let Some(a) = abort {
        a.0.notify_one();
        // The connection task drops this future together with the connection.
        std::future::pending::<()>().await;
    }
    into_response(Reply::text(503, "connection closed"))
}

/// Admin path for out-of-process users (benchmarks, CLI tests): `GET` reads the request journal,
/// `DELETE` clears it. Never journaled and never faulted.
pub const JOURNAL_PATH: &str = "/_emulator/journal";

pub(super) async fn handle(
    State(shared): State<Arc<Shared>>,
    req: Request,
) -> Result<Response, Infallible> {
    if req.uri().path() == JOURNAL_PATH {
        let reply = match *req.method() {
            axum::http::Method::GET => Reply::json(
                200,
                &serde_json::to_value(&*shared.journal()).unwrap_or_default(),
            ),
            axum::http::Method::DELETE => {
                shared.journal().clear();
                Reply::json(200, &serde_json::json!({"cleared": true}))
            }
            _ => Reply::text(405, "method not allowed"),
        };
        return Ok(into_response(reply));
    }
    let latency = shared.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let abort = req.extensions().get::<ConnAbort>().cloned();
    let scripted = shared
        .faults
        .scripted(req.method().as_str(), req.uri().path());
    let (parts, body) = req.into_parts();
    let record = |status: u16, fault: Option<String>| {
        shared.journal().push(JournalEntry {
            method: parts.method.as_str().to_string(),
            path: parts.uri.path().to_string(),
            query: parts.uri.query().map(String::from),
            status,
            at: shared.clock.now(),
            fault,
        });
    };
    if let Some(Fault::Delay(d)) = scripted {
        tokio::time::sleep(d).await;
    }
    let pre = match scripted {
        Some(Fault::Drop) => Some(PreFault::Drop),
        Some(Fault::Status(status)) => Some(PreFault::Fail {
            status,
            retry_after: None,
        }),
        Some(Fault::LoseResponse | Fault::Delay(_)) | None => shared.faults.before_request(),
    };
    match pre {
        Some(PreFault::Drop) => {
            record(0, Some("dropped connection".into()));
            return Ok(close_connection(abort).await);
        }
        Some(PreFault::Fail {
            status,
            retry_after,
        }) => {
            record(status, Some(format!("status {status}")));
            return Ok(into_response(fault_reply(status, retry_after)));
        }
        None => {}
    }
    let bytes = match axum::body::to_bytes(body, 16 * 1024 * 1024).await {
        Ok(b) => b,
        Err(e) => {
            let r = reply::bad_request(&format!("could not read the request body: {e}"));
            record(r.status, None);
            return Ok(into_response(r));
        }
    };
    let reply = {
        let ctx = routes::Ctx {
            seed: &shared.seed,
            secret: &shared.secret,
            base_url: &shared.base_url,
            now: shared.clock.now(),
            token_lifetime: shared.token_lifetime,
            page_size: shared.page_size,
            variants: shared.variants,
        };
        let req = routes::Req {
            method: &parts.method,
            path: parts.uri.path(),
            query: parts.uri.query(),
            headers: &parts.headers,
            body: &bytes,
        };
        let mut store = shared.store();
        routes::route(&mut store, &ctx, &req)
    };
    if scripted == Some(Fault::LoseResponse)
        || (is_write(&parts.method) && shared.faults.lose_write_response())
    {
        record(reply.status, Some("lost response".into()));
        return Ok(close_connection(abort).await);
    }
    record(reply.status, None);
    Ok(into_response(reply))
}
