//! [`Bid`]: a spot bid in USD per node-hour, parsed once at the edge and typed down to the wire.
//!
//! A `Bid` is always a positive decimal with at most three decimals (the one format rule the
//! server certainly enforces). It accepts what people type (`0.08`, `$0.08`, ` 0.125 `), rejects
//! negatives, zero, `NaN`, exponents and a fourth decimal with a one-line reason, and serialises
//! in the API's string form (`"0.08"`, `"0.125"`).

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};
use crate::pricing::rules::{self, MAX_BID_DECIMALS};

/// A spot bid: maximum USD per node-hour.
///
/// ```
/// use rsspot::pricing::Bid;
/// let bid: Bid = "$0.08".parse()?;
/// assert_eq!(bid.to_string(), "0.08");
/// assert_eq!(serde_json::to_string(&bid).unwrap(), "\"0.08\"");
/// assert!("0.0125".parse::<Bid>().is_err());
/// assert!("-1".parse::<Bid>().is_err());
/// # Ok::<(), rsspot::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bid(Decimal);

impl Bid {
    /// A bid from a decimal value (same checks as parsing).
    pub fn new(value: Decimal) -> Result<Bid> {
        if value <= Decimal::ZERO {
            return Err(invalid(
                &value.to_string(),
                "must be more than 0 (a price in USD per node-hour, e.g. 0.08)",
            ));
        }
        if value.normalize().scale() > MAX_BID_DECIMALS {
            return Err(too_precise(&value.to_string(), value));
        }
        Ok(Bid(value.normalize()))
    }

    /// The smallest valid bid at or above `value` (rounded up to three decimals, at least 0.001).
    pub fn round_up(value: Decimal) -> Bid {
        let step = Decimal::new(1, MAX_BID_DECIMALS);
        let v = value.round_dp_with_strategy(
            MAX_BID_DECIMALS,
            rust_decimal::RoundingStrategy::ToPositiveInfinity,
        );
        Bid(v.max(step).normalize())
    }

    /// The value in USD per node-hour.
    pub fn value(self) -> Decimal {
        self.0
    }

    /// The form the API takes (`0.08`, `0.125`, `1.00`).
    pub fn api_form(self) -> String {
        rules::format_bid(self.0)
    }
}

fn invalid(input: &str, why: &str) -> Error {
    Error::invalid("bidPrice", format!("bid {input:?} {why}"))
}

/// A fourth decimal: names the valid bids on either side of `value` (`0.0125` → `0.012 or
/// 0.013`), the values the user most likely meant.
fn too_precise(input: &str, value: Decimal) -> Error {
    use rust_decimal::RoundingStrategy::{ToNegativeInfinity, ToPositiveInfinity};
    let below = value.round_dp_with_strategy(MAX_BID_DECIMALS, ToNegativeInfinity);
    let above = value.round_dp_with_strategy(MAX_BID_DECIMALS, ToPositiveInfinity);
    let nearest = if below > Decimal::ZERO && below != above {
        format!(
            "{} or {}",
            rules::format_bid(below),
            rules::format_bid(above)
        )
    } else {
        rules::format_bid(above.max(Decimal::new(1, MAX_BID_DECIMALS)))
    };
    invalid(
        input,
        &format!("has more than three decimals (the API takes at most three): bid {nearest}"),
    )
}

impl FromStr for Bid {
    type Err = Error;

    /// Parses `0.08`, `$0.08` or `1`; rejects negatives, zero, NaN, exponents, > 3 decimals.
    fn from_str(s: &str) -> Result<Bid> {
        let trimmed = s.trim();
        let plain = trimmed.strip_prefix('$').unwrap_or(trimmed).trim();
        if plain.starts_with('-') {
            return Err(invalid(
                s,
                "is negative; a bid is a price above 0, e.g. 0.08",
            ));
        }
        let (int, frac) = plain.split_once('.').unwrap_or((plain, ""));
        let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() || !digits(int) || !digits(frac) || plain.ends_with('.') {
            return Err(invalid(
                s,
                "is not a price: write a plain decimal in USD per node-hour, e.g. 0.08",
            ));
        }
        let value = plain
            .parse::<Decimal>()
            .map_err(|_| invalid(s, "is not a price: write e.g. 0.08"))?;
        if frac.len() > MAX_BID_DECIMALS as usize {
            return Err(too_precise(s, value));
        }
        Bid::new(value)
    }
}

impl TryFrom<&str> for Bid {
    type Error = Error;
    fn try_from(s: &str) -> Result<Bid> {
        s.parse()
    }
}

impl From<&Bid> for Bid {
    fn from(b: &Bid) -> Bid {
        *b
    }
}

impl fmt::Display for Bid {
    /// The API's form: `0.08`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.api_form())
    }
}

impl Serialize for Bid {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.api_form())
    }
}

impl<'de> Deserialize<'de> for Bid {
    /// A string (`"0.08"`, `"$0.08"`) or a JSON number (`0.08`): the API holds bids as strings,
    /// other Spot tools write them as numbers. The same checks as parsing either way.
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Bid, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Wire {
            Text(String),
            Number(serde_json::Number),
        }
        let text = match Wire::deserialize(d)? {
            Wire::Text(s) => s,
            Wire::Number(n) => n.to_string(),
        };
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl PartialEq<str> for Bid {
    fn eq(&self, other: &str) -> bool {
        other.parse::<Bid>().is_ok_and(|o| o == *self)
    }
}

impl PartialEq<&str> for Bid {
    fn eq(&self, other: &&str) -> bool {
        self == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_people_type() {
        for (input, api) in [
            ("0.08", "0.08"),
            ("$0.08", "0.08"),
            (" $ 0.125 ", "0.125"),
            ("1", "1.00"),
            ("0.1", "0.10"),
            ("0.080", "0.08"),
            ("12.5", "12.50"),
        ] {
            let b: Bid = input.parse().unwrap();
            assert_eq!(b.to_string(), api, "{input}");
            assert_eq!(serde_json::to_value(b).unwrap(), api);
        }
    }

    #[test]
    fn rejects_with_one_line_reasons() {
        for (input, why) in [
            ("-0.08", "negative"),
            ("NaN", "not a price"),
            ("nan", "not a price"),
            ("inf", "not a price"),
            ("0.0125", "three decimals"),
            ("0", "more than 0"),
            ("0.000", "more than 0"),
            ("", "not a price"),
            ("1e3", "not a price"),
            ("0.", "not a price"),
            (".5", "not a price"),
            ("0.05.1", "not a price"),
        ] {
            let err = input.parse::<Bid>().unwrap_err().to_string();
            assert!(err.contains(why), "{input}: {err}");
            assert!(err.contains("bidPrice"), "{err}");
            assert!(!err.contains('\n'), "{err}");
        }
    }

    #[test]
    fn a_fourth_decimal_names_the_nearest_bids() {
        let err = "0.0125".parse::<Bid>().unwrap_err().to_string();
        assert!(err.contains("bid 0.012 or 0.013"), "{err}");
        assert!(!err.contains("0.125"), "{err}");
        let err = "$1.2345".parse::<Bid>().unwrap_err().to_string();
        assert!(err.contains("bid 1.234 or 1.235"), "{err}");
        let err = "0.0001".parse::<Bid>().unwrap_err().to_string();
        assert!(err.contains("bid 0.001"), "{err}");
        let err = Bid::new(Decimal::new(125, 4)).unwrap_err().to_string();
        assert!(err.contains("0.012 or 0.013"), "{err}");
    }

    #[test]
    fn round_trips_through_serde() {
        let b: Bid = serde_json::from_str("\"0.125\"").unwrap();
        assert_eq!(b.value(), Decimal::new(125, 3));
        assert!(serde_json::from_str::<Bid>("\"0.1255\"").is_err());
        assert!(Bid::new(Decimal::new(1255, 4)).is_err());
        assert_eq!(b, "0.125");
    }
}
