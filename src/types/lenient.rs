//! The decoders of the typed model fields (wired in by the code generator): what a server sends
//! for a field it has not set (`""`, `null`) or in another JSON type (a price as a number, a
//! count as a string) reads as absent or as its value, and never fails the whole document.
//! Values that are there but wrong (a negative count, a bid of `abc`) read as absent too: the
//! object is still shown, without that field.

use serde::{Deserialize, Deserializer};

use crate::pricing::Bid;

/// The field's text: strings as they are, numbers as their JSON text, anything else `None`.
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::String(s)) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// A price: `"0.012"`, `"$0.012"`, `0.012`; `""` or `null` is absent.
pub(crate) fn money<'de, D: Deserializer<'de>>(d: D) -> Result<Option<crate::Decimal>, D::Error> {
    Ok(text(d)?.and_then(|t| crate::pricing::money::parse_price_str(&t)))
}

/// A bid: `"0.06"` or `0.06`; `""` or `null` is absent.
pub(crate) fn bid<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Bid>, D::Error> {
    Ok(text(d)?.and_then(|t| t.parse::<Bid>().ok()))
}

/// A count: `3` or `"3"`; `""`, `null` or a negative number is absent.
pub(crate) fn count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    Ok(text(d)?.and_then(|t| t.parse::<u32>().ok()))
}

/// A status with a known vocabulary (`crate::types::states`): `""` or `null` is absent, any
/// other text is a value (unknown ones are kept by the enum).
pub(crate) fn state<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: for<'a> From<&'a str>,
{
    Ok(text(d)?.map(|t| T::from(t.as_str())))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Fields {
        #[serde(default, deserialize_with = "super::money")]
        money: Option<crate::Decimal>,
        #[serde(default, deserialize_with = "super::bid")]
        bid: Option<crate::Bid>,
        #[serde(default, deserialize_with = "super::count")]
        count: Option<u32>,
    }

    #[derive(Deserialize)]
    struct State {
        #[serde(default, deserialize_with = "super::state")]
        phase: Option<crate::types::CloudSpacePhase>,
    }

    #[test]
    fn an_empty_state_is_absent_and_an_unknown_one_kept() {
        let read = |j: &str| serde_json::from_str::<State>(j).unwrap().phase;
        assert_eq!(read(r#"{"phase":""}"#), None);
        assert_eq!(read(r#"{"phase":null}"#), None);
        assert_eq!(read("{}"), None);
        assert_eq!(
            read(r#"{"phase":"Ready"}"#),
            Some(crate::types::CloudSpacePhase::Ready)
        );
        assert_eq!(
            read(r#"{"phase":"Paused"}"#),
            Some(crate::types::CloudSpacePhase::Other("Paused".into()))
        );
    }

    fn read(json: &str) -> (Option<String>, Option<String>, Option<u32>) {
        let f: Fields = serde_json::from_str(json).unwrap();
        (
            f.money.map(|m| m.to_string()),
            f.bid.map(|b| b.to_string()),
            f.count,
        )
    }

    #[test]
    fn every_wire_form_reads() {
        let some = |m: &str, b: &str, c| (Some(m.to_string()), Some(b.to_string()), Some(c));
        assert_eq!(
            read(r#"{"money":"0.012","bid":"0.06","count":3}"#),
            some("0.012", "0.06", 3)
        );
        assert_eq!(
            read(r#"{"money":"$0.012","bid":0.06,"count":"3"}"#),
            some("0.012", "0.06", 3)
        );
        assert_eq!(
            read(r#"{"money":"","bid":"","count":""}"#),
            (None, None, None)
        );
        assert_eq!(
            read(r#"{"money":null,"bid":null,"count":null}"#),
            (None, None, None)
        );
        assert_eq!(read("{}"), (None, None, None));
        assert_eq!(
            read(r#"{"money":"abc","bid":"-1","count":-2}"#),
            (None, None, None)
        );
    }
}
