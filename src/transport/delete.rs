//! A DELETE of one object that reports what happened. Whether the object existed is read
//! first, so a 404 means one thing: it was not there before this call. A DELETE whose answer was
//! lost and whose retry then finds nothing (404) deleted the object it was sent for; a DELETE
//! of a name that never existed is not found, faults or not.

use reqwest::header::{ACCEPT, HeaderValue};

use crate::error::Error;
use crate::raw::Operation;

use super::Inner;
use super::limits::{MAX_RESPONSE_BYTES, read_bounded};
use super::retry::Idempotency;

impl Inner {
    /// Reads the object `request` deletes (uncached); when it is there, sends the DELETE. A 404
    /// to the DELETE then means it is gone: the answer is the object as it was last read.
    pub(crate) async fn delete_one(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
        op: &'static Operation,
    ) -> Result<reqwest::Response, Error> {
        let url = request.url().clone();
        let mut read = reqwest::Request::new(reqwest::Method::GET, url.clone());
        *read.headers_mut() = request.headers().clone();
        read.headers_mut()
            .insert(ACCEPT, HeaderValue::from_static("application/json"));
        let before = self
            .send(http, read, op.authenticated, Idempotency::Safe, op.id)
            .await?;
        if !before.status().is_success() {
            // 404: it was not there before this call (not found); anything else as it came.
            return Ok(before);
        }
        let (before, _) = read_bounded(before, url.as_str(), MAX_RESPONSE_BYTES).await?;
        let mut request = request;
        self.mark_dry_run(&mut request);
        let (resp, ambiguous) = self
            .send_ambiguous(http, &request, op.authenticated, Idempotency::Safe, op.id)
            .await?;
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            tracing::debug!(
                op = op.id,
                ambiguous,
                "the object was there before the DELETE and is gone now: deleted"
            );
            Box::pin(self.invalidate(url.as_str())).await;
            return Ok(before);
        }
        if status.is_success() {
            Box::pin(self.invalidate(url.as_str())).await;
        }
        if resp
            .content_length()
            .is_some_and(|n| n <= MAX_RESPONSE_BYTES)
        {
            return Ok(resp);
        }
        Ok(read_bounded(resp, url.as_str(), MAX_RESPONSE_BYTES)
            .await?
            .0)
    }
}
