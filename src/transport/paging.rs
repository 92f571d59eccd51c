//! The paging stage: a list answered in pages (`metadata.continue`, Kubernetes style) is
//! followed to its end through the same pipeline and handed on as one list. The one paging
//! loop: generated `list_*` operations and `rsspot api --paginate` both use it.

use std::collections::HashSet;

use bytes::Bytes;
use serde_json::Value;

use crate::error::Error;
use crate::raw::Operation;

use super::Inner;
use super::limits::{MAX_RESPONSE_BYTES, read_bounded, rebuild};

/// Pages of one list followed at most (a server that never ends a list is refused).
const MAX_PAGES: usize = 10_000;

/// The non-empty `metadata.continue` of a list document, if it has one.
///
/// A byte scan first: nearly every list carries `"continue":""` or nothing, and those need no
/// parse at all.
pub(crate) fn continue_token(body: &[u8]) -> Option<String> {
    const KEY: &[u8] = b"\"continue\"";
    let maybe = memchr::memmem::find_iter(body, KEY).any(|at| {
        let rest = &body[at + KEY.len()..];
        let mut it = rest.iter().skip_while(|b| b.is_ascii_whitespace());
        if it.next() != Some(&b':') {
            return false;
        }
        let mut it = it.skip_while(|b| b.is_ascii_whitespace());
        !(it.next() == Some(&b'"') && it.next() == Some(&b'"'))
    });
    if !maybe {
        return None;
    }
    #[derive(serde::Deserialize)]
    struct Page {
        metadata: Option<Meta>,
    }
    #[derive(serde::Deserialize)]
    struct Meta {
        #[serde(rename = "continue")]
        token: Option<String>,
    }
    serde_json::from_slice::<Page>(body)
        .ok()?
        .metadata?
        .token
        .filter(|t| !t.is_empty())
}

impl Inner {
    /// Runs a list request and, when the answer is one page of a longer list, follows the rest.
    /// The whole list is cached under the first page's URL (single pages never are).
    pub(crate) async fn execute_list(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
        op: &'static Operation,
    ) -> Result<reqwest::Response, Error> {
        let Some(template) = request.try_clone() else {
            return self.execute_once(http, request, op).await;
        };
        let first = self.execute_once(http, request, op).await?;
        if !first.status().is_success() {
            return Ok(first);
        }
        let url = first.url().to_string();
        let (first, body) = read_bounded(first, &url, MAX_RESPONSE_BYTES).await?;
        match continue_token(&body) {
            None => Ok(first),
            // Boxed: the rare paged path must not grow every call's future.
            Some(token) => {
                Box::pin(self.follow_pages(http, template, op, first, body, token)).await
            }
        }
    }

    async fn follow_pages(
        &self,
        http: &reqwest::Client,
        template: reqwest::Request,
        op: &'static Operation,
        first: reqwest::Response,
        first_body: Bytes,
        mut token: String,
    ) -> Result<reqwest::Response, Error> {
        let final_url = first.url().clone();
        let url = super::failure::strip_query(final_url.as_str());
        let status = first.status();
        let headers = first.headers().clone();
        let refuse = |message: String| Error::decode(url.clone(), message);
        let mut doc: Value = serde_json::from_slice(&first_body)
            .map_err(|e| refuse(format!("page 1 of the list: {e}")))?;
        let mut total = first_body.len() as u64;
        let mut seen = HashSet::new();
        loop {
            if !seen.insert(token.clone()) || seen.len() > MAX_PAGES {
                return Err(refuse(format!(
                    "the list did not end after {} pages (repeated or endless `continue`); refused",
                    seen.len()
                )));
            }
            let Some(mut next) = template.try_clone() else {
                return Ok(first);
            };
            next.url_mut()
                .query_pairs_mut()
                .append_pair("continue", &token);
            let resp = Box::pin(self.execute_once(http, next, op)).await?;
            if !resp.status().is_success() {
                return Ok(resp);
            }
            let page_url = resp.url().to_string();
            let (_, body) = read_bounded(resp, &page_url, MAX_RESPONSE_BYTES).await?;
            total += body.len() as u64;
            if total > MAX_RESPONSE_BYTES {
                return Err(Error::TooLarge {
                    url,
                    limit: MAX_RESPONSE_BYTES,
                });
            }
            let mut page: Value = serde_json::from_slice(&body)
                .map_err(|e| refuse(format!("page {} of the list: {e}", seen.len() + 1)))?;
            let items = page.get_mut("items").map(Value::take);
            if let (Some(Value::Array(all)), Some(Value::Array(more))) =
                (doc.get_mut("items"), items)
            {
                all.extend(more);
            }
            token = page
                .pointer("/metadata/continue")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if token.is_empty() {
                break;
            }
        }
        if let Some(meta) = doc.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("continue".into(), Value::String(String::new()));
            meta.remove("remainingItemCount");
        }
        let body = Bytes::from(serde_json::to_vec(&doc).map_err(|e| Error::Decode {
            url: url.clone(),
            message: "the merged list could not be written".into(),
            source: Some(e),
        })?);
        tracing::debug!(
            op = op.id,
            pages = seen.len() + 1,
            "list followed to its end"
        );
        if let Some(key) = self.cache_key(op, &reqwest::Method::GET, final_url.as_str()) {
            self.cache_store(op, &key, status.as_u16(), &headers, &body)
                .await;
        }
        Ok(rebuild(final_url, status, &headers, body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_token_only_for_unfinished_lists() {
        let none: &[&[u8]] = &[
            br#"{"metadata":{"continue":""},"items":[]}"#,
            br#"{"metadata":{"continue" : "" },"items":[]}"#,
            br#"{"metadata":{},"items":[]}"#,
            br#"{"metadata":{"continue":null}}"#,
            br#"[1,2,3]"#,
            b"not json \"continue\":\"x",
            // A label called "continue" inside an item is not the list's token.
            br#"{"metadata":{"continue":""},"items":[{"metadata":{"labels":{"continue":"yes"}}}]}"#,
        ];
        for body in none {
            assert_eq!(
                continue_token(body),
                None,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        assert_eq!(
            continue_token(br#"{"metadata":{"continue":"emu-2","remainingItemCount":3}}"#)
                .as_deref(),
            Some("emu-2")
        );
        assert_eq!(
            continue_token(br#"{"items":[],"metadata":{"continue": "abc"}}"#).as_deref(),
            Some("abc")
        );
    }
}
