//! The public pricing documents of the S3 host: percentiles, comparable prices and price
//! history, computed from the seed and the current market.

use serde_json::{Map, Value, json};

use super::reply::Reply;
use super::store::Store;
use crate::request::Ctx;

fn s<'a>(doc: &'a Value, ptr: &str) -> &'a str {
    doc.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Each region, its name and its server classes: the layout of both pricing documents.
fn by_region(store: &Store) -> impl Iterator<Item = (&Value, &str, Vec<&Value>)> {
    store.regions().iter().map(|region| {
        let rname = s(region, "/metadata/name");
        let classes = store
            .classes()
            .iter()
            .filter(|c| s(c, "/spec/region") == rname)
            .collect();
        (region, rname, classes)
    })
}

pub(crate) fn percentiles(store: &Store, ctx: &Ctx<'_>) -> Reply {
    let mut regions = Map::new();
    for (region, rname, region_classes) in by_region(store) {
        let mut classes = Map::new();
        for c in region_classes {
            let name = s(c, "/metadata/name");
            let mut prices: Vec<f64> = ctx
                .seed
                .price_history
                .get(name)
                .map(|h| h.iter().map(|(_, p)| *p).collect())
                .unwrap_or_default();
            prices.sort_by(f64::total_cmp);
            let market = s(c, "/status/spotPricing/marketPricePerHour")
                .parse::<f64>()
                .map(|m| format!("{m:.6}"))
                .unwrap_or_default();
            classes.insert(
                name.to_string(),
                json!({
                    "20_percentile": percentile(&prices, 20.0),
                    "50_percentile": percentile(&prices, 50.0),
                    "80_percentile": percentile(&prices, 80.0),
                    "market_price": market,
                    "cpu": s(c, "/spec/resources/cpu"),
                    "memory": s(c, "/spec/resources/memory"),
                    "display_name": s(c, "/spec/displayName"),
                    "category": s(c, "/spec/category"),
                    "description": s(region, "/spec/description"),
                }),
            );
        }
        let generation = match s(region, "/spec/generation") {
            "" => "v1",
            g => g,
        };
        regions.insert(
            rname.to_string(),
            json!({"generation": generation, "serverclasses": classes}),
        );
    }
    Reply::json(200, &json!({"regions": regions}))
}

/// Illustrative hyperscaler equivalents by category and size.
fn comparables(category: &str, cpu: &str) -> [(&'static str, String, f64); 3] {
    let size = match cpu {
        "2" => ("large", "2", "medium"),
        "4" => ("xlarge", "4", "standard-4"),
        "8" => ("2xlarge", "8", "standard-8"),
        "16" => ("4xlarge", "16", "standard-16"),
        _ => ("8xlarge", "32", "standard-32"),
    };
    let (aws, azure, gcp) = match category {
        "Compute Heavy" => ("c5", "Standard_F{}s_v2", "c2"),
        "Memory Heavy" => ("r5", "Standard_E{}s_v5", "n2-highmem"),
        "GPU" => ("g5", "Standard_NV{}ads_A10_v5", "g2"),
        "Bare Metal" => ("m5.metal", "Standard_D{}s_v5", "n2-standard"),
        _ => ("m5", "Standard_D{}s_v5", "n2"),
    };
    [
        ("aws", format!("{aws}.{}", size.0), 1.04),
        ("azure", azure.replace("{}", size.1), 0.97),
        ("gcp", format!("{gcp}-{}", size.2), 0.99),
    ]
}

pub(crate) fn comparable_prices(store: &Store) -> Reply {
    let mut regions = Map::new();
    for (_, rname, region_classes) in by_region(store) {
        let mut classes = Map::new();
        for c in region_classes {
            let Ok(avg) = s(c, "/spec/onDemandPricing/cost").parse::<f64>() else {
                continue;
            };
            let comps: Vec<Value> = comparables(s(c, "/spec/category"), s(c, "/spec/resources/cpu"))
                .into_iter()
                .map(|(cloud, class, f)| {
                    json!({"cloud": cloud, "class": class, "price": format!("${:.3}", avg * f)})
                })
                .collect();
            classes.insert(
                s(c, "/metadata/name").to_string(),
                json!({"hyperscaler_average_price": format!("${avg:.3}"), "comparables": comps}),
            );
        }
        regions.insert(rname.to_string(), Value::Object(classes));
    }
    Reply::json(200, &json!({"regions": regions}))
}

pub(crate) fn history(ctx: &Ctx<'_>, class: &str) -> Reply {
    match ctx.seed.price_history.get(class) {
        Some(points) => {
            let history: Vec<Value> = points
                .iter()
                .map(|(t, p)| json!({"run_at": t, "hammer_price": p}))
                .collect();
            Reply::json(200, &json!({"auction": class, "history": history}))
        }
        None => Reply::xml(
            404,
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>history/{class}</Key><RequestId>EMULATOR</RequestId></Error>"
            ),
        ),
    }
}
