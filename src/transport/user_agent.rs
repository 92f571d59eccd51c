//! The `User-Agent` every request carries: `rsspot/VERSION`, followed by the application's own
//! product when the embedding application names one ([`crate::SpotClientBuilder::app_name`]).
//!
//! The `rsspot` binary sends the library's own `rsspot/VERSION` unchanged: the CLI is this crate,
//! at this version, so a second product token would say nothing the first does not.

use crate::error::Error;

/// The library's own product token.
pub(crate) const BASE: &str = concat!("rsspot/", env!("CARGO_PKG_VERSION"));

/// Longest application product accepted (a header, not a document).
const MAX_APP_NAME: usize = 128;

/// `rsspot/VERSION`, or `rsspot/VERSION APP` when `app` is a valid product (`NAME` or
/// `NAME/VERSION`, each an RFC 9110 token).
pub(crate) fn user_agent(app: Option<&str>) -> Result<String, Error> {
    let Some(app) = app else {
        return Ok(BASE.to_string());
    };
    let mut parts = app.splitn(2, '/');
    let name = parts.next().unwrap_or_default();
    let version = parts.next();
    let valid = app.len() <= MAX_APP_NAME && is_token(name) && version.is_none_or(is_token);
    if !valid {
        return Err(Error::config(format!(
            "app name {app:?} is not a User-Agent product: it must be NAME or NAME/VERSION (at \
             most {MAX_APP_NAME} characters; letters, digits and !#$%&'*+-.^_`|~, no spaces), \
             e.g. \"mytool/1.2\""
        )));
    }
    Ok(format!("{BASE} {app}"))
}

/// An RFC 9110 `token`: one or more `tchar`.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_application_follows_the_library() {
        assert_eq!(user_agent(None).unwrap(), BASE);
        assert_eq!(
            user_agent(Some("mytool/1.2")).unwrap(),
            format!("{BASE} mytool/1.2")
        );
        assert_eq!(
            user_agent(Some("my-tool")).unwrap(),
            format!("{BASE} my-tool")
        );
    }

    #[test]
    fn what_is_not_a_product_is_refused() {
        let long = "a".repeat(MAX_APP_NAME + 1);
        for bad in [
            "",
            "my tool/1",
            "tool/",
            "/1.2",
            "tool/1/2",
            "tool\r\nX-Evil: 1",
            "tööl/1",
            "tool (linux)",
            long.as_str(),
        ] {
            let e = user_agent(Some(bad)).unwrap_err();
            assert!(matches!(e, Error::Config { .. }), "{bad:?}: {e}");
            assert!(e.to_string().contains("NAME/VERSION"), "{e}");
        }
    }
}
