//! `pricing list|get|bid|build`: the price table, one class's prices and history, bid advice and
//! the cluster cost planner (with `--apply` to create the planned pools).
//!
//! All numbers come from the SDK (`client.pricing()`) and the pure functions of
//! `rsspot::pricing`; this module only parses flags and renders.

use crate::help_layout::WithExamples;
use anyhow::Result;
use clap::{Args, Subcommand};
use rsspot::pricing::advice::{BidAdvice, Risk};
use rsspot::pricing::plan::Strategy;
use rsspot::pricing::view::{self, ListFilter, MONTH_HOURS, PriceRow, SortKey};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::cli::OutputFormat;
use crate::ctx::Ctx;
use crate::filters;
use crate::output::dash;

mod build;
mod chart;
mod get;
mod history;

use build::build;
use get::get;
use history::{HistoryArgs, SeriesArgs};

/// Placeholder the planner puts where the cloudspace name goes in its commands.
const CLOUDSPACE_PLACEHOLDER: &str = "<CLOUDSPACE>";

#[derive(Debug, Subcommand)]
pub enum PricingCmd {
    /// One row per server class: prices, percentiles, savings and monthly cost for N nodes
    /// (--region takes a comma list).
    #[command(visible_alias = "ls")]
    #[command(examples(&[
        ("Prices in one region", "rsspot pricing list --region us-central-dfw-1"),
        ("Cheapest first, 4+ vCPUs", "rsspot pricing list --min-cpu 4 --sort price"),
    ]))]
    List(ListArgs),
    /// One class: its prices, the percentile band and (with --history) recent hammer prices.
    #[command(examples(&[
        ("One class's prices", "rsspot pricing get gp.vs1.medium-dfw"),
    ]))]
    Get(GetArgs),
    /// A bid the server will accept, with the reasoning behind it.
    #[command(examples(&[
        ("An advised bid for a class", "rsspot pricing bid gp.vs1.medium-dfw --risk low"),
    ]))]
    Bid(BidArgs),
    /// Plan a cluster: the cheapest/strongest single-region pool layouts for N nodes.
    #[command(examples(&[
        ("Plan a cluster of 6 nodes", "rsspot pricing build --nodes 6 --region us-central-dfw-1"),
    ]))]
    Build(BuildArgs),
    /// One class's hammer prices over time: a chart on a terminal, or -o json|yaml|csv.
    #[command(examples(&[
        ("A class's price over time", "rsspot pricing history gp.vs1.medium-dfw"),
    ]))]
    History(HistoryArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Nodes the hourly/monthly totals are for.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub nodes: u32,
    /// Old spelling of --region (repeatable); --region takes a comma list.
    #[arg(long = "regions", value_name = "REGION", hide = true)]
    pub regions: Vec<String>,
    /// Categories (families): gp, ch, mh, gpu, io ... (repeatable, comma-separated).
    #[arg(long = "category", alias = "family", value_name = "CATEGORY")]
    pub families: Vec<String>,
    /// Server classes, e.g. gp.vs1.medium-dfw, or gp.vs1.medium for every region (repeatable,
    /// comma-separated).
    #[arg(long = "class", value_name = "CLASS")]
    pub classes: Vec<String>,
    /// Generation of virtual classes (bare metal always shows).
    #[arg(long = "gen", value_parser = clap::value_parser!(u8).range(1..=2))]
    pub generation: Option<u8>,
    /// Minimum vCPUs.
    #[arg(long, value_name = "VCPUS")]
    pub min_cpu: Option<f64>,
    /// Maximum vCPUs.
    #[arg(long, value_name = "VCPUS")]
    pub max_cpu: Option<f64>,
    /// Minimum memory (GB).
    #[arg(long, value_name = "GB")]
    pub min_memory: Option<f64>,
    /// Maximum memory (GB).
    #[arg(long, value_name = "GB")]
    pub max_memory: Option<f64>,
    /// Only classes with servers available now.
    #[arg(long)]
    pub available: bool,
    /// Sort column: market (default), name, region, family, gen, cpu, memory, min-bid, floor,
    /// on-demand, p20, p50, p80, hyperscaler, saving, saving-hyperscaler, available, monthly, ...
    #[arg(long, value_name = "COLUMN", default_value = "market")]
    pub sort: String,
    /// Sort descending.
    #[arg(long)]
    pub desc: bool,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// Server class, e.g. gp.vs1.medium-dfw.
    #[arg(value_parser = crate::names::object)]
    pub class: Option<String>,
    /// Same as the positional CLASS.
    #[arg(long = "name", conflicts_with = "class", value_name = "NAME", value_parser = crate::names::object)]
    pub name_flag: Option<String>,
    /// Include the hammer-price history, drawn as a chart (with --since, --bid).
    #[arg(long)]
    pub history: bool,
    #[command(flatten)]
    pub series: SeriesArgs,
}

#[derive(Debug, Args)]
pub struct BidArgs {
    /// Server class, e.g. gp.vs1.medium-dfw.
    #[arg(value_parser = crate::names::object)]
    pub class: Option<String>,
    /// Same as the positional CLASS.
    #[arg(long = "name", conflicts_with = "class", value_name = "NAME", value_parser = crate::names::object)]
    pub name_flag: Option<String>,
    /// Pre-emption risk you accept: low (bid from P80), med (P50), high (P20).
    #[arg(long, default_value = "med", value_parser = parse_risk)]
    pub risk: Risk,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Total nodes.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub nodes: u32,
    /// Generation of virtual classes to use.
    #[arg(long = "gen", value_parser = clap::value_parser!(u8).range(1..=2))]
    pub generation: Option<u8>,
    /// Pre-emption risk: low (higher bids, more pools), med, high.
    #[arg(long, default_value = "med", value_parser = parse_risk)]
    pub risk: Risk,
    /// Spread the balanced strategy over several pools (by risk: low 3, med 2, high 1).
    #[arg(long, overrides_with = "single")]
    pub balanced: bool,
    /// One pool per strategy (the default).
    #[arg(long, overrides_with = "balanced")]
    pub single: bool,
    /// Old spelling of --region (repeatable); --region takes a comma list.
    #[arg(long, value_name = "REGION", hide = true)]
    pub regions: Vec<String>,
    /// Categories (families) to consider (repeatable, comma-separated); gp,ch,mh when none.
    #[arg(long = "category", aliases = ["classes", "family"], value_name = "CATEGORY")]
    pub classes: Vec<String>,
    /// Minimum total $/h.
    #[arg(long, value_name = "USD")]
    pub min_hour: Option<Decimal>,
    /// Maximum total $/h.
    #[arg(long, value_name = "USD")]
    pub max_hour: Option<Decimal>,
    /// Minimum total $/month (730 h).
    #[arg(long, value_name = "USD")]
    pub min_month: Option<Decimal>,
    /// Maximum total $/month (730 h).
    #[arg(long, value_name = "USD")]
    pub max_month: Option<Decimal>,
    /// Cloudspace the pools are for (filled into the commands; required by --apply).
    #[arg(long, value_parser = crate::names::cloudspace)]
    pub cloudspace: Option<String>,
    /// Create the pools of one scenario in --cloudspace (asks for confirmation).
    #[arg(long, requires = "cloudspace")]
    pub apply: bool,
    /// Scenario --apply creates: balanced (default), max_performance or max_value.
    #[arg(long, default_value = "balanced", value_parser = parse_strategy)]
    pub strategy: Strategy,
}

fn parse_risk(s: &str) -> std::result::Result<Risk, String> {
    s.parse::<Risk>().map_err(|e| e.to_string())
}

fn parse_strategy(s: &str) -> std::result::Result<Strategy, String> {
    let wanted = s.trim().to_ascii_lowercase().replace('-', "_");
    Strategy::ALL
        .into_iter()
        .find(|st| st.as_str() == wanted)
        .ok_or_else(|| {
            format!("unknown strategy {s:?}; expected max_performance, max_value or balanced")
        })
}

pub async fn run(ctx: &Ctx, cmd: PricingCmd) -> Result<()> {
    match cmd {
        PricingCmd::List(a) => list(ctx, a).await,
        PricingCmd::Get(a) => get(ctx, a).await,
        PricingCmd::Bid(a) => bid(ctx, a).await,
        PricingCmd::Build(a) => build(ctx, a).await,
        PricingCmd::History(a) => history::history(ctx, a).await,
    }
}

// ---------------------------------------------------------------------------------------------
// Number formats

/// A price per hour: at least three decimals, more only when the value has them.
pub fn price(d: Option<Decimal>) -> String {
    match d {
        None => "-".into(),
        Some(d) => {
            let d = d.normalize();
            if d.scale() < 3 {
                format!("{d:.3}")
            } else {
                d.to_string()
            }
        }
    }
}

/// A monthly amount: two decimals.
pub fn monthly(d: Option<Decimal>) -> String {
    d.map_or_else(|| "-".into(), |d| format!("{:.2}", d.round_dp(2)))
}

/// A percentage with one decimal.
fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.1}%"))
}

/// vCPU/GB: an integer when whole, else up to two decimals.
fn qty(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(v) if (v - v.round()).abs() < 1e-9 => format!("{}", v.round() as i64),
        Some(v) => {
            let s = format!("{v:.2}");
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        }
    }
}

fn generation(g: Option<u8>, virtual_: bool) -> String {
    match (g, virtual_) {
        (Some(g), _) => g.to_string(),
        (None, false) => "bm".into(),
        (None, true) => "-".into(),
    }
}

// ---------------------------------------------------------------------------------------------
// pricing list

/// The JSON/YAML form of `pricing list`.
#[derive(Serialize)]
struct ListPayload<'a> {
    nodes: u32,
    items: &'a [PriceRow],
}

/// What an 80-column terminal loses first: the second opinion on savings, the upper
/// percentile, the family (the name says it), then the on-demand price (the saving says it).
const LIST_DROP_ORDER: &[&str] = &[
    "SAVE VS HYP",
    "P80",
    "GEN",
    "FAMILY",
    "MIN BID",
    "ON-DEMAND $/H",
    "REGION",
    "P50",
];

fn list_headers(nodes: u32, wide: bool) -> Vec<String> {
    let mut h: Vec<String> = [
        "NAME",
        "REGION",
        "FAMILY",
        "GEN",
        "VCPU",
        "MEM GB",
        "MARKET $/H",
        "MIN BID",
        "P50",
        "P80",
        "ON-DEMAND $/H",
        "SAVE VS OD",
        "SAVE VS HYP",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    h.push(format!("$/MO x{nodes}"));
    if wide {
        h.extend(
            ["P20", "FLOOR", "HYPERSCALER $/H", "AVAILABLE", "CAPACITY"]
                .iter()
                .map(|s| s.to_string()),
        );
        h.push(format!("$/H x{nodes}"));
        h.push("CATEGORY".into());
    }
    h
}

fn list_row(r: &PriceRow, wide: bool) -> Vec<String> {
    let mut row = vec![
        r.name.clone(),
        r.region.clone(),
        dash(Some(&r.family)),
        generation(r.generation, r.virtual_),
        qty(r.vcpu),
        qty(r.memory_gb),
        price(r.market),
        price(r.min_bid),
        price(r.p50),
        price(r.p80),
        price(r.on_demand),
        pct(r.saving_vs_on_demand_pct),
        pct(r.saving_vs_hyperscaler_pct),
        monthly(r.monthly_total),
    ];
    if wide {
        row.extend([
            price(r.p20),
            price(r.floor),
            price(r.hyperscaler_avg),
            dash(r.available),
            dash(r.capacity),
            price(r.hourly_total),
            dash(r.category.as_ref()),
        ]);
    }
    row
}

async fn list(ctx: &Ctx, a: ListArgs) -> Result<()> {
    let mut regions = filters::split_values(&a.regions);
    regions.extend(filters::split_values(ctx.global.region.as_slice()));
    let families = filters::split_values(&a.families);
    let classes = filters::split_values(&a.classes);
    let filter = ListFilter {
        regions: regions.clone(),
        families: families.clone(),
        generation: a.generation,
        min_cpu: a.min_cpu,
        max_cpu: a.max_cpu,
        min_memory: a.min_memory,
        max_memory: a.max_memory,
        only_available: a.available,
        classes: classes.clone(),
    };
    filter.validate()?;
    let key: SortKey = a.sort.parse()?;
    let client = ctx.client().await?;
    let all = client.pricing().rows(a.nodes).await?;
    check_filters(&all, &regions, &families, &classes)?;
    let mut rows = filter.apply(all);
    view::sort_rows(&mut rows, key, a.desc);
    match ctx.out.format {
        OutputFormat::Table | OutputFormat::Wide => {
            if rows.is_empty() {
                ctx.out.note("No server classes match the filters.");
                return Ok(());
            }
            let wide = ctx.out.format == OutputFormat::Wide;
            let headers = list_headers(a.nodes, wide);
            let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
            let cells = rows.iter().map(|r| list_row(r, wide)).collect();
            ctx.out.table_fit(&headers, cells, LIST_DROP_ORDER)?;
            ctx.out.note(&format!(
                "{} classes; monthly cost for {} node(s) at the market price, {MONTH_HOURS} h/month",
                rows.len(),
                a.nodes
            ));
            Ok(())
        }
        OutputFormat::Name => {
            let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
            if names.is_empty() {
                return Ok(());
            }
            ctx.out.text(&names.join("\n"))
        }
        _ => ctx.out.data(&ListPayload {
            nodes: a.nodes,
            items: &rows,
        }),
    }
}

/// Refuses filter values that name no region, category or class of the price table (exit 2,
/// with the known values and a near miss), instead of printing nothing.
pub(super) fn check_filters(
    rows: &[PriceRow],
    regions: &[String],
    families: &[String],
    classes: &[String],
) -> Result<()> {
    let known = |f: fn(&PriceRow) -> &str| {
        let mut v: Vec<&str> = rows.iter().map(f).filter(|s| !s.is_empty()).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    filters::check_known("--region", "region", regions, &known(|r| r.region.as_str()))?;
    filters::check_known(
        "--category",
        "category",
        families,
        &known(|r| r.family.as_str()),
    )?;
    let categories = known(|r| r.family.as_str());
    // `--class` spelled the category here once: say so rather than "unknown server class".
    if let Some(c) = classes
        .iter()
        .find(|c| categories.iter().any(|k| k.eq_ignore_ascii_case(c)))
    {
        return Err(rsspot::Error::invalid(
            "--class",
            format!("{c:?} is a category, and --class names server classes: use --category {c}"),
        )
        .into());
    }
    filters::check_classes("--class", classes, &known(|r| r.name.as_str()))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// pricing bid

fn advice_fields(a: &BidAdvice) -> Vec<(&'static str, String)> {
    vec![
        ("CLASS", a.class.clone()),
        ("RISK", a.risk.to_string()),
        ("BID $/H", a.bid.to_string()),
        (
            "BASIS",
            match a.basis_price {
                Some(p) => format!("{} = {}", a.basis, price(Some(p))),
                None => a.basis.clone(),
            },
        ),
        (
            "MULTIPLIER",
            a.risk.bid_multiplier().normalize().to_string(),
        ),
        ("FLOOR $/H", price(Some(a.floor))),
        ("MARKET $/H", price(a.market)),
        ("MIN BID $/H", price(a.min_bid)),
        ("LADDER STEP", price(Some(a.ladder_step))),
    ]
}

async fn bid(ctx: &Ctx, a: BidArgs) -> Result<()> {
    let class = crate::args::name_arg(a.class, a.name_flag, "server class")?;
    let client = ctx.client().await?;
    let advice = client.pricing().advise(&class, a.risk).await?;
    match ctx.out.format {
        OutputFormat::Table | OutputFormat::Wide => {
            ctx.out.fields(&advice_fields(&advice))?;
            let mut text = String::from("\nReasoning:\n");
            for line in &advice.reasoning {
                text.push_str(&format!("  - {line}\n"));
            }
            ctx.out.text(&text)
        }
        OutputFormat::Name => ctx.out.text(&advice.bid.to_string()),
        _ => ctx.out.data(&advice),
    }
}

impl crate::shape::Shaped for PricingCmd {
    fn shape(&self) -> crate::shape::Shape {
        use crate::shape::Shape;
        match self {
            PricingCmd::Build(_) => Shape::REPORT,
            PricingCmd::History(_) => Shape::SERIES,
            PricingCmd::List(_) | PricingCmd::Get(_) | PricingCmd::Bid(_) => Shape::RESOURCE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formats() {
        assert_eq!(price(Some("0.001000".parse().unwrap())), "0.001");
        assert_eq!(price(Some("0.0125".parse().unwrap())), "0.0125");
        assert_eq!(price(Some("2".parse().unwrap())), "2.000");
        assert_eq!(price(None), "-");
        assert_eq!(monthly(Some("109.5".parse().unwrap())), "109.50");
        assert_eq!(qty(Some(4.0)), "4");
        assert_eq!(qty(Some(3.75)), "3.75");
        assert_eq!(qty(Some(0.5)), "0.5");
        assert_eq!(pct(Some(95.0)), "95.0%");
    }

    #[test]
    fn strategies_parse() {
        assert_eq!(parse_strategy("max-value").unwrap(), Strategy::MaxValue);
        assert_eq!(parse_strategy("Balanced").unwrap(), Strategy::Balanced);
        assert!(parse_strategy("cheapest").is_err());
    }
}
