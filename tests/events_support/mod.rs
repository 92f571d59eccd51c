//! The `events watch` process of the events tests: started on an emulator, its stdout events
//! and stderr notes read as they come.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::Env;

/// A running `events watch`: its stdout lines and stderr lines, as they come.
pub struct Watch {
    child: Child,
    /// Its stdout lines.
    pub out: Receiver<String>,
    /// Its stderr lines.
    pub err: Receiver<String>,
}

/// The lines of `stream`, read on a thread.
fn lines(stream: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

impl Watch {
    /// `rsspot events watch --interval 150ms EXTRA…` on `env`.
    pub fn start(env: &Env, extra: &[&str]) -> Watch {
        let template = env.cmd();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rsspot"));
        for (k, v) in template.get_envs() {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        cmd.args(["events", "watch", "--interval", "150ms"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("rsspot starts");
        let out = lines(child.stdout.take().expect("stdout"));
        let err = lines(child.stderr.take().expect("stderr"));
        Watch { child, out, err }
    }

    /// Waits for a stderr line containing `text`.
    pub fn note(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.err.recv_timeout(left) {
                Ok(line) if line.contains(text) => return line,
                Ok(line) => seen.push(line),
                Err(_) => break,
            }
        }
        panic!("no stderr line with {text:?} within 30s; got {seen:#?}");
    }

    /// Events (parsed) until one of type `want`; panics after 30 s.
    pub fn until(&self, want: &str) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.out.recv_timeout(left) {
                Ok(line) => {
                    let event: Value = serde_json::from_str(&line)
                        .unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
                    let done = event["type"] == want;
                    seen.push(event);
                    if done {
                        return seen;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("no {want} event within 30s; got {seen:#?}");
    }

    /// Events printed within `d`.
    pub fn drain(&self, d: Duration) -> Vec<Value> {
        let deadline = Instant::now() + d;
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            if let Ok(line) = self.out.recv_timeout(left) {
                seen.push(serde_json::from_str(&line).expect("JSON line"));
            }
        }
        seen
    }

    /// Kills it.
    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `type`s of `events`.
pub fn types(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default().to_string())
        .collect()
}
