//! The leaf of the transport's error handling: how a `reqwest` failure is named and typed, and
//! how an [`Error`] raised inside the pipeline travels up through the progenitor hook, whose
//! error type is `reqwest::Error`. Imports nothing else of the transport, so `errors`, `limits`
//! and `retry` can all use it without a circle.

use std::sync::{Arc, Mutex};

use crate::error::{Error, TransportFailure};

/// Whether the request failed because the server's certificate did not verify: not transient,
/// so never retried.
pub(crate) fn is_certificate_error(e: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        // rustls' error reaches us wrapped in io::Errors (twice), whose `source()` skips it.
        let mut inner = s;
        while let Some(wrapped) = inner
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            inner = wrapped;
        }
        if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
            return matches!(
                tls,
                rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
            );
        }
        source = s.source();
    }
    false
}

/// A reqwest error as one line for logs, without the URL (which could carry a query).
pub(crate) fn describe_reqwest_error(e: &reqwest::Error) -> String {
    let mut source = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        "request failed".into()
    } else {
        detail
    }
}

/// The URL without its query (a selector or a continue token has no place in a message).
pub(crate) fn strip_query(url: &str) -> String {
    url.split(['?', '#']).next().unwrap_or(url).to_string()
}

/// A transport failure of a request to `url`, typed and with its cause.
pub(crate) fn transport(url: &str, e: reqwest::Error) -> Error {
    let failure = if is_certificate_error(&e) {
        TransportFailure::Certificate
    } else if e.is_connect() {
        TransportFailure::Connect
    } else {
        TransportFailure::Broken
    };
    Error::Transport {
        url: strip_query(url),
        failure,
        source: Box::new(e),
    }
}

/// A typed pipeline failure inside the `reqwest::Error` the exec hook hands to progenitor (its
/// `source`). Progenitor gives the caller that error as `CommunicationError`; [`take`] gets the
/// typed error back out of it, once. Its `Display` is the error's sentence, so a library user
/// holding the raw error reads the same message.
#[derive(Debug)]
pub(crate) struct Carried {
    error: Mutex<Option<Error>>,
    message: String,
}

impl std::fmt::Display for Carried {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Carried {}

/// `error` as a `reqwest::Error` whose source is the typed error ([`take`] finds it).
///
/// reqwest has no public constructor for its error: the one made here is what reading a body
/// whose stream fails with `error` gives (a body error, with `error` as its source). Only a
/// failing call pays for it.
pub(crate) async fn into_reqwest(error: Error) -> reqwest::Error {
    let carried = Arc::new(Carried {
        message: error.to_string(),
        error: Mutex::new(Some(error)),
    });
    let stream = futures::stream::repeat_with(move || Err::<bytes::Bytes, _>(carried.clone()));
    let mut resp = reqwest::Response::from(http::Response::new(reqwest::Body::wrap_stream(stream)));
    loop {
        // The stream yields nothing but the failure: the first read fails with it.
        if let Err(e) = resp.chunk().await {
            return e;
        }
    }
}

/// The typed error an [`into_reqwest`] error carries; `None` for any other reqwest error (or
/// when it was taken already).
pub(crate) fn take(e: &reqwest::Error) -> Option<Error> {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(carried) = s.downcast_ref::<Arc<Carried>>() {
            return carried.error.lock().ok().and_then(|mut slot| slot.take());
        }
        source = s.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_typed_error_survives_the_trip_through_reqwest() {
        let e = into_reqwest(Error::not_found("cloudspace", "x")).await;
        let sentence = Error::not_found("cloudspace", "x").to_string();
        let chain = std::iter::successors(std::error::Error::source(&e), |s| s.source())
            .map(ToString::to_string)
            .collect::<Vec<_>>();
        assert!(chain.contains(&sentence), "{chain:?}");
        assert!(matches!(take(&e), Some(Error::NotFound { .. })));
        // Taken once; an ordinary reqwest error carries nothing.
        assert!(take(&e).is_none());
    }

    #[test]
    fn query_strings_are_cut() {
        assert_eq!(strip_query("http://h/a?b=c#d"), "http://h/a");
        assert_eq!(strip_query("http://h/a#d"), "http://h/a");
    }
}
