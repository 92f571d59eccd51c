//! `metrics serve`: OpenMetrics on `/metrics` for Prometheus (issue 28).
//!
//! One task refreshes a snapshot at most every `--interval` (one list per kind, backing off on
//! errors) and renders the exposition once per refresh; scrapes are answered from that text,
//! whatever their rate, so they cost no API request and next to no CPU.

mod render;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::{Context, Result};
use bytes::Bytes;
use clap::{Args, Subcommand};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rsspot::observe::Poller;
use rsspot::services::Backoff;

use crate::ctx::Ctx;
use render::{ApiMetrics, Exposition, classic, render};

/// The content type of the OpenMetrics text format.
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// The content type of the classic Prometheus text format.
const CLASSIC: &str = "text/plain; version=0.0.4; charset=utf-8";

/// One refresh's exposition in both formats (a scrape picks one by its `Accept`). A scrape
/// shares these bytes (no copy per scrape: with 1,000 pools a body is ~700 KB).
struct Texts {
    openmetrics: Bytes,
    classic: Bytes,
}

impl Texts {
    fn new(openmetrics: String) -> Arc<Texts> {
        Arc::new(Texts {
            classic: Bytes::from(classic(&openmetrics)),
            openmetrics: Bytes::from(openmetrics),
        })
    }
}

type Shared = Arc<RwLock<Arc<Texts>>>;

/// `metrics ...`
#[derive(Debug, Subcommand)]
pub enum MetricsCmd {
    /// Serve Prometheus metrics (prices, pools, cloudspaces, autopilot, spend, rsspot's own
    /// requests) on /metrics, until Ctrl-C.
    Serve(ServeArgs),
}

/// `metrics serve` flags.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on. Loopback by default; any other address serves your fleet's names
    /// and prices to whoever can reach it.
    #[arg(long, default_value = "127.0.0.1:9464", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// Refresh at most this often (one list per kind each), whatever the scrape rate.
    #[arg(long, default_value = "60s", value_name = "DURATION", value_parser = crate::progress::parse_duration)]
    pub interval: Duration,
}

/// Runs `metrics ...`.
pub async fn run(ctx: &Ctx, cmd: MetricsCmd) -> Result<()> {
    match cmd {
        MetricsCmd::Serve(args) => crate::watch::until_ctrl_c(serve(ctx, args)).await,
    }
}

async fn serve(ctx: &Ctx, args: ServeArgs) -> Result<()> {
    if !args.listen.ip().is_loopback() {
        ctx.out.warn(&format!(
            "serving metrics on {}, not loopback: anyone who can reach it reads your fleet's \
             names, sizes and prices (no authentication)",
            args.listen
        ));
    }
    let client = super::events::observer_client(ctx).await?;
    let org = client.org_or_default(ctx.org()).name().await?;
    let budget = ctx.resolved().await?.settings.max_monthly_usd;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let api = ApiMetrics::default();
    let first = render(
        &Exposition {
            org: &org,
            snapshot: None,
            refreshed_at: None,
            budget_monthly: budget,
            sent: 0,
            retries: 0,
        },
        &api,
    )?;
    let text: Shared = Arc::new(RwLock::new(Texts::new(first)));
    ctx.out.note(&format!(
        "metrics serve: http://{addr}/metrics (org {org}, refreshed every {:?})",
        args.interval
    ));
    let refresher = tokio::spawn(refresh(
        Poller::new(client, Some(org.clone())),
        org,
        budget,
        args.interval,
        api,
        text.clone(),
    ));
    let served = accept(listener, text).await;
    refresher.abort();
    served
}

/// Refreshes the exposition forever: every `interval` after a good refresh, backing off after a
/// failed one (the last good numbers stay served; `last_refresh_timestamp` tells their age).
async fn refresh(
    mut poller: Poller,
    org: String,
    budget: Option<rsspot::Decimal>,
    interval: Duration,
    api: ApiMetrics,
    text: Shared,
) {
    let mut backoff = Backoff::new(interval, (interval * 16).max(Duration::from_secs(300)));
    let mut last = None;
    loop {
        let polled = poller.poll().await;
        let changed = match polled {
            Ok(report) => {
                api.record(&report.samples, false);
                let at = report
                    .snapshot
                    .taken_at
                    .map(|t| t.timestamp_millis() as f64 / 1000.0);
                last = Some((report.snapshot, at));
                true
            }
            Err(e) => {
                api.record(poller.last_samples(), true);
                eprintln!("warning: metrics refresh failed: {e}");
                false
            }
        };
        let stats = poller.client().stats();
        let rendered = render(
            &Exposition {
                org: &org,
                snapshot: last.as_ref().map(|(s, _)| s),
                refreshed_at: last.as_ref().and_then(|(_, at)| *at),
                budget_monthly: budget,
                sent: stats.sent(),
                retries: stats.retries(),
            },
            &api,
        );
        match rendered {
            Ok(t) => {
                if let Ok(mut slot) = text.write() {
                    *slot = Texts::new(t);
                }
            }
            Err(e) => eprintln!("warning: encoding metrics failed: {e}"),
        }
        tokio::time::sleep(backoff.next(changed)).await;
    }
}

async fn accept(listener: tokio::net::TcpListener, text: Shared) -> Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        let text = text.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| answer(req, text.clone()));
            // A client that hangs up mid-answer is its business.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn answer(req: Request<Incoming>, text: Shared) -> Result<Response<Full<Bytes>>, Infallible> {
    let reply = |status: StatusCode, ctype: &str, body: Bytes| {
        let mut r = Response::new(Full::new(body));
        *r.status_mut() = status;
        if let Ok(v) = ctype.parse() {
            r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
        }
        Ok(r)
    };
    match (req.method(), req.uri().path()) {
        (&hyper::Method::GET, "/metrics") => {
            // Prometheus asks for OpenMetrics; anything else gets the classic text format.
            let openmetrics = req
                .headers()
                .get_all(hyper::header::ACCEPT)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .any(|v| v.contains("application/openmetrics-text"));
            let texts = text.read().map(|t| Arc::clone(&t)).ok();
            match (texts, openmetrics) {
                (Some(t), true) => reply(StatusCode::OK, OPENMETRICS, t.openmetrics.clone()),
                (Some(t), false) => reply(StatusCode::OK, CLASSIC, t.classic.clone()),
                (None, _) => reply(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "text/plain; charset=utf-8",
                    Bytes::from_static(b"metrics unavailable\n"),
                ),
            }
        }
        (&hyper::Method::GET, "/") => reply(
            StatusCode::OK,
            "text/plain; charset=utf-8",
            Bytes::from_static(b"rsspot metrics: see /metrics\n"),
        ),
        _ => reply(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            Bytes::from_static(b"not found: the metrics are on /metrics\n"),
        ),
    }
}

impl crate::shape::Shaped for MetricsCmd {
    /// A server: its log lines are text.
    fn shape(&self) -> crate::shape::Shape {
        crate::shape::Shape::TEXT
    }
}
