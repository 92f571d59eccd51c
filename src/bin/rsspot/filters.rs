//! Filters that filter: the values a filter flag names are checked against the values that
//! exist (an unknown one is a usage error listing them, with "did you mean" for a near miss),
//! and lists are filtered here as well as on the server, which may ignore a filter.

use rsspot::Error;

use crate::names::edit_distance;

/// The known value closest to `given`, when it is close enough to be a typo: within a third of
/// its length (at least 1, at most 3 edits), or a case-insensitive prefix of a single value.
pub fn did_you_mean<'a>(given: &str, known: &[&'a str]) -> Option<&'a str> {
    let given_lc = given.to_ascii_lowercase();
    let budget = (given.chars().count() / 3).clamp(1, 3);
    // Ties go to the first in case-insensitive order, so the guess does not depend on the
    // server's order.
    let mut sorted = known.to_vec();
    sorted.sort_by_key(|k| k.to_ascii_lowercase());
    let best = sorted
        .iter()
        .map(|k| (edit_distance(&given_lc, &k.to_ascii_lowercase()), *k))
        .min_by_key(|(d, _)| *d);
    if let Some((d, k)) = best
        && d <= budget
    {
        return Some(k);
    }
    let mut prefixed = known
        .iter()
        .filter(|k| k.to_ascii_lowercase().starts_with(&given_lc));
    match (prefixed.next(), prefixed.next()) {
        (Some(k), None) if !given.is_empty() => Some(k),
        _ => None,
    }
}

/// The usage error for a filter value that names nothing: `invalid --region: unknown region
/// "uk-lon1" (known: a, b); did you mean "uk-lon-1"?`. Exit code 2 (an [`Error::Invalid`]).
pub fn unknown_value(flag: &str, what: &str, given: &str, known: &[&str]) -> Error {
    unknown_value_near(flag, what, given, known, known)
}

/// [`unknown_value`] with its own candidates for "did you mean".
fn unknown_value_near(flag: &str, what: &str, given: &str, known: &[&str], near: &[&str]) -> Error {
    let mut sorted = known.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut message = format!("unknown {what} {given:?} (known: {})", sorted.join(", "));
    if let Some(near) = did_you_mean(given, near) {
        message.push_str(&format!("; did you mean {near:?}?"));
    }
    Error::invalid(flag, message)
}

/// Splits repeatable, comma-separated flag values into trimmed, non-empty items.
pub fn split_values(values: &[String]) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect()
}

/// Checks every value of a filter against the known ones (case-insensitive).
pub fn check_known(flag: &str, what: &str, given: &[String], known: &[&str]) -> rsspot::Result<()> {
    for g in given {
        if !known.iter().any(|k| k.eq_ignore_ascii_case(g)) {
            return Err(unknown_value(flag, what, g, known));
        }
    }
    Ok(())
}

/// Checks class filters: a value passes when it names a class (`gp.vs1.medium-dfw`) or a class
/// in every region (`gp.vs1.medium`, which matches `gp.vs1.medium-*`).
pub fn check_classes(flag: &str, given: &[String], known: &[&str]) -> rsspot::Result<()> {
    for g in given {
        let g_lc = g.to_ascii_lowercase();
        let names = known.iter().any(|k| {
            let k = k.to_ascii_lowercase();
            k == g_lc
                || k.strip_prefix(g_lc.as_str())
                    .is_some_and(|rest| rest.starts_with('-'))
        });
        if !names {
            // `gp.vs1.mediu` is nearer `gp.vs1.medium` (every region) than any full name.
            let mut near: Vec<&str> = known.to_vec();
            near.extend(
                known
                    .iter()
                    .filter_map(|k| k.rsplit_once('-').map(|(base, _)| base)),
            );
            return Err(unknown_value_near(flag, "server class", g, known, &near));
        }
    }
    Ok(())
}

/// Whether `value` passes a class filter (empty filter: everything passes).
pub fn class_matches(filter: &[String], value: Option<&str>) -> bool {
    filter.is_empty()
        || value.is_some_and(|v| {
            let v = v.to_ascii_lowercase();
            filter.iter().any(|f| {
                let f = f.to_ascii_lowercase();
                v == f
                    || v.strip_prefix(f.as_str())
                        .is_some_and(|rest| rest.starts_with('-'))
            })
        })
}

/// The names of the regions the service knows, for checking a `--region` filter.
pub async fn region_names(client: &rsspot::SpotClient) -> rsspot::Result<Vec<String>> {
    Ok(client
        .regions()
        .list()
        .await?
        .iter()
        .map(|r| r.metadata.name.clone())
        .collect())
}

/// The names of every server class, for checking a `--class` filter.
pub async fn class_names(client: &rsspot::SpotClient) -> rsspot::Result<Vec<String>> {
    let all = rsspot::services::ServerClassFilter::default();
    Ok(client
        .server_classes()
        .list(&all)
        .await?
        .iter()
        .map(|c| c.metadata.name.clone())
        .collect())
}

/// Runs `check` on the names `names` fetches; an empty filter fetches nothing (the future is
/// only polled when there is something to check).
async fn check_fetched(
    given: &[String],
    names: impl std::future::Future<Output = rsspot::Result<Vec<String>>>,
    check: impl FnOnce(&[&str]) -> rsspot::Result<()>,
) -> rsspot::Result<()> {
    if given.is_empty() {
        return Ok(());
    }
    let names = names.await?;
    let known: Vec<&str> = names.iter().map(String::as_str).collect();
    check(&known)
}

/// Checks a `--region` filter against the service's regions (exit 2 on an unknown one).
pub async fn check_regions(
    client: &rsspot::SpotClient,
    flag: &str,
    given: &[String],
) -> rsspot::Result<()> {
    check_fetched(given, region_names(client), |known| {
        check_known(flag, "region", given, known)
    })
    .await
}

/// Checks a `--class` filter against the service's server classes (exit 2 on an unknown one).
pub async fn check_class_filter(
    client: &rsspot::SpotClient,
    flag: &str,
    given: &[String],
) -> rsspot::Result<()> {
    check_fetched(given, class_names(client), |known| {
        check_classes(flag, given, known)
    })
    .await
}

/// The global `--region` as a filter (a comma list), checked against the service's regions.
pub async fn region_filter(
    ctx: &crate::ctx::Ctx,
    client: &rsspot::SpotClient,
) -> rsspot::Result<Vec<String>> {
    let given = split_values(ctx.global.region.as_slice());
    check_regions(client, "--region", &given).await?;
    Ok(given)
}

/// Whether `value` passes a region filter (empty filter: everything passes).
pub fn region_matches(filter: &[String], value: Option<&str>) -> bool {
    filter.is_empty() || value.is_some_and(|v| filter.iter().any(|f| f.eq_ignore_ascii_case(v)))
}

/// A not-found error with the values that do exist: `organization "other" not found (known:
/// acme)`. Its source is the library error, so exit codes and hints stay those of a not-found.
#[derive(Debug)]
pub struct NotFoundWithKnown {
    error: rsspot::Error,
    known: Vec<String>,
}

impl std::fmt::Display for NotFoundWithKnown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (known: {})", self.error, self.known.join(", "))
    }
}

impl std::error::Error for NotFoundWithKnown {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// Adds the organizations the token can see to an organization "not found".
pub async fn with_known_orgs(ctx: &crate::ctx::Ctx, e: anyhow::Error) -> anyhow::Error {
    let is_org_not_found = matches!(
        e.downcast_ref::<rsspot::Error>(),
        Some(rsspot::Error::NotFound { kind, .. }) if kind == "organization"
    );
    if !is_org_not_found {
        return e;
    }
    let Ok(client) = ctx.client().await else {
        return e;
    };
    let Ok(orgs) = client.organizations().list().await else {
        return e;
    };
    let known: Vec<String> = orgs.iter().filter_map(|o| o.name.clone()).collect();
    match e.downcast::<rsspot::Error>() {
        Ok(error) if !known.is_empty() => anyhow::Error::new(NotFoundWithKnown { error, known }),
        Ok(error) => anyhow::Error::new(error),
        Err(e) => e,
    }
}

/// A kind whose lists keep only the objects `keep` accepts: the client-side half of a filter,
/// for [`crate::view::list`] (and so for `--watch` too).
pub struct Filtered<K, F> {
    inner: K,
    keep: F,
}

impl<K, F> Filtered<K, F> {
    /// `inner`, listing only what `keep` accepts.
    pub fn new(inner: K, keep: F) -> Self {
        Filtered { inner, keep }
    }
}

impl<K, F> crate::view::Kind for Filtered<K, F>
where
    K: crate::view::Kind,
    F: Fn(&K::Item) -> bool,
{
    type Item = K::Item;
    type Row = K::Row;
    const WHAT: &'static str = K::WHAT;

    async fn list(&self, client: &rsspot::SpotClient) -> anyhow::Result<Vec<K::Item>> {
        let mut items = self.inner.list(client).await?;
        items.retain(|i| (self.keep)(i));
        Ok(items)
    }

    async fn get(&self, client: &rsspot::SpotClient, name: &str) -> anyhow::Result<K::Item> {
        self.inner.get(client, name).await
    }

    fn rows(&self, items: &[K::Item]) -> Vec<K::Row> {
        self.inner.rows(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("uk-lon-1", "uk-lon-1"), 0);
        assert_eq!(edit_distance("uk-lon1", "uk-lon-1"), 1);
    }

    #[test]
    fn near_misses_are_suggested_and_far_ones_not() {
        let regions = ["us-central-dfw-1", "uk-lon-1", "us-east-iad-1"];
        assert_eq!(did_you_mean("uk-lon1", &regions), Some("uk-lon-1"));
        assert_eq!(did_you_mean("UK-LON-1", &regions), Some("uk-lon-1"));
        assert_eq!(did_you_mean("us-east", &regions), Some("us-east-iad-1"));
        assert_eq!(did_you_mean("nope", &regions), None);
        assert_eq!(did_you_mean("us", &regions), None);
    }

    #[test]
    fn unknown_value_reads_naturally() {
        let e = unknown_value(
            "--region",
            "region",
            "uk-lon1",
            &["us-east-iad-1", "uk-lon-1"],
        );
        assert_eq!(
            e.to_string(),
            "invalid --region: unknown region \"uk-lon1\" (known: uk-lon-1, us-east-iad-1); did you mean \"uk-lon-1\"?"
        );
    }

    #[test]
    fn class_filters_match_names_and_region_less_names() {
        let f = vec!["gp.vs1.medium".to_string()];
        assert!(class_matches(&f, Some("gp.vs1.medium-dfw")));
        assert!(class_matches(&f, Some("GP.VS1.MEDIUM")));
        assert!(!class_matches(&f, Some("gp.vs1.medium2-dfw")));
        assert!(!class_matches(&f, None));
        assert!(class_matches(&[], None));
        let known = ["gp.vs1.medium-dfw", "ch.vs1.large-lon"];
        assert!(check_classes("--class", &f, &known).is_ok());
        let bad = vec!["gp.vs1.mediun-dfw".to_string()];
        let e = check_classes("--class", &bad, &known).unwrap_err();
        assert!(
            e.to_string().contains("did you mean \"gp.vs1.medium-dfw\""),
            "{e}"
        );
        let bad = vec!["gp.vs1.mediu".to_string()];
        let e = check_classes("--class", &bad, &known).unwrap_err();
        assert!(
            e.to_string().contains("did you mean \"gp.vs1.medium\"?"),
            "{e}"
        );
    }

    #[test]
    fn not_found_names_the_known_values_last() {
        let e = NotFoundWithKnown {
            error: rsspot::Error::not_found("organization", "other"),
            known: vec!["acme".into(), "demo".into()],
        };
        assert_eq!(
            e.to_string(),
            "organization \"other\" not found (known: acme, demo)"
        );
        let source = std::error::Error::source(&e).and_then(|s| s.downcast_ref::<rsspot::Error>());
        assert!(source.is_some_and(rsspot::Error::is_not_found));
    }

    #[test]
    fn split_values_takes_commas_and_repeats() {
        let v = vec!["a,b".to_string(), " c ".to_string(), ",".to_string()];
        assert_eq!(split_values(&v), ["a", "b", "c"]);
    }
}
