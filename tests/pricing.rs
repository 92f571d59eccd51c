//! Pricing: parsing, the price table, bid advice and the planner, against the API-NOTES fixtures
//! and the PRIOR-ART 7 examples.

#[path = "pricing_parts/planner.rs"]
mod planner;

use proptest::prelude::*;
use rsspot::Error;
use rsspot::pricing::Bid;
use rsspot::pricing::advice::{self, Risk};
use rsspot::pricing::docs::{ComparablePrices, Percentiles, PriceHistory, PublicDocument};
use rsspot::pricing::guard::{self, SpendLimits};
use rsspot::pricing::money::{parse_memory_gb, parse_price, parse_price_str};
use rsspot::pricing::rules;
use rsspot::pricing::view::{ClassInput, ListFilter, PriceRow, SortKey, build_rows, sort_rows};
use rsspot::raw::types::ServerClass;
use rust_decimal::Decimal;
use serde_json::json;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// A class as the Python tests describe them: name, region, market, cpu, memory.
fn class(name: &str, region: &str, market: &str, cpu: &str, memory: &str) -> ClassInput {
    ClassInput {
        name: name.into(),
        region: region.into(),
        cpu: Some(cpu.into()),
        memory: Some(memory.into()),
        market: Some(d(market)),
        min_bid: Some(d("0.01")),
        availability: Some("available".into()),
        ..ClassInput::default()
    }
}

/// The PRIOR-ART 8 optimizer fixture.
fn prior_art_rows(nodes: u32) -> Vec<PriceRow> {
    build_rows(
        &[
            class("gp.vs1.medium-dfw", "dfw1", "0.01", "2", "4GB"),
            class("gp.vs2.medium-dfw2", "dfw2", "0.02", "2", "4GB"),
            class("ch.vs2.large-iad2", "iad2", "0.03", "4", "8GB"),
            class("mh.vs1.large-lon", "lon", "0.025", "4", "30GB"),
            class("gp.bm2.medium-dfw", "dfw1", "0.005", "24", "64GB"),
        ],
        None,
        None,
        nodes,
    )
}

fn names(rows: &[PriceRow]) -> Vec<&str> {
    rows.iter().map(|r| r.name.as_str()).collect()
}

// ---------------------------------------------------------------- API-NOTES 7.3 / 7.9 / 7.10

fn server_classes() -> serde_json::Value {
    let sc = |name: &str,
              region: &str,
              cat: &str,
              min: &str,
              od: &str,
              cpu: &str,
              mem: &str,
              avail: i64,
              cap: i64,
              market: &str| {
        json!({
            "metadata": {"name": name},
            "spec": {"availability": "available", "category": cat, "region": region,
                     "minBidPricePerHour": min, "onDemandPricing": {"cost": od, "interval": "1h"},
                     "resources": {"cpu": cpu, "memory": mem}},
            "status": {"available": avail, "capacity": cap,
                       "spotPricing": {"hammerPricePerHour": market, "marketPricePerHour": market}}
        })
    };
    json!({"items": [
        sc("gp.vs1.medium-dfw", "us-central-dfw-1", "General Purpose", "0.01", "0.02", "2", "3.75GB", 37, 120, "0.001000"),
        sc("ch.vs1.xlarge-dfw", "us-central-dfw-1", "Compute Heavy", "0.01", "0.07", "8", "15GB", 12, 40, "0.005000"),
        sc("mh.vs1.2xlarge-dfw", "us-central-dfw-1", "Memory Heavy", "0.02", "0.27", "16", "120GB", 3, 16, "0.020000"),
        sc("gp.bm2.medium-dfw", "us-central-dfw-1", "Bare Metal", "0.01", "0.50", "24", "64GB", 2, 6, "0.005000"),
        sc("gp.vs1.medium-iad", "us-east-iad-1", "General Purpose", "0.01", "0.019", "2", "3.75GB", 0, 0, "0.001000"),
        sc("gp.vs1.xlarge-iad", "us-east-iad-1", "General Purpose", "0.01", "0.09", "8", "30GB", 21, 64, "0.005000"),
    ]})
}

const PERCENTILES: &str = r#"{"regions": {
  "us-central-dfw-1": {"generation": "v1", "serverclasses": {
    "gp.vs1.medium-dfw": {"20_percentile": 0.003, "50_percentile": 0.011, "80_percentile": 0.021,
      "market_price": "0.001000", "cpu": "2", "memory": "3.75GB"},
    "ch.vs1.xlarge-dfw": {"20_percentile": 0.021, "50_percentile": 0.061, "80_percentile": 0.101,
      "market_price": "0.005000", "cpu": "8", "memory": "15GB"},
    "mh.vs1.2xlarge-dfw": {"20_percentile": 0.021, "50_percentile": 0.021, "80_percentile": 0.081,
      "market_price": "0.020000", "cpu": "16", "memory": "120GB"},
    "gp.bm2.medium-dfw": {"20_percentile": 0.006, "50_percentile": 0.006, "80_percentile": 0.006,
      "market_price": "0.005000", "cpu": "24", "memory": "64GB"}}},
  "us-east-iad-1": {"generation": "v1", "serverclasses": {
    "gp.vs1.medium-iad": {"20_percentile": 0.002, "50_percentile": 0.002, "80_percentile": 0.011,
      "market_price": "0.001000", "cpu": "2", "memory": "3.75GB"},
    "gp.vs1.xlarge-iad": {"20_percentile": 0.021, "50_percentile": 0.021, "80_percentile": 0.051000000000000004,
      "market_price": "0.005000", "cpu": "8", "memory": "30GB"}}}}}"#;

const COMPARABLES: &str = r#"{"regions": {
  "us-central-dfw-1": {"gp.vs1.medium-dfw": {"hyperscaler_average_price": "$0.020",
      "comparables": [{"cloud": "aws", "class": "t3.medium", "price": "$0.017"}]}},
  "us-east-iad-1": {"gp.vs1.xlarge-iad": {"hyperscaler_average_price": "$0.090", "comparables": []}}}}"#;

fn fixture_rows(nodes: u32) -> Vec<PriceRow> {
    let classes: Vec<ClassInput> = server_classes()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| ClassInput::from(&serde_json::from_value::<ServerClass>(v.clone()).unwrap()))
        .collect();
    let pct = Percentiles::parse(PERCENTILES.as_bytes()).unwrap();
    let cmp = ComparablePrices::parse(COMPARABLES.as_bytes()).unwrap();
    build_rows(&classes, Some(&pct), Some(&cmp), nodes)
}

#[test]
fn every_price_format_parses() {
    let cases = [
        (json!("0.001000"), "0.001"),
        (json!("$0.020"), "0.02"),
        (json!("$0.123000"), "0.123"),
        (json!("1,234.5"), "1234.5"),
        (json!(" $1,234.50 "), "1234.5"),
        (json!(0.026000000000000002), "0.026"),
        (json!(0.051000000000000004), "0.051"),
        (json!(0.001), "0.001"),
        (json!(2), "2"),
        (json!("2.5e-2"), "0.025"),
    ];
    for (raw, want) in cases {
        assert_eq!(parse_price(&raw), Some(d(want)), "{raw}");
    }
    for bad in [
        json!(""),
        json!("free"),
        json!(null),
        json!([]),
        json!("-1"),
    ] {
        assert_eq!(parse_price(&bad), None, "{bad}");
    }
    assert_eq!(parse_price_str("$0.0405"), Some(d("0.0405")));
}

#[test]
fn memory_units() {
    for (raw, gb) in [
        ("3.75GB", 3.75),
        ("7.5GB", 7.5),
        ("1TB", 1024.0),
        ("16Gi", 16.0),
        ("16GiB", 16.0),
        ("512MiB", 0.5),
        ("64", 64.0),
        (" 120 gb ", 120.0),
    ] {
        assert_eq!(parse_memory_gb(raw), Some(gb), "{raw}");
    }
    assert_eq!(parse_memory_gb("lots"), None);
}

#[test]
fn rows_join_classes_percentiles_and_comparables() {
    let rows = fixture_rows(3);
    assert_eq!(rows.len(), 6);
    let gp = &rows[0];
    assert_eq!(gp.name, "gp.vs1.medium-dfw");
    assert_eq!(
        (gp.family.as_str(), gp.generation, gp.virtual_),
        ("gp", Some(1), true)
    );
    assert_eq!((gp.vcpu, gp.memory_gb), (Some(2.0), Some(3.75)));
    assert_eq!(gp.market, Some(d("0.001")));
    assert_eq!(gp.min_bid, Some(d("0.01")));
    assert_eq!(gp.floor, Some(d("0.01")));
    assert_eq!(
        (gp.p20, gp.p50, gp.p80),
        (Some(d("0.003")), Some(d("0.011")), Some(d("0.021")))
    );
    assert_eq!(gp.hyperscaler_avg, Some(d("0.02")));
    // (0.02 - 0.001) / 0.02 = 95 %
    assert_eq!(gp.saving_vs_on_demand_pct, Some(95.0));
    assert_eq!(gp.saving_vs_hyperscaler_pct, Some(95.0));
    assert_eq!(gp.hourly_total, Some(d("0.003")));
    assert_eq!(gp.monthly_total, Some(d("2.19")));
    let bm = rows.iter().find(|r| r.name == "gp.bm2.medium-dfw").unwrap();
    assert_eq!((bm.virtual_, bm.generation), (false, None));
    let iad = rows.iter().find(|r| r.name == "gp.vs1.xlarge-iad").unwrap();
    assert_eq!(iad.p80, Some(d("0.051")));
    let mh = rows
        .iter()
        .find(|r| r.name == "mh.vs1.2xlarge-dfw")
        .unwrap();
    assert_eq!(mh.floor, Some(d("0.02")));
    assert_eq!(mh.hyperscaler_avg, None);

    let json = serde_json::to_value(gp).unwrap();
    assert_eq!(json["virtual"], json!(true));
    assert_eq!(json["market"], json!("0.001"));
}

#[test]
fn percentiles_alone_give_rows_without_a_token() {
    let pct = Percentiles::parse(PERCENTILES.as_bytes()).unwrap();
    let rows = build_rows(&ClassInput::from_percentiles(&pct), Some(&pct), None, 1);
    assert_eq!(rows.len(), 6);
    assert!(rows.iter().all(|r| r.market.is_some() && r.vcpu.is_some()));
    assert!(rows.iter().all(|r| r.min_bid.is_none()));
}

#[test]
fn public_documents_reject_garbage() {
    let xml = b"<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code></Error>";
    assert!(matches!(Percentiles::parse(xml), Err(Error::Decode { .. })));
    assert!(matches!(
        ComparablePrices::parse(b"null"),
        Err(Error::Decode { .. })
    ));
    assert!(matches!(
        PriceHistory::parse(b"{\"history\": 3}"),
        Err(Error::Decode { .. })
    ));
    let h = PriceHistory::parse(
        br#"{"auction": "gp.vs1.medium-dfw", "history": [{"run_at": 1763596800, "hammer_price": 0.001}]}"#,
    )
    .unwrap();
    assert_eq!(h.history[0].hammer_price, d("0.001"));
}

// ---------------------------------------------------------------- filters (PRIOR-ART 7.3 and more)

#[test]
fn generation_filter_keeps_bare_metal() {
    let f = ListFilter {
        generation: Some(1),
        ..ListFilter::default()
    };
    assert_eq!(
        names(&f.apply(prior_art_rows(1))),
        ["gp.vs1.medium-dfw", "mh.vs1.large-lon", "gp.bm2.medium-dfw"]
    );
}

#[test]
fn family_and_cpu_filters() {
    let f = ListFilter {
        families: vec!["GP,ch".into()],
        min_cpu: Some(2.0),
        max_cpu: Some(4.0),
        ..ListFilter::default()
    };
    let rows = f.apply(prior_art_rows(1));
    assert_eq!(
        names(&rows),
        [
            "gp.vs1.medium-dfw",
            "gp.vs2.medium-dfw2",
            "ch.vs2.large-iad2"
        ]
    );
    assert!(rows.iter().all(|r| (2.0..=4.0).contains(&r.vcpu.unwrap())));
}

#[test]
fn region_filter_is_case_insensitive_and_multi() {
    let f = ListFilter {
        regions: vec!["DFW1".into(), "lon".into()],
        ..ListFilter::default()
    };
    assert_eq!(
        names(&f.apply(prior_art_rows(1))),
        ["gp.vs1.medium-dfw", "mh.vs1.large-lon", "gp.bm2.medium-dfw"]
    );
}

#[test]
fn memory_filters() {
    let f = ListFilter {
        min_memory: Some(8.0),
        max_memory: Some(32.0),
        ..ListFilter::default()
    };
    assert_eq!(
        names(&f.apply(prior_art_rows(1))),
        ["ch.vs2.large-iad2", "mh.vs1.large-lon"]
    );
    let inverted = ListFilter {
        min_memory: Some(9.0),
        max_memory: Some(8.0),
        ..ListFilter::default()
    };
    assert!(
        inverted
            .validate()
            .unwrap_err()
            .to_string()
            .contains("--min-memory")
    );
    let inverted_cpu = ListFilter {
        min_cpu: Some(9.0),
        max_cpu: Some(8.0),
        ..ListFilter::default()
    };
    assert!(
        inverted_cpu
            .validate()
            .unwrap_err()
            .to_string()
            .contains("--min-cpu cannot be greater than --max-cpu")
    );
}

#[test]
fn availability_and_class_name_filters() {
    let available = ListFilter {
        only_available: true,
        ..ListFilter::default()
    };
    let rows = available.apply(fixture_rows(1));
    // gp.vs1.medium-iad has 0 servers available.
    assert_eq!(rows.len(), 5);
    assert!(!names(&rows).contains(&"gp.vs1.medium-iad"));

    let by_class = ListFilter {
        classes: vec!["GP.VS1.MEDIUM".into()],
        ..ListFilter::default()
    };
    assert_eq!(
        names(&by_class.apply(fixture_rows(1))),
        ["gp.vs1.medium-dfw", "gp.vs1.medium-iad"]
    );
    let exact = ListFilter {
        classes: vec!["gp.vs1.xlarge-iad".into()],
        ..ListFilter::default()
    };
    assert_eq!(names(&exact.apply(fixture_rows(1))), ["gp.vs1.xlarge-iad"]);
}

#[test]
fn unknown_cpu_fails_a_cpu_bound() {
    let mut rows = prior_art_rows(1);
    rows[0].vcpu = None;
    let f = ListFilter {
        min_cpu: Some(1.0),
        ..ListFilter::default()
    };
    assert!(!f.matches(&rows[0]));
    assert!(ListFilter::default().matches(&rows[0]));
}

// ---------------------------------------------------------------- sorting

#[test]
fn default_sort_is_price_then_cpu_then_name() {
    let mut rows = fixture_rows(1);
    sort_rows(&mut rows, SortKey::Market, false);
    assert_eq!(
        names(&rows),
        [
            "gp.vs1.medium-dfw",
            "gp.vs1.medium-iad",
            "gp.bm2.medium-dfw",
            "ch.vs1.xlarge-dfw",
            "gp.vs1.xlarge-iad",
            "mh.vs1.2xlarge-dfw",
        ]
    );
}

#[test]
fn unknown_values_sort_last_both_ways() {
    let mut rows = fixture_rows(1);
    sort_rows(&mut rows, SortKey::Hyperscaler, true);
    assert_eq!(
        &names(&rows)[..2],
        ["gp.vs1.xlarge-iad", "gp.vs1.medium-dfw"]
    );
    assert!(rows[2..].iter().all(|r| r.hyperscaler_avg.is_none()));
    sort_rows(&mut rows, SortKey::Hyperscaler, false);
    assert_eq!(
        &names(&rows)[..2],
        ["gp.vs1.medium-dfw", "gp.vs1.xlarge-iad"]
    );
}

#[test]
fn every_sort_key_orders_its_column() {
    for (name, key) in SortKey::NAMES {
        assert_eq!(name.parse::<SortKey>().unwrap(), *key);
        let mut rows = fixture_rows(2);
        sort_rows(&mut rows, *key, false);
        let mut desc = rows.clone();
        sort_rows(&mut desc, *key, true);
        assert_eq!(rows.len(), 6, "{name}");
        // Ascending and descending agree on the set and never lose a row.
        let mut a = names(&rows);
        let mut b = names(&desc);
        a.sort();
        b.sort();
        assert_eq!(a, b, "{name}");
    }
    let mut rows = fixture_rows(1);
    sort_rows(&mut rows, SortKey::Memory, true);
    let mem: Vec<f64> = rows.iter().map(|r| r.memory_gb.unwrap()).collect();
    assert_eq!(mem, [120.0, 64.0, 30.0, 15.0, 3.75, 3.75]);
    sort_rows(&mut rows, SortKey::Region, false);
    assert_eq!(rows[5].region, "us-east-iad-1");
    sort_rows(&mut rows, SortKey::SavingOnDemand, true);
    assert_eq!(rows[0].name, "gp.bm2.medium-dfw");
}

// ---------------------------------------------------------------- bids

#[test]
fn invalid_bids_are_rejected_with_the_reason() {
    let (market, min) = (Some(d("0.001")), Some(d("0.01")));
    // Format: refused when parsed, before anything else runs.
    for (input, reason) in [
        ("0.0125", "more than three decimals"),
        ("-0.05", "negative"),
        ("NaN", "not a price"),
    ] {
        match input.parse::<Bid>() {
            Err(Error::Invalid { field, message }) => {
                assert_eq!(field.as_deref(), Some("bidPrice"));
                assert!(message.contains(reason), "{input}: {message}");
            }
            other => panic!("{input}: {other:?}"),
        }
    }
    // `$0.05` is what people type: accepted, sent as "0.05".
    assert_eq!("$0.05".parse::<Bid>().unwrap().to_string(), "0.05");
    // Floor: refused locally (the server certainly refuses it too).
    match advice::validate_bid(bid("0.005"), market, min) {
        Err(Error::Invalid { field, message }) => {
            assert_eq!(field.as_deref(), Some("bidPrice"));
            assert!(message.contains("minimum bid price of 0.01"), "{message}");
            assert!(message.contains("bid at least 0.01"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // The market price is part of the floor.
    let err = advice::validate_bid(bid("0.02"), Some(d("0.03")), min).unwrap_err();
    assert!(
        err.to_string().contains("minimum bid price of 0.03"),
        "{err}"
    );
    assert_eq!(
        advice::validate_bid(bid("0.04"), market, min).unwrap(),
        bid("0.04")
    );
    // The ladder is advice: a warning with the nearest ladder value, never a refusal.
    let class = ClassInput {
        name: "gp.vs1.medium-dfw".into(),
        market,
        min_bid: min,
        ..ClassInput::default()
    };
    for (input, next) in [("0.07", "0.08"), ("0.21", "0.25")] {
        assert!(advice::validate_bid(bid(input), market, min).is_ok());
        let concerns = guard::assess_spot(bid(input), 1, &class, &SpendLimits::default());
        assert_eq!(concerns.len(), 1, "{concerns:?}");
        assert!(!concerns[0].needs_confirmation());
        let text = concerns[0].to_string();
        assert!(
            text.contains("not on the bid ladder") && text.contains(next),
            "{text}"
        );
    }
}

fn bid(s: &str) -> Bid {
    s.parse().unwrap()
}

#[test]
fn advice_on_the_fixture_is_accepted() {
    for row in fixture_rows(1) {
        for risk in [Risk::Low, Risk::Med, Risk::High] {
            let a = advice::advise(&row, risk);
            advice::validate_bid(a.bid, row.market, row.min_bid).unwrap();
            assert!(a.reasoning.len() >= 3, "{a:?}");
        }
    }
    let mh = fixture_rows(1).remove(2);
    let low = advice::advise(&mh, Risk::Low);
    // P80 0.081 × 1.35 = 0.10935 → on the 0.03 step from 0.10 → 0.13.
    assert_eq!(low.bid, "0.13");
    assert_eq!(low.bid.to_string(), "0.13");
    assert_eq!(low.ladder_step, d("0.03"));
    assert_eq!(serde_json::to_value(&low).unwrap()["bid"], json!("0.13"));
}

fn price() -> impl Strategy<Value = Decimal> {
    // Up to $5/h with six decimals, like the API's prices.
    (0u64..5_000_000).prop_map(|m| Decimal::new(m as i64, 6))
}

proptest! {
    #[test]
    fn advised_bids_always_pass_the_server_rules(
        market in prop::option::of(price()),
        min_bid in prop::option::of(price()),
        p20 in prop::option::of(price()),
        p50 in prop::option::of(price()),
        p80 in prop::option::of(price()),
        risk in prop::sample::select(vec![Risk::Low, Risk::Med, Risk::High]),
    ) {
        let mut row = build_rows(
            &[ClassInput { name: "gp.vs1.medium-dfw".into(), market, min_bid, ..ClassInput::default() }],
            None, None, 1,
        ).remove(0);
        row.p20 = p20;
        row.p50 = p50;
        row.p80 = p80;
        let a = advice::advise(&row, risk);
        let floor = rules::floor(market, min_bid);
        let text = a.bid.to_string();
        let value = rules::check_bid(&text, floor);
        prop_assert!(value.is_ok(), "{} rejected: {:?}", a.bid, value);
        let decimals = text.split_once('.').map_or(0, |(_, f)| f.len());
        prop_assert!(decimals <= 3, "{}", a.bid);
        prop_assert!(advice::validate_bid(a.bid, market, min_bid).is_ok());
        // Never more than one ladder step above what the risk asked for (or the floor).
        let basis = a.basis_price.map_or(floor, |b| (b * risk.bid_multiplier()).max(floor));
        prop_assert!(value.unwrap() - basis < a.ladder_step || basis.is_zero());
    }
}
