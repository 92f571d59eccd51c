//! The public API's edges (issue 25): `?` on a raw call, re-exported foreign types, typed
//! conflict reasons, the unknown-profile error and hints that live in the CLI only.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use common::{Env, stderr_of};
use rsspot::{ConflictReason, Decimal, Error, SecretString, SpotClient};

/// What a library user writes: a raw call inside a function returning `rsspot::Result`.
async fn region_raw(client: &SpotClient, name: &str) -> rsspot::Result<String> {
    let region = client.raw().get_region().name(name).send().await?;
    Ok(region.into_inner().metadata.name)
}

async fn count_regions_raw(client: &SpotClient) -> rsspot::Result<usize> {
    Ok(client
        .raw()
        .list_regions()
        .send()
        .await?
        .into_inner()
        .items
        .len())
}

#[tokio::test]
async fn question_mark_on_a_raw_call_maps_like_the_services() {
    let env = Env::start().await;
    let client = env.client().await;
    assert!(count_regions_raw(&client).await.unwrap() > 0);
    let first = client.regions().list().await.unwrap()[0]
        .metadata
        .name
        .clone();
    assert_eq!(region_raw(&client, &first).await.unwrap(), first);

    let err = region_raw(&client, "no-such-region").await.unwrap_err();
    match &err {
        Error::NotFound { kind, name } => {
            assert_eq!(kind, "resource");
            assert!(name.ends_with("/regions/no-such-region"), "{name}");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_not_found());
}

#[tokio::test]
async fn a_pipeline_failure_of_a_raw_call_arrives_typed() {
    let env = Env::start().await;
    let client = SpotClient::builder()
        .all_urls(env.emu.base_url())
        .refresh_token("not-the-demo-token")
        .in_memory_state()
        .build()
        .await
        .unwrap();
    let err = count_regions_raw(&client).await.unwrap_err();
    assert!(matches!(err, Error::TokenRejected { .. }), "{err:?}");
    assert!(err.is_auth());
}

#[tokio::test]
async fn a_duplicate_is_a_typed_conflict() {
    let env = Env::instant().await;
    let client = env.client().await;
    let req = rsspot::services::CloudSpaceCreate::new("edges").region("us-central-dfw-1");
    client.cloudspaces().create(&req).await.unwrap();
    let dup = client.cloudspaces().create(&req).await.unwrap_err();
    assert!(dup.is_conflict(), "{dup:?}");
    assert!(
        matches!(
            &dup,
            Error::Conflict {
                reason: ConflictReason::AlreadyExists,
                ..
            }
        ),
        "{dup:?}"
    );
}

#[test]
fn foreign_types_of_the_signatures_come_from_rsspot() {
    let bid: Decimal = "0.05".parse().unwrap();
    assert_eq!(bid.to_string(), "0.05");
    let token = SecretString::from("s3cret".to_string());
    use rsspot::ExposeSecret;
    assert_eq!(token.expose_secret(), "s3cret");
    assert!(!format!("{token:?}").contains("s3cret"));
    let _: Option<rsspot::DateTime<rsspot::Utc>> = None;
    let _: rsspot::JsonValue = rsspot::JsonValue::Null;
}

#[test]
fn an_unknown_profile_is_its_own_error_and_the_cli_gives_the_advice() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yml");
    std::fs::write(&path, "profiles:\n  dev:\n    refresh_token: t\n").unwrap();
    let opts = rsspot::config::LoadOptions {
        config_path: Some(path.clone()),
        profile: Some("ghost".into()),
        home: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let err = rsspot::config::load(&opts).unwrap_err();
    match &err {
        Error::ProfileNotFound { profile, known, .. } => {
            assert_eq!(profile, "ghost");
            assert_eq!(known, &["dev".to_string()]);
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.to_string().contains("rsspot "), "{err}");
}

#[tokio::test]
async fn the_cli_keeps_exit_code_and_hint_for_an_unknown_profile() {
    let env = Env::start().await;
    let out = env.run(&["-p", "nope", "regions", "list"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(err.contains("error: profile 'nope' not found"), "{err}");
    assert!(
        err.contains("hint: run `rsspot configure --profile nope` to create it"),
        "{err}"
    );
}

#[tokio::test]
async fn config_advice_is_the_cli_hint_not_the_library_message() {
    let env = Env::start().await;
    std::fs::create_dir_all(env.config_dir()).unwrap();
    std::fs::write(
        env.config_dir().join("config.yml"),
        "profiles:\n  x:\n    refresh_token: t\n  y:\n    refresh_token: t\n",
    )
    .unwrap();
    let out = env.run(&["regions", "list"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].ends_with("has several profiles (x, y) and none is selected"),
        "{err}"
    );
    assert_eq!(
        lines[1],
        "hint: pass --profile, set RSSPOT_PROFILE or run `rsspot profiles use NAME`"
    );

    let missing = env.home().join("nowhere.yml");
    let out = env
        .cmd()
        .env("RSSPOT_CONFIG", &missing)
        .args(["regions", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(err.contains("does not exist\n"), "{err}");
    assert!(
        err.contains("hint: create it with `rsspot configure`, or fix the path"),
        "{err}"
    );
}
