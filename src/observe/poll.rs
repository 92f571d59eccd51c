//! [`Poller`]: one [`Snapshot`] per call, from one list per kind.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;

use super::snapshot::{ClassPrice, Observed, Snapshot};
use crate::SpotClient;
use crate::error::Result;
use crate::pricing::class::ClassInput;
use crate::raw::types::{AutopilotNodePool, CloudSpace, OnDemandNodePool, SpotNodePool};
use crate::resource::{Kind, Org, OrgTarget};
use crate::services::ServerClassFilter;
use crate::types::inventory::{VmCloudSpace, VmPool};

/// Entries of the organization's events feed a snapshot keeps (the feed is newest first).
pub const EVENTS_KEPT: u32 = 100;

/// How one request of a poll went.
#[derive(Debug, Clone, PartialEq)]
pub struct OpSample {
    /// The operation (`list spot node pool`, `server classes`, ...).
    pub operation: String,
    /// Whether it succeeded.
    pub ok: bool,
    /// How long it took.
    pub elapsed: Duration,
}

/// One poll: the snapshot and how each request went.
#[derive(Debug, Clone)]
pub struct PollReport {
    /// The fleet now.
    pub snapshot: Snapshot,
    /// One sample per request made.
    pub samples: Vec<OpSample>,
}

/// Takes snapshots of one organization (see the [module docs](super)).
#[derive(Clone)]
pub struct Poller {
    client: SpotClient,
    /// The organization, resolved to its namespace once for every poll.
    org: Arc<OrgTarget>,
    /// The samples of the last poll, also when it failed.
    last_samples: Vec<OpSample>,
}

impl std::fmt::Debug for Poller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Poller")
            .field("org", &self.org.org)
            .finish()
    }
}

async fn timed<T>(
    samples: &mut Vec<OpSample>,
    operation: &str,
    fut: impl Future<Output = Result<T>>,
) -> Result<T> {
    let start = Instant::now();
    let result = fut.await;
    samples.push(OpSample {
        operation: operation.to_string(),
        ok: result.is_ok(),
        elapsed: start.elapsed(),
    });
    result
}

async fn list_into<K: Observed>(
    org: &Org<'_>,
    snapshot: &mut Snapshot,
    samples: &mut Vec<OpSample>,
) -> Result<()> {
    let operation = format!("list {}", K::KIND);
    let items = timed(samples, &operation, org.api::<K>().list()).await?;
    for item in &items {
        item.observe(snapshot);
    }
    Ok(())
}

impl Poller {
    /// A poller of `org` (`None`: the client's default organization).
    pub fn new(client: SpotClient, org: Option<String>) -> Poller {
        Poller {
            client,
            org: OrgTarget::new(org),
            last_samples: Vec::new(),
        }
    }

    /// The client it polls with (its [`stats`](SpotClient::stats) count every request).
    pub fn client(&self) -> &SpotClient {
        &self.client
    }

    /// How each request of the last poll went, also when the poll failed.
    pub fn last_samples(&self) -> &[OpSample] {
        &self.last_samples
    }

    /// Takes one snapshot: one list per kind, the prices and the events feed. Fails as a whole
    /// when any request fails (after the transport's retries): half a snapshot would read as
    /// pools vanishing.
    pub async fn poll(&mut self) -> Result<PollReport> {
        let mut samples = Vec::new();
        let result = self.collect(&mut samples).await;
        self.last_samples.clone_from(&samples);
        result.map(|snapshot| PollReport { snapshot, samples })
    }

    async fn collect(&self, samples: &mut Vec<OpSample>) -> Result<Snapshot> {
        let org = Org {
            client: &self.client,
            target: Arc::clone(&self.org),
        };
        let mut snapshot = Snapshot {
            taken_at: Some(Utc::now()),
            ..Snapshot::default()
        };
        list_into::<CloudSpace>(&org, &mut snapshot, samples).await?;
        list_into::<SpotNodePool>(&org, &mut snapshot, samples).await?;
        list_into::<OnDemandNodePool>(&org, &mut snapshot, samples).await?;
        list_into::<AutopilotNodePool>(&org, &mut snapshot, samples).await?;
        list_into::<VmCloudSpace>(&org, &mut snapshot, samples).await?;
        list_into::<VmPool>(&org, &mut snapshot, samples).await?;
        let events = timed(
            samples,
            "organization events",
            org.inventory().events(EVENTS_KEPT),
        )
        .await?;
        snapshot.events = events
            .events
            .iter()
            .take(EVENTS_KEPT as usize)
            .map(|e| e.join(" "))
            .collect();
        self.prices_into(&mut snapshot, samples).await?;
        Ok(snapshot)
    }

    async fn prices_into(
        &self,
        snapshot: &mut Snapshot,
        samples: &mut Vec<OpSample>,
    ) -> Result<()> {
        let filter = ServerClassFilter::default();
        let classes = timed(
            samples,
            "list server classes",
            self.client.server_classes().list(&filter),
        )
        .await?;
        // The percentiles are a public document that may be missing; prices stay without them.
        let pct = timed(samples, "percentiles", self.client.pricing().percentiles())
            .await
            .map_err(|e| tracing::warn!("percentiles unavailable: {e}"))
            .ok();
        let inputs: Vec<ClassInput> = classes
            .iter()
            .map(ClassInput::from)
            .filter(|c| !c.name.is_empty())
            .collect();
        for row in crate::pricing::view::build_rows(&inputs, pct.as_ref(), None, 1) {
            snapshot.prices.insert(
                row.name,
                ClassPrice {
                    region: row.region,
                    market: row.market,
                    min_bid: row.min_bid,
                    on_demand: row.on_demand,
                    p50: row.p50,
                    p80: row.p80,
                },
            );
        }
        Ok(())
    }
}

/// The operations one poll makes, in order (for counting requests per interval).
pub fn operations() -> Vec<String> {
    fn list<K: Kind>() -> String {
        format!("list {}", K::KIND)
    }
    vec![
        list::<CloudSpace>(),
        list::<SpotNodePool>(),
        list::<OnDemandNodePool>(),
        list::<AutopilotNodePool>(),
        list::<VmCloudSpace>(),
        list::<VmPool>(),
        "organization events".into(),
        "list server classes".into(),
        "percentiles".into(),
    ]
}
