//! Tolerant parsing of the money and size values found in the Spot API and its public documents.
//!
//! Prices arrive as decimal strings (`"0.001000"`), `$`-prefixed strings (`"$0.020"`), strings with
//! thousands separators (`"1,234.5"`) or raw JSON floats with binary noise
//! (`0.026000000000000002`). Every price is parsed into a [`Decimal`] rounded to six decimals (the
//! API's own precision), so float noise disappears and comparisons are exact.

use std::str::FromStr;

use rust_decimal::Decimal;

/// Decimals kept for a price: the API reports market prices with six.
pub const PRICE_DECIMALS: u32 = 6;

/// Parses a price from a JSON value: a number or a (possibly `$`-prefixed) string.
///
/// Returns `None` for null, booleans, objects, empty or unparsable strings, and negative values.
pub fn parse_price(v: &serde_json::Value) -> Option<Decimal> {
    match v {
        // The shortest round-trip text of a float ("0.026000000000000002") parses exactly;
        // rounding then removes the noise.
        serde_json::Value::Number(n) => parse_price_str(&n.to_string()),
        serde_json::Value::String(s) => parse_price_str(s),
        _ => None,
    }
}

/// Parses a price string: trims whitespace, drops every `$` and `,`, accepts plain decimals and
/// scientific notation, rounds to six decimals. Negative or unparsable input gives `None`.
pub fn parse_price_str(s: &str) -> Option<Decimal> {
    let cleaned: String = s
        .trim()
        .chars()
        .filter(|c| *c != '$' && *c != ',' && !c.is_whitespace())
        .collect();
    if cleaned.is_empty() {
        return None;
    }
    let value = Decimal::from_str(&cleaned)
        .or_else(|_| Decimal::from_scientific(&cleaned))
        .ok()?;
    if value.is_sign_negative() && !value.is_zero() {
        return None;
    }
    Some(value.round_dp(PRICE_DECIMALS).normalize())
}

/// Parses a memory size into gigabytes: `"3.75GB"`, `"1TB"`, `"16Gi"`, `"512MiB"`, `"64"`.
///
/// No unit means GB. Decimal and binary suffixes are treated alike (`GB` = `GiB` = `Gi` = `G`),
/// as the API's own "GB" is the OpenStack flavor's GiB; `T*` multiplies by 1024 and `M*` divides
/// by 1024. Anything else gives `None`.
pub fn parse_memory_gb(s: &str) -> Option<f64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    if number.is_empty() || number.starts_with('.') || number.ends_with('.') {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "g" | "gb" | "gi" | "gib" => 1.0,
        "t" | "tb" | "ti" | "tib" => 1024.0,
        "m" | "mb" | "mi" | "mib" => 1.0 / 1024.0,
        _ => return None,
    };
    Some(value * factor)
}

/// Parses a vCPU count: `"2"`, `"0.5"`, `" 16 "`. Non-numeric or negative input gives `None`.
pub fn parse_cpu(s: &str) -> Option<f64> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn strings_in_every_form() {
        assert_eq!(parse_price_str("0.001000"), Some(d("0.001")));
        assert_eq!(parse_price_str("$0.020"), Some(d("0.02")));
        assert_eq!(parse_price_str(" $1,234.5 "), Some(d("1234.5")));
        assert_eq!(parse_price_str("$ 0.123000"), Some(d("0.123")));
        assert_eq!(parse_price_str("1e-3"), Some(d("0.001")));
        assert_eq!(parse_price_str("0.0000004"), Some(d("0")));
        for bad in ["", "  ", "$", "n/a", "-0.01", "0.01.2"] {
            assert_eq!(parse_price_str(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn json_values() {
        assert_eq!(parse_price(&json!(0.026000000000000002)), Some(d("0.026")));
        assert_eq!(parse_price(&json!(0.051000000000000004)), Some(d("0.051")));
        assert_eq!(parse_price(&json!(3)), Some(d("3")));
        assert_eq!(parse_price(&json!("$0.009")), Some(d("0.009")));
        assert_eq!(parse_price(&json!(null)), None);
        assert_eq!(parse_price(&json!(true)), None);
        assert_eq!(parse_price(&json!({"cost": "1"})), None);
    }

    #[test]
    fn memory_units() {
        assert_eq!(parse_memory_gb("3.75GB"), Some(3.75));
        assert_eq!(parse_memory_gb("7.5GB"), Some(7.5));
        assert_eq!(parse_memory_gb("1TB"), Some(1024.0));
        assert_eq!(parse_memory_gb("16Gi"), Some(16.0));
        assert_eq!(parse_memory_gb("16 GiB"), Some(16.0));
        assert_eq!(parse_memory_gb("512MiB"), Some(0.5));
        assert_eq!(parse_memory_gb("64"), Some(64.0));
        assert_eq!(parse_memory_gb("120gb"), Some(120.0));
        for bad in ["", "GB", "12PB", "1.2.3GB", ".5GB", "-4GB", "4 GB extra"] {
            assert_eq!(parse_memory_gb(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn cpu_counts() {
        assert_eq!(parse_cpu(" 16 "), Some(16.0));
        assert_eq!(parse_cpu("0.5"), Some(0.5));
        assert_eq!(parse_cpu("-2"), None);
        assert_eq!(parse_cpu("two"), None);
    }
}
