//! The README's orchestrator loop is the one `tests/cli_registrations.rs` runs (from
//! docs/orchestrator-loop.md); keep the two copies identical.

#[test]
fn readme_orchestrator_loop_matches_the_tested_doc() {
    let doc = include_str!("../docs/orchestrator-loop.md");
    let readme = include_str!("../README.md");
    let start = doc
        .find("```bash\n#!/usr/bin/env bash")
        .expect("loop block in the doc");
    let end = doc[start + 10..].find("```\n").expect("end of block") + start + 14;
    assert!(
        readme.contains(&doc[start..end]),
        "README's loop differs from docs/orchestrator-loop.md"
    );
}
