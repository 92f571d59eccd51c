//! What the std-only benchmarks share: the median, the alternating timing loop, and the bearer
//! a raw client sends as the SDK would.
#![allow(dead_code)]

use std::future::Future;
use std::time::{Duration, Instant};

use rsspot::emulator::{CLIENT_ID, Emulator};
use serde_json::Value;

/// A benchmark step's result.
pub type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

/// The median of `xs` (not empty).
pub fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

/// Times `n` runs of `f` after `warmup` untimed ones; returns the median.
pub async fn time<F, Fut>(warmup: usize, n: usize, mut f: F) -> BenchResult<Duration>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = BenchResult<()>>,
{
    for _ in 0..warmup {
        f().await?;
    }
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        f().await?;
        samples.push(t.elapsed());
    }
    Ok(median(samples))
}

/// Two workloads timed alternately (so drift affects both alike); returns both medians.
pub async fn time_pair<A, AF, B, BF>(
    warmup: usize,
    n: usize,
    mut a: A,
    mut b: B,
) -> BenchResult<(Duration, Duration)>
where
    A: FnMut() -> AF,
    AF: Future<Output = BenchResult<()>>,
    B: FnMut() -> BF,
    BF: Future<Output = BenchResult<()>>,
{
    for _ in 0..warmup {
        a().await?;
        b().await?;
    }
    let (mut sa, mut sb) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        let t = Instant::now();
        a().await?;
        sa.push(t.elapsed());
        let t = Instant::now();
        b().await?;
        sb.push(t.elapsed());
    }
    Ok((median(sa), median(sb)))
}

/// The id token the SDK sends, obtained the way the SDK obtains it.
pub async fn bearer(http: &reqwest::Client, emu: &Emulator) -> BenchResult<String> {
    let resp: Value = http
        .post(format!("{}/oauth/token", emu.base_url()))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT_ID),
            ("refresh_token", "demo-token"),
        ])
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    resp["id_token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| "no id_token in the token response".into())
}
