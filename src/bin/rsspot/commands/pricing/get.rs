//! `pricing get CLASS`: one class's prices as fields, with the percentile band, and (with
//! `--history`) its hammer-price history as a chart or as points.

use anyhow::Result;
use rsspot::pricing::view::{MONTH_HOURS, PriceRow};
use rust_decimal::Decimal;
use serde::Serialize;

use super::history::{self, SeriesPoint};
use super::{GetArgs, generation, monthly, pct, price, qty};
use crate::cli::OutputFormat;
use crate::ctx::Ctx;
use crate::output::dash;

/// The JSON/YAML form of `pricing get --history`.
#[derive(Serialize)]
struct GetWithHistory<'a> {
    class: &'a str,
    price: &'a PriceRow,
    stats: Option<rsspot::pricing::docs::HistoryStats>,
    series: Vec<SeriesPoint>,
}

/// Where the market price sits among the percentiles.
fn band(r: &PriceRow) -> String {
    let parts: Vec<String> = [("P20", r.p20), ("P50", r.p50), ("P80", r.p80)]
        .iter()
        .filter_map(|(l, v)| v.map(|v| format!("{l} {}", price(Some(v)))))
        .collect();
    if parts.is_empty() {
        return "-".into();
    }
    let position = match (r.market, r.p20, r.p50, r.p80) {
        (Some(m), Some(p20), _, _) if m < p20 => "; market below P20",
        (Some(m), _, Some(p50), _) if m < p50 => "; market in P20-P50",
        (Some(m), _, _, Some(p80)) if m <= p80 => "; market in P50-P80",
        (Some(_), _, _, Some(_)) => "; market above P80",
        _ => "",
    };
    format!("{}{position}", parts.join("  "))
}

fn row_fields(r: &PriceRow) -> Vec<(&'static str, String)> {
    vec![
        ("NAME", r.name.clone()),
        ("DISPLAY NAME", dash(r.display_name.as_ref())),
        ("REGION", r.region.clone()),
        ("FAMILY", dash(Some(&r.family))),
        ("GENERATION", generation(r.generation, r.virtual_)),
        ("CATEGORY", dash(r.category.as_ref())),
        ("VCPU", qty(r.vcpu)),
        ("MEMORY GB", qty(r.memory_gb)),
        ("MARKET $/H", price(r.market)),
        ("MIN BID $/H", price(r.min_bid)),
        ("FLOOR $/H", price(r.floor)),
        ("ON-DEMAND $/H", price(r.on_demand)),
        ("HYPERSCALER $/H", price(r.hyperscaler_avg)),
        ("SAVING VS ON-DEMAND", pct(r.saving_vs_on_demand_pct)),
        ("SAVING VS HYPERSCALER", pct(r.saving_vs_hyperscaler_pct)),
        ("PERCENTILES", band(r)),
        (
            "AVAILABLE",
            match (r.available, r.capacity) {
                (Some(a), Some(c)) => format!("{a} of {c}"),
                (a, _) => dash(a),
            },
        ),
        (
            "MONTHLY (1 NODE)",
            monthly(r.market.map(|m| m * Decimal::from(MONTH_HOURS))),
        ),
    ]
}

pub(super) async fn get(ctx: &Ctx, a: GetArgs) -> Result<()> {
    let class = crate::args::name_arg(a.class, a.name_flag, "server class")?;
    let client = ctx.client().await?;
    let pricing = client.pricing();
    let (row, history) = if a.history {
        let (row, history) = tokio::join!(pricing.row(&class), pricing.history(&class));
        (row?, Some(history?))
    } else {
        (pricing.row(&class).await?, None)
    };
    match ctx.out.format {
        OutputFormat::Table | OutputFormat::Wide => {
            ctx.out.fields(&row_fields(&row))?;
            if let Some(h) = &history {
                ctx.out.text("")?;
                history::print_chart(ctx, &row, &history::points(h, &a.series), &a.series)?;
            }
            Ok(())
        }
        OutputFormat::Name => ctx.out.text(&row.name),
        _ => match &history {
            None => ctx.out.data(&row),
            Some(h) => ctx.out.data(&GetWithHistory {
                class: &row.name,
                price: &row,
                stats: h.stats(),
                series: history::series(&history::points(h, &a.series)),
            }),
        },
    }
}
