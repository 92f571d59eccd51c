//! Value parsers for every argument that names an object: a name is checked where it is typed,
//! so an empty variable in a script (`rsspot … delete "$POOL"`) is a usage error (exit 2) naming
//! the argument, and never a request for the whole collection.

use rsspot::names::name_problem;

/// One object's name: one path segment (not empty, `.` or `..`; no `/`, whitespace or control
/// character). Kind rules (a cloudspace is a DNS label) come on top where the kind is known.
pub fn object(value: &str) -> Result<String, String> {
    match name_problem(value) {
        None => Ok(value.to_string()),
        Some(problem) => Err(format!(
            "{value:?} {problem}; give the name of exactly one object (is a shell variable unset?)"
        )),
    }
}

/// A cloudspace (or VM cloudspace) name: [`object`], and a DNS label as the service requires.
pub fn cloudspace(value: &str) -> Result<String, String> {
    let value = object(value)?;
    if rsspot::services::is_dns_label(&value) {
        Ok(value)
    } else {
        Err(format!(
            "{value:?} is not a cloudspace name: use 1-63 lowercase letters, digits and '-', \
             starting and ending with a letter or digit"
        ))
    }
}

/// An organization (name, `org_…` id or `org-…` namespace): not blank.
pub fn org(value: &str) -> Result<String, String> {
    if value.trim().is_empty() {
        Err(format!(
            "{value:?} is empty; give an organization name, org_… id or org-… namespace \
             (or leave --org out for the profile's)"
        ))
    } else {
        Ok(value.to_string())
    }
}

/// The names in `known` close to `given` (a typo away: edit distance at most 2, or one a
/// prefix of the other), closest first, at most three.
pub fn closest(given: &str, known: &[String]) -> Vec<String> {
    let given_lc = given.to_ascii_lowercase();
    let mut close: Vec<(usize, &String)> = known
        .iter()
        .filter(|k| !k.is_empty() && **k != given)
        .filter_map(|k| {
            let k_lc = k.to_ascii_lowercase();
            let d = edit_distance(&given_lc, &k_lc);
            let prefix =
                given_lc.len() >= 2 && (k_lc.starts_with(&given_lc) || given_lc.starts_with(&k_lc));
            (d <= 2 || prefix).then_some((d, k))
        })
        .collect();
    close.sort();
    close.dedup_by(|a, b| a.1 == b.1);
    close.into_iter().take(3).map(|(_, k)| k.clone()).collect()
}

/// Edit distance between two strings (Levenshtein, on chars), for "did you mean".
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let subst = prev[j] + usize::from(ca != *cb);
            cur.push(subst.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_names_are_a_typo_or_a_prefix_away() {
        let known: Vec<String> = ["demo", "demo-dfw", "prod", "staging"]
            .map(String::from)
            .to_vec();
        assert_eq!(closest("dmeo", &known), ["demo"]);
        assert_eq!(closest("dem", &known), ["demo", "demo-dfw"]);
        assert_eq!(closest("stagin", &known), ["staging"]);
        assert!(closest("zzzzzz", &known).is_empty());
    }

    #[test]
    fn bad_names_are_refused_with_the_reason() {
        for bad in ["", " ", ".", "..", "a/b", "x y", "\n"] {
            let e = object(bad).unwrap_err();
            assert!(e.contains("exactly one object"), "{e}");
        }
        assert!(object("8e4a").is_ok());
        assert!(cloudspace("Demo").is_err());
        assert!(cloudspace("demo-1").is_ok());
        assert!(org(" ").is_err());
        assert!(org("Acme Inc").is_ok());
    }
}
