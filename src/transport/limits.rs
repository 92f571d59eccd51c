//! Bounded body reads: no answer is buffered past [`MAX_RESPONSE_BYTES`], whatever its headers
//! announce, and answers we take apart are rebuilt with their status, headers and URL.

use bytes::Bytes;

use crate::error::Error;

/// Responses larger than this are refused instead of being buffered.
pub const MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a whole body, refusing more than `limit` bytes.
pub(crate) async fn read_bounded(
    mut resp: reqwest::Response,
    url: &str,
    limit: u64,
) -> Result<(reqwest::Response, Bytes), Error> {
    let too_large = || Error::TooLarge {
        url: super::failure::strip_query(url),
        limit,
    };
    if resp.content_length().is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let status = resp.status();
    // Moved out, not cloned: the body read below needs none of them.
    let headers = std::mem::take(resp.headers_mut());
    let final_url = resp.url().clone();
    let body = if resp.content_length().is_some() {
        // Announced and within bounds (checked above); hyper stops at the announced length.
        resp.bytes()
            .await
            .map_err(|e| super::failure::transport(url, e))?
    } else {
        let mut body = bytes::BytesMut::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| super::failure::transport(url, e))?
        {
            if (body.len() + chunk.len()) as u64 > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        body.freeze()
    };
    Ok((rebuild(final_url, status, &headers, body.clone()), body))
}

/// Reads at most `cap` bytes of a body (an error answer's message), dropping the rest.
pub(crate) async fn read_capped(mut resp: reqwest::Response, cap: usize) -> reqwest::Result<Bytes> {
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = resp.chunk().await? {
        let room = cap.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= cap {
            break;
        }
    }
    Ok(body.freeze())
}

/// An answer with the given parts and a body already in memory.
pub(crate) fn rebuild(
    url: reqwest::Url,
    status: reqwest::StatusCode,
    headers: &reqwest::header::HeaderMap,
    body: Bytes,
) -> reqwest::Response {
    use reqwest::ResponseBuilderExt;
    let mut resp = http::Response::new(body);
    *resp.status_mut() = status;
    *resp.headers_mut() = headers.clone();
    // Building from parts cannot fail; the builder is only needed for the URL extension.
    let (mut parts, body) = resp.into_parts();
    if let Ok(with_url) = http::Response::builder().url(url).body(()) {
        parts.extensions = with_url.into_parts().0.extensions;
    }
    reqwest::Response::from(http::Response::from_parts(parts, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebuilt_answers_keep_their_url_and_parts() {
        let url = reqwest::Url::parse("http://127.0.0.1:1/x").expect("url");
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("etag", "\"1\"".parse().expect("header"));
        let r = rebuild(
            url.clone(),
            reqwest::StatusCode::CREATED,
            &headers,
            Bytes::from("{}"),
        );
        assert_eq!(r.url(), &url);
        assert_eq!(r.status(), 201);
        assert_eq!(r.headers()["etag"], "\"1\"");
    }
}
