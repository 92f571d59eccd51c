//! The OpenMetrics text of one refresh: a registry built from a snapshot (so pools that are gone
//! leave no stale series) plus the request counters that live across refreshes.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};
use rsspot::Decimal;
use rsspot::observe::{OpSample, Snapshot};

type Labels = Vec<(&'static str, String)>;
type FGauge = Family<Labels, Gauge<f64, AtomicU64>>;

fn op_histogram() -> Histogram {
    // 5 ms .. ~20 s.
    Histogram::new(exponential_buckets(0.005, 2.0, 13))
}

/// What lives across refreshes: rsspot's own requests by operation.
#[derive(Clone)]
pub struct ApiMetrics {
    requests: Family<Labels, Counter>,
    errors: Family<Labels, Counter>,
    latency: Family<Labels, Histogram, fn() -> Histogram>,
    refresh_errors: Counter,
}

impl Default for ApiMetrics {
    fn default() -> Self {
        ApiMetrics {
            requests: Family::default(),
            errors: Family::default(),
            latency: Family::new_with_constructor(op_histogram as fn() -> Histogram),
            refresh_errors: Counter::default(),
        }
    }
}

impl ApiMetrics {
    /// Counts the requests of one poll.
    pub fn record(&self, samples: &[OpSample], failed: bool) {
        for s in samples {
            let op = vec![("operation", s.operation.clone())];
            self.requests.get_or_create(&op).inc();
            if !s.ok {
                self.errors.get_or_create(&op).inc();
            }
            self.latency
                .get_or_create(&op)
                .observe(s.elapsed.as_secs_f64());
        }
        if failed {
            self.refresh_errors.inc();
        }
    }
}

fn f(d: Option<Decimal>) -> Option<f64> {
    d.and_then(|d| d.to_string().parse().ok())
}

fn gauge(registry: &mut Registry, name: &str, help: &str, unit: Option<Unit>) -> FGauge {
    let family = FGauge::default();
    match unit {
        Some(u) => registry.register_with_unit(name, help, u, family.clone()),
        None => registry.register(name, help, family.clone()),
    }
    family
}

fn set(family: &FGauge, labels: Labels, value: Option<f64>) {
    if let Some(v) = value {
        family.get_or_create(&labels).set(v);
    }
}

/// The inputs of one exposition.
pub struct Exposition<'a> {
    /// The organization's name.
    pub org: &'a str,
    /// The last good snapshot, if any.
    pub snapshot: Option<&'a Snapshot>,
    /// When it was taken (unix seconds).
    pub refreshed_at: Option<f64>,
    /// The profile's monthly budget, when set.
    pub budget_monthly: Option<Decimal>,
    /// Requests the client sent and retried (`SpotClient::stats`).
    pub sent: u64,
    /// Retries.
    pub retries: u64,
}

/// Encodes the exposition as OpenMetrics text.
pub fn render(x: &Exposition<'_>, api: &ApiMetrics) -> anyhow::Result<String> {
    let usd = || Some(Unit::Other("usd_per_hour".into()));
    let mut r = Registry::with_prefix("rsspot");
    let org = || ("org", x.org.to_string());
    if let Some(s) = x.snapshot {
        let market = gauge(
            &mut r,
            "market_price",
            "Market price of a server class",
            usd(),
        );
        let min_bid = gauge(
            &mut r,
            "min_bid_price",
            "Minimum bid of a server class",
            usd(),
        );
        let p50 = gauge(
            &mut r,
            "hammer_price_p50",
            "Median hammer price of recent auctions",
            usd(),
        );
        let p80 = gauge(
            &mut r,
            "hammer_price_p80",
            "80th percentile of recent hammer prices",
            usd(),
        );
        let on_demand = gauge(
            &mut r,
            "on_demand_price",
            "On-demand price of a server class",
            usd(),
        );
        for (class, p) in &s.prices {
            let l = || vec![("class", class.clone()), ("region", p.region.clone())];
            set(&market, l(), f(p.market));
            set(&min_bid, l(), f(p.min_bid));
            set(&p50, l(), f(p.p50));
            set(&p80, l(), f(p.p80));
            set(&on_demand, l(), f(p.on_demand));
        }
        let desired = gauge(&mut r, "pool_desired_nodes", "Nodes a pool asks for", None);
        let won = gauge(
            &mut r,
            "pool_won_nodes",
            "Nodes a pool has won (reserved: on-demand)",
            None,
        );
        let bid = gauge(&mut r, "pool_bid", "A pool's bid", usd());
        let outbid = gauge(
            &mut r,
            "pool_outbid",
            "1 when the market price is above the pool's bid",
            None,
        );
        let status = gauge(
            &mut r,
            "pool_status",
            "1 for the pool's bid (or reservation) status",
            None,
        );
        for p in s.pools.values() {
            let l = || {
                vec![
                    org(),
                    ("cloudspace", p.cloudspace.clone().unwrap_or_default()),
                    ("pool", p.name.clone()),
                    ("class", p.class.clone().unwrap_or_default()),
                    ("kind", p.kind.as_str().to_string()),
                ]
            };
            set(&desired, l(), p.desired.map(|v| v as f64));
            set(&won, l(), p.won.map(|v| v as f64));
            set(&bid, l(), f(p.bid));
            if p.bid.is_some() {
                set(&outbid, l(), Some(if s.outbid(p) { 1.0 } else { 0.0 }));
            }
            if let Some(st) = &p.status {
                let mut l = l();
                l.push(("status", st.clone()));
                set(&status, l, Some(1.0));
            }
        }
        let phase = gauge(
            &mut r,
            "cloudspace_phase",
            "1 for the cloudspace's phase",
            None,
        );
        let health = gauge(
            &mut r,
            "cloudspace_health",
            "1 for the cloudspace's health",
            None,
        );
        for c in s.cloudspaces.values() {
            let l = |k: &'static str, v: &Option<String>| {
                let kind = if c.vm { "vm" } else { "kubernetes" };
                vec![
                    org(),
                    ("cloudspace", c.name.clone()),
                    ("kind", kind.to_string()),
                    (k, v.clone().unwrap_or_else(|| "Unknown".into())),
                ]
            };
            set(&phase, l("phase", &c.phase), Some(1.0));
            set(&health, l("health", &c.health), Some(1.0));
        }
        let target = gauge(
            &mut r,
            "autopilot_target_vcpus",
            "vCPUs an autopilot pool aims for",
            None,
        );
        let managed = gauge(
            &mut r,
            "autopilot_managed_vcpus",
            "vCPUs an autopilot pool manages",
            None,
        );
        for a in s.autopilot.values() {
            let l = || {
                vec![
                    org(),
                    ("cloudspace", a.cloudspace.clone().unwrap_or_default()),
                    ("pool", a.name.clone()),
                ]
            };
            set(&target, l(), a.target_vcpus.map(|v| v as f64));
            set(&managed, l(), a.managed_vcpus.map(|v| v as f64));
        }
        let spend = gauge(
            &mut r,
            "spend",
            "Estimated spend: won nodes at the market price",
            usd(),
        );
        set(&spend, vec![org()], f(Some(s.spend_per_hour())));
    }
    if let Some(b) = x.budget_monthly {
        let budget = gauge(
            &mut r,
            "budget_monthly",
            "The profile's max_monthly_usd",
            Some(Unit::Other("usd".into())),
        );
        set(&budget, vec![org()], f(Some(b)));
    }
    let last = gauge(
        &mut r,
        "last_refresh_timestamp",
        "Time of the last good refresh",
        Some(Unit::Seconds),
    );
    set(&last, vec![org()], x.refreshed_at);
    r.register(
        "api_requests",
        "API requests by operation",
        api.requests.clone(),
    );
    r.register(
        "api_errors",
        "API requests that failed, by operation",
        api.errors.clone(),
    );
    r.register_with_unit(
        "api_request_duration",
        "API request latency by operation (retries included)",
        Unit::Seconds,
        api.latency.clone(),
    );
    r.register(
        "refresh_errors",
        "Refreshes that failed",
        api.refresh_errors.clone(),
    );
    let sent: Counter = Counter::default();
    sent.inc_by(x.sent);
    r.register("http_requests_sent", "HTTP requests put on the wire", sent);
    let retries: Counter = Counter::default();
    retries.inc_by(x.retries);
    r.register("http_retries", "Retries after a failure", retries);
    let mut out = String::new();
    encode(&mut out, &r)?;
    Ok(out)
}

/// The classic Prometheus text format (0.0.4) of an OpenMetrics text, for scrapers that do not
/// ask for OpenMetrics (`curl`, `promtool check metrics`): counter families are named by their
/// `_total` samples, and `# UNIT` and `# EOF` go.
pub fn classic(openmetrics: &str) -> String {
    let counters: std::collections::HashSet<&str> = openmetrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line.starts_with("# UNIT ") || line == "# EOF" {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].iter().find_map(|prefix| {
            let rest = line.strip_prefix(prefix)?;
            let (name, tail) = rest.split_once(' ')?;
            counters
                .contains(name)
                .then(|| format!("{prefix}{name}_total {tail}"))
        });
        out.push_str(renamed.as_deref().unwrap_or(line));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_names_counters_by_their_samples() {
        let om = "# HELP a_requests Requests.\n# TYPE a_requests counter\na_requests_total 3\n\
                  # HELP b Price.\n# TYPE b gauge\n# UNIT b usd\nb 1\n# EOF\n";
        assert_eq!(
            classic(om),
            "# HELP a_requests_total Requests.\n# TYPE a_requests_total counter\n\
             a_requests_total 3\n# HELP b Price.\n# TYPE b gauge\nb 1\n"
        );
    }
}
