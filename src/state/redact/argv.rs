//! Command lines are recorded by an allow-list: the command path, object names and the values
//! of flags known to be safe (names, regions, classes, counts, durations, formats, paths) stay;
//! every other flag's value goes, and so do request fields (`api -f KEY=VALUE`) under a key not
//! known to be safe, header values, user data, the path of webhook URLs (scheme and host stay),
//! URL user-info and URL query values under keys not known to be safe. What stays still passes
//! the secret-shaped checks of [`super`] (tokens, JWTs, `password=` pairs).

use super::{REDACTED, is_auth_scheme, redact_value};

/// Long flags whose value is kept (or that take none). Everything the CLI accepts is listed
/// here or in [`SPECIAL_FLAGS`]; a test compares this with the CLI's completion script.
const SAFE_FLAGS: &[&str] = &[
    // Booleans.
    "activate",
    "all",
    "allow-writes",
    "apply",
    "available",
    "balanced",
    "desc",
    "dry-run",
    "expired",
    "fast",
    "follow",
    "print-config",
    "force",
    "gpu-enabled",
    "ha-control-plane",
    "help",
    "history",
    "ignore-not-found",
    "include-ledger",
    "keep-kubeconfig",
    "merge",
    "no-activate",
    "no-autoscaling",
    "no-cache",
    "no-color",
    "no-input",
    "output-watch-events",
    "paginate",
    "prune",
    "rebid",
    "quiet",
    "set-current",
    "single",
    "static-token",
    "verbose",
    "verify",
    "version",
    "wait",
    "watch",
    "yes",
    // Names, places, sizes, prices, times, formats.
    "actor",
    "allocation-strategy",
    "autoscaling-max",
    "autoscaling-min",
    "bid",
    "bid-price",
    "bidprice",
    "budget-per-hour",
    "category",
    "class",
    "cloudspace",
    "cni",
    "connect-timeout",
    "context-name",
    "desired",
    "fulfil-after",
    "gen",
    "kubernetes-version",
    "limit",
    "max-cpu",
    "max-hour",
    "max-memory",
    "max-month",
    "max-vcpu-per-node",
    "memory-per-vcpu",
    "min-cpu",
    "min-hour",
    "min-memory",
    "min-month",
    "min-vcpu-per-node",
    "name",
    "nodes",
    "omni-cluster",
    "org",
    "org-id",
    "output",
    "owner",
    "page-size",
    "pool-type",
    "port",
    "profile",
    "ready-after",
    "region",
    "regions",
    "request-timeout",
    "risk",
    "server-class",
    "serverclass",
    "since",
    "sort",
    "status",
    "strategy",
    "timeout",
    "token-expires-at",
    "ttl",
    "vcpu",
    "vm-image",
    "vm-ssh-key-name",
    "vm-ssh-key-namespace",
    "vmcloudspace",
    "watch-interval",
    // Paths (the contents of the files are never recorded).
    "config",
    "dir",
    "file",
    "input",
    "kubeconfig",
    "out",
    "public-key-file",
    "refresh-token-file",
    "seed",
    "vm-userdata-from-script",
    // URLs (user-info and query values still go).
    "base-url",
    "ledger-url",
    "oauth-url",
    "public-data-url",
    "to",
    // `events watch`, `metrics serve` (issue 28).
    "format",
    "interval",
    "listen",
    "no-stdout",
    "queue",
    "reset",
];

/// Long flags with a rule of their own (see [`Rule`]).
const SPECIAL_FLAGS: &[(&str, Rule)] = &[
    ("field", Rule::Fields),
    ("raw-field", Rule::Fields),
    ("header", Rule::Header),
    ("webhook", Rule::HostOnly),
    ("preemption-webhook-url", Rule::HostOnly),
    ("vm-userdata", Rule::Redact),
    // A shell command line may carry anything (a token in a curl header).
    ("exec", Rule::Redact),
    // Credentials, and free text that may hold anything.
    ("access-token", Rule::Redact),
    ("refresh-token", Rule::Redact),
    ("client-id", Rule::Redact),
    ("token-id", Rule::Redact),
    ("public-key", Rule::Redact),
    ("description", Rule::Redact),
    ("note", Rule::Redact),
    ("error", Rule::Redact),
    ("payload", Rule::Redact),
    ("annotation", Rule::Metadata),
    ("label", Rule::Metadata),
    ("taint", Rule::Metadata),
    ("variant", Rule::Metadata),
    ("vm-pool", Rule::Pairs),
    ("spot-nodepool", Rule::Metadata),
    ("ondemand-nodepool", Rule::Metadata),
];

/// Short flags whose value is kept (or that take none): `-o json`, `-p prod`, `-n 20`, `-vvv`.
const SAFE_SHORT: &[char] = &['o', 'p', 'c', 'n', 'v', 'q', 'y', 'w', 'h', 'V'];

/// Keys whose value is kept in request fields and URL queries (compared without case, `_` or
/// `-`; for `a[b]` or `a.b` the last part counts).
const SAFE_KEYS: &[&str] = &[
    "apiversion",
    "applicationname",
    "autoscaling",
    "bid",
    "bidprice",
    "class",
    "cloud",
    "cloudspace",
    "cni",
    "connecttimeout",
    "count",
    "dbname",
    "deploymenttype",
    "desired",
    "enabled",
    "fieldselector",
    "gpuenabled",
    "hacontrolplane",
    "kind",
    "kubernetesversion",
    "labelselector",
    "limit",
    "max",
    "maxnodes",
    "min",
    "minnodes",
    "name",
    "namespace",
    "pooltype",
    "region",
    "replicas",
    "serverclass",
    "sslmode",
    "vmimage",
    "watch",
];

/// How the value of a flag is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Kept (it still passes the secret-shaped checks).
    Keep,
    /// Node labels, annotations, taints, emulator variants: `key=value` metadata the user names,
    /// kept but for secret-shaped pairs (`api_key=…`).
    Metadata,
    /// `KEY=VALUE` pairs: the key stays, the value only under a safe key.
    Fields,
    /// A comma list of `KEY=VALUE` pairs, each as in [`Rule::Fields`].
    Pairs,
    /// `Name: value`: the name stays.
    Header,
    /// A URL: scheme and host stay.
    HostOnly,
    /// Replaced whole.
    Redact,
}

/// Whether the redactor knows the long flag `--name` (its value is kept or redacted by a rule
/// of its own); the value of a flag it does not know is always redacted.
pub fn is_known_flag(name: &str) -> bool {
    SAFE_FLAGS.contains(&name) || SPECIAL_FLAGS.iter().any(|(n, _)| *n == name)
}

fn long_rule(name: &str) -> Rule {
    if SAFE_FLAGS.contains(&name) {
        return Rule::Keep;
    }
    SPECIAL_FLAGS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(Rule::Redact, |(_, r)| *r)
}

/// `-f` is `--field` under `api` (and `--file`/`--follow` elsewhere); `-F` is a raw field.
fn short_rule(c: char, in_api: bool) -> Rule {
    match c {
        'f' if in_api => Rule::Fields,
        'F' => Rule::Fields,
        'H' => Rule::Header,
        'f' => Rule::Keep,
        c if SAFE_SHORT.contains(&c) => Rule::Keep,
        _ => Rule::Redact,
    }
}

/// Redacts secrets in a command line by the allow-list. The result has as many elements.
pub(super) fn redact_argv(argv: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(argv.len());
    // The rule for the next element, when it is the value of the flag before it.
    let mut pending: Option<Rule> = None;
    let mut positional_only = false;
    let mut in_api = false;
    for arg in argv {
        if let Some(rule) = pending.take() {
            // A following flag means the flag before had no value.
            if !arg.starts_with('-') || arg == "-" {
                out.push(apply(rule, arg));
                continue;
            }
        }
        if arg == "--" {
            positional_only = true;
            out.push(arg.clone());
            continue;
        }
        if !positional_only && let Some(flag) = arg.strip_prefix("--") {
            match flag.split_once('=') {
                Some((name, value)) => {
                    out.push(format!("--{name}={}", apply(long_rule(name), value)));
                }
                None => {
                    pending = Some(long_rule(flag));
                    out.push(arg.clone());
                }
            }
            continue;
        }
        if !positional_only
            && let Some(short) = arg.strip_prefix('-')
            && let Some(c) = short.chars().next()
            && c.is_ascii_alphabetic()
        {
            let rest = &short[c.len_utf8()..];
            let rule = short_rule(c, in_api);
            if rest.is_empty() || (c == 'v' && rest.chars().all(|r| r == 'v')) {
                pending = Some(rule);
                out.push(arg.clone());
            } else {
                // `-fKEY=VALUE`, `-f=KEY=VALUE`, `-ojson`.
                let (eq, value) = match rest.strip_prefix('=') {
                    Some(v) => ("=", v),
                    None => ("", rest),
                };
                out.push(format!("-{c}{eq}{}", apply(rule, value)));
            }
            continue;
        }
        if arg == "api" {
            in_api = true;
        }
        if is_auth_scheme(arg) {
            // `Bearer X` split in two arguments.
            pending = Some(Rule::Redact);
            out.push(arg.clone());
            continue;
        }
        out.push(positional(arg));
    }
    out
}

/// A value under `rule`.
fn apply(rule: Rule, value: &str) -> String {
    if value.is_empty() || value == REDACTED {
        return value.to_owned();
    }
    match rule {
        Rule::Keep => positional(value),
        Rule::Metadata => redact_value(value),
        Rule::Fields => field(value),
        Rule::Pairs => value.split(',').map(field).collect::<Vec<_>>().join(","),
        Rule::Header => match value.split_once(':') {
            Some((name, _)) if is_key(name.trim()) => format!("{name}: {REDACTED}"),
            _ => REDACTED.to_owned(),
        },
        Rule::HostOnly => host_only(value),
        Rule::Redact => REDACTED.to_owned(),
    }
}

/// A positional argument or a kept value: URL user-info and unsafe query values go, a
/// `Name: value` header keeps its name, a `KEY=VALUE` its key unless the key is safe, and the
/// rest passes the secret-shaped checks.
fn positional(arg: &str) -> String {
    if let Some((name, _)) = arg.split_once(": ")
        && is_key(name)
        && !name.contains(['.', '['])
    {
        return format!("{name}: {REDACTED}");
    }
    if !arg.contains("://")
        && let Some((key, value)) = arg.split_once('=')
        && is_key(key)
        && !value.is_empty()
    {
        return if is_safe_key(key) {
            format!("{key}={}", redact_value(value))
        } else {
            format!("{key}={REDACTED}")
        };
    }
    redact_value(&url(arg))
}

/// `KEY=VALUE` or `KEY:=JSON`: the value only under a safe key; anything else goes whole.
fn field(value: &str) -> String {
    if value == REDACTED {
        return value.to_owned();
    }
    let Some((key, rest)) = value.split_once('=') else {
        return REDACTED.to_owned();
    };
    let (key, raw) = match key.strip_suffix(':') {
        Some(k) => (k, ":"),
        None => (key, ""),
    };
    if !is_key(key) {
        return REDACTED.to_owned();
    }
    if is_safe_key(key) {
        return format!("{key}{raw}={}", redact_value(rest));
    }
    format!("{key}{raw}={REDACTED}")
}

/// A name a person would give a key or header: letters, digits, `_-.[]`.
fn is_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'[' | b']'))
}

/// Whether `key`'s last part (`a.b`, `a[b]`) is in [`SAFE_KEYS`].
fn is_safe_key(key: &str) -> bool {
    let last = key
        .split(['.', '[', ']'])
        .rfind(|p| !p.is_empty())
        .unwrap_or_default();
    let folded: String = last
        .chars()
        .filter(|c| !matches!(c, '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect();
    SAFE_KEYS.contains(&folded.as_str())
}

/// Splits `scheme://authority/rest` into its parts (`None`: not a URL).
fn split_url(s: &str) -> Option<(&str, &str, &str)> {
    let at = s.find("://")?;
    let scheme = &s[..at];
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+')
    {
        return None;
    }
    let after = &s[at + 3..];
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    Some((scheme, &after[..end], &after[end..]))
}

/// A webhook URL: scheme and host (and port); its path, query and user-info go.
fn host_only(value: &str) -> String {
    let Some((scheme, authority, rest)) = split_url(value) else {
        return REDACTED.to_owned();
    };
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    match rest.trim_start_matches('/') {
        "" => [scheme, "://", host, rest].concat(),
        _ => [scheme, "://", host, "/", REDACTED].concat(),
    }
}

/// A URL (or an API path): user-info goes whole, query values go unless their key is safe,
/// a fragment goes. Anything else is returned as it is.
pub(super) fn url(arg: &str) -> String {
    let (mut out, rest) = match split_url(arg) {
        Some((scheme, authority, rest)) => {
            let authority = match authority.rsplit_once('@') {
                Some((_, host)) => format!("{REDACTED}@{host}"),
                None => authority.to_owned(),
            };
            ([scheme, "://", &authority].concat(), rest)
        }
        None if arg.starts_with('/') => (String::new(), arg),
        None => return arg.to_owned(),
    };
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    out.push_str(path);
    if let Some(query) = query {
        let (query, fragment) = match query.split_once('#') {
            Some((q, f)) => (q, Some(f)),
            None => (query, None),
        };
        out.push('?');
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, v)) if !v.is_empty() && !is_safe_key(k) && v != REDACTED => {
                    format!("{k}={REDACTED}")
                }
                _ => pair.to_owned(),
            })
            .collect();
        out.push_str(&pairs.join("&"));
        if fragment.is_some() {
            out.push('#');
            out.push_str(REDACTED);
        }
    }
    out
}
