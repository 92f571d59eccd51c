//! Validation of new and updated objects: schema errors (422 `Invalid` with causes) and
//! admission-webhook denials (403 or 400, per the `webhook-denial` variant).

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{CNIS, DEPLOYMENT_TYPES, Kind, Store, str_at};
use crate::bids::{self, BidRefusal};
use crate::reply::{self, Cause, Reply};
use crate::variants::WebhookDenial;

/// What validation found: schema errors first (the API server checks them before webhooks).
#[derive(Debug, Default)]
pub(crate) struct Findings {
    /// Schema / CEL violations: a 422 `Invalid`.
    pub causes: Vec<Cause>,
    /// Admission-webhook denials, as the webhook words them.
    pub denials: Vec<String>,
}

impl Findings {
    /// The error answer, if anything was found.
    pub(crate) fn into_reply(self, kind: Kind, name: &str, denial: WebhookDenial) -> Option<Reply> {
        if !self.causes.is_empty() {
            return Some(reply::invalid(kind.name(), name, &self.causes));
        }
        if self.denials.is_empty() {
            return None;
        }
        let (code, reason) = match denial {
            WebhookDenial::Forbidden => (403, "Forbidden"),
            WebhookDenial::BadRequest => (400, "BadRequest"),
        };
        let webhook = format!("v{}.{}", kind.name().to_ascii_lowercase(), reply::GROUP);
        Some(reply::status(
            code,
            reason,
            &format!(
                "admission webhook \"{webhook}\" denied the request: {}",
                self.denials.join("; ")
            ),
            None,
        ))
    }
}

impl Store {
    /// Schema, reference and immutability checks of a (new or updated) object.
    pub(super) fn validate(
        &self,
        kind: Kind,
        ns: &str,
        name: &str,
        doc: &Value,
        old: Option<&Value>,
    ) -> Findings {
        let mut causes = Vec::new();
        let mut denials: Vec<String> = Vec::new();
        let spec = doc.get("spec").cloned().unwrap_or_else(|| json!({}));
        let field = |f: &str| spec.get(f);
        let required_string = |f: &str, causes: &mut Vec<Cause>| -> Option<String> {
            match field(f) {
                None => {
                    causes.push(Cause::required(&format!("spec.{f}")));
                    None
                }
                Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                Some(v) => {
                    causes.push(Cause::invalid(
                        &format!("spec.{f}"),
                        v,
                        "must be a non-empty string",
                    ));
                    None
                }
            }
        };
        let immutable = |f: &str, causes: &mut Vec<Cause>, msg: &str| {
            if let Some(old) = old {
                let before = old.pointer(&format!("/spec/{f}"));
                let after = spec.get(f);
                if before != after {
                    causes.push(Cause::invalid(
                        &format!("spec.{f}"),
                        after.unwrap_or(&Value::Null),
                        msg,
                    ));
                }
            }
        };
        match kind {
            Kind::CloudSpace => {
                if let Some(region) = required_string("region", &mut causes)
                    && !self
                        .regions
                        .iter()
                        .any(|r| str_at(r, "/metadata/name") == Some(region.as_str()))
                {
                    denials.push(format!("region {region:?} does not exist"));
                }
                required_string("kubernetesVersion", &mut causes);
                for (f, allowed) in [
                    ("cni", &CNIS[..]),
                    ("deploymentType", &DEPLOYMENT_TYPES[..]),
                ] {
                    if let Some(v) = field(f)
                        && !v.as_str().is_some_and(|s| allowed.contains(&s))
                    {
                        causes.push(Cause::not_supported(&format!("spec.{f}"), v, allowed));
                    }
                }
                if let Some(v) = field("HAControlPlane")
                    && !v.is_boolean()
                {
                    causes.push(Cause::invalid(
                        "spec.HAControlPlane",
                        v,
                        "must be of type boolean",
                    ));
                }
                immutable("region", &mut causes, "field is immutable");
                immutable(
                    "deploymentType",
                    &mut causes,
                    "update to the deploymentType not allowed",
                );
                immutable("cni", &mut causes, "field is immutable");
            }
            Kind::SpotNodePool | Kind::OnDemandNodePool => {
                let cs_name = required_string("cloudSpace", &mut causes);
                let class_name = required_string("serverClass", &mut causes);
                match field("desired") {
                    None => causes.push(Cause::required("spec.desired")),
                    Some(v) if v.as_i64().is_some_and(|n| n >= 0) => {}
                    Some(v) => causes.push(Cause::invalid(
                        "spec.desired",
                        v,
                        "must be a non-negative integer",
                    )),
                }
                let cs = cs_name
                    .as_deref()
                    .and_then(|c| self.get(Kind::CloudSpace, ns, c));
                if let Some(c) = &cs_name {
                    match cs {
                        None => denials.push(format!(
                            "cloudspace {c:?} does not exist in namespace {ns:?}"
                        )),
                        Some(cs)
                            if old.is_none()
                                && cs.pointer("/metadata/deletionTimestamp").is_some() =>
                        {
                            denials.push(format!("cloudspace {c:?} is being deleted"));
                        }
                        Some(_) => {}
                    }
                }
                let class = class_name.as_deref().and_then(|c| self.class(c));
                if let Some(c) = &class_name {
                    match class {
                        None => denials.push(format!("server class {c:?} does not exist")),
                        Some(class) => {
                            denials.extend(region_mismatch(c, class, cs, "cloudspace"));
                            if old.is_none()
                                && str_at(class, "/spec/availability")
                                    .is_some_and(|a| a != "available")
                            {
                                denials.push(format!("server class {c:?} is not available"));
                            }
                        }
                    }
                }
                if kind == Kind::SpotNodePool {
                    self.check_bid_field(field("bidPrice"), class, &mut causes, &mut denials);
                }
                if let Some(a) = field("autoscaling") {
                    causes.extend(autoscaling_causes(a));
                    if let Some(d) = self.second_autoscaler(kind, ns, name, a, cs_name.as_deref()) {
                        denials.push(d);
                    }
                }
                immutable("cloudSpace", &mut causes, "field is immutable");
                immutable("serverClass", &mut causes, "field is immutable");
            }
            Kind::VmSshKey | Kind::VmCloudSpace | Kind::VmPool | Kind::AutopilotNodePool => {
                let (mut c, mut d) = self.validate_vm(kind, ns, name, doc, old);
                causes.append(&mut c);
                denials.append(&mut d);
            }
        }
        Findings { causes, denials }
    }

    /// A spot pool's `spec.bidPrice`: required, a string, and within the server's bid rules.
    pub(super) fn check_bid_field(
        &self,
        bid: Option<&Value>,
        class: Option<&Value>,
        causes: &mut Vec<Cause>,
        denials: &mut Vec<String>,
    ) {
        match bid {
            None => causes.push(Cause::required("spec.bidPrice")),
            Some(Value::String(bid)) => match self.check_bid(bid, class) {
                Ok(()) => {}
                Err(BidRefusal::Format) => causes.push(Cause::invalid(
                    "spec.bidPrice",
                    &json!(bid),
                    BidRefusal::Format.message(bid),
                )),
                Err(refusal) => denials.push(refusal.message(bid)),
            },
            Some(v) => causes.push(Cause::invalid(
                "spec.bidPrice",
                v,
                "spec.bidPrice in body must be of type string",
            )),
        }
    }

    pub(super) fn check_bid(&self, bid: &str, class: Option<&Value>) -> Result<(), BidRefusal> {
        bids::check(bid, Store::bid_floor(class), self.variants.bid_rules)
    }

    /// The lowest bid a class takes: max(market price, minimum bid).
    pub(super) fn bid_floor(class: Option<&Value>) -> Decimal {
        let price = |ptr: &str| {
            class
                .and_then(|c| str_at(c, ptr))
                .and_then(|s| s.trim_start_matches('$').parse::<Decimal>().ok())
                .unwrap_or_default()
        };
        price("/status/spotPricing/marketPricePerHour").max(price("/spec/minBidPricePerHour"))
    }

    /// The webhook's one-autoscaling-spot-pool-per-cloudspace rule.
    fn second_autoscaler(
        &self,
        kind: Kind,
        ns: &str,
        name: &str,
        a: &Value,
        cs: Option<&str>,
    ) -> Option<String> {
        let cs = cs.filter(|_| kind == Kind::SpotNodePool)?;
        if a.get("enabled") != Some(&Value::Bool(true)) {
            return None;
        }
        let ((_, _, other), _) = self.objects.iter().find(|((k, n, pool), o)| {
            *k == Kind::SpotNodePool
                && n == ns
                && pool != name
                && str_at(&o.doc, "/spec/cloudSpace") == Some(cs)
                && o.doc.pointer("/spec/autoscaling/enabled") == Some(&Value::Bool(true))
        })?;
        Some(format!(
            "cloudspace {cs:?} already has an autoscaling spot node pool ({other}); only one is allowed"
        ))
    }
}

/// Schema rules of `spec.autoscaling`.
fn autoscaling_causes(a: &Value) -> Vec<Cause> {
    let mut causes = Vec::new();
    let Some(enabled) = a.get("enabled") else {
        causes.push(Cause::required("spec.autoscaling.enabled"));
        return causes;
    };
    if enabled != &Value::Bool(true) {
        return causes;
    }
    let min = a.get("minNodes").and_then(Value::as_i64).unwrap_or(0);
    let max = a.get("maxNodes").and_then(Value::as_i64).unwrap_or(0);
    if min < 1 {
        causes.push(Cause::invalid(
            "spec.autoscaling.minNodes",
            &json!(min),
            "should be greater than or equal to 1",
        ));
    }
    if max < min {
        causes.push(Cause::invalid(
            "spec.autoscaling.maxNodes",
            &json!(max),
            "must be greater than or equal to minNodes",
        ));
    }
    causes
}

/// The denial of server class `c` when it is in another region than its cloudspace (`what`:
/// "cloudspace" or "vmcloudspace").
pub(super) fn region_mismatch(
    c: &str,
    class: &Value,
    cs: Option<&Value>,
    what: &str,
) -> Option<String> {
    let class_region = str_at(class, "/spec/region");
    let cs_region = str_at(cs?, "/spec/region");
    (cs_region != class_region).then(|| {
        format!(
            "server class {c:?} is in region {:?}, the {what} in {:?}",
            class_region.unwrap_or(""),
            cs_region.unwrap_or("")
        )
    })
}
