//! The stages of a call, in order, in one place: [`Inner::execute`] for a generated operation,
//! [`Inner::execute_once`] for one request of it (one page of a list), [`Inner::send`] for the
//! auth + retry + send part every other request (token exchange aside) shares.
//!
//! | # | stage | input → output | where |
//! |---|---|---|---|
//! | 1 | check | operation id, URL → the operation's facts, or `Invalid` | [`check`], [`super::paths::check`] |
//! | 2 | plan | operation, URL → paged list or one request | [`plan`] |
//! | 3 | route | request, operation → request on the operation's host (merge-patch type on PATCH) | [`route`] |
//! | 4 | cache | request, operation, client → a stored answer (ends the call) or a key to store under | [`super::cache`] |
//! | 5 | auth | deadline → bearer header; a 401 refreshes it once and replays once | [`Inner::send_ambiguous`], [`super::auth`] |
//! | 6 | retry + send | request, bearer, replay rule → answer, and whether an attempt was lost | [`super::Dispatch::send`], [`super::retry::run`] |
//! | 7 | resolve | 409 of a replayed create → the object an earlier attempt made | [`resolves_create`], [`super::create_resolution`] |
//! | 8 | limits | answer → answer whose body is bounded | [`bounded`], [`super::limits`] |
//! | 9 | store | answer, key → stored; a write invalidates its namespace | [`super::cache`] |
//! | 10 | classify | a failure → the crate's [`Error`] (in the caller: `services::call`) | [`super::errors`] |
//!
//! Every operation fact (action, idempotency, cache class, authentication, host) comes from the
//! generated operation index ([`raw::Operation`]); no stage looks at an operation's name.
//!
//! The stages a plain call does not take (cache lookup and store, invalidation, create
//! resolution, the DELETE's read, a token refresh) are boxed where they are awaited: the call's
//! future stays small, and moving it into the hook's box costs little (BENCHMARKS.md).

use std::sync::Arc;

use reqwest::header::{CONTENT_TYPE, HeaderValue};
use tracing::Instrument;

use crate::error::Error;
use crate::raw::{self, Action, Operation};

use super::limits::{MAX_RESPONSE_BYTES, read_bounded};
use super::retry::Idempotency;
use super::route::Hosts;
use super::span::{CallSpan, Tally};
use super::{Dispatch, Inner, paging};

/// Stage 1: the facts of operation `op_id`, refused when rsspot does not know it or `url` does
/// not fit its path template.
pub(crate) fn check(
    op_id: &str,
    op: Option<&'static Operation>,
    url: &reqwest::Url,
) -> Result<&'static Operation, Error> {
    let op = op.ok_or_else(|| {
        Error::invalid(
            "operation",
            format!("{op_id} is not an operation rsspot knows"),
        )
    })?;
    super::paths::check(op, url)?;
    Ok(op)
}

/// Stage 2: how a call is carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plan {
    /// A list, followed to its end ([`paging`]).
    WholeList,
    /// One request (a list that names its own `limit` is paged by its caller: one page).
    Once,
}

/// Stage 2: the plan of a call of `op` to `url`.
pub(crate) fn plan(op: &Operation, url: &reqwest::Url) -> Plan {
    let caller_pages = url.query_pairs().any(|(k, _)| k == "limit");
    if op.action == Action::List && !caller_pages {
        Plan::WholeList
    } else {
        Plan::Once
    }
}

impl Inner {
    /// Adds `dryRun=All` to a write of a client made by `SpotClient::server_dry_run`.
    pub(crate) fn mark_dry_run(&self, request: &mut reqwest::Request) {
        if self.server_dry_run {
            request
                .url_mut()
                .query_pairs_mut()
                .append_pair("dryRun", "All");
        }
    }
}

/// Stage 3: `request` sent to the host of `op`, with the merge-patch content type on a PATCH.
pub(crate) fn route(
    hosts: &Hosts,
    mut request: reqwest::Request,
    op: &Operation,
) -> reqwest::Request {
    hosts.route(&mut request, op.host);
    if request.method() == reqwest::Method::PATCH {
        request.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/merge-patch+json"),
        );
    }
    request
}

/// How an operation may be replayed (the retry stage's input), from its generated facts.
pub(crate) fn idempotency(op: &Operation) -> Idempotency {
    if op.action == Action::Create {
        Idempotency::Create
    } else if op.idempotent {
        Idempotency::Safe
    } else {
        Idempotency::Unsafe
    }
}

/// Stage 7: whether an answer needs create resolution: a 409 to a create one of whose attempts
/// may have been carried out unseen.
pub(crate) fn resolves_create(
    status: reqwest::StatusCode,
    idem: Idempotency,
    ambiguous: bool,
) -> bool {
    status == reqwest::StatusCode::CONFLICT && idem == Idempotency::Create && ambiguous
}

/// Stage 9: whether a successful answer to `method` makes cached reads of its namespace stale.
pub(crate) fn invalidates(status: reqwest::StatusCode, method: &reqwest::Method) -> bool {
    status.is_success() && *method != reqwest::Method::GET
}

/// Stage 8: an answer no caller can be made to buffer past [`MAX_RESPONSE_BYTES`]: one with an
/// announced length within bounds passes as it is (hyper stops there); any other is read here
/// with a running limit.
pub(crate) async fn bounded(
    resp: reqwest::Response,
    url: &str,
) -> Result<reqwest::Response, Error> {
    if resp
        .content_length()
        .is_some_and(|n| n <= MAX_RESPONSE_BYTES)
    {
        return Ok(resp);
    }
    Ok(read_bounded(resp, url, MAX_RESPONSE_BYTES).await?.0)
}

impl Inner {
    /// The deadline of a call starting now: the request timeout, or the client's hard deadline
    /// when that comes first.
    pub(crate) fn call_deadline_now(&self) -> tokio::time::Instant {
        let timeout = tokio::time::Instant::now() + self.pipeline.request_timeout;
        self.deadline.map_or(timeout, |d| d.min(timeout))
    }

    /// Runs one generated operation through every stage, in its own span ([`super::span`]).
    pub(crate) async fn execute(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
        op_id: &str,
    ) -> Result<reqwest::Response, Error> {
        let op = raw::operation(op_id);
        let call = CallSpan::open(op_id, request.method().as_str(), op.map_or("", |o| o.path));
        let result = self
            .execute_in_span(http, request, op_id, op, call.tally.clone())
            .instrument(call.span.clone())
            .await;
        match &result {
            Ok(resp) => call.close(Some(resp.status().as_u16()), None),
            Err(e) => call.close(e.status(), Some(e)),
        }
        result
    }

    async fn execute_in_span(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
        op_id: &str,
        op: Option<&'static Operation>,
        tally: Option<Arc<Tally>>,
    ) -> Result<reqwest::Response, Error> {
        let op = check(op_id, op, request.url())?;
        let call = Inner {
            deadline: Some(self.call_deadline_now()),
            tally,
            ..self.clone()
        };
        match plan(op, request.url()) {
            Plan::WholeList => call.execute_list(http, request, op).await,
            Plan::Once => call.execute_once(http, request, op).await,
        }
    }

    /// One request (one page of a list) through stages 3 to 9.
    pub(crate) async fn execute_once(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
        op: &'static Operation,
    ) -> Result<reqwest::Response, Error> {
        let mut request = route(&self.pipeline.hosts, request, op);
        if matches!(op.action, Action::Create | Action::Replace | Action::Patch) {
            self.mark_dry_run(&mut request);
        }
        let url = request.url().as_str();
        let cache_key = self.cache_key(op, request.method(), url);
        if let Some(key) = &cache_key
            && let Some(hit) = Box::pin(self.cache_lookup(key, request.url())).await
        {
            return Ok(hit);
        }
        if op.action == Action::Delete {
            return Box::pin(self.delete_one(http, request, op)).await;
        }
        let idem = idempotency(op);
        let (resp, ambiguous) = self
            .send_ambiguous(http, &request, op.authenticated, idem, op.id)
            .await?;
        let status = resp.status();
        if resolves_create(status, idem, ambiguous) {
            return Box::pin(self.resolve_create(http, &request, resp)).await;
        }
        if invalidates(status, request.method()) {
            Box::pin(self.invalidate(url)).await;
        }
        let Some(key) = cache_key.filter(|_| status.is_success()) else {
            return bounded(resp, url).await;
        };
        let (resp, body) = read_bounded(resp, url, MAX_RESPONSE_BYTES).await?;
        // One page of a longer list is not kept: the paging stage caches the whole list.
        if paging::continue_token(&body).is_none() && !url.contains("continue=") {
            Box::pin(self.cache_store(op, &key, status.as_u16(), resp.headers(), &body)).await;
        }
        Ok(resp)
    }

    /// Stages 5 and 6 for any request: sends through the retry engine with this client's bearer
    /// (when `authenticated`), refreshing it once on a 401.
    pub(crate) async fn send(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
        authenticated: bool,
        idem: Idempotency,
        what: &str,
    ) -> Result<reqwest::Response, Error> {
        Ok(self
            .send_ambiguous(http, &request, authenticated, idem, what)
            .await?
            .0)
    }

    /// [`Inner::send`], and whether an earlier attempt may have been carried out unseen.
    pub(crate) async fn send_ambiguous(
        &self,
        http: &reqwest::Client,
        request: &reqwest::Request,
        authenticated: bool,
        idem: Idempotency,
        what: &str,
    ) -> Result<(reqwest::Response, bool), Error> {
        let p = &self.pipeline;
        let dispatch = Dispatch {
            http,
            retry: &p.retry,
            stats: &p.stats,
            idem,
            deadline: self.deadline,
            attempt_timeout: Some(p.request_timeout),
            what,
            tally: self.tally.as_deref(),
        };
        if !authenticated {
            return dispatch.send(request, None).await;
        }
        let bearer = p.auth.bearer_header(self.deadline).await?;
        let (resp, ambiguous) = dispatch.send(request, Some(&bearer)).await?;
        if resp.status() != reqwest::StatusCode::UNAUTHORIZED {
            return Ok((resp, ambiguous));
        }
        // One refresh and one replay; the replay is not a retry. Boxed (see the module docs).
        let fresh = Box::pin(p.auth.refresh_header(&bearer, self.deadline)).await?;
        let (resp, again) = dispatch.send(request, Some(&fresh)).await?;
        Ok((resp, ambiguous || again))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::{Method, StatusCode, Url};

    fn op(id: &str) -> &'static Operation {
        raw::operation(id).unwrap_or_else(|| panic!("{id} is in the index"))
    }

    fn url(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    #[test]
    fn check_knows_the_operation_and_its_path() {
        let list = op("list_regions");
        let ok = url("http://h/apis/ngpc.rxt.io/v1/regions");
        assert!(check("list_regions", Some(list), &ok).is_ok());
        let unknown = check("no_such_op", None, &ok).unwrap_err();
        assert!(matches!(unknown, Error::Invalid { .. }), "{unknown}");
        assert!(unknown.to_string().contains("no_such_op"));
    }

    #[test]
    fn plan_pages_lists_unless_the_caller_does() {
        let list = op("list_regions");
        assert_eq!(
            plan(list, &url("http://h/apis/ngpc.rxt.io/v1/regions")),
            Plan::WholeList
        );
        assert_eq!(
            plan(list, &url("http://h/apis/ngpc.rxt.io/v1/regions?limit=2")),
            Plan::Once
        );
        assert_eq!(
            plan(
                op("get_region"),
                &url("http://h/apis/ngpc.rxt.io/v1/regions/x")
            ),
            Plan::Once
        );
    }

    #[test]
    fn route_sends_to_the_operations_host_and_marks_merge_patches() {
        let hosts = Hosts::new(
            "http://127.0.0.1:1",
            "http://127.0.0.1:2",
            "http://127.0.0.1:3",
        )
        .expect("hosts");
        let patch = raw::OPERATIONS
            .iter()
            .find(|o| o.method == "PATCH")
            .expect("a PATCH operation");
        let req = reqwest::Request::new(Method::PATCH, url("http://127.0.0.1:1/apis/x?y=1"));
        let req = route(&hosts, req, patch);
        assert_eq!(req.url().as_str(), "http://127.0.0.1:1/apis/x?y=1");
        assert_eq!(req.headers()[CONTENT_TYPE], "application/merge-patch+json");
        let public = raw::OPERATIONS
            .iter()
            .find(|o| o.host == raw::HostKind::PublicData)
            .expect("an operation on the public data host");
        let get = route(
            &hosts,
            reqwest::Request::new(Method::GET, url("http://127.0.0.1:1/history/x")),
            public,
        );
        assert_eq!(get.url().as_str(), "http://127.0.0.1:3/history/x");
        assert!(get.headers().get(CONTENT_TYPE).is_none());
    }

    #[test]
    fn replay_rules_come_from_the_operation_index() {
        for o in raw::OPERATIONS {
            let idem = idempotency(o);
            match o.action {
                Action::Create => assert_eq!(idem, Idempotency::Create, "{}", o.id),
                _ if o.idempotent => assert_eq!(idem, Idempotency::Safe, "{}", o.id),
                _ => assert_eq!(idem, Idempotency::Unsafe, "{}", o.id),
            }
        }
        assert_eq!(idempotency(op("list_regions")), Idempotency::Safe);
    }

    #[test]
    fn resolution_and_invalidation_rules() {
        use Idempotency::*;
        assert!(resolves_create(StatusCode::CONFLICT, Create, true));
        assert!(!resolves_create(StatusCode::CONFLICT, Create, false));
        assert!(!resolves_create(StatusCode::CONFLICT, Safe, true));
        assert!(!resolves_create(StatusCode::CREATED, Create, true));
        assert!(invalidates(StatusCode::OK, &Method::PATCH));
        assert!(invalidates(StatusCode::CREATED, &Method::POST));
        assert!(!invalidates(StatusCode::OK, &Method::GET));
        assert!(!invalidates(StatusCode::CONFLICT, &Method::POST));
    }

    #[tokio::test]
    async fn bounded_passes_announced_bodies_and_reads_the_rest() {
        let announced = reqwest::Response::from(
            http::Response::builder()
                .header("content-length", "2")
                .body(bytes::Bytes::from_static(b"{}"))
                .expect("response"),
        );
        let resp = bounded(announced, "http://h/x")
            .await
            .expect("within bounds");
        assert_eq!(resp.bytes().await.expect("body").as_ref(), b"{}");
        // No announced length: read here, within the limit, and handed on whole.
        let chunks =
            futures::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"[1]"))]);
        let unannounced =
            reqwest::Response::from(http::Response::new(reqwest::Body::wrap_stream(chunks)));
        assert_eq!(unannounced.content_length(), None);
        let resp = bounded(unannounced, "http://h/x").await.expect("read");
        assert_eq!(resp.content_length(), Some(3));
        assert_eq!(resp.bytes().await.expect("body").as_ref(), b"[1]");
    }
}
