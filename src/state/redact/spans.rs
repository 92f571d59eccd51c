//! Secrets recognised by where they sit rather than by what they look like: the value after a
//! sensitive name (quoted or not, with or without spaces around the separator), the password of
//! URL user-info, and the credential after an `Authorization` scheme.
//!
//! These values may hold any character (`,`, `&`, `:`, `=`, `@`, spaces inside quotes), so they
//! are found as byte spans and replaced whole, before the word-based pass of [`super`] runs.

use super::{REDACTED, is_auth_scheme, is_sensitive_name, looks_sensitive};

/// Runs both passes: URL user-info, then named values.
pub(super) fn redact_structured(s: &str) -> String {
    redact_named_values(&redact_userinfo(s))
}

/// `scheme://user:SECRET@host` → `scheme://user:<redacted>@host`; a user-info without a colon
/// is redacted only when it looks like a token.
fn redact_userinfo(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find("://") {
        let auth_start = pos + 3;
        out.push_str(&rest[..auth_start]);
        let after = &rest[auth_start..];
        let auth_len = after
            .find(|c: char| {
                c.is_whitespace() || matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>' | '`')
            })
            .unwrap_or(after.len());
        let authority = &after[..auth_len];
        match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.find(':') {
                    Some(colon) if colon + 1 < userinfo.len() => {
                        out.push_str(&userinfo[..=colon]);
                        out.push_str(REDACTED);
                    }
                    None if looks_sensitive(userinfo) => out.push_str(REDACTED),
                    _ => out.push_str(userinfo),
                }
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &after[auth_len..];
    }
    out.push_str(rest);
    out
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

/// Skips spaces and tabs (not newlines: a value never continues on the next line).
fn skip_blanks(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t') {
        i += 1;
    }
    i
}

/// The value starting at `i`: the inside of a quoted string (backslash escapes honoured), else a
/// run up to whitespace and, unless `to_space`, up to a list separator or closing bracket.
/// Returns (start, end, next index to scan).
fn value_span(b: &[u8], i: usize, to_space: bool) -> (usize, usize, usize) {
    if i >= b.len() {
        return (i, i, i);
    }
    if matches!(b[i], b'"' | b'\'') {
        let quote = b[i];
        let mut j = i + 1;
        while j < b.len() && b[j] != quote {
            j += if b[j] == b'\\' { 2 } else { 1 };
        }
        let end = j.min(b.len());
        return (i + 1, end, (end + 1).min(b.len()));
    }
    let mut j = i;
    while j < b.len()
        && !b[j].is_ascii_whitespace()
        && !matches!(b[j], b'"' | b'\'')
        && (to_space || !matches!(b[j], b',' | b'&' | b';' | b'}' | b']' | b')'))
    {
        j += 1;
    }
    (i, j, j)
}

/// The span of the secret after a sensitive name, given where its value starts; `None` when
/// there is no value.
fn secret_span(s: &str, value_at: usize, to_space: bool) -> Option<(usize, usize, usize)> {
    let b = s.as_bytes();
    let (start, end, next) = value_span(b, value_at, to_space);
    if start >= end {
        return None;
    }
    let value = &s[start..end];
    if is_auth_scheme(value) {
        // `Authorization: Bearer X` / `authorization:bearer X`: the credential is the next word.
        let (s2, e2, n2) = value_span(b, skip_blanks(b, end), true);
        return (s2 < e2).then_some((s2, e2, n2));
    }
    // A quoted `"Bearer X"`: keep the scheme.
    if let Some((scheme, rest)) = value.split_once([' ', '\t'])
        && is_auth_scheme(scheme)
    {
        let offset = value.len() - rest.trim_start().len();
        return (offset < value.len()).then_some((start + offset, end, next));
    }
    Some((start, end, next))
}

/// Replaces the value of every sensitive `name=value`, `name: value`, `"name": "value"`,
/// `'name': 'value'` and `--name value`.
fn redact_named_values(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        if !is_name_byte(b[i]) || (i > 0 && is_name_byte(b[i - 1])) {
            i += 1;
            continue;
        }
        let start = i;
        let mut j = i;
        while j < b.len() && is_name_byte(b[j]) {
            j += 1;
        }
        let name = &s[start..j];
        let mut k = j;
        // `"name"` / `'name'`: step over the closing quote.
        if start > 0 && matches!(b[start - 1], b'"' | b'\'') && k < b.len() && b[k] == b[start - 1]
        {
            k += 1;
        }
        let flag = name.starts_with("--");
        let after_blanks = skip_blanks(b, k);
        let value_at = if after_blanks < b.len() && matches!(b[after_blanks], b':' | b'=') {
            // `a::b` or `a==b` are not assignments.
            if b.get(after_blanks + 1)
                .is_some_and(|c| *c == b[after_blanks])
            {
                i = j;
                continue;
            }
            Some(skip_blanks(b, after_blanks + 1))
        } else if flag && after_blanks > k && after_blanks < b.len() && b[after_blanks] != b'-' {
            Some(after_blanks)
        } else {
            None
        };
        let Some(value_at) = value_at else {
            i = j;
            continue;
        };
        if !is_sensitive_name(name.trim_start_matches('-')) {
            i = j;
            continue;
        }
        match secret_span(s, value_at, flag) {
            Some((v_start, v_end, next)) if &s[v_start..v_end] != REDACTED => {
                out.push_str(&s[copied..v_start]);
                out.push_str(REDACTED);
                copied = v_end;
                i = next.max(j);
            }
            Some((_, _, next)) => i = next.max(j),
            None => i = j,
        }
    }
    out.push_str(&s[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_cover_the_spellings_of_issue_13() {
        let cases = [
            (
                r#"{"refresh_token":"a,b:c=d"}"#,
                r#"{"refresh_token":"<redacted>"}"#,
            ),
            (
                r#"{ "id_token" : "x y\"z", "a": 1 }"#,
                r#"{ "id_token" : "<redacted>", "a": 1 }"#,
            ),
            ("{'password': 'p@ss:w,rd'}", "{'password': '<redacted>'}"),
            ("--refresh-token=a,b&c", "--refresh-token=<redacted>"),
            (
                "run --refresh-token a,b&c now",
                "run --refresh-token <redacted> now",
            ),
            ("https://user:t0k@host/x", "https://user:<redacted>@host/x"),
            (
                "postgres://u:pw:x@h:5432/db",
                "postgres://u:<redacted>@h:5432/db",
            ),
            (
                "authorization:bearer abc",
                "authorization:bearer <redacted>",
            ),
            (
                "Authorization: Bearer abc",
                "Authorization: Bearer <redacted>",
            ),
            (
                r#"-H 'Authorization: Bearer a=b'"#,
                r#"-H 'Authorization: Bearer <redacted>'"#,
            ),
            (
                r#""authorization": "Basic Zm9v""#,
                r#""authorization": "Basic <redacted>""#,
            ),
            ("PGPASSWORD=x&y", "PGPASSWORD=<redacted>&y"),
        ];
        for (input, want) in cases {
            assert_eq!(redact_structured(input), want, "{input}");
        }
    }

    #[test]
    fn spans_leave_ordinary_text() {
        for text in [
            "nginx:1.25.3",
            "https://spot.rackspace.com/apis/x?limit=5",
            "key-value store",
            "monkey: banana",
            "std::token::Token",
            "--no-cache --token-file",
            "git@github.com:org/repo.git",
        ] {
            assert_eq!(redact_structured(text), text);
        }
    }
}
