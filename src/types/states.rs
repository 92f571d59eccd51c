//! The status strings whose vocabulary is known, as enums that keep what they do not know.
//!
//! The service does not publish these value sets (API-NOTES 18): each enum lists the values
//! clients have seen and keeps any other value in its `Other` variant, so a new phase is shown as
//! the service sent it and never fails a decode. `Display` and serde write the wire string, so
//! JSON output and tables are unchanged; `== "Ready"` compares with the wire string.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Declares an open enum: one variant per known wire value plus `Other(String)`, with the
/// string conversions, serde as the wire string and comparison with `&str`.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )+ }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version does not know, exactly as the service sent it.
            Other(String),
        }

        impl $name {
            /// Every value this version knows, in declaration order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),+];

            /// The wire string.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $name::Other(s) => s,
                }
            }

            /// Reads a wire string; an unknown one is kept in `Other`.
            pub fn from_wire(s: &str) -> Self {
                match s {
                    $( $wire => $name::$variant, )+
                    other => $name::Other(other.to_string()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self::from_wire(s))
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self::from_wire(s)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok(Self::from_wire(&String::deserialize(d)?))
            }
        }
    };
}

open_enum! {
    /// The lifecycle phase of a cloudspace (`status.phase`; API-NOTES 6.1). Readiness is better
    /// read from the API server endpoint (see `ResourceExt::phase` and the cloudspace waiters):
    /// only `Ready` is confirmed by the service's own clients.
    CloudSpacePhase {
        /// Servers are being won and the control plane built.
        Provisioning = "Provisioning",
        /// The control plane answers and the cloudspace takes pools.
        Ready = "Ready",
        /// A Kubernetes version change is under way (`status.upgradePhase` says where).
        Upgrading = "Upgrading",
        /// No bid of the cloudspace's pools wins at the current market.
        NoWinningBids = "NoWinningBids",
        /// The service reports a failure (`status.reason` says which).
        Error = "Error",
        /// A delete was accepted; the object disappears when its servers are released.
        Deleting = "Deleting",
    }
}

open_enum! {
    /// The health of a cloudspace or VM cloudspace (`status.health`): a working API server and
    /// available nodes.
    Health {
        /// API server and nodes work.
        Healthy = "Healthy",
        /// Something the service checks does not work.
        Unhealthy = "Unhealthy",
        /// The service has not judged it yet.
        Unknown = "Unknown",
    }
}

open_enum! {
    /// The state of a pool's bid (`status.bidStatus` of spot and VM pools; the same vocabulary
    /// is assumed for an on-demand pool's `status.reservedStatus`).
    BidStatus {
        /// Placed; not (yet) won at the current market.
        Pending = "Pending",
        /// Won: the pool holds its desired nodes.
        Fulfilled = "Fulfilled",
        /// Outbid: the market rose above the bid and the nodes were taken back.
        Lost = "Lost",
        /// The account's node limit for new accounts was reached.
        SpeedBumpHit = "SpeedBump Hit",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_round_trip_and_unknown_ones_are_kept() {
        for p in CloudSpacePhase::KNOWN {
            assert_eq!(&CloudSpacePhase::from_wire(p.as_str()), p);
        }
        let b: BidStatus = serde_json::from_str(r#""SpeedBump Hit""#).unwrap();
        assert_eq!(b, BidStatus::SpeedBumpHit);
        assert_eq!(serde_json::to_string(&b).unwrap(), r#""SpeedBump Hit""#);
        let new: CloudSpacePhase = serde_json::from_str(r#""Hibernating""#).unwrap();
        assert_eq!(new, CloudSpacePhase::Other("Hibernating".into()));
        assert_eq!(new.to_string(), "Hibernating");
        assert!(Health::Healthy == "Healthy");
        assert_eq!(
            "Ready".parse::<CloudSpacePhase>(),
            Ok(CloudSpacePhase::Ready)
        );
    }
}
