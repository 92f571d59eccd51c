//! Checks of the code's shape that a review would otherwise have to repeat (issue 14): rooms
//! stay small, HTTP goes through the one pipeline, and errors never travel as fake bodies.

use std::path::{Path, PathBuf};

/// Hand-written files longer than this have two jobs.
const MAX_LINES: usize = 700;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sources() -> Vec<(String, String)> {
    let mut files = Vec::new();
    for dir in ["src", "xtask/src", "codegen", "benches", "build.rs"] {
        let p = root().join(dir);
        if p.is_file() {
            files.push(p);
        } else {
            rust_files(&p, &mut files);
        }
    }
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(root()).unwrap_or(&p).display().to_string();
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            (rel, text)
        })
        .collect()
}

/// The code of a file without its `#[cfg(test)] mod tests` block (tests may build anything).
fn without_tests(text: &str) -> &str {
    match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    }
}

#[test]
fn no_hand_written_file_passes_the_line_limit() {
    let long: Vec<String> = sources()
        .iter()
        .map(|(path, text)| (path, text.lines().count()))
        .filter(|(_, n)| *n > MAX_LINES)
        .map(|(path, n)| format!("{path}: {n} lines"))
        .collect();
    assert!(
        long.is_empty(),
        "split these by job (limit {MAX_LINES}):\n{}",
        long.join("\n")
    );
}

#[test]
fn http_goes_through_the_pipeline_only() {
    let mut offences = Vec::new();
    for (path, text) in sources() {
        // The pipeline owns HTTP; the emulator is a server, not a client.
        if path.starts_with("src/transport/")
            || path.starts_with("src/emulator/")
            || path.starts_with("xtask/")
            || path.starts_with("benches/")
        {
            continue;
        }
        for (i, line) in without_tests(&text).lines().enumerate() {
            let l = line.trim_start();
            if l.starts_with("//") {
                continue;
            }
            let builds_url = l.contains("format!(")
                && ["\"http", "://", "/apis/", "/oauth/", "/history/"]
                    .iter()
                    .any(|p| l.contains(p));
            if l.contains("reqwest::Client::") || l.contains("reqwest::Request::") || builds_url {
                offences.push(format!("{path}:{}: {}", i + 1, l));
            }
        }
    }
    assert!(
        offences.is_empty(),
        "HTTP requests and URLs belong to src/transport (or the generated builders):\n{}",
        offences.join("\n")
    );
}

#[test]
fn errors_never_travel_as_response_bodies() {
    for (path, text) in sources() {
        assert!(
            !text.contains(concat!("x-rsspot", "-error")),
            "{path} smuggles an error through a response"
        );
    }
}
