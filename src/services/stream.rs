//! Lists as streams, written once for every kind: [`ListStream`] hands out the items of a list
//! fetched page by page (`limit`/`continue`), [`WatchStream`] polls a list with backoff and
//! hands out what changed as [`WatchEvent`]s.
//!
//! [`Api`](crate::Api) gives them a function that fetches one page (or the whole list) and, for
//! watches, the name of an object; everything else (paging, the item limit, the backoff, the
//! comparison by `metadata.resourceVersion`) lives here.

use std::collections::{BTreeMap, VecDeque};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::Stream;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use serde::Serialize;

use crate::error::Result;

/// Items asked for in one page when the caller sets no page size.
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// First poll interval of a watch when none is given.
pub const DEFAULT_WATCH_INTERVAL: Duration = Duration::from_secs(2);
/// The interval a watch grows to, at most, while nothing changes (unless set otherwise).
pub const MAX_WATCH_INTERVAL: Duration = Duration::from_secs(30);
/// The shortest poll interval a watch accepts.
const MIN_WATCH_INTERVAL: Duration = Duration::from_millis(50);

/// What one page request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PageRequest {
    /// Items asked for (the server may answer fewer).
    pub limit: u32,
    /// The previous page's `metadata.continue`; `None` for the first page.
    pub continue_: Option<String>,
}

/// One page of a list: its items and the token of the next page (`None`: the list ends here).
pub(crate) struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// A page of a typed list whose `metadata.continue` is `token` (empty means the end).
    pub fn new(items: Vec<T>, token: Option<String>) -> Self {
        Page {
            items,
            next: token.filter(|t| !t.is_empty()),
        }
    }
}

/// Fetches one page of a list.
pub(crate) type PageFn<T> =
    Box<dyn FnMut(PageRequest) -> BoxFuture<'static, Result<Page<T>>> + Send>;

/// Fetches a whole list (one poll of a watch).
pub(crate) type ListFn<T> = Box<dyn FnMut() -> BoxFuture<'static, Result<Vec<T>>> + Send>;

/// The items of a list, fetched a page at a time as they are consumed (`.limit(n)` stops after
/// `n` items, and no page past them is fetched). A failed page ends the stream after its error.
///
/// ```no_run
/// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
/// use futures::TryStreamExt;
/// let first: Vec<_> = client.cloudspaces().list_stream().limit(3).try_collect().await?;
/// # Ok(()) }
/// ```
#[must_use = "a stream does nothing until polled"]
pub struct ListStream<T> {
    fetch: Option<PageFn<T>>,
    limit: Option<usize>,
    page_size: u32,
    running: Option<BoxStream<'static, Result<T>>>,
}

impl<T: Send + 'static> ListStream<T> {
    pub(crate) fn new(fetch: PageFn<T>) -> Self {
        ListStream {
            fetch: Some(fetch),
            limit: None,
            page_size: DEFAULT_PAGE_SIZE,
            running: None,
        }
    }

    /// Stops after `n` items; pages are asked for no larger than what is still wanted.
    pub fn limit(mut self, n: usize) -> Self {
        self.limit = Some(n);
        self
    }

    /// Items asked for per page (at least 1; default [`DEFAULT_PAGE_SIZE`]). The server may
    /// answer with smaller pages.
    pub fn page_size(mut self, n: u32) -> Self {
        self.page_size = n.max(1);
        self
    }

    fn start(&mut self) -> BoxStream<'static, Result<T>> {
        let Some(fetch) = self.fetch.take() else {
            return Box::pin(futures::stream::empty());
        };
        let state = Paging {
            fetch,
            buffer: VecDeque::new(),
            next: Some(None),
            left: self.limit,
            page_size: self.page_size,
        };
        Box::pin(futures::stream::unfold(state, Paging::step))
    }
}

/// The state of a [`ListStream`] between items.
struct Paging<T> {
    fetch: PageFn<T>,
    buffer: VecDeque<T>,
    /// The next page to fetch: `Some(None)` the first, `Some(Some(token))` a later one, `None`
    /// no more.
    next: Option<Option<String>>,
    /// Items still wanted (`None`: all).
    left: Option<usize>,
    page_size: u32,
}

impl<T> Paging<T> {
    async fn step(mut self) -> Option<(Result<T>, Self)> {
        loop {
            if self.left == Some(0) {
                return None;
            }
            if let Some(item) = self.buffer.pop_front() {
                self.left = self.left.map(|n| n - 1);
                return Some((Ok(item), self));
            }
            let continue_ = self.next.take()?;
            let wanted = self
                .left
                .map_or(self.page_size, |n| {
                    u32::try_from(n).unwrap_or(u32::MAX).min(self.page_size)
                })
                .max(1);
            let request = PageRequest {
                limit: wanted,
                continue_,
            };
            match (self.fetch)(request).await {
                Ok(page) => {
                    self.buffer.extend(page.items);
                    self.next = page.next.map(Some);
                }
                Err(e) => return Some((Err(e), self)),
            }
        }
    }
}

impl<T: Send + 'static> Stream for ListStream<T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<T>>> {
        if self.running.is_none() {
            let running = self.start();
            self.running = Some(running);
        }
        match self.running.as_mut() {
            Some(s) => s.as_mut().poll_next(cx),
            None => Poll::Ready(None),
        }
    }
}

impl<T> std::fmt::Debug for ListStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListStream")
            .field("limit", &self.limit)
            .field("page_size", &self.page_size)
            .field("started", &self.running.is_some())
            .finish()
    }
}

/// One change seen by a [`WatchStream`].
#[derive(Debug, Clone, PartialEq)]
pub enum WatchEvent<T> {
    /// An object not seen before (every object on the first poll).
    Added(T),
    /// An object whose `metadata.resourceVersion` (or, without one, content) changed.
    Modified(T),
    /// An object gone from the list; its last state seen.
    Deleted(T),
}

impl<T> WatchEvent<T> {
    /// The object the event is about.
    pub fn object(&self) -> &T {
        match self {
            WatchEvent::Added(o) | WatchEvent::Modified(o) | WatchEvent::Deleted(o) => o,
        }
    }

    /// `ADDED`, `MODIFIED` or `DELETED` (Kubernetes' watch event types).
    pub fn kind(&self) -> &'static str {
        match self {
            WatchEvent::Added(_) => "ADDED",
            WatchEvent::Modified(_) => "MODIFIED",
            WatchEvent::Deleted(_) => "DELETED",
        }
    }
}

/// The poll interval of a watch: back to the start after a change, doubled while nothing
/// changes, never past the cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    start: Duration,
    current: Duration,
    cap: Duration,
}

impl Backoff {
    /// Starts at `start` (at least 50 ms) and grows to `cap` at most (never below `start`).
    pub fn new(start: Duration, cap: Duration) -> Backoff {
        let start = start.max(MIN_WATCH_INTERVAL);
        Backoff {
            start,
            current: start,
            cap: cap.max(start),
        }
    }

    /// The interval after a change.
    pub fn start(&self) -> Duration {
        self.start
    }

    /// The wait before the next poll, given whether the last poll saw a change.
    pub fn next(&mut self, changed: bool) -> Duration {
        if changed {
            self.current = self.start;
            return self.start;
        }
        let now = self.current;
        self.current = (self.current * 2).min(self.cap);
        now
    }
}

impl Default for Backoff {
    /// [`DEFAULT_WATCH_INTERVAL`] growing to [`MAX_WATCH_INTERVAL`].
    fn default() -> Self {
        Backoff::new(DEFAULT_WATCH_INTERVAL, MAX_WATCH_INTERVAL)
    }
}

/// Changes of a list, found by polling it with a [`Backoff`]. The first poll reports every
/// object as [`WatchEvent::Added`]. A failed poll is handed out as an error and polling goes
/// on (a watch ends only when it is dropped).
///
/// ```no_run
/// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
/// use futures::StreamExt;
/// use rsspot::services::WatchEvent;
/// let mut changes = client.spot_pools().within(Some("demo")).watch()
///     .interval(std::time::Duration::from_secs(1));
/// while let Some(event) = changes.next().await {
///     match event? {
///         WatchEvent::Added(p) | WatchEvent::Modified(p) => println!("{:?}", p.spec),
///         WatchEvent::Deleted(p) => println!("gone: {:?}", p.metadata),
///     }
/// }
/// # Ok(()) }
/// ```
#[must_use = "a stream does nothing until polled"]
pub struct WatchStream<T> {
    list: Option<ListFn<T>>,
    name: fn(&T) -> String,
    interval: Duration,
    max_interval: Duration,
    running: Option<BoxStream<'static, Result<WatchEvent<T>>>>,
}

impl<T: Serialize + Clone + Send + 'static> WatchStream<T> {
    pub(crate) fn new(list: ListFn<T>, name: fn(&T) -> String) -> Self {
        WatchStream {
            list: Some(list),
            name,
            interval: DEFAULT_WATCH_INTERVAL,
            max_interval: MAX_WATCH_INTERVAL,
            running: None,
        }
    }

    /// The first interval, and the interval after each change (default 2 s, at least 50 ms).
    pub fn interval(mut self, every: Duration) -> Self {
        self.interval = every;
        self
    }

    /// The longest interval while nothing changes (default 30 s).
    pub fn max_interval(mut self, cap: Duration) -> Self {
        self.max_interval = cap;
        self
    }

    fn start(&mut self) -> BoxStream<'static, Result<WatchEvent<T>>> {
        let Some(list) = self.list.take() else {
            return Box::pin(futures::stream::empty());
        };
        let state = Polling {
            list,
            name: self.name,
            backoff: Backoff::new(self.interval, self.max_interval),
            seen: BTreeMap::new(),
            pending: VecDeque::new(),
            last_changed: None,
        };
        Box::pin(futures::stream::unfold(state, Polling::step))
    }
}

impl<T: Serialize + Clone + Send + 'static> Stream for WatchStream<T> {
    type Item = Result<WatchEvent<T>>;

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<WatchEvent<T>>>> {
        if self.running.is_none() {
            let running = self.start();
            self.running = Some(running);
        }
        match self.running.as_mut() {
            Some(s) => s.as_mut().poll_next(cx),
            None => Poll::Ready(None),
        }
    }
}

impl<T> std::fmt::Debug for WatchStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchStream")
            .field("interval", &self.interval)
            .field("max_interval", &self.max_interval)
            .field("started", &self.running.is_some())
            .finish()
    }
}

/// The state of a [`WatchStream`] between events.
struct Polling<T> {
    list: ListFn<T>,
    name: fn(&T) -> String,
    backoff: Backoff,
    /// Name → (version, object) as of the last good poll.
    seen: BTreeMap<String, (String, T)>,
    pending: VecDeque<WatchEvent<T>>,
    /// Whether the last poll saw a change; `None` before the first poll.
    last_changed: Option<bool>,
}

impl<T: Serialize + Clone> Polling<T> {
    async fn step(mut self) -> Option<(Result<WatchEvent<T>>, Self)> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some((Ok(event), self));
            }
            if let Some(changed) = self.last_changed {
                tokio::time::sleep(self.backoff.next(changed)).await;
            }
            match (self.list)().await {
                Ok(items) => {
                    let now = snapshot(items, self.name);
                    self.pending = changes(&self.seen, &now).into();
                    self.last_changed = Some(!self.pending.is_empty());
                    self.seen = now;
                }
                Err(e) => {
                    self.last_changed = Some(false);
                    return Some((Err(e), self));
                }
            }
        }
    }
}

/// What tells two states of an object apart: its `metadata.resourceVersion`, else its JSON.
pub(crate) fn version_of<T: Serialize>(item: &T) -> String {
    let value = serde_json::to_value(item).unwrap_or_default();
    match value
        .pointer("/metadata/resourceVersion")
        .and_then(serde_json::Value::as_str)
    {
        Some(rv) if !rv.is_empty() => format!("rv:{rv}"),
        _ => format!("json:{value}"),
    }
}

/// A list keyed by name (an object listed twice counts once: the last one).
fn snapshot<T: Serialize>(items: Vec<T>, name: fn(&T) -> String) -> BTreeMap<String, (String, T)> {
    items
        .into_iter()
        .map(|item| (name(&item), (version_of(&item), item)))
        .collect()
}

/// The events from `before` to `now`: added and modified by name, then deleted.
fn changes<T: Clone>(
    before: &BTreeMap<String, (String, T)>,
    now: &BTreeMap<String, (String, T)>,
) -> Vec<WatchEvent<T>> {
    let mut events = Vec::new();
    for (name, (version, item)) in now {
        match before.get(name) {
            None => events.push(WatchEvent::Added(item.clone())),
            Some((old, _)) if old != version => events.push(WatchEvent::Modified(item.clone())),
            Some(_) => {}
        }
    }
    for (name, (_, item)) in before {
        if !now.contains_key(name) {
            events.push(WatchEvent::Deleted(item.clone()));
        }
    }
    events
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
