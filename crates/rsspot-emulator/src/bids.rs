//! The emulator's own copy of the server's bid rules.
//!
//! Deliberately independent of the client's pricing module: the emulator states what the server enforces,
//! the client states what it believes, and a test fails when the two disagree.

use rust_decimal::Decimal;

use super::variants::BidRules;

/// Why the server refuses a bid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BidRefusal {
    /// Not a positive decimal with at most 3 decimals (the CRD's CEL rule, a 422).
    Format,
    /// Below max(market, minimum bid) (an admission denial).
    BelowFloor(Decimal),
    /// Not on the 2026 bid ladder (an admission denial).
    OffLadder(Decimal),
}

impl BidRefusal {
    /// The server's message.
    pub(crate) fn message(&self, bid: &str) -> String {
        match self {
            BidRefusal::Format => {
                "bidPrice can only be a positive number up to three decimal places".into()
            }
            BidRefusal::BelowFloor(floor) => format!(
                "BidPrice must be greater than or equal to the minimum bid price of {}",
                floor.normalize()
            ),
            BidRefusal::OffLadder(next) => format!(
                "bid price {bid} is not on the bid ladder (next accepted bid: {})",
                next.normalize()
            ),
        }
    }
}

/// `(segment start, step)`, ascending: whole cents by 0.01 below $0.04, 0.02 below $0.10,
/// 0.03 below $0.20 and 0.05 from $0.20 up (the 2026 ladder).
const LADDER: [(i64, i64); 4] = [(0, 1), (4, 2), (10, 3), (20, 5)];

fn cents(n: i64) -> Decimal {
    Decimal::new(n, 2)
}

/// `^\d+(\.\d{1,3})?$` and not zero.
fn parse(bid: &str) -> Option<Decimal> {
    let (int, frac) = bid.split_once('.').unwrap_or((bid, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) || frac.len() > 3 {
        return None;
    }
    bid.parse::<Decimal>().ok().filter(|d| *d > Decimal::ZERO)
}

/// The smallest ladder value at or above `v`, and whether `v` is one.
fn ladder(v: Decimal) -> (bool, Decimal) {
    let idx = LADDER
        .iter()
        .rposition(|(from, _)| v >= cents(*from))
        .unwrap_or(0);
    let (from, step) = (cents(LADDER[idx].0), cents(LADDER[idx].1));
    let steps = ((v - from) / step).ceil();
    let mut next = from + steps * step;
    if let Some((next_from, _)) = LADDER.get(idx + 1)
        && next > cents(*next_from)
    {
        next = cents(*next_from);
    }
    (next == v, next.max(cents(1)))
}

/// Checks a bid against `floor` under the given rules.
pub(crate) fn check(bid: &str, floor: Decimal, rules: BidRules) -> Result<(), BidRefusal> {
    let v = parse(bid).ok_or(BidRefusal::Format)?;
    if v < floor {
        return Err(BidRefusal::BelowFloor(floor));
    }
    if rules == BidRules::Ladder {
        let (on, next) = ladder(v);
        if !on {
            return Err(BidRefusal::OffLadder(next));
        }
    }
    Ok(())
}

/// The lowest bid the server accepts at `floor`: the floor itself, rounded up to 3 decimals
/// and, under the ladder, up to the next rung (what a controller that places bids would send).
pub(crate) fn lowest_accepted(floor: Decimal, rules: BidRules) -> Decimal {
    let v = floor
        .round_dp_with_strategy(3, rust_decimal::RoundingStrategy::AwayFromZero)
        .max(Decimal::new(1, 3));
    match rules {
        BidRules::Ladder => ladder(v).1,
        BidRules::Decimals => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn format_floor_and_ladder() {
        let floor = d("0.01");
        for bad in ["", "$0.01", "0.0125", "-1", "0.", ".5", "1e3", "0", "abc"] {
            assert_eq!(
                check(bad, floor, BidRules::Ladder),
                Err(BidRefusal::Format),
                "{bad}"
            );
        }
        for on in [
            "0.01", "0.03", "0.04", "0.06", "0.10", "0.13", "0.19", "0.20", "0.25", "1",
        ] {
            assert_eq!(check(on, floor, BidRules::Ladder), Ok(()), "{on}");
        }
        for (off, next) in [
            ("0.015", "0.02"),
            ("0.05", "0.06"),
            ("0.11", "0.13"),
            ("0.21", "0.25"),
            ("0.191", "0.20"),
        ] {
            assert_eq!(
                check(off, floor, BidRules::Ladder),
                Err(BidRefusal::OffLadder(d(next))),
                "{off}"
            );
            assert_eq!(check(off, floor, BidRules::Decimals), Ok(()), "{off}");
        }
        assert_eq!(
            check("0.02", d("0.03"), BidRules::Decimals),
            Err(BidRefusal::BelowFloor(d("0.03")))
        );
    }

    #[test]
    fn lowest_accepted_bids_pass_the_check() {
        for (floor, ladder, decimals) in [
            ("0.0123", "0.02", "0.013"),
            ("0.05", "0.06", "0.05"),
            ("0.2", "0.20", "0.2"),
            ("0", "0.01", "0.001"),
        ] {
            let f = d(floor);
            assert_eq!(lowest_accepted(f, BidRules::Ladder), d(ladder), "{floor}");
            assert_eq!(
                lowest_accepted(f, BidRules::Decimals),
                d(decimals),
                "{floor}"
            );
            for rules in [BidRules::Ladder, BidRules::Decimals] {
                let bid = lowest_accepted(f, rules).normalize().to_string();
                assert_eq!(check(&bid, f, rules), Ok(()), "{floor} {rules}");
            }
        }
    }

    #[test]
    fn the_emulator_never_borrows_client_rules() {
        // The emulator must state the server's rules itself, so a wrong client rule fails a
        // test instead of being mirrored. Built from pieces so this test does not match itself.
        let forbidden = [
            ["crate", "::", "pricing"].concat(),
            ["crate", "::", "services"].concat(),
            ["crate", "::", "client"].concat(),
            ["rsspot", "::", "pricing"].concat(),
        ];
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut seen = 0;
        let mut stack = vec![dir];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let p = entry.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|e| e == "rs") {
                    seen += 1;
                    let text = std::fs::read_to_string(&p).unwrap();
                    for f in &forbidden {
                        assert!(!text.contains(f.as_str()), "{} uses {f}", p.display());
                    }
                }
            }
        }
        assert!(seen >= 10, "only {seen} emulator sources found");
    }
}
