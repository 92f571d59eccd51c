//! Prices: the public documents (history, percentiles, hyperscaler comparables), the joined
//! per-class price view, and bid advice. The documents come through the generated operations,
//! which decode straight into the lenient [`crate::pricing::docs`] types.

use futures::StreamExt;

use crate::SpotClient;
use crate::error::Result;
use crate::pricing::advice::{self, BidAdvice, Risk};
use crate::pricing::docs::{ComparablePrices, Percentiles, PriceHistory};
use crate::pricing::view::{self, ClassInput, PriceRow};

/// `client.pricing()`.
#[derive(Clone, Copy)]
pub struct Pricing<'a>(pub(crate) &'a SpotClient);

impl Pricing<'_> {
    /// Hourly hammer-price history of one server class.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// let history = client.pricing().history("gp.vs1.medium-dfw").await?;
    /// println!("{}", history.sparkline(40));
    /// # Ok(()) }
    /// ```
    pub async fn history(self, server_class: &str) -> Result<PriceHistory> {
        let request = self.0.raw.get_price_history().server_class(server_class);
        super::read(|| request.clone().send(), "price history", server_class).await
    }

    /// Histories of many classes, fetched concurrently (bounded by the client's concurrency).
    /// Results keep the input order.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// let classes = vec!["gp.vs1.medium-dfw".to_string(), "ch.vs1.xlarge-dfw".to_string()];
    /// for (class, history) in client.pricing().histories(&classes).await {
    ///     println!("{class}: {} points", history.map(|h| h.history.len()).unwrap_or(0));
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn histories(self, classes: &[String]) -> Vec<(String, Result<PriceHistory>)> {
        let limit = self.0.concurrency();
        let mut out: Vec<(usize, String, Result<PriceHistory>)> =
            futures::stream::iter(classes.iter().enumerate())
                .map(|(i, c)| async move { (i, c.clone(), self.history(c).await) })
                .buffer_unordered(limit)
                .collect()
                .await;
        out.sort_by_key(|(i, _, _)| *i);
        out.into_iter().map(|(_, c, r)| (c, r)).collect()
    }

    /// P20/P50/P80 of the trailing price distribution, per region and class.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// let pct = client.pricing().percentiles().await?;
    /// # Ok(()) }
    /// ```
    pub async fn percentiles(self) -> Result<Percentiles> {
        super::read(|| self.0.raw.get_percentiles().send(), "percentiles", "").await
    }

    /// Comparable hyperscaler prices per class.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// let cmp = client.pricing().comparable_prices().await?;
    /// # Ok(()) }
    /// ```
    pub async fn comparable_prices(self) -> Result<ComparablePrices> {
        let request = self.0.raw.get_comparable_prices();
        super::read(|| request.clone().send(), "comparable prices", "").await
    }

    /// One row per server class joining market price, minimum bid, on-demand price,
    /// percentiles and hyperscaler prices; totals for `nodes` nodes. The three sources are
    /// fetched concurrently; a missing public document leaves its columns empty.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// for row in client.pricing().rows(1).await? {
    ///     println!("{} market={:?} floor={:?}", row.name, row.market, row.floor);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn rows(self, nodes: u32) -> Result<Vec<PriceRow>> {
        let filter = crate::services::ServerClassFilter::default();
        let server_classes = self.0.server_classes();
        let (classes, pct, cmp) = tokio::join!(
            server_classes.list(&filter),
            self.percentiles(),
            self.comparable_prices()
        );
        let classes = classes?;
        let inputs: Vec<ClassInput> = classes
            .iter()
            .map(ClassInput::from)
            .filter(|c| !c.name.is_empty())
            .collect();
        let pct = pct
            .map_err(|e| tracing::warn!("percentiles unavailable: {e}"))
            .ok();
        let cmp = cmp
            .map_err(|e| tracing::warn!("comparable prices unavailable: {e}"))
            .ok();
        Ok(view::build_rows(
            &inputs,
            pct.as_ref(),
            cmp.as_ref(),
            nodes.max(1),
        ))
    }

    /// The price row of one class.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// let row = client.pricing().row("gp.vs1.medium-dfw").await?;
    /// println!("market {:?}, floor {:?}", row.market, row.floor);
    /// # Ok(()) }
    /// ```
    pub async fn row(self, server_class: &str) -> Result<PriceRow> {
        self.rows(1)
            .await?
            .into_iter()
            .find(|r| r.name == server_class)
            .ok_or_else(|| crate::Error::not_found("server class", server_class))
    }

    /// A bid the server will accept (≥ floor, ≤ 3 decimals, on the bid ladder), with reasoning.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::pricing::advice::Risk;
    /// let advice = client.pricing().advise("gp.vs1.medium-dfw", Risk::Low).await?;
    /// println!("bid {} because: {}", advice.bid, advice.reasoning.join("; "));
    /// # Ok(()) }
    /// ```
    pub async fn advise(self, server_class: &str, risk: Risk) -> Result<BidAdvice> {
        Ok(advice::advise(&self.row(server_class).await?, risk))
    }
}
