//! Create resolution: a create that met 409 after an attempt of unknown outcome (a dropped
//! connection, a 5xx) looks at the existing object; when it is the one we sent, the earlier
//! attempt created it and the create succeeded.

use serde_json::Value;

use crate::error::Error;

use super::Inner;
use super::limits::{MAX_RESPONSE_BYTES, read_bounded, rebuild};
use super::retry::Idempotency;

/// Whether `stored` carries everything we sent in `sent` (objects compared key by key).
pub(crate) fn contains(stored: &Value, sent: &Value) -> bool {
    match (stored, sent) {
        (Value::Object(a), Value::Object(b)) => b.iter().all(|(k, v)| match a.get(k) {
            Some(av) => contains(av, v),
            None => {
                v.is_null()
                    || v.as_object().is_some_and(|o| o.is_empty())
                    || v.as_array().is_some_and(|a| a.is_empty())
            }
        }),
        (a, b) => a == b,
    }
}

impl Inner {
    /// Resolves a 409 of a replayed create. Answers the existing object as a 201 when it is
    /// ours, else the conflict as it came.
    pub(crate) async fn resolve_create(
        &self,
        http: &reqwest::Client,
        request: &reqwest::Request,
        conflict: reqwest::Response,
    ) -> Result<reqwest::Response, Error> {
        let sent: Option<Value> = request
            .body()
            .and_then(|b| b.as_bytes())
            .and_then(|b| serde_json::from_slice(b).ok());
        let Some(sent) = sent else {
            return Ok(conflict);
        };
        let Some(name) = sent.pointer("/metadata/name").and_then(Value::as_str) else {
            return Ok(conflict);
        };
        let mut item_url = request.url().clone();
        item_url.set_query(None);
        let Ok(mut segments) = item_url.path_segments_mut() else {
            return Ok(conflict);
        };
        segments.push(name);
        drop(segments);
        let lookup = reqwest::Request::new(reqwest::Method::GET, item_url.clone());
        // The lookup takes the same pipeline as any GET (retries, deadline, 401 refresh): a
        // fault here must not turn a create the server carried out into a reported failure.
        let existing = self
            .send(http, lookup, true, Idempotency::Safe, "create resolution")
            .await?;
        let status = existing.status();
        if status.is_server_error() || status.as_u16() == 429 {
            // Could not confirm: report what the lookup got.
            return Ok(existing);
        }
        if !status.is_success() {
            return Ok(conflict);
        }
        let (existing, body) =
            read_bounded(existing, item_url.as_str(), MAX_RESPONSE_BYTES).await?;
        let stored: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let same = contains(&stored["spec"], &sent["spec"])
            && contains(&stored["metadata"]["labels"], &sent["metadata"]["labels"]);
        if !same {
            return Ok(conflict);
        }
        tracing::debug!(
            name,
            "create resolved to the object an earlier attempt created"
        );
        self.pipeline.stats.add_resolved_create();
        self.invalidate(request.url().as_str()).await;
        Ok(rebuild(
            request.url().clone(),
            reqwest::StatusCode::CREATED,
            existing.headers(),
            body,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_compares_what_we_sent() {
        let stored = serde_json::json!({"a": 1, "b": {"c": "x", "d": 2}, "e": []});
        assert!(contains(
            &stored,
            &serde_json::json!({"a": 1, "b": {"c": "x"}})
        ));
        assert!(contains(&stored, &serde_json::json!({"f": {}})));
        assert!(!contains(&stored, &serde_json::json!({"b": {"c": "y"}})));
    }
}
