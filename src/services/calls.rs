//! How a generated call's answer becomes ours: the error mapping every service and every
//! [`Kind`](crate::resource::Kind) declaration uses, and the merge-patch body they send. A leaf:
//! it names nothing of the services or the resource model, so both can use it.

use std::future::Future;

use progenitor_client::ResponseValue;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::raw::types::Patch;

/// Awaits a generated call and maps its error; `kind`/`name` describe the object for 404s.
pub(crate) async fn call<T, E: serde::Serialize>(
    fut: impl Future<Output = std::result::Result<ResponseValue<T>, progenitor_client::Error<E>>>,
    kind: &str,
    name: &str,
) -> Result<T> {
    // Boxed: a service method awaits several calls, and callers hold many service futures;
    // inline, their sizes add up (and overflow a debug build's test-thread stack).
    match Box::pin(fut).await {
        Ok(v) => Ok(v.into_inner()),
        Err(e) => Err(crate::transport::errors::map_error(e, kind, name).await),
    }
}

/// Runs a read (a GET) and maps its error like [`call`]. A cached answer that no longer decodes
/// (written by another version, or damaged) is dropped and the read is made again, from the
/// server.
///
/// Which cache entry answered reaches this function through a task-local
/// (`transport::errors::scoped`): progenitor decodes after its hooks ran, and its decode error
/// keeps only the body, so nothing of the answer (its extensions) is left to carry it.
pub(crate) async fn read<T, E, F, Fut>(send: F, kind: &str, name: &str) -> Result<T>
where
    E: serde::Serialize,
    F: Fn() -> Fut,
    Fut: Future<Output = std::result::Result<ResponseValue<T>, progenitor_client::Error<E>>>,
{
    crate::transport::errors::scoped(async {
        match Box::pin(send()).await {
            Ok(v) => Ok(v.into_inner()),
            Err(progenitor_client::Error::InvalidResponsePayload(..))
                if crate::transport::errors::drop_cache_hit().await =>
            {
                tracing::debug!(kind, "a cached answer no longer decodes; fetched again");
                Box::pin(call(send(), kind, name)).await
            }
            Err(e) => Err(crate::transport::errors::map_error(e, kind, name).await),
        }
    })
    .await
}

/// A typed merge-patch struct as the generated `Patch` (a JSON object) the operations take.
pub(crate) fn merge_patch<T: Serialize>(patch: &T) -> Result<Patch> {
    match serde_json::to_value(patch) {
        Ok(serde_json::Value::Object(m)) => Ok(Patch(m)),
        _ => Err(Error::invalid("update", "the patch is not a JSON object")),
    }
}
