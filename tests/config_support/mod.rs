//! Shared helpers of the `config*` integration tests: a private HOME and load shortcuts.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use rsspot::config::{self, Env, LoadOptions, Resolved};

pub struct Sandbox {
    _dir: tempfile::TempDir,
    pub home: PathBuf,
}

impl Sandbox {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        Sandbox { _dir: dir, home }
    }

    pub fn config_dir(&self) -> PathBuf {
        self.home.join(".config/rsspot")
    }

    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.home.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    pub fn opts(&self, env: &[(&str, &str)]) -> LoadOptions {
        LoadOptions {
            env: Env::from_pairs(env.iter().map(|(k, v)| (k.to_string(), v.to_string()))),
            home: Some(self.home.clone()),
            ..Default::default()
        }
    }

    pub fn load(&self, env: &[(&str, &str)]) -> Resolved {
        config::load(&self.opts(env)).unwrap()
    }
}

pub fn source_of<'a>(r: &'a Resolved, key: &str) -> (&'a str, &'a str) {
    let p = r
        .provenance
        .iter()
        .find(|p| p.key == key)
        .unwrap_or_else(|| panic!("no provenance for {key}: {:?}", r.provenance));
    (p.value.as_str(), p.source.as_str())
}

pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

pub fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}
