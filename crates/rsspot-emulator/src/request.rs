//! What a handler is given: the request, buffered, and the immutable context it is served in.
//! A leaf shared by the router and the handlers it calls, so they never import each other.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{HeaderMap, Method};

use crate::seed::Seed;
use crate::variants::Variants;

/// Everything immutable a request needs besides the store.
pub(crate) struct Ctx<'a> {
    pub seed: &'a Seed,
    pub secret: &'a [u8],
    pub base_url: &'a str,
    pub now: DateTime<Utc>,
    pub token_lifetime: std::time::Duration,
    pub page_size: Option<usize>,
    pub variants: Variants,
}

/// A buffered request.
pub(crate) struct Req<'a> {
    pub method: &'a Method,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a Bytes,
}

impl Req<'_> {
    pub(crate) fn query_param(&self, key: &str) -> Option<String> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(self.query.unwrap_or("")).unwrap_or_default();
        pairs.into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub(crate) fn content_type(&self) -> String {
        self.headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|s| {
                s.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default()
    }
}
