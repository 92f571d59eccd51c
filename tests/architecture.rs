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
    for dir in ["src", "xtask/src", "crates", "benches", "build.rs"] {
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
            || path.starts_with("crates/rsspot-emulator/")
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

/// The root file of every crate of the workspace (the binary is a crate of its own).
const CRATE_ROOTS: [&str; 5] = [
    "src/lib.rs",
    "src/bin/rsspot/main.rs",
    "crates/rsspot-codegen/src/lib.rs",
    "crates/rsspot-emulator/src/lib.rs",
    "xtask/src/main.rs",
];

/// Directories left out of the circle check: the clap command tree (the binary: `cli.rs`, the
/// commands name each other through the clap tree). A circle that closes without its files
/// still fails.
const CIRCLES_ALLOWED_IN: [&str; 1] = ["src/bin/rsspot/commands/"];

/// The files of one crate, each with its module path, found by following `mod x;` (and
/// `#[path]`) from the root. Test modules (`mod tests`, `*_tests`) are left out.
fn crate_modules(root_file: &str) -> Vec<(Vec<String>, PathBuf)> {
    let mut out = Vec::new();
    let mut todo = vec![(Vec::<String>::new(), root().join(root_file))];
    while let Some((path, file)) = todo.pop() {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
        let is_mod_rs = matches!(
            file.file_name().and_then(|n| n.to_str()),
            Some("mod.rs" | "lib.rs" | "main.rs")
        ) || file == root().join(root_file);
        let child_dir = if is_mod_rs {
            dir.clone()
        } else {
            dir.join(file.file_stem().unwrap_or_default())
        };
        let mut path_attr: Option<String> = None;
        for line in without_tests(&text).lines() {
            let l = line.trim();
            if let Some(p) = l
                .strip_prefix("#[path = \"")
                .and_then(|r| r.strip_suffix("\"]"))
            {
                path_attr = Some(p.to_string());
                continue;
            }
            if l.starts_with("#[") {
                continue;
            }
            let decl = l
                .trim_start_matches("pub ")
                .trim_start_matches("pub(crate) ")
                .trim_start_matches("pub(super) ");
            if let Some(name) = decl.strip_prefix("mod ").and_then(|r| r.strip_suffix(';'))
                && name != "tests"
                && !name.ends_with("_tests")
            {
                let target = match path_attr.take() {
                    Some(p) => dir.join(p),
                    None => {
                        let flat = child_dir.join(format!("{name}.rs"));
                        if flat.is_file() {
                            flat
                        } else {
                            child_dir.join(name).join("mod.rs")
                        }
                    }
                };
                let mut child = path.clone();
                child.push(name.to_string());
                todo.push((child, target));
            }
            path_attr = None;
        }
        out.push((path, file));
    }
    out
}

/// Paths written after `at` in `text`: `a::b::C`, or each item of a `{a, b::{c, d}}` group.
fn paths_at(text: &[u8], mut at: usize, prefix: &[String], out: &mut Vec<Vec<String>>) -> usize {
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut path = prefix.to_vec();
    loop {
        while at < text.len() && text[at].is_ascii_whitespace() {
            at += 1;
        }
        if at < text.len() && text[at] == b'{' {
            at += 1;
            loop {
                at = paths_at(text, at, &path, out);
                while at < text.len() && text[at].is_ascii_whitespace() {
                    at += 1;
                }
                match text.get(at) {
                    Some(b',') => at += 1,
                    Some(b'}') => return at + 1,
                    _ => return at,
                }
                while at < text.len() && text[at].is_ascii_whitespace() {
                    at += 1;
                }
                if text.get(at) == Some(&b'}') {
                    return at + 1;
                }
            }
        }
        let start = at;
        while at < text.len() && ident(text[at]) {
            at += 1;
        }
        if start == at {
            out.push(path);
            return at;
        }
        path.push(String::from_utf8_lossy(&text[start..at]).into_owned());
        if text[at..].starts_with(b"::") {
            at += 2;
        } else {
            out.push(path);
            return at;
        }
    }
}

/// The module paths one file names: `crate::…`, `super::…`, `self::…`, and a module file's
/// own children by their bare name.
fn referenced_paths(text: &str, module: &[String], children: &[String]) -> Vec<Vec<String>> {
    let code: String = without_tests(text)
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let boundary = i == 0
            || !(bytes[i - 1].is_ascii_alphanumeric()
                || bytes[i - 1] == b'_'
                || bytes[i - 1] == b':');
        if !boundary || !code.is_char_boundary(i) {
            i += 1;
            continue;
        }
        let rest = &code[i..];
        let (base, skip): (Vec<String>, usize) = if rest.starts_with("crate::") {
            (Vec::new(), "crate::".len())
        } else if rest.starts_with("super::") {
            let mut up = 0;
            let mut skip = 0;
            while code[i + skip..].starts_with("super::") {
                up += 1;
                skip += "super::".len();
            }
            (module[..module.len().saturating_sub(up)].to_vec(), skip)
        } else if rest.starts_with("self::") {
            (module.to_vec(), "self::".len())
        } else if children.iter().any(|c| rest.starts_with(&format!("{c}::"))) {
            (module.to_vec(), 0)
        } else {
            i += 1;
            continue;
        };
        i = paths_at(bytes, i + skip, &base, &mut out).max(i + 1);
    }
    out
}

/// Import circles between the files of a crate (strongly connected components of "file A names
/// an item of file B"), where a file naming its own ancestor modules does not count: a parent
/// declares and re-exports its children, which may use what it declares. Files under `leave_out`
/// are not in the graph, so only circles that close without them are found.
fn import_circles(root_file: &str, leave_out: &[&str]) -> Vec<Vec<String>> {
    let rel = |p: &Path| p.strip_prefix(root()).unwrap_or(p).display().to_string();
    let mut modules = crate_modules(root_file);
    modules.retain(|(_, f)| !leave_out.iter().any(|d| rel(f).starts_with(d)));
    let index = |path: &[String]| -> Option<usize> {
        (0..=path.len())
            .rev()
            .find_map(|n| modules.iter().position(|(m, _)| m.as_slice() == &path[..n]))
    };
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); modules.len()];
    for (from, (module, file)) in modules.iter().enumerate() {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let children: Vec<String> = modules
            .iter()
            .filter(|(m, _)| m.len() == module.len() + 1 && m.starts_with(module))
            .map(|(m, _)| m[module.len()].clone())
            .collect();
        for path in referenced_paths(&text, module, &children) {
            if let Some(to) = index(&path)
                && to != from
                && !module.starts_with(&modules[to].0)
                && !edges[from].contains(&to)
            {
                edges[from].push(to);
            }
        }
    }
    // Tarjan's strongly connected components.
    struct Tarjan<'a> {
        edges: &'a [Vec<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        stack: Vec<usize>,
        on_stack: Vec<bool>,
        next: usize,
        sccs: Vec<Vec<usize>>,
    }
    impl Tarjan<'_> {
        fn visit(&mut self, v: usize) {
            self.index[v] = Some(self.next);
            self.low[v] = self.next;
            self.next += 1;
            self.stack.push(v);
            self.on_stack[v] = true;
            for &w in &self.edges[v].clone() {
                match self.index[w] {
                    None => {
                        self.visit(w);
                        self.low[v] = self.low[v].min(self.low[w]);
                    }
                    Some(iw) if self.on_stack[w] => self.low[v] = self.low[v].min(iw),
                    Some(_) => {}
                }
            }
            if Some(self.low[v]) == self.index[v] {
                let mut scc = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack[w] = false;
                    scc.push(w);
                    if w == v {
                        break;
                    }
                }
                self.sccs.push(scc);
            }
        }
    }
    let n = modules.len();
    let mut t = Tarjan {
        edges: &edges,
        index: vec![None; n],
        low: vec![0; n],
        stack: Vec::new(),
        on_stack: vec![false; n],
        next: 0,
        sccs: Vec::new(),
    };
    for v in 0..n {
        if t.index[v].is_none() {
            t.visit(v);
        }
    }
    let mut circles: Vec<Vec<String>> = t
        .sccs
        .into_iter()
        .filter(|scc| scc.len() > 1)
        .map(|scc| {
            let mut files: Vec<String> = scc.iter().map(|&i| rel(&modules[i].1)).collect();
            files.sort();
            files
        })
        .collect();
    circles.sort();
    circles
}

#[test]
fn no_import_circle_between_files() {
    let mut found = Vec::new();
    for root_file in CRATE_ROOTS {
        assert!(
            crate_modules(root_file).len() >= 2,
            "{root_file}: its modules were not found"
        );
        for circle in import_circles(root_file, &CIRCLES_ALLOWED_IN) {
            found.push(circle.join(" <-> "));
        }
    }
    assert!(
        found.is_empty(),
        "files that import each other (move what they share into a leaf module):\n{}",
        found.join("\n")
    );
}

/// The checker itself finds a circle: the clap command tree has some, by design.
#[test]
fn the_circle_checker_sees_circles() {
    let circles = import_circles("src/bin/rsspot/main.rs", &[]);
    assert!(
        circles
            .iter()
            .any(|c| c.iter().any(|f| f.starts_with("src/bin/rsspot/commands/"))),
        "no circle found in the command tree: {circles:?}"
    );
}

/// The emulator states its own hypothesis of the service: it is a crate that cannot see the
/// SDK's rules, because it does not depend on the SDK (nor on its generator).
#[test]
fn the_emulator_depends_on_nothing_of_the_sdk() {
    let manifest_path = root().join("crates/rsspot-emulator/Cargo.toml");
    let text = std::fs::read_to_string(&manifest_path).unwrap();
    let manifest: toml::Table = toml::from_str(&text).unwrap();
    let mut deps = Vec::new();
    for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
        if let Some(t) = manifest.get(section).and_then(toml::Value::as_table) {
            deps.extend(t.keys().cloned());
        }
    }
    assert!(
        deps.iter().any(|d| d == "axum"),
        "not the emulator's manifest: {deps:?}"
    );
    let sdk: Vec<&String> = deps.iter().filter(|d| d.starts_with("rsspot")).collect();
    assert!(sdk.is_empty(), "the emulator depends on {sdk:?}");
    let mut files = Vec::new();
    rust_files(&root().join("crates/rsspot-emulator/src"), &mut files);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(
            !text.contains(concat!("rsspot", "::")),
            "{} names the SDK",
            f.display()
        );
    }
}

/// The generator is shared as a crate: nothing includes its files by `#[path]`.
#[test]
fn the_generator_is_a_crate_not_an_include() {
    assert!(
        !root().join("codegen").exists(),
        "codegen/ is back beside the SDK"
    );
    let mut files = Vec::new();
    rust_files(&root().join("tests"), &mut files);
    let tests = files.into_iter().map(|p| {
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        (p.display().to_string(), text)
    });
    for (path, text) in sources().into_iter().chain(tests) {
        for line in text.lines() {
            assert!(
                !(line.trim_start().starts_with("#[path") && line.contains("codegen")),
                "{path} includes the generator's files by path: {line}"
            );
        }
    }
}

/// No hand-written file is over 600 lines: the SDK, the CLI, the crates, xtask, the benches,
/// the examples and these tests (`generated/` is the generator's output, not written by hand).
#[test]
fn no_hand_written_file_is_over_600_lines() {
    let mut files = Vec::new();
    for dir in ["tests", "examples"] {
        rust_files(&root().join(dir), &mut files);
    }
    let more = files.into_iter().map(|p| {
        let rel = p.strip_prefix(root()).unwrap_or(&p).display().to_string();
        (rel, std::fs::read_to_string(&p).unwrap_or_default())
    });
    let long: Vec<String> = sources()
        .into_iter()
        .chain(more)
        .filter(|(_, text)| text.lines().count() > 600)
        .map(|(path, text)| format!("{path}: {} lines", text.lines().count()))
        .collect();
    assert!(long.is_empty(), "split these files: {long:?}");
}
