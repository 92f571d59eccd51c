//! Redaction of secrets in argv and free text, applied before command history is written.
//!
//! A command line is recorded by an allow-list ([`redact_argv`], module `argv`): only what is
//! known to be safe stays, and what stays still passes the checks below. Free text
//! ([`redact_text`]) has no structure to allow by, so it is redacted by those checks alone.
//!
//! What the checks redact:
//! - the value of a `--flag value` / `--flag=value` whose name has a sensitive *word part*
//!   (`token`, `secret`, `password`, `passwd`, `passphrase`, `key`, `credential`,
//!   `authorization`, `cookie`, plurals, and compounds such as `apikey`, `accesstoken`); words are
//!   split on punctuation and camelCase, so `--api-key`, `--refreshToken` and `--client_secret`
//!   match while `--monkey`, `keyring` and a cluster named `monkey-cluster` do not;
//! - `k=v` (and `k:v`) pairs with such keys, also inside comma lists and URL query strings;
//! - the word after `Bearer`/`Basic`, and after a sensitive `Name:` in text (HTTP headers, JSON);
//! - JWT-shaped values (three base64url segments, the first a JSON header `eyJ…` or all long);
//! - long opaque values: at least 32 characters of `[A-Za-z0-9_.-]` with letters and digits and a
//!   run of 16+ characters mixing both (so `prod-eastus2-loadbalancer-controller-01` stays), never
//!   a UUID, path or URL;
//! - values whose position says they are secret, whatever characters they hold (see `spans`):
//!   quoted keys in JSON or Python-style text, with or without spaces (`{"refresh_token":"…"}`,
//!   `{'password': '…'}`), `--flag=value` / `--flag value` inside text, the password of URL
//!   user-info (`https://user:…@host`, `postgres://u:…@h/db`) and `Authorization:` headers in any
//!   spelling (`authorization:bearer …`).
//!
//! Redacted parts become `<redacted>`; everything else is kept verbatim.

mod argv;
mod spans;

pub use argv::is_known_flag;

/// The replacement text.
pub const REDACTED: &str = "<redacted>";

/// Word parts that mark a name as sensitive.
const MARKERS: &[&str] = &[
    "token",
    "tokens",
    "secret",
    "secrets",
    "password",
    "passwords",
    "passwd",
    "passphrase",
    "key",
    "keys",
    "credential",
    "credentials",
    "authorization",
    "cookie",
];

/// Qualifiers that, glued to a marker, still form a sensitive word (`apikey`, `idtoken`).
/// A closed list so that words which merely end in a marker (`monkey`, `turkey`) stay.
const COMPOUND_PREFIXES: &[&str] = &[
    "api",
    "access",
    "auth",
    "bearer",
    "client",
    "id",
    "refresh",
    "session",
    "private",
    "secret",
    "ssh",
    "signing",
    "master",
    "app",
    "admin",
    "root",
    "db",
    "user",
    "oauth",
    "encryption",
    "pg",
];

/// Redacts secrets in a command line by an allow-list (the `argv` module): the command path, object
/// names and the values of flags known to be safe stay; other flags' values, request fields
/// under keys not known to be safe, header values, user data, webhook paths, URL user-info and
/// query values go. The result has the same number of elements.
pub fn redact_argv(argv: &[String]) -> Vec<String> {
    argv::redact_argv(argv)
}

/// A URL fit to print: its user-info (`https://user:pass@host`, `postgres://u:pw@h/db`) and
/// query values under keys not known to be safe (`?password=…`; `sslmode` stays) become
/// `<redacted>`, and so does a fragment. Text that is not a URL is returned as it is.
pub fn redact_url(url: &str) -> String {
    argv::url(url)
}

/// Redacts secrets in free text (a header, a JSON body, a message), keeping its layout.
pub fn redact_text(s: &str) -> String {
    let structured = spans::redact_structured(s);
    let s = structured.as_str();
    let mut out = String::with_capacity(s.len());
    let mut redact_next = false;
    for (is_space, chunk) in split_keep_whitespace(s) {
        if is_space {
            out.push_str(chunk);
            continue;
        }
        let core = trim_punct(chunk);
        if is_auth_scheme(core) {
            // `Authorization: Bearer xyz`: keep the scheme, redact what follows it.
            redact_next = true;
            out.push_str(chunk);
            continue;
        }
        if redact_next {
            redact_next = false;
            out.push_str(&replace_core(chunk));
            continue;
        }
        // `Name:` / `"name":` / `name=` / `--flag` followed by the value as the next word.
        let label = core.trim_end_matches([':', '=']);
        let label = trim_punct(label);
        if (core.ends_with([':', '=']) || chunk.trim_end_matches(',').ends_with([':', '=']))
            && is_sensitive_name(label)
        {
            redact_next = true;
            out.push_str(chunk);
            continue;
        }
        if let Some(flag) = chunk.strip_prefix("--")
            && !flag.contains('=')
            && is_sensitive_name(flag)
        {
            redact_next = true;
            out.push_str(chunk);
            continue;
        }
        out.push_str(&redact_pairs(chunk));
    }
    out
}

/// One argv element that is not a flag name.
fn redact_value(value: &str) -> String {
    if value.is_empty() {
        return String::new();
    }
    let structured = spans::redact_structured(value);
    let value = structured.as_str();
    if starts_with_auth_scheme(value) {
        let scheme = value.split_whitespace().next().unwrap_or("Bearer");
        return format!("{scheme} {REDACTED}");
    }
    if value.chars().any(char::is_whitespace) {
        return redact_text(value);
    }
    redact_pairs(value)
}

/// A word without whitespace: `a=1,api_key=x`, `https://h/p?a=1&token=x`, `X-Api-Key:abc`, or a
/// bare value. Pieces are separated by `,` and `&`; each is `name=value`, `name:value` or bare.
fn redact_pairs(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut rest = word;
    loop {
        let (piece, sep, tail) = match rest.find([',', '&']) {
            Some(i) => (&rest[..i], &rest[i..i + 1], &rest[i + 1..]),
            None => (rest, "", ""),
        };
        out.push_str(&redact_piece(piece));
        out.push_str(sep);
        if sep.is_empty() {
            break;
        }
        rest = tail;
    }
    out
}

fn redact_piece(piece: &str) -> String {
    let split = piece.find('=').or_else(|| piece.find(':'));
    if let Some(i) = split {
        let (name, value) = (&piece[..i], &piece[i + 1..]);
        let sep = &piece[i..i + 1];
        if !trim_punct(value).is_empty()
            && (is_sensitive_name(name) || looks_sensitive(trim_punct(value)))
        {
            return format!("{name}{sep}{}", replace_core(value));
        }
        return piece.to_owned();
    }
    if looks_sensitive(trim_punct(piece)) {
        return replace_core(piece);
    }
    piece.to_owned()
}

/// True when `name` (a flag, key or header name) has a sensitive word part.
fn is_sensitive_name(name: &str) -> bool {
    name_parts(name).iter().any(|part| {
        MARKERS.contains(&part.as_str())
            || COMPOUND_PREFIXES.iter().any(|prefix| {
                part.strip_prefix(prefix)
                    .is_some_and(|rest| MARKERS.contains(&rest))
            })
    })
}

/// Lower-cased word parts: split on anything not alphanumeric and on camelCase boundaries.
fn name_parts(name: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut prev_lower_or_digit = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                parts.push(std::mem::take(&mut current));
            }
            prev_lower_or_digit = false;
            continue;
        }
        if c.is_uppercase() && prev_lower_or_digit && !current.is_empty() {
            parts.push(std::mem::take(&mut current));
        }
        prev_lower_or_digit = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

/// A value that is a secret whatever flag or key it came with.
fn looks_sensitive(value: &str) -> bool {
    starts_with_auth_scheme(value) || is_jwt(value) || is_opaque(value)
}

fn is_auth_scheme(word: &str) -> bool {
    word.eq_ignore_ascii_case("bearer") || word.eq_ignore_ascii_case("basic")
}

fn starts_with_auth_scheme(value: &str) -> bool {
    let mut words = value.split_whitespace();
    matches!((words.next(), words.next()), (Some(scheme), Some(_)) if is_auth_scheme(scheme))
}

fn is_base64url(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Three base64url segments: a JSON header (`eyJ`, i.e. `{"`) or three long segments.
fn is_jwt(value: &str) -> bool {
    let segments: Vec<&str> = value.split('.').collect();
    let [header, payload, signature] = segments.as_slice() else {
        return false;
    };
    if header.is_empty() || payload.is_empty() || !segments.iter().all(|s| is_base64url(s)) {
        return false;
    }
    (header.starts_with("eyJ") && payload.len() >= 2)
        || segments.iter().all(|s| s.len() >= 16) && !signature.is_empty()
}

/// A long random-looking value (API key, refresh token, hex digest).
fn is_opaque(value: &str) -> bool {
    if value.len() < 32 || is_uuid(value) {
        return false;
    }
    // Paths and URLs fall out here: `/` and `:` are not in the alphabet.
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    {
        return false;
    }
    let mixed = |s: &str| {
        s.bytes().any(|b| b.is_ascii_alphabetic()) && s.bytes().any(|b| b.is_ascii_digit())
    };
    // Human names are runs of short words; random strings have long mixed runs.
    mixed(value)
        && value
            .split(['-', '_', '.'])
            .any(|run| run.len() >= 16 && mixed(run))
}

fn is_uuid(value: &str) -> bool {
    let b = value.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Strips quotes, brackets and trailing separators around a word.
fn trim_punct(s: &str) -> &str {
    s.trim_matches(|c: char| {
        matches!(
            c,
            '"' | '\'' | '`' | '(' | ')' | '[' | ']' | '{' | '}' | ',' | ';' | '.'
        )
    })
}

/// Replaces the value inside `s` by [`REDACTED`], keeping surrounding quotes and brackets.
fn replace_core(s: &str) -> String {
    let core = trim_punct(s);
    if core.is_empty() {
        return s.to_owned();
    }
    let start = s.find(core).unwrap_or(0);
    format!("{}{REDACTED}{}", &s[..start], &s[start + core.len()..])
}

/// Splits `s` into alternating runs of whitespace and non-whitespace, flagged `true` for space.
fn split_keep_whitespace(s: &str) -> Vec<(bool, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_space: Option<bool> = None;
    for (i, c) in s.char_indices() {
        let space = c.is_whitespace();
        match in_space {
            Some(prev) if prev != space => {
                out.push((prev, &s[start..i]));
                start = i;
            }
            _ => {}
        }
        in_space = Some(space);
    }
    if let Some(prev) = in_space {
        out.push((prev, &s[start..]));
    }
    out
}

#[cfg(test)]
mod tests;
