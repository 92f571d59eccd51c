//! One `tracing` span per call (`spot_call`): a subscriber sees the operation, its method and
//! path template, the status, the attempts and retries, whether the cache answered, and how long
//! the call took, and never a secret or a query string.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rsspot::SpotClient;
use rsspot::emulator::Emulator;
use rsspot::retry::RetryConfig;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

type Fields = BTreeMap<String, String>;

/// Collects the fields of every `spot_call` span, as they are when the span closes.
#[derive(Clone, Default)]
struct Spans {
    open: Arc<Mutex<BTreeMap<u64, Fields>>>,
    closed: Arc<Mutex<Vec<Fields>>>,
}

struct Collect<'a>(&'a mut Fields);

impl Visit for Collect<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(
            field.name().to_string(),
            format!("{value:?}").replace('"', ""),
        );
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }
}

impl<S> tracing_subscriber::Layer<S> for Spans
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _ctx: Context<'_, S>) {
        if attrs.metadata().name() != "spot_call" {
            return;
        }
        let mut fields = Fields::new();
        attrs.record(&mut Collect(&mut fields));
        self.open.lock().unwrap().insert(id.into_u64(), fields);
    }
    fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        if let Some(fields) = self.open.lock().unwrap().get_mut(&id.into_u64()) {
            values.record(&mut Collect(fields));
        }
    }
    fn on_close(&self, id: Id, _ctx: Context<'_, S>) {
        if let Some(fields) = self.open.lock().unwrap().remove(&id.into_u64()) {
            self.closed.lock().unwrap().push(fields);
        }
    }
}

impl Spans {
    /// The spans closed since the last call. A span closes when its last handle goes, which
    /// may be a moment after the call returned (on a loaded machine): wait for the open ones,
    /// up to 5 s.
    fn take(&self) -> Vec<Fields> {
        for _ in 0..500 {
            if self.open.lock().unwrap().is_empty() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        std::mem::take(&mut *self.closed.lock().unwrap())
    }
}

async fn client(emu: &Emulator) -> SpotClient {
    SpotClient::builder()
        .all_urls(emu.base_url())
        .refresh_token("demo-token")
        .retry(RetryConfig {
            max_attempts: 4,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            jitter: 0.0,
            ..Default::default()
        })
        .in_memory_state()
        .build()
        .await
        .unwrap()
}

fn only(spans: &[Fields]) -> &Fields {
    assert_eq!(spans.len(), 1, "{spans:#?}");
    &spans[0]
}

/// One test with the process's global subscriber: callsite interest is process-wide, and
/// thread-local subscribers (one per test, or the runtime's worker threads) can miss spans.
#[tokio::test(flavor = "multi_thread")]
async fn every_call_has_one_span_with_its_facts_and_no_secret() {
    let spans = Spans::default();
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(spans.clone()))
        .expect("the only subscriber of this test binary");
    each_call_has_a_span_with_operation_status_attempts_and_cache(&spans).await;
    spans_carry_no_secret_and_no_query_string(&spans).await;
}

async fn each_call_has_a_span_with_operation_status_attempts_and_cache(spans: &Spans) {
    spans.take();
    let emu = Emulator::start().await.unwrap();
    let c = client(&emu).await;

    // A plain call: one attempt, answered by the server.
    let regions = c.regions().list().await.unwrap();
    assert!(!regions.is_empty());
    let all = spans.take();
    let first = only(&all);
    assert_eq!(first["op"], "list_regions");
    assert_eq!(first["method"], "GET");
    assert_eq!(first["path"], "/apis/ngpc.rxt.io/v1/regions");
    assert_eq!(first["status"], "200");
    assert_eq!(
        first["attempts"], "1",
        "the token exchange is not an attempt"
    );
    assert_eq!(first["retries"], "0");
    assert_eq!(first["cache_hit"], "false");
    assert!(first["duration_ms"].parse::<u64>().is_ok(), "{first:?}");
    assert!(!first.contains_key("error"));

    // The same call again: the cache answers, nothing is sent.
    c.regions().list().await.unwrap();
    let all = spans.take();
    let cached = only(&all);
    assert_eq!(
        (cached["cache_hit"].as_str(), cached["attempts"].as_str()),
        ("true", "0")
    );

    // A 503 then a success: two attempts, one retry.
    emu.faults().fail_next(1, 503, None);
    c.server_classes().list(&Default::default()).await.unwrap();
    let all = spans.take();
    let retried = only(&all);
    assert_eq!(retried["op"], "list_server_classes");
    assert_eq!(
        (
            retried["status"].as_str(),
            retried["attempts"].as_str(),
            retried["retries"].as_str()
        ),
        ("200", "2", "1")
    );
    assert_eq!(emu.count("GET", "/apis/ngpc.rxt.io/v1/serverclasses"), 2);

    // Not found: the span carries the status the service answered.
    let missing = c.regions().get("no-such-region").await;
    assert!(missing.is_err());
    let all = spans.take();
    let gone = only(&all);
    assert_eq!(
        (gone["op"].as_str(), gone["status"].as_str()),
        ("get_region", "404")
    );
    assert_eq!(gone["path"], "/apis/ngpc.rxt.io/v1/regions/{name}");
}

async fn spans_carry_no_secret_and_no_query_string(spans: &Spans) {
    spans.take();
    let emu = Emulator::start().await.unwrap();
    let c = client(&emu).await;
    // The span takes the path template, never the URL; a failing call's error sentence is
    // recorded too, and names its URL without the query.
    c.regions().list().await.unwrap();
    emu.faults().fail_next(8, 500, None);
    assert!(c.server_classes().list(&Default::default()).await.is_err());
    let all = spans.take();
    assert_eq!(all.len(), 2, "{all:#?}");
    let failed = &all[1];
    assert_eq!(failed["status"], "500");
    assert_eq!(failed["attempts"], "4");
    for fields in &all {
        for (name, value) in fields {
            assert!(!value.contains('?'), "{name}={value}");
            assert!(!value.contains("demo-token"), "{name}={value}");
            common::assert_no_secret(value);
        }
    }
}
