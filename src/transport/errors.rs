//! From failures to [`Error`]: transport errors keep their `reqwest::Error` as source (boxed), HTTP
//! answers are read (Kubernetes `Status`, OAuth errors, plain text, HTML from a proxy) into the
//! variant a caller can match. Errors raised inside the pipeline reach the caller as typed values
//! ([`super::failure`]), never as made-up response bodies.

use serde_json::Value;

use crate::error::{ConflictReason, Error};

use super::failure::{strip_query, transport};

/// The first non-empty line of `s`, at most 300 characters.
pub(crate) fn one_line(s: &str) -> String {
    let first = s
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut out: String = first.chars().take(300).collect();
    if first.chars().count() > 300 {
        out.push('…');
    }
    out
}

/// What an error answer says, whatever its shape.
pub(crate) struct AnswerText {
    /// The message.
    pub message: String,
    /// Kubernetes `Status.reason`.
    pub reason: Option<String>,
    /// The first `details.causes[].field`.
    pub field: Option<String>,
    /// OAuth `error` code.
    pub code: Option<String>,
}

/// Reads the message of an error body (Kubernetes `Status`, OAuth error, HTML, plain text).
pub(crate) fn answer_text(status: u16, body: &[u8]) -> AnswerText {
    let text = String::from_utf8_lossy(body);
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let str_at = |v: &Value, p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_string);
    let mut out = AnswerText {
        message: String::new(),
        reason: None,
        field: None,
        code: None,
    };
    match &parsed {
        Some(v) if v.get("kind").and_then(Value::as_str) == Some("Status") => {
            out.message = str_at(v, "/message").unwrap_or_default();
            out.reason = str_at(v, "/reason");
            out.field = str_at(v, "/details/causes/0/field");
        }
        Some(v) if v.get("error").is_some() => {
            out.code = str_at(v, "/error");
            out.message = str_at(v, "/error_description")
                .or_else(|| str_at(v, "/message"))
                .or_else(|| out.code.clone())
                .unwrap_or_default();
        }
        Some(v) if v.get("message").and_then(Value::as_str).is_some() => {
            out.message = str_at(v, "/message").unwrap_or_default();
        }
        _ if text.trim_start().starts_with('<') => {
            out.message = format!(
                "the server answered with an HTML or XML page (HTTP {status}), not the Spot API; check the configured URL and any proxy"
            );
        }
        _ => out.message = one_line(&text),
    }
    if out.message.is_empty() {
        out.message = format!("HTTP {status}");
    }
    out
}

/// Maps an error answer of the Spot API onto the crate's error.
pub(crate) fn from_answer(
    url: &str,
    status: u16,
    body: &[u8],
    retry_after: Option<std::time::Duration>,
    kind: &str,
    name: &str,
) -> Error {
    let t = answer_text(status, body);
    let url = strip_query(url);
    match status {
        401 => Error::Unauthorized { message: t.message },
        403 => Error::Forbidden { message: t.message },
        404 => Error::not_found(kind, name),
        409 => Error::Conflict {
            reason: ConflictReason::from_status_reason(t.reason.as_deref()),
            message: t.message,
        },
        400 | 415 | 422 => Error::Invalid {
            field: t.field,
            message: t.message,
        },
        429 => Error::RateLimited { url, retry_after },
        300..=399 => Error::Api {
            url,
            status,
            message: "a redirect that was not followed".into(),
        },
        _ => Error::Api {
            url,
            status,
            message: t.message,
        },
    }
}

tokio::task_local! {
    /// The cache entry the call running in this task was answered from, if any.
    static SERVED_FROM_CACHE: std::cell::RefCell<Option<(crate::state::StateStore, crate::state::CacheKey)>>;
}

/// Notes that the call running in this task was answered from the cache (by the cache stage).
pub(crate) fn note_cache_hit(state: &crate::state::StateStore, key: &crate::state::CacheKey) {
    let _ =
        SERVED_FROM_CACHE.try_with(|slot| *slot.borrow_mut() = Some((state.clone(), key.clone())));
}

/// Drops the cache entry the call that just ran in this task was answered from; true when
/// there was one.
pub(crate) async fn drop_cache_hit() -> bool {
    let hit = SERVED_FROM_CACHE
        .try_with(|slot| slot.borrow_mut().take())
        .ok()
        .flatten();
    let Some((state, key)) = hit else {
        return false;
    };
    if let Err(e) = state.cache_invalidate(&key.scope, &key.url).await {
        tracing::debug!("could not drop a stale cache entry: {e}");
    }
    true
}

/// Runs `fut` with a place to note a cache hit ([`note_cache_hit`], [`drop_cache_hit`]).
pub(crate) async fn scoped<F: std::future::Future>(fut: F) -> F::Output {
    SERVED_FROM_CACHE
        .scope(std::cell::RefCell::new(None), fut)
        .await
}

/// Maps an answer nobody expected (an error status) onto the crate's error.
pub(crate) async fn map_unexpected(resp: reqwest::Response, kind: &str, name: &str) -> Error {
    let status = resp.status().as_u16();
    let url = resp.url().to_string();
    let retry_after = super::retry::retry_after_of(&resp);
    // Error bodies are small; a huge one is cut rather than buffered.
    let body = match super::limits::read_capped(resp, 64 * 1024).await {
        Ok(b) => b,
        Err(e) => return transport(&url, e),
    };
    from_answer(&url, status, &body, retry_after, kind, name)
}

/// Turns any failure of a generated call into the crate's error.
pub(crate) async fn map_error<E: serde::Serialize>(
    err: progenitor_client::Error<E>,
    kind: &str,
    name: &str,
) -> Error {
    match err {
        progenitor_client::Error::UnexpectedResponse(resp) => {
            map_unexpected(resp, kind, name).await
        }
        other => map_plain(other, kind, kind, name),
    }
}

/// Maps a failure of a generated call without reading anything more (the `From` behind `?` on
/// raw calls). An unexpected answer is classified by its status, URL and `Retry-After` only:
/// its body is not read, so a 404 is `NotFound { kind: "resource", name: <path> }` and other
/// messages say `HTTP <status>`.
pub(crate) fn map_raw<E: serde::Serialize>(err: progenitor_client::Error<E>) -> Error {
    match err {
        progenitor_client::Error::UnexpectedResponse(resp) => {
            let url = strip_query(resp.url().as_str());
            let path = resp.url().path().to_string();
            let retry_after = super::retry::retry_after_of(&resp);
            from_answer(
                &url,
                resp.status().as_u16(),
                b"",
                retry_after,
                "resource",
                &path,
            )
        }
        other => map_plain(other, "the Spot API", "resource", "(unknown)"),
    }
}

/// The mapping shared by [`map_error`] and [`map_raw`] (every failure but an unexpected answer,
/// whose body only the async one reads). `url` names the request where no URL is known.
fn map_plain<E: serde::Serialize>(
    err: progenitor_client::Error<E>,
    url: &str,
    kind: &str,
    name: &str,
) -> Error {
    use progenitor_client::Error as PE;
    match err {
        PE::UnexpectedResponse(resp) => {
            let status = resp.status().as_u16();
            let at = resp.url().to_string();
            from_answer(&at, status, b"", None, kind, name)
        }
        PE::ErrorResponse(v) => {
            let status = v.status().as_u16();
            // A documented error body: read it the same way as any other answer.
            let body = serde_json::to_vec(v.as_ref()).unwrap_or_default();
            from_answer(url, status, &body, None, kind, name)
        }
        PE::CommunicationError(e) => super::failure::take(&e).unwrap_or_else(|| {
            let at = e.url().map(|u| u.to_string()).unwrap_or_else(|| url.into());
            transport(&at, e)
        }),
        PE::ResponseBodyError(e) | PE::InvalidUpgrade(e) => {
            let at = e.url().map(|u| u.to_string()).unwrap_or_else(|| url.into());
            transport(&at, e)
        }
        PE::InvalidResponsePayload(bytes, e) => Error::Decode {
            url: url.to_string(),
            message: format!(
                "{} ({} bytes received)",
                one_line(&e.to_string()),
                bytes.len()
            ),
            source: Some(e),
        },
        PE::InvalidRequest(m) => Error::Invalid {
            field: None,
            message: m,
        },
        PE::Custom(m) => Error::Failed {
            what: kind.to_string(),
            message: m,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_truncates() {
        assert_eq!(one_line("\n  first line \nsecond"), "first line");
        assert_eq!(one_line(&"x".repeat(400)).chars().count(), 301);
    }

    #[test]
    fn answers_of_every_shape() {
        let status = br#"{"kind":"Status","message":"cloudspaces.ngpc.rxt.io \"x\" not found","reason":"NotFound"}"#;
        assert!(answer_text(404, status).message.contains("not found"));
        let oauth =
            br#"{"error":"invalid_grant","error_description":"Unknown or invalid refresh token."}"#;
        let t = answer_text(403, oauth);
        assert_eq!(t.code.as_deref(), Some("invalid_grant"));
        assert_eq!(t.message, "Unknown or invalid refresh token.");
        assert!(
            answer_text(502, b"<html>bad gateway</html>")
                .message
                .contains("HTML")
        );
        assert_eq!(answer_text(500, b"").message, "HTTP 500");
        let e = from_answer(
            "http://h/apis/x?labelSelector=a",
            400,
            br#"{"error":"bad_request","error_description":"unknown cloudspace"}"#,
            None,
            "kubeconfig",
            "x",
        );
        assert_eq!(e.to_string(), "invalid request: unknown cloudspace");
    }
}
