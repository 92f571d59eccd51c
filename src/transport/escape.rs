//! The `api` escape hatch: any method on any path of the configured hosts, through the same
//! stages as a generated call (auth, retry, deadline, limits, paging). Absolute URLs outside the
//! configured hosts are refused, so a credential never leaves them.

use std::sync::Arc;

use bytes::Bytes;
use serde_json::Value;
use tracing::Instrument;

use crate::error::Error;
use crate::raw::{self, HostKind};

use super::Inner;
use super::limits::{MAX_RESPONSE_BYTES, read_bounded};
use super::span::CallSpan;

/// One escape-hatch request.
pub(crate) struct ApiCall<'a> {
    pub method: &'a str,
    /// Relative to the API base URL, or absolute on a configured host.
    pub path: &'a str,
    pub body: Option<&'a Value>,
    /// Follow `metadata.continue` to the end of a list (GET only).
    pub paginate: bool,
    /// Whether a DELETE or PATCH may act on a whole collection.
    pub scope: super::paths::ApiScope,
}

impl Inner {
    /// The URL a path of the escape hatch names.
    fn api_url(&self, path: &str) -> Result<reqwest::Url, Error> {
        let hosts = &self.pipeline.hosts;
        let url = if path.starts_with("http://") || path.starts_with("https://") {
            reqwest::Url::parse(path)
                .map_err(|e| Error::invalid("path", format!("{path:?} is not a URL: {e}")))?
        } else {
            let base = hosts.base(HostKind::Api);
            reqwest::Url::parse(&format!("{base}/{}", path.trim_start_matches('/')))
                .map_err(|e| Error::invalid("path", format!("{path:?}: {e}")))?
        };
        hosts.check(&url)?;
        Ok(url)
    }

    /// Runs an escape-hatch request, in its own span ([`super::span`]; no status is recorded on
    /// success, where the answer is a document); the answer is any JSON (arrays included), or
    /// `Value::Null` for an empty body.
    pub(crate) async fn api(
        &self,
        http: &reqwest::Client,
        call: ApiCall<'_>,
    ) -> Result<Value, Error> {
        let read = call.method.eq_ignore_ascii_case("GET");
        let span = CallSpan::open(
            if read { "api_read" } else { "api_write" },
            &call.method.to_ascii_uppercase(),
            "*",
        );
        let result = self
            .api_in_span(http, call, span.tally.clone())
            .instrument(span.span.clone())
            .await;
        if let Err(e) = &result {
            span.close(e.status(), Some(e));
        } else {
            span.close(None, None);
        }
        result
    }

    async fn api_in_span(
        &self,
        http: &reqwest::Client,
        call: ApiCall<'_>,
        tally: Option<Arc<super::span::Tally>>,
    ) -> Result<Value, Error> {
        let method: reqwest::Method = call.method.to_ascii_uppercase().parse().map_err(|_| {
            Error::invalid("method", format!("{:?} is not an HTTP method", call.method))
        })?;
        if call.paginate && method != reqwest::Method::GET {
            return Err(Error::invalid(
                "--paginate",
                format!("follows list pages of a GET, not of a {method}"),
            ));
        }
        let url = self.api_url(call.path)?;
        super::paths::check_api_write(method.as_str(), url.path(), call.scope)?;
        let mut request = reqwest::Request::new(method.clone(), url.clone());
        request.headers_mut().insert(
            reqwest::header::ACCEPT,
            reqwest::header::HeaderValue::from_static("application/json"),
        );
        if let Some(b) = call.body {
            let ct = if method == reqwest::Method::PATCH {
                "application/merge-patch+json"
            } else {
                "application/json"
            };
            request.headers_mut().insert(
                reqwest::header::CONTENT_TYPE,
                reqwest::header::HeaderValue::from_static(ct),
            );
            let bytes = serde_json::to_vec(b)
                .map_err(|e| Error::invalid("body", format!("cannot be written as JSON: {e}")))?;
            *request.body_mut() = Some(Bytes::from(bytes).into());
        }
        let op_id = if method == reqwest::Method::GET {
            "api_read"
        } else {
            "api_write"
        };
        let op = raw::operation(op_id)
            .ok_or_else(|| Error::invalid("operation", format!("{op_id} is not known")))?;
        let call_inner = Inner {
            deadline: Some(self.call_deadline_now()),
            tally,
            ..self.clone()
        };
        // The bearer goes to the API host only, never to the token or public-data hosts.
        let authenticated =
            super::route::same_origin(&url, &self.pipeline.hosts.api) && op.authenticated;
        let resp = if call.paginate {
            call_inner.execute_list(http, request, op).await?
        } else {
            call_inner
                .send(
                    http,
                    request,
                    authenticated,
                    super::pipeline::idempotency(op),
                    op.id,
                )
                .await?
        };
        let status = resp.status().as_u16();
        let final_url = resp.url().to_string();
        if !resp.status().is_success() {
            return Err(super::errors::map_unexpected(resp, "resource", call.path).await);
        }
        if status != 204 && method != reqwest::Method::GET {
            call_inner.invalidate(&final_url).await;
        }
        let (_, body) = read_bounded(resp, &final_url, MAX_RESPONSE_BYTES).await?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&body).map_err(|e| Error::Decode {
            url: super::failure::strip_query(&final_url),
            message: "the answer is not JSON".into(),
            source: Some(e),
        })
    }
}
