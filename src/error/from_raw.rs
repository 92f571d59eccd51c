//! `?` on a raw call: the error of a generated call ([`crate::raw`]) becomes an [`Error`].

use super::Error;

/// Maps a raw call's failure the way the services do, as far as a synchronous conversion can:
///
/// - a failure inside rsspot's request pipeline (deadline, refused redirect, rejected refresh
///   token, rate limit after retries…) is the typed error the pipeline raised;
/// - an unexpected HTTP answer is classified by its status (`401` → [`Error::Unauthorized`],
///   `404` → [`Error::NotFound`] with kind `resource` and the request path as name, `409` →
///   [`Error::Conflict`], `429` → [`Error::RateLimited`] with its `Retry-After`, …), but its
///   body is not read, so messages say `HTTP <status>`;
/// - a connection failure is [`Error::Transport`], a body that does not parse [`Error::Decode`],
///   an invalid request [`Error::Invalid`].
///
/// ```no_run
/// async fn regions(client: &rsspot::SpotClient) -> rsspot::Result<usize> {
///     Ok(client.raw().list_regions().send().await?.into_inner().items.len())
/// }
/// ```
impl<E: serde::Serialize> From<progenitor_client::Error<E>> for Error {
    fn from(err: progenitor_client::Error<E>) -> Self {
        crate::transport::errors::map_raw(err)
    }
}
