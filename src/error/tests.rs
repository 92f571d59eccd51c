//! Unit tests of the error type.

use super::*;

#[test]
fn messages_are_one_sentence_without_debug_text() {
    let errors = [
        Error::TokenRejected {
            profile: "t".into(),
            status: 403,
            code: Some("invalid_grant".into()),
            description: "Unknown or invalid refresh token.".into(),
        },
        Error::TokenEndpoint {
            url: "http://h/oauth/token".into(),
            status: 404,
        },
        Error::RateLimited {
            url: "http://h/x".into(),
            retry_after: Some(Duration::from_secs(3)),
        },
        Error::DeadlineExceeded {
            url: "http://h/x".into(),
            after: Duration::from_millis(1500),
        },
    ];
    for e in errors {
        let s = e.to_string();
        assert!(
            !s.contains('{') && !s.contains("Some(") && !s.contains('\n'),
            "{s}"
        );
    }
}

#[test]
fn classification() {
    let e = Error::Api {
        url: "u".into(),
        status: 503,
        message: "m".into(),
    };
    assert!(e.is_retryable());
    assert_eq!(e.status(), Some(503));
    assert!(Error::not_found("cloudspace", "x").is_not_found());
    assert!(
        Error::NoCredentials {
            profile: "p".into()
        }
        .is_auth()
    );
}

/// The innermost cause of `e`, following `source()` to the end.
fn root_cause<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> &'a (dyn std::error::Error + 'static) {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur
}

#[test]
fn wrapped_errors_keep_their_cause() {
    use std::error::Error as _;

    let e = Error::state_caused("/x/state.db", "read failed", sqlx::Error::RowNotFound);
    let cause = e.source().expect("the sqlx error is the source");
    assert!(matches!(
        cause.downcast_ref::<sqlx::Error>(),
        Some(sqlx::Error::RowNotFound)
    ));
    // The message still names the cause on one line, for readers that stop at Display.
    assert_eq!(
        e.to_string(),
        format!(
            "state store /x/state.db: read failed: {}",
            sqlx::Error::RowNotFound
        )
    );
    assert!(Error::state("/x", "m").source().is_none());

    let json = serde_json::from_str::<u8>("{").unwrap_err();
    let e = Error::state_caused("/x/ledger.db", "cannot encode payload", json);
    assert!(root_cause(&e).downcast_ref::<serde_json::Error>().is_some());

    let e = Error::io(
        "/x/config.toml",
        std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied"),
    );
    assert!(root_cause(&e).downcast_ref::<std::io::Error>().is_some());

    let e = Error::Decode {
        url: "http://h/x".into(),
        message: "bad".into(),
        source: Some(serde_json::from_str::<u8>("x").unwrap_err()),
    };
    assert!(root_cause(&e).downcast_ref::<serde_json::Error>().is_some());
}

/// One of each variant; the `match` below fails to compile when a variant is added without
/// being listed here.
fn one_of_each() -> Vec<Error> {
    let io = || std::io::Error::other("disk on fire");
    let all = vec![
        Error::config("ledger_url is not a URL"),
        Error::ProfileNotFound {
            profile: "nope".into(),
            known: vec!["dev".into(), "prod".into()],
            origin: "/h/.config/rsspot/config.yml".into(),
            selected_by: Some("--profile".into()),
        },
        Error::auth("the token has no expiry"),
        Error::NoCredentials {
            profile: "default".into(),
        },
        Error::TokenRejected {
            profile: "default".into(),
            status: 400,
            code: Some("invalid_grant".into()),
            description: "Unknown or invalid refresh token.".into(),
        },
        Error::TokenEndpoint {
            url: "http://h/oauth/token".into(),
            status: 404,
        },
        Error::Unauthorized {
            message: "token expired".into(),
        },
        Error::Forbidden {
            message: "not your org".into(),
        },
        Error::not_found("cloudspace", "demo"),
        Error::Conflict {
            reason: ConflictReason::LeaseHeld,
            message: "registration k is leased to \"alice\"".into(),
        },
        Error::invalid("spec.bidPrice", "must be positive"),
        Error::RateLimited {
            url: "http://h/x".into(),
            retry_after: Some(Duration::from_secs(2)),
        },
        Error::Api {
            url: "http://h/x".into(),
            status: 503,
            message: "unavailable".into(),
        },
        Error::Redirected {
            from: "http://h/x".into(),
            to: "http://evil/x".into(),
        },
        Error::ForeignUrl {
            url: "http://evil/x".into(),
            allowed: "http://h".into(),
        },
        Error::Transport {
            url: "http://h/x".into(),
            failure: TransportFailure::Connect,
            source: Box::new(io()),
        },
        Error::DeadlineExceeded {
            url: "http://h/x".into(),
            after: Duration::from_secs(3),
        },
        Error::decode("http://h/x", "missing field `items`"),
        Error::TooLarge {
            url: "http://h/x".into(),
            limit: 64 * 1024 * 1024,
        },
        Error::Timeout {
            what: "cloudspace \"demo\" to become Ready".into(),
            elapsed: Duration::from_secs(60),
            last_seen: Some("Provisioning".into()),
        },
        Error::Failed {
            what: "cloudspace \"demo\"".into(),
            message: "Failed".into(),
        },
        Error::state("/h/state.db", "database is locked"),
        Error::io("/h/config.yml", io()),
    ];
    for e in &all {
        match e {
            Error::Config { .. }
            | Error::ProfileNotFound { .. }
            | Error::Auth { .. }
            | Error::NoCredentials { .. }
            | Error::TokenRejected { .. }
            | Error::TokenEndpoint { .. }
            | Error::Unauthorized { .. }
            | Error::Forbidden { .. }
            | Error::NotFound { .. }
            | Error::Conflict { .. }
            | Error::Invalid { .. }
            | Error::RateLimited { .. }
            | Error::Api { .. }
            | Error::Redirected { .. }
            | Error::ForeignUrl { .. }
            | Error::Transport { .. }
            | Error::DeadlineExceeded { .. }
            | Error::Decode { .. }
            | Error::TooLarge { .. }
            | Error::Timeout { .. }
            | Error::Failed { .. }
            | Error::State { .. }
            | Error::Io { .. } => {}
        }
    }
    all
}

#[test]
fn no_variant_carries_cli_advice() {
    let all = one_of_each();
    assert_eq!(all.len(), 23);
    for e in all {
        let s = e.to_string();
        for advice in ["rsspot ", "--profile ", "--yes", "hint", "Run ", "run `"] {
            assert!(!s.contains(advice), "{advice:?} in {s:?}");
        }
        assert!(!s.contains('\n') && !s.contains("Some("), "{s}");
    }
}

#[test]
fn typed_edges() {
    let e = Error::ProfileNotFound {
        profile: "ghost".into(),
        known: vec![],
        origin: "/x/config.yml".into(),
        selected_by: None,
    };
    assert_eq!(
        e.to_string(),
        "profile 'ghost' not found in /x/config.yml; there are no profiles yet"
    );
    let lease = Error::Conflict {
        reason: ConflictReason::LeaseHeld,
        message: "m".into(),
    };
    assert!(lease.is_conflict() && !lease.is_rate_limited());
    assert_eq!(lease.status(), Some(409));
    let limited = Error::RateLimited {
        url: "u".into(),
        retry_after: None,
    };
    assert!(limited.is_rate_limited() && !limited.is_conflict());
    for (wire, reason) in [
        (Some("AlreadyExists"), ConflictReason::AlreadyExists),
        (Some("Conflict"), ConflictReason::ResourceVersion),
        (None, ConflictReason::ResourceVersion),
        (Some("LeaseHeld"), ConflictReason::LeaseHeld),
        (Some("Gone"), ConflictReason::Other("Gone".into())),
    ] {
        assert_eq!(ConflictReason::from_status_reason(wire), reason);
        assert_eq!(reason.as_str(), wire.unwrap_or("Conflict"));
    }
    // The transport error's source is ours to describe, whatever the HTTP client is.
    let e = Error::Transport {
        url: "http://h/x".into(),
        failure: TransportFailure::Connect,
        source: Box::new(std::io::Error::other("refused")),
    };
    assert_eq!(
        e.to_string(),
        "could not reach http://h/x: connection failed"
    );
}
