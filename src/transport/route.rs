//! Where requests go: the host of each operation (API, token service, public data), the origins
//! credentials may travel to, and the redirect rule that keeps them there.

use reqwest::Url;

use crate::error::Error;
use crate::raw::HostKind;

/// Redirects followed at most, all within one origin.
const MAX_REDIRECTS: usize = 5;

/// The three configured base URLs, parsed once.
#[derive(Debug, Clone)]
pub(crate) struct Hosts {
    /// The resource API (also the generated client's base URL).
    pub api: Url,
    /// The OAuth token service.
    pub oauth: Url,
    /// The public pricing documents.
    pub public_data: Url,
}

fn parse_base(which: &str, url: &str) -> Result<Url, Error> {
    let parsed = Url::parse(url.trim_end_matches('/')).map_err(|e| {
        Error::config(format!(
            "{which} {url:?} is not a URL ({e}); use e.g. https://spot.rackspace.com"
        ))
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(Error::config(format!(
            "{which} {url:?} must be an http:// or https:// URL with a host"
        )));
    }
    Ok(parsed)
}

impl Hosts {
    /// Parses the three base URLs; a bad one is a configuration error naming it.
    pub(crate) fn new(api: &str, oauth: &str, public_data: &str) -> Result<Hosts, Error> {
        Ok(Hosts {
            api: parse_base("base_url", api)?,
            oauth: parse_base("oauth_url", oauth)?,
            public_data: parse_base("public_data_url", public_data)?,
        })
    }

    /// The base URL of `host`, without a trailing slash.
    pub(crate) fn base(&self, host: HostKind) -> &str {
        let url = match host {
            HostKind::Api => &self.api,
            HostKind::Auth => &self.oauth,
            HostKind::PublicData => &self.public_data,
        };
        url.as_str().trim_end_matches('/')
    }

    /// The token endpoint of the configured token service.
    pub(crate) fn token_url(&self) -> String {
        format!("{}/oauth/token", self.base(HostKind::Auth))
    }

    /// Moves a request built on the API base URL to the host its operation lives on.
    pub(crate) fn route(&self, request: &mut reqwest::Request, host: HostKind) {
        if host == HostKind::Api {
            return;
        }
        let api = self.base(HostKind::Api);
        let target = self.base(host);
        let url = request.url().as_str();
        if let Some(rest) = url.strip_prefix(api)
            && let Ok(new) = Url::parse(&format!("{target}{rest}"))
        {
            *request.url_mut() = new;
        }
    }

    /// Whether `url` is on one of the configured origins (scheme, host and port).
    pub(crate) fn is_configured(&self, url: &Url) -> bool {
        [&self.api, &self.oauth, &self.public_data]
            .iter()
            .any(|base| same_origin(base, url))
    }

    /// Refuses a URL outside the configured origins (credentials never leave them).
    pub(crate) fn check(&self, url: &Url) -> Result<(), Error> {
        if self.is_configured(url) {
            return Ok(());
        }
        let allowed: Vec<String> = [&self.api, &self.oauth, &self.public_data]
            .iter()
            .map(|u| u.origin().ascii_serialization())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        Err(Error::ForeignUrl {
            url: super::failure::strip_query(url.as_str()),
            allowed: allowed.join(", "),
        })
    }
}

/// Same scheme, host and port.
pub(crate) fn same_origin(a: &Url, b: &Url) -> bool {
    a.origin() == b.origin()
}

/// The redirect rule of every client: follow a few redirects within one origin; stop at one
/// that changes scheme, host or port (the 3xx answer then reaches the pipeline, which reports
/// it), so neither a bearer nor a refresh token in a body is ever re-sent to another host.
pub(crate) fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same = attempt
            .previous()
            .last()
            .is_some_and(|prev| same_origin(prev, attempt.url()));
        if !same || attempt.previous().len() > MAX_REDIRECTS {
            attempt.stop()
        } else {
            attempt.follow()
        }
    })
}

/// The error for a 3xx answer that was not followed.
pub(crate) fn redirected(resp: &reqwest::Response) -> Error {
    let to = resp
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(super::failure::strip_query)
        .unwrap_or_else(|| "no Location".into());
    Error::Redirected {
        from: super::failure::strip_query(resp.url().as_str()),
        to,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        let hosts = Hosts::new(
            "https://spot.rackspace.com",
            "https://login.spot.rackspace.com/",
            "https://data.example",
        )
        .expect("hosts");
        let ok = Url::parse("https://spot.rackspace.com/apis/x").expect("url");
        assert!(hosts.check(&ok).is_ok());
        for bad in [
            "http://spot.rackspace.com/apis/x",
            "https://spot.rackspace.com:8443/apis/x",
            "https://evil.example/apis/x",
        ] {
            let e = hosts.check(&Url::parse(bad).expect("url")).unwrap_err();
            assert!(matches!(e, Error::ForeignUrl { .. }), "{bad}");
        }
        assert!(Hosts::new("spot.rackspace.com", "https://a", "https://b").is_err());
    }

    #[test]
    fn routing_keeps_the_path() {
        let hosts = Hosts::new(
            "http://127.0.0.1:1",
            "http://127.0.0.1:2",
            "http://127.0.0.1:3",
        )
        .expect("hosts");
        let mut req = reqwest::Request::new(
            reqwest::Method::GET,
            Url::parse("http://127.0.0.1:1/history/gp.vs1?x=1").expect("url"),
        );
        hosts.route(&mut req, HostKind::PublicData);
        assert_eq!(req.url().as_str(), "http://127.0.0.1:3/history/gp.vs1?x=1");
    }
}
