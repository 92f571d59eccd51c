//! The bad inputs of the suite: what one case is (its config, arguments, environment or canned
//! server, and the exit code and error text it must give), and the table of every case.

use super::canned::{HTML_502, HTML_PORTAL, Reply, TRUNCATED};

/// Whether the case may leave a `state.db` behind (history of the failed run).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum State {
    /// The command fails before any state is opened (configuration errors, usage errors).
    Untouched,
    /// The failed invocation is recorded in the history.
    History,
}

/// One bad input.
pub(crate) struct Case {
    pub(crate) what: &'static str,
    /// Replaces the valid `config.yml`: (file name in the config dir, content).
    pub(crate) config: Option<(&'static str, String)>,
    pub(crate) args: Vec<String>,
    pub(crate) env: Vec<(&'static str, String)>,
    /// The canned API server to use instead of the emulator.
    pub(crate) server: Option<Reply>,
    pub(crate) code: i32,
    /// Text the error line must contain.
    pub(crate) needle: &'static str,
    /// A usage error from the argument parser: clap's own trailer lines are allowed.
    pub(crate) parser: bool,
    pub(crate) state: State,
    /// For canned servers: how many API requests are expected (retries included).
    pub(crate) api_hits: Option<usize>,
}

fn case<S: AsRef<str>>(what: &'static str, args: &[S], code: i32, needle: &'static str) -> Case {
    Case {
        what,
        config: None,
        args: args.iter().map(|s| s.as_ref().to_string()).collect(),
        env: Vec::new(),
        server: None,
        code,
        needle,
        parser: false,
        state: State::History,
        api_hits: None,
    }
}

impl Case {
    fn config(mut self, name: &'static str, text: &str) -> Case {
        self.config = Some((name, text.to_string()));
        self.state = State::Untouched;
        self
    }
    fn parser(mut self) -> Case {
        self.parser = true;
        self.state = State::Untouched;
        self
    }
    fn untouched(mut self) -> Case {
        self.state = State::Untouched;
        self
    }
    fn env(mut self, k: &'static str, v: &str) -> Case {
        self.env.push((k, v.to_string()));
        self
    }
    fn server(mut self, reply: Reply, hits: usize) -> Case {
        self.server = Some(reply);
        self.api_hits = Some(hits);
        self
    }
}

const SPOT_CREATE: [&str; 9] = [
    "nodepools",
    "spot",
    "create",
    "--cloudspace",
    "demo-dfw",
    "--server-class",
    "gp.vs1.medium-dfw",
    "--desired",
    "1",
];

fn spot_create(extra: &[&str]) -> Vec<String> {
    SPOT_CREATE
        .iter()
        .chain(extra)
        .map(|s| s.to_string())
        .collect()
}

pub(crate) fn cases() -> Vec<Case> {
    vec![
        // Malformed config files, one per accepted format.
        case(
            "malformed config.yml",
            &["regions", "list"],
            2,
            "invalid YAML at line",
        )
        .config("config.yml", "profiles:\n  a:\n    org: [x\n"),
        case(
            "malformed config.yaml",
            &["regions", "list"],
            2,
            "invalid YAML at line",
        )
        .config("config.yaml", "version: '2'\nprofiles: {a: {org: x}\n"),
        case(
            "malformed config.toml",
            &["regions", "list"],
            2,
            "invalid TOML at line",
        )
        .config("config.toml", "version = \"2\"\n[profiles.a\norg = \"x\"\n"),
        case(
            "malformed config.json",
            &["regions", "list"],
            2,
            "invalid JSON at line",
        )
        .config(
            "config.json",
            "{\"version\": \"2\", \"profiles\": {\"a\": }}\n",
        ),
        case(
            "malformed config via -c",
            &["-c", "CFG", "config", "show"],
            2,
            "invalid YAML",
        )
        .config("other.yml", ":\n- [\n"),
        // Wrong types.
        case(
            "retry.max_attempts: many",
            &["regions", "list"],
            2,
            "max_attempts",
        )
        .config("config.yml", "retry:\n  max_attempts: many\n"),
        case("cache.enabled: maybe", &["regions", "list"], 2, "enabled")
            .config("config.yml", "cache:\n  enabled: maybe\n"),
        case(
            "profile timeout is a word",
            &["regions", "list"],
            2,
            "request_timeout_seconds",
        )
        .config(
            "config.yml",
            "profiles:\n  default:\n    refresh_token: t\n    request_timeout_seconds: soon\n",
        ),
        case("profiles is a list", &["config", "show"], 2, "profiles")
            .config("config.yml", "profiles:\n  - a\n  - b\n"),
        // Unknown profiles.
        case(
            "-p nope",
            &["-p", "nope", "regions", "list"],
            2,
            "profile 'nope' not found",
        )
        .untouched(),
        case(
            "RSSPOT_PROFILE=nope",
            &["cloudspaces", "list"],
            2,
            "profile 'nope' not found",
        )
        .env("RSSPOT_PROFILE", "nope")
        .untouched(),
        // Invalid names.
        case(
            "cloudspace name with capitals",
            &[
                "cloudspaces",
                "create",
                "Bad_Name",
                "--region",
                "us-central-dfw-1",
            ],
            2,
            "not a valid cloudspace name",
        ),
        case(
            "cloudspace name too long",
            &[
                "cloudspaces",
                "create",
                "a".repeat(64).as_str(),
                "--region",
                "us-central-dfw-1",
            ],
            2,
            "not a valid cloudspace name",
        ),
        case(
            "cloudspace name with a leading dash",
            &[
                "cloudspaces",
                "create",
                "--name=-bad",
                "--region",
                "us-central-dfw-1",
            ],
            2,
            "not a valid cloudspace name",
        ),
        case(
            "pool name that is not a UUID",
            &spot_create(&["Pool-1", "--bid-price", "0.06"]),
            2,
            "not a valid pool name",
        ),
        // Bids: format, floor, spending guardrail (the ladder is advice: cli_guardrails.rs).
        case(
            "negative bid",
            &spot_create(&["--bid-price=-0.06"]),
            2,
            "bidPrice",
        )
        .parser(),
        case(
            "bid that is not a number",
            &spot_create(&["--bid-price", "abc"]),
            2,
            "bidPrice",
        )
        .parser(),
        case(
            "bid with four decimals",
            &spot_create(&["--bid-price", "$0.0605"]),
            2,
            "bidPrice",
        )
        .parser(),
        case(
            "bid below the floor",
            &spot_create(&["--bid-price", "0.005"]),
            2,
            "floor",
        ),
        case(
            "bid above the on-demand price, not confirmed",
            &spot_create(&["--bid-price", "0.05"]),
            2,
            "above the on-demand price",
        ),
        // Labels, taints, durations, webhooks (the CLI takes no label selector).
        case(
            "--label without =",
            &spot_create(&["--bid-price", "0.06", "--label", "team"]),
            2,
            "key=value",
        )
        .parser(),
        case(
            "--label with an empty key",
            &spot_create(&["--bid-price", "0.06", "--label", "=x"]),
            2,
            "--label",
        )
        .parser(),
        case(
            "--taint with a bad effect",
            &spot_create(&["--bid-price", "0.06", "--taint", "a=b:Sometimes"]),
            2,
            "NoSchedule",
        )
        .parser(),
        case(
            "--timeout 5x",
            &["cloudspaces", "wait", "demo-dfw", "--timeout", "5x"],
            2,
            "5x",
        )
        .parser(),
        case(
            "--timeout on create without --wait",
            &[
                "cloudspaces",
                "create",
                "x",
                "--region",
                "us-central-dfw-1",
                "--timeout",
                "5m",
            ],
            2,
            "--wait",
        )
        .parser(),
        case(
            "webhook that is not http(s)",
            &[
                "cloudspaces",
                "create",
                "x",
                "--region",
                "us-central-dfw-1",
                "--webhook",
                "ftp://h",
            ],
            2,
            "webhook",
        ),
        case(
            "unknown risk",
            &["pricing", "bid", "gp.vs1.medium-dfw", "--risk", "extreme"],
            2,
            "extreme",
        )
        .parser(),
        // Broken API answers (the canned server; the token service works).
        case(
            "truncated JSON",
            &["regions", "list"],
            1,
            "unexpected response",
        )
        .server(
            Reply::Full {
                status: 200,
                content_type: "application/json",
                body: TRUNCATED.to_vec(),
            },
            1,
        ),
        case(
            "connection closed mid-body",
            &["regions", "list"],
            1,
            "could not reach",
        )
        .server(
            Reply::Short {
                declared: 4096,
                body: TRUNCATED.to_vec(),
            },
            1,
        ),
        case(
            "plain-text answer",
            &["regions", "list"],
            1,
            "unexpected response",
        )
        .server(
            Reply::Full {
                status: 200,
                content_type: "text/plain",
                body: b"hello from the proxy\n".to_vec(),
            },
            1,
        ),
        case("HTML 502 from a proxy", &["regions", "list"], 1, "HTTP 502").server(
            Reply::Full {
                status: 502,
                content_type: "text/html",
                body: HTML_502.as_bytes().to_vec(),
            },
            4,
        ),
        case(
            "HTML 200 from a captive portal",
            &["regions", "list"],
            1,
            "unexpected response",
        )
        .server(
            Reply::Full {
                status: 200,
                content_type: "text/html",
                body: HTML_PORTAL.as_bytes().to_vec(),
            },
            1,
        ),
        case(
            "HTML 502 for the token service too",
            &["regions", "list"],
            1,
            "token service",
        )
        .server(
            Reply::Everywhere {
                status: 502,
                body: HTML_502.as_bytes().to_vec(),
            },
            0,
        ),
        case(
            "huge response, announced",
            &["regions", "list"],
            1,
            "larger than 64 MiB",
        )
        .server(
            Reply::Short {
                declared: 200 << 20,
                body: vec![b' '; 1024],
            },
            1,
        ),
    ]
}
