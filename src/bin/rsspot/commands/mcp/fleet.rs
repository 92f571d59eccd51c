//! The `apply_fleet` write tool (only with `--allow-writes`): the first call plans a fleet
//! document against the organization — the changes, the cost before and after, the guardrail
//! concerns — and keeps that plan under a confirmation token; the second call with the token
//! applies exactly that plan, after checking that the account is still as the plan saw it (the
//! saved-plan path of `rsspot apply PLAN.json`, which names the object that changed). A plan
//! with a cost over `max_monthly_usd` is refused and gets no token — the planner's concerns,
//! and the worst cases the pool and cloudspace write tools also check (a pool's autoscaling
//! maximum, the HA control plane's price).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::Result;
use rmcp::model::JsonObject;
use rsspot::fleet::{
    self, ApplyOptions, Change, Fleet, ObjectKind, Plan, PlanConcern, PlanOptions, Target,
};
use rsspot::pricing::guard::{self, WorstCase};
use rsspot::pricing::view::ClassInput;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::confirm::{self, TOKEN_LIFETIME};
use super::server::{Answer, Spec, SpotTools, parse, write_tool};

/// The name of the tool.
pub const APPLY_FLEET: &str = "apply_fleet";

/// `apply_fleet`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyFleetArgs {
    /// The fleet document's text (YAML, or JSON starting with `{`), as `rsspot apply -f` reads
    /// it. Required for the plan; with `confirm` it may be left out (the token names the
    /// plan) and, when given, must be the document that was planned.
    #[serde(default)]
    pub fleet: Option<String>,
    /// Also delete what the account holds and the document does not.
    #[serde(default)]
    pub prune: bool,
    /// Re-resolve `{advice: …}` bids of existing pools.
    #[serde(default)]
    pub rebid: bool,
    /// The token of the plan to apply; leave it out to get the plan.
    #[serde(default)]
    pub confirm: Option<String>,
}

/// Plans waiting for their token: token → (the request's fingerprint, the plan, when made).
#[derive(Default)]
pub struct PlannedFleets {
    pending: Mutex<HashMap<String, (String, Plan, Instant)>>,
}

impl PlannedFleets {
    fn keep(&self, token: String, fingerprint: String, plan: Plan) {
        let now = Instant::now();
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.retain(|_, (_, _, at)| now.duration_since(*at) < TOKEN_LIFETIME);
        pending.insert(token, (fingerprint, plan, now));
    }

    /// Takes the plan of `token` (gone whatever happens next) and its request's fingerprint.
    fn take(&self, token: &str) -> Option<(String, Plan)> {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.remove(token).map(|(f, p, _)| (f, p))
    }
}

/// The tool's entry.
pub(super) fn specs() -> Vec<Spec> {
    vec![write_tool::<ApplyFleetArgs>(
        APPLY_FLEET,
        "Make the organization look like a fleet document (cloudspaces and their pools). Two \
         steps: the plan (changes, cost before and after, concerns, token), then a call with \
         `confirm` applies exactly that plan — refused if the account changed since.",
    )]
}

/// Runs `apply_fleet`; `None` for another tool.
pub(super) async fn call(
    tools: &SpotTools,
    name: &str,
    args: &JsonObject,
) -> Option<Result<Answer>> {
    if name != APPLY_FLEET {
        return None;
    }
    Some(match parse::<ApplyFleetArgs>(name, args) {
        Ok(a) => apply_fleet(tools, a).await,
        Err(e) => Err(e),
    })
}

/// A fleet document given as text: JSON when it starts with `{`, else YAML.
pub(super) fn parse_fleet(text: &str) -> Result<Fleet> {
    let origin = if text.trim_start().starts_with('{') {
        "fleet.json"
    } else {
        "fleet.yaml"
    };
    Ok(Fleet::parse(origin, text)?)
}

/// One line of a plan's counts.
pub(super) fn summary(plan: &Plan) -> String {
    format!(
        "{} to create, {} to change, {} to delete, {} unchanged; {} concern(s)",
        plan.creates.len(),
        plan.updates.len(),
        plan.deletes.len(),
        plan.unchanged.len(),
        plan.concerns.len()
    )
}

/// Whether a concern is a cost over `max_monthly_usd` (the plan's concerns are words; the
/// guardrail's over-limit sentences all say so).
fn over_limit(c: &PlanConcern) -> bool {
    c.message.contains("above max_monthly_usd")
}

fn fingerprint(tools: &SpotTools, fleet: &str, a: &ApplyFleetArgs) -> String {
    confirm::fingerprint(
        APPLY_FLEET,
        tools.org.as_deref(),
        &(fleet, a.prune, a.rebid),
    )
}

async fn apply_fleet(tools: &SpotTools, a: ApplyFleetArgs) -> Result<Answer> {
    match a.confirm.clone() {
        Some(token) => apply_planned(tools, &a, &token).await,
        None => plan_step(tools, &a).await,
    }
}

/// The first step: the plan and its token (none when in sync; refused over a hard limit).
async fn plan_step(tools: &SpotTools, a: &ApplyFleetArgs) -> Result<Answer> {
    let Some(text) = a.fleet.as_deref() else {
        anyhow::bail!(rsspot::Error::invalid(
            "fleet",
            "give the fleet document's text (YAML or JSON) to plan; `confirm` applies a plan \
             made before"
        ));
    };
    let doc = parse_fleet(text)?;
    let opts = PlanOptions {
        prune: a.prune,
        rebid: a.rebid,
        limits: tools.limits,
    };
    let plan = fleet::plan(&tools.org(), &doc, &opts).await?;
    let worst = worst_cases(tools, &plan).await?;
    let over: Vec<String> = plan
        .concerns
        .iter()
        .filter(|c| over_limit(c))
        .map(|c| format!("{}: {}", c.object, c.message))
        .chain(
            worst
                .iter()
                .filter(|(_, w)| w.is_over_limit())
                .map(|(o, w)| format!("{o}: {w}")),
        )
        .collect();
    if !over.is_empty() {
        anyhow::bail!(
            "apply fleet refused: {}; through MCP a spending limit is never crossed (raise \
             max_monthly_usd in the profile to allow it)",
            over.join("; ")
        );
    }
    if plan.in_sync() {
        let text = format!(
            "nothing to do: the account is as the fleet says ({} unchanged)",
            plan.unchanged.len()
        );
        return Answer::new(serde_json::json!({ "in_sync": true, "plan": plan }), text);
    }
    let token = tools.tokens.issue(fingerprint(tools, text, a));
    let to_confirm: Vec<String> = plan
        .concerns
        .iter()
        .filter(|c| c.needs_confirmation)
        .map(|c| format!("{}: {}", c.object, c.message))
        .chain(worst.iter().map(|(o, w)| format!("{o}: {w}")))
        .collect();
    let mut text_out = format!("plan: {}; nothing sent yet.", summary(&plan));
    if !to_confirm.is_empty() {
        text_out.push_str(&format!(" Concerns to confirm: {}.", to_confirm.join("; ")));
    }
    if !plan.deletes.is_empty() {
        text_out.push_str(&format!(
            " {} object(s) will be deleted.",
            plan.deletes.len()
        ));
    }
    text_out.push_str(&format!(
        " To go ahead, call {APPLY_FLEET} with confirm={token:?} (valid {} s, once).",
        TOKEN_LIFETIME.as_secs()
    ));
    let data = serde_json::json!({
        "in_sync": false,
        "plan": plan,
        "cost": plan.cost,
        "concerns": plan.concerns,
        "worst_cases": worst
            .iter()
            .map(|(o, w)| serde_json::json!({ "object": o, "concern": w.to_string() }))
            .collect::<Vec<_>>(),
        "confirm": token,
        "expires_in_seconds": TOKEN_LIFETIME.as_secs(),
    });
    tools
        .fleet_plans
        .keep(token, fingerprint(tools, text, a), plan);
    Answer::new(data, text_out)
}

/// The worst cases of the plan's creates and updates that the fleet planner does not weigh and
/// the pool and cloudspace write tools do: a pool's autoscaling maximum (created, or its bid or
/// autoscaling changed) and the HA control plane (created or turned on).
async fn worst_cases(tools: &SpotTools, plan: &Plan) -> Result<Vec<(String, WorstCase)>> {
    let mut out = Vec::new();
    for change in plan.creates.iter().chain(&plan.updates) {
        let object = change.object.to_string();
        match &change.target {
            Some(Target::Pool(p)) if touched(change, &["autoscaling", "bid"]) => {
                let Some(scaling) = &p.autoscaling else {
                    continue;
                };
                let class =
                    ClassInput::from(&tools.client.server_classes().get(&p.server_class).await?);
                let per_hour = match change.object.kind {
                    ObjectKind::OnDemandPool => class.on_demand.unwrap_or_default(),
                    _ => p
                        .bid
                        .as_deref()
                        .and_then(|b| b.parse::<Decimal>().ok())
                        .unwrap_or_default(),
                };
                out.extend(
                    guard::assess_autoscaling(per_hour, scaling.max, &class, &tools.limits)
                        .into_iter()
                        .map(|w| (object.clone(), w)),
                );
            }
            Some(Target::CloudSpace(cs))
                if cs.ha_control_plane == Some(true) && touched(change, &["haControlPlane"]) =>
            {
                out.push((object, guard::assess_ha_control_plane(&tools.limits)));
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Whether `change` creates its object or changes one of `fields`.
fn touched(change: &Change, fields: &[&str]) -> bool {
    change.observed.is_none()
        || change
            .fields
            .iter()
            .any(|f| fields.contains(&f.field.as_str()))
}

/// The second step: the plan of `token`, applied exactly if the account is as it saw it.
async fn apply_planned(tools: &SpotTools, a: &ApplyFleetArgs, token: &str) -> Result<Answer> {
    let refused = |why: confirm::Rejected| {
        anyhow::anyhow!(
            "apply fleet: not done: {why}; call {APPLY_FLEET} without `confirm` for a new plan"
        )
    };
    let kept = tools.fleet_plans.take(token);
    let fingerprint = match (&a.fleet, &kept) {
        (Some(text), _) => fingerprint(tools, text, a),
        (None, Some((f, _))) => f.clone(),
        (None, None) => String::new(),
    };
    tools.tokens.redeem(token, &fingerprint).map_err(refused)?;
    let Some((_, plan)) = kept else {
        return Err(refused(confirm::Rejected::Unknown));
    };
    let org = tools.org();
    // The saved-plan check of `rsspot apply PLAN.json`: the error names the object that
    // changed, and nothing is sent.
    fleet::verify(&org, &plan).await.map_err(|e| {
        anyhow::Error::new(e).context(format!(
            "apply fleet: not done; call {APPLY_FLEET} without `confirm` for a new plan"
        ))
    })?;
    let report = fleet::apply(&org, &plan, &ApplyOptions::default()).await?;
    let done = |o: fleet::Outcome| report.count(o);
    let text = format!(
        "fleet applied: {} created, {} changed, {} deleted ({} already there, {} already gone)",
        done(fleet::Outcome::Created),
        done(fleet::Outcome::Updated),
        done(fleet::Outcome::Deleted),
        done(fleet::Outcome::AlreadyThere),
        done(fleet::Outcome::AlreadyGone),
    );
    Answer::new(
        serde_json::json!({ "applied": report.applied, "cost": plan.cost }),
        text,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsspot::pricing::guard::Concern;

    fn concern(c: &impl std::fmt::Display) -> PlanConcern {
        PlanConcern {
            object: "spot pool web/x".into(),
            message: c.to_string(),
            needs_confirmation: true,
        }
    }

    /// The planner's concerns are words: the over-limit test must keep matching the guardrail's.
    #[test]
    fn an_over_limit_concern_is_recognised_and_no_other() {
        let over = Concern::MonthlyOverLimit {
            monthly: Decimal::from(584),
            limit: Decimal::from(100),
        };
        assert!(over_limit(&concern(&over)));
        let other = Concern::DesiredAboveAvailable {
            desired: 40,
            available: 37,
        };
        assert!(!over_limit(&concern(&other)));
    }

    #[test]
    fn a_kept_plan_is_taken_once() {
        let plans = PlannedFleets::default();
        let plan = Plan {
            version: fleet::PLAN_VERSION,
            namespace: "org-demo".into(),
            prune: false,
            creates: Vec::new(),
            updates: Vec::new(),
            deletes: Vec::new(),
            unchanged: Vec::new(),
            cost: fleet::Cost::default(),
            concerns: Vec::new(),
        };
        plans.keep("t".into(), "f".into(), plan.clone());
        assert_eq!(plans.take("t"), Some(("f".to_string(), plan)));
        assert_eq!(plans.take("t"), None);
    }
}
