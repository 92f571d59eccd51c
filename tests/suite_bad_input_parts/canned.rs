//! The canned API server of the bad-input suite: a tiny HTTP/1.1 server on 127.0.0.1 that
//! answers every API request with one broken reply (truncated, short, chunked and huge bodies,
//! a proxy's HTML page), and the broken bodies it serves.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What the canned server answers to every API request (the token service always works).
#[derive(Clone)]
pub(crate) enum Reply {
    /// A complete HTTP response with a correct Content-Length.
    Full {
        status: u16,
        content_type: &'static str,
        body: Vec<u8>,
    },
    /// Announces `declared` bytes, sends `body` (fewer), then closes the connection.
    Short { declared: usize, body: Vec<u8> },
    /// A chunked 200 response of `total` bytes of `fill` with no Content-Length.
    Chunked { total: usize, fill: u8 },
    /// Every request, the token service's too, gets this proxy page.
    Everywhere { status: u16, body: Vec<u8> },
    /// The first API request gets the first reply, later ones the second (a server that
    /// recovers).
    FirstThen(Box<Reply>, Box<Reply>),
}

/// A tiny HTTP/1.1 server on 127.0.0.1 answering every request with one canned reply.
pub(crate) struct Canned {
    pub(crate) url: String,
    pub(crate) api_hits: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Canned {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// An unsigned JWT the client accepts as an id token: far-future `exp`, org `org_x`.
fn jwt() -> String {
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!(
        "{}.{}.{}",
        b64(r#"{"alg":"none","typ":"JWT"}"#),
        b64(r#"{"exp": 4102444800, "org_id": "org_x"}"#),
        b64("sig")
    )
}

fn head(status: u16, content_type: &str, extra: &str) -> String {
    format!(
        "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nConnection: close\r\n{extra}\r\n"
    )
}

pub(crate) async fn canned(reply: Reply) -> Canned {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let api_hits = Arc::new(AtomicUsize::new(0));
    let hits = api_hits.clone();
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let reply = reply.clone();
            let hits = hits.clone();
            tokio::spawn(async move {
                let Some(path) = read_request(&mut sock).await else {
                    return;
                };
                let is_token = path.starts_with("/oauth/token");
                let mut reply = reply;
                if !is_token {
                    let n = hits.fetch_add(1, Ordering::SeqCst);
                    if let Reply::FirstThen(first, then) = reply {
                        reply = if n == 0 { *first } else { *then };
                    }
                }
                // Write errors are expected: the client may hang up on a huge body.
                let _ = answer(&mut sock, &reply, is_token).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    Canned {
        url,
        api_hits,
        task,
    }
}

/// Reads one request (head and Content-Length body); returns its path.
async fn read_request(sock: &mut tokio::net::TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 1 << 20 {
            return None;
        }
    };
    let text = String::from_utf8_lossy(&buf[..end]).to_string();
    let length: usize = text
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    let mut have = buf.len() - end;
    while have < length {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        have += n;
    }
    text.split_whitespace().nth(1).map(str::to_string)
}

async fn answer(
    sock: &mut tokio::net::TcpStream,
    reply: &Reply,
    is_token: bool,
) -> std::io::Result<()> {
    if let Reply::Everywhere { status, body } = reply {
        let h = head(
            *status,
            "text/html",
            &format!("Content-Length: {}\r\n", body.len()),
        );
        sock.write_all(h.as_bytes()).await?;
        return sock.write_all(body).await;
    }
    if is_token {
        let body = serde_json::json!({"access_token": "opaque", "id_token": jwt(),
            "token_type": "Bearer", "expires_in": 86400})
        .to_string();
        let h = head(
            200,
            "application/json",
            &format!("Content-Length: {}\r\n", body.len()),
        );
        sock.write_all(h.as_bytes()).await?;
        return sock.write_all(body.as_bytes()).await;
    }
    match reply {
        Reply::Full {
            status,
            content_type,
            body,
        } => {
            let h = head(
                *status,
                content_type,
                &format!("Content-Length: {}\r\n", body.len()),
            );
            sock.write_all(h.as_bytes()).await?;
            sock.write_all(body).await
        }
        Reply::Short { declared, body } => {
            let h = head(
                200,
                "application/json",
                &format!("Content-Length: {declared}\r\n"),
            );
            sock.write_all(h.as_bytes()).await?;
            sock.write_all(body).await
        }
        Reply::Chunked { total, fill } => {
            let h = head(200, "application/json", "Transfer-Encoding: chunked\r\n");
            sock.write_all(h.as_bytes()).await?;
            let piece = vec![*fill; 1 << 16];
            let mut sent = 0;
            while sent < *total {
                sock.write_all(format!("{:x}\r\n", piece.len()).as_bytes())
                    .await?;
                sock.write_all(&piece).await?;
                sock.write_all(b"\r\n").await?;
                sent += piece.len();
            }
            sock.write_all(b"0\r\n\r\n").await
        }
        Reply::Everywhere { .. } | Reply::FirstThen(..) => Ok(()),
    }
}

/// A region list cut off in the middle of an object.
pub(crate) const TRUNCATED: &[u8] =
    br#"{"apiVersion":"ngpc.rxt.io/v1","kind":"RegionList","items":[{"metadata":{"name":"us-cen"#;

/// A well-formed, empty region list.
pub(crate) const EMPTY_REGIONS: &[u8] =
    br#"{"apiVersion":"ngpc.rxt.io/v1","kind":"RegionList","metadata":{},"items":[]}"#;

pub(crate) const HTML_502: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n</body>\r\n</html>\r\n";

pub(crate) const HTML_PORTAL: &str = "<!DOCTYPE html>\n<html><head><title>Sign in to the network</title>\
</head>\n<body><form action=\"/login\"><input name=\"user\"></form></body></html>\n";
