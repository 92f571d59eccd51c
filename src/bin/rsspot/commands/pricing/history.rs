//! `pricing history CLASS` and the history part of `pricing get --history`: the hammer-price
//! series as a chart on a terminal, or as JSON/YAML/CSV points.

use anyhow::Result;
use clap::Args;
use rsspot::pricing::docs::{HistoryPoint, PriceHistory};
use rsspot::pricing::view::PriceRow;
use rust_decimal::Decimal;
use serde::Serialize;

use super::chart::{self, RefLine, Style};
use crate::cli::OutputFormat;
use crate::ctx::Ctx;

/// Chart rows (cells; four braille dots each).
const CHART_HEIGHT: usize = 10;

/// Flags shared by `pricing history` and `pricing get --history`.
#[derive(Debug, Clone, Args, Default)]
pub struct SeriesArgs {
    /// Only the points within this long before the newest one (e.g. 7d, 12h).
    #[arg(long, value_name = "DURATION", value_parser = crate::args::parse_duration)]
    pub since: Option<std::time::Duration>,
    /// Your bid ($/h), drawn as a reference line.
    #[arg(long, value_name = "USD")]
    pub bid: Option<Decimal>,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Server class, e.g. gp.vs1.medium-dfw.
    pub class: String,
    #[command(flatten)]
    pub series: SeriesArgs,
}

/// One point of the exported series.
#[derive(Serialize)]
pub struct SeriesPoint {
    /// Auction time, unix seconds.
    pub run_at: i64,
    /// Auction time.
    pub time: Option<chrono::DateTime<chrono::Utc>>,
    /// Hammer price, USD per hour.
    pub hammer_price: Decimal,
}

/// The points of `h` the flags keep, in time order.
pub fn points(h: &PriceHistory, a: &SeriesArgs) -> Vec<HistoryPoint> {
    let mut points = h.sorted();
    if let (Some(since), Some(newest)) = (a.since, points.last().map(|p| p.run_at)) {
        let cutoff = newest.saturating_sub(i64::try_from(since.as_secs()).unwrap_or(i64::MAX));
        points.retain(|p| p.run_at >= cutoff);
    }
    points
}

/// The exported form of the points.
pub fn series(points: &[HistoryPoint]) -> Vec<SeriesPoint> {
    points
        .iter()
        .map(|p| SeriesPoint {
            run_at: p.run_at,
            time: p.time(),
            hammer_price: p.hammer_price,
        })
        .collect()
}

/// Draws the chart of `points` with the market price, P50 and the bid as reference lines.
pub fn print_chart(
    ctx: &Ctx,
    row: &PriceRow,
    points: &[HistoryPoint],
    a: &SeriesArgs,
) -> Result<()> {
    if points.is_empty() {
        ctx.out.note("No price history for this class.");
        return Ok(());
    }
    let mut refs = Vec::new();
    for (label, value) in [("market", row.market), ("P50", row.p50), ("bid", a.bid)] {
        if let Some(value) = value {
            refs.push(RefLine {
                label: label.into(),
                value,
            });
        }
    }
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<usize>().ok())
        .unwrap_or(80);
    // Room for the axis labels on the left and the reference labels on the right.
    let width = columns.saturating_sub(34).clamp(16, 100);
    let style = Style {
        unicode: !chart::ascii_wanted(ctx.global.no_color),
        width,
        height: CHART_HEIGHT,
    };
    let xy: Vec<(i64, Decimal)> = points.iter().map(|p| (p.run_at, p.hammer_price)).collect();
    ctx.out.text(&chart::render(&xy, &refs, style))
}

/// `pricing history CLASS`.
pub async fn history(ctx: &Ctx, a: HistoryArgs) -> Result<()> {
    let client = ctx.client().await?;
    let pricing = client.pricing();
    let h = pricing.history(&a.class).await?;
    let points = points(&h, &a.series);
    match ctx.out.format {
        OutputFormat::Csv => {
            let mut text = String::from("time,run_at,hammer_price\n");
            for p in &points {
                let time = p.time().map(|t| t.to_rfc3339()).unwrap_or_default();
                text.push_str(&format!("{time},{},{}\n", p.run_at, p.hammer_price));
            }
            ctx.out.text(&text)
        }
        OutputFormat::Table | OutputFormat::Wide => {
            let row = pricing.row(&a.class).await?;
            print_chart(ctx, &row, &points, &a.series)
        }
        _ => ctx.out.data(&series(&points)),
    }
}
