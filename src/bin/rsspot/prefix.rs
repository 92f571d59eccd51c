//! UUID-named objects (node pools) by prefix, as git and docker do with ids: a table on a
//! terminal shows each UUID as its shortest unique prefix within the listed rows (at least
//! [`MIN_PREFIX`] characters), and every command that takes such a name accepts a unique prefix
//! of it.

/// The shortest prefix a table shows (git and docker show at least 7-12; 8 is unique among
/// thousands of random UUIDs and still lines up with the UUID's first group).
pub const MIN_PREFIX: usize = 8;

/// Whether `s` is a UUID in its 36-character hyphenated form.
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// What a typed name matches among the `known` names.
#[derive(Debug, PartialEq, Eq)]
pub enum Match {
    /// A name equal to the typed one.
    Exact(String),
    /// The only UUID name the typed text is a prefix of.
    Unique(String),
    /// Several UUID names start with the typed text (sorted).
    Ambiguous(Vec<String>),
    /// Nothing.
    None,
}

/// Finds `typed` among `known`: an exact name first, else the UUID names it is a prefix of
/// (names that are not UUIDs are only ever matched whole, so `prod` never means `production`).
pub fn find(typed: &str, known: &[String]) -> Match {
    if known.iter().any(|k| k == typed) {
        return Match::Exact(typed.to_string());
    }
    let typed_lc = typed.to_ascii_lowercase();
    let mut hits: Vec<String> = known
        .iter()
        .filter(|k| is_uuid(k) && k.to_ascii_lowercase().starts_with(&typed_lc))
        .cloned()
        .collect();
    hits.sort();
    hits.dedup();
    match hits.len() {
        0 => Match::None,
        1 => Match::Unique(hits.remove(0)),
        _ => Match::Ambiguous(hits),
    }
}

/// The UUID names a mistyped prefix was probably meant for: their start of the same length is
/// one edit away (at most three, sorted). Needs four characters, or everything is close.
pub fn close_prefixes(typed: &str, known: &[String]) -> Vec<String> {
    if typed.len() < 4 {
        return Vec::new();
    }
    let typed_lc = typed.to_ascii_lowercase();
    let mut close: Vec<String> = known
        .iter()
        .filter(|k| is_uuid(k) && k.len() >= typed.len())
        .filter(|k| {
            let start = k[..typed.len()].to_ascii_lowercase();
            crate::names::edit_distance(&typed_lc, &start) <= 1
        })
        .cloned()
        .collect();
    close.sort();
    close.truncate(3);
    close
}

/// Each cell of a column shortened to its shortest prefix that no other UUID in the column
/// shares (at least [`MIN_PREFIX`] characters); cells that are not UUIDs are left whole. `None`
/// when the column holds no UUID.
pub fn shorten_column(cells: &[&str]) -> Option<Vec<String>> {
    let ids: Vec<&str> = cells.iter().copied().filter(|c| is_uuid(c)).collect();
    if ids.is_empty() {
        return None;
    }
    let shortened = cells
        .iter()
        .map(|cell| {
            if !is_uuid(cell) {
                return cell.to_string();
            }
            // The longest prefix shared with another id, plus one character.
            let shared = ids
                .iter()
                .filter(|other| *other != cell)
                .map(|other| common_prefix(cell, other))
                .max()
                .unwrap_or(0);
            let len = (shared + 1).max(MIN_PREFIX).min(cell.len());
            cell[..len].to_string()
        })
        .collect();
    Some(shortened)
}

fn common_prefix(a: &str, b: &str) -> usize {
    a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "8e4a1b2c-0000-4000-8000-000000000001";
    const B: &str = "8e4a1b2c-0000-4000-8000-000000000002";
    const C: &str = "1234abcd-0000-4000-8000-000000000003";

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn uuids_are_recognised() {
        assert!(is_uuid(A));
        assert!(!is_uuid("demo"));
        assert!(!is_uuid(&A[..35]));
    }

    #[test]
    fn a_prefix_resolves_when_unique_and_lists_candidates_when_not() {
        let known = names(&[A, B, C, "prod-pool"]);
        assert_eq!(find("1234", &known), Match::Unique(C.into()));
        assert_eq!(find("8E4A", &known), Match::Ambiguous(names(&[A, B])));
        assert_eq!(find(A, &known), Match::Exact(A.into()));
        assert_eq!(find("prod", &known), Match::None);
        assert_eq!(find("prod-pool", &known), Match::Exact("prod-pool".into()));
        assert_eq!(find("ffff", &known), Match::None);
    }

    #[test]
    fn shortest_unique_prefixes_are_at_least_eight_characters() {
        let out = shorten_column(&[A, B, C, "-"]).unwrap_or_default();
        assert_eq!(out[0], A, "A and B differ only in the last character");
        assert_eq!(out[1], B);
        assert_eq!(out[2], "1234abcd");
        assert_eq!(out[3], "-");
        assert_eq!(shorten_column(&["demo", "-"]), None);
        let distinct = shorten_column(&[A, C]).unwrap_or_default();
        assert_eq!(distinct, ["8e4a1b2c", "1234abcd"]);
    }
}
