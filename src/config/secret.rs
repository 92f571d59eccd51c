//! [`Secret`]: a token stored in the config file.
//!
//! Unlike pydantic's `SecretStr` in the tool we replace (PRIOR-ART 9 items 1-2), serializing a
//! `Secret` writes the REAL value: the config file is where the token lives (mode 0600). Only
//! `Debug` is masked. Anything meant for humans (`config show`, `profiles show`) goes through
//! [`super::ConfigDocument::redacted_view`] instead of plain serialization.

#[cfg(feature = "schema")]
use std::borrow::Cow;
use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A secret string (refresh or access token) held in a [`super::Profile`].
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    /// Wraps a plain value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(SecretString::from(value.into()))
    }

    /// The plain value. Call only where the value is really needed (token exchange, file write).
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// A `secrecy::SecretString` copy, for [`super::Settings`].
    pub fn to_secret_string(&self) -> SecretString {
        self.0.clone()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl Eq for Secret {}

impl From<SecretString> for Secret {
    fn from(value: SecretString) -> Self {
        Secret(value)
    }
}

impl From<&SecretString> for Secret {
    fn from(value: &SecretString) -> Self {
        Secret(value.clone())
    }
}

impl Serialize for Secret {
    /// Writes the real value: this is what keeps `configure` from destroying the token.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.expose())
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret::new)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Secret {
    fn schema_name() -> Cow<'static, str> {
        "Secret".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A secret, stored in plain text in this 0600 file and never printed."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted_but_serialization_is_real() {
        let s = Secret::new("tok-abc-123");
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(format!("{:?}", Some(s.clone())), "Some(<redacted>)");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"tok-abc-123\"");
        let back: Secret = serde_json::from_str("\"tok-abc-123\"").unwrap();
        assert_eq!(back, s);
        assert_eq!(back.to_secret_string().expose_secret(), "tok-abc-123");
    }
}
