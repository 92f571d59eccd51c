//! Server-side checks of pool requests: placement (class exists, same region as the
//! cloudspace), the class's prices, and the read-back comparison after a write.

use std::fmt;

use serde::Serialize;

use crate::SpotClient;
use crate::error::{Error, Result};
use crate::pricing::Bid;
use crate::pricing::view::ClassInput;
use crate::resource::Org;

/// A field the server holds differently from what was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    /// `spec.bidPrice` or `spec.desired`.
    pub field: String,
    /// What was sent.
    pub sent: String,
    /// What the server holds.
    pub held: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} was sent as {} but the server holds {}",
            self.field, self.sent, self.held
        )
    }
}

/// Checks that `server_class` exists and is in the cloudspace's region; returns its facts.
pub(crate) async fn placement(
    org: &Org<'_>,
    cloudspace: &str,
    server_class: &str,
) -> Result<ClassInput> {
    let (cloudspaces, classes) = (org.cloudspaces(), org.client().server_classes());
    let (cs, class) = tokio::try_join!(cloudspaces.get(cloudspace), classes.get(server_class))
        .map_err(|e| match e {
            Error::NotFound { kind, name } => Error::invalid(
                if kind == "cloudspace" {
                    "cloudSpace"
                } else {
                    "serverClass"
                },
                format!("{kind} {name:?} does not exist"),
            ),
            other => other,
        })?;
    let class = ClassInput::from(&class);
    let cs_region = cs.spec.region;
    if !cs_region.is_empty() && !class.region.is_empty() && cs_region != class.region {
        return Err(Error::invalid(
            "serverClass",
            format!(
                "server class {server_class} is in {}, but cloudspace {cloudspace} is in {cs_region}",
                class.region
            ),
        ));
    }
    Ok(class)
}

/// Checks that `server_class` exists and is in `region` (a cloudspace not created yet, whose
/// pools are checked against the region it will have); returns its facts.
pub(super) async fn placement_in_region(
    client: &SpotClient,
    region: &str,
    server_class: &str,
) -> Result<ClassInput> {
    let class = match client.server_classes().get(server_class).await {
        Ok(c) => ClassInput::from(&c),
        Err(Error::NotFound { kind, name }) => {
            return Err(Error::invalid(
                "serverClass",
                format!("{kind} {name:?} does not exist"),
            ));
        }
        Err(e) => return Err(e),
    };
    if !region.is_empty() && !class.region.is_empty() && region != class.region {
        return Err(Error::invalid(
            "serverClass",
            format!(
                "server class {server_class} is in {}, but the cloudspace is in {region}",
                class.region
            ),
        ));
    }
    Ok(class)
}

/// The facts of a pool's class (by name, as the pool's spec holds it).
pub(super) async fn class(client: &SpotClient, name: &str) -> Result<ClassInput> {
    Ok(ClassInput::from(&client.server_classes().get(name).await?))
}

/// Where the held bid/desired differ from the sent ones (`None` sent: not compared).
pub(super) fn compare(
    bid: Option<Bid>,
    held_bid: Option<Bid>,
    desired: Option<u32>,
    held_desired: Option<u32>,
) -> Vec<Mismatch> {
    let mut out = Vec::new();
    if let Some(bid) = bid
        && held_bid != Some(bid)
    {
        out.push(Mismatch {
            field: "spec.bidPrice".into(),
            sent: bid.to_string(),
            held: held_bid.map_or("nothing".into(), |h| h.to_string()),
        });
    }
    if let Some(d) = desired
        && held_desired != Some(d)
    {
        out.push(Mismatch {
            field: "spec.desired".into(),
            sent: d.to_string(),
            held: held_desired.map_or("nothing".into(), |h| h.to_string()),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_finds_what_differs() {
        let bid = |s: &str| s.parse::<Bid>().ok();
        assert!(compare(bid("0.06"), bid("0.060"), Some(2), Some(2)).is_empty());
        let m = compare(bid("0.06"), bid("0.08"), Some(2), Some(3));
        assert_eq!(m.len(), 2);
        assert_eq!(
            m[0].to_string(),
            "spec.bidPrice was sent as 0.06 but the server holds 0.08"
        );
        assert_eq!(m[1].held, "3");
        assert_eq!(compare(None, None, Some(1), None)[0].held, "nothing");
    }
}
