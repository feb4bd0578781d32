//! `gridline bench web`: the web UI's server-side times on the demo city — the dashboard's
//! figures (city-wide and one district) and a page of 50 cases — measured over HTTP against the
//! real server (`gridline serve` in a child process), as the browser asks for them.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use gridline_core::actor::Role;
use gridline_store::Store;
use serde_json::{Value, json};

const BENCH_USER: &str = "bench-dispatcher";
const BENCH_PASSWORD: &str = "bench-password-1";

/// Builds (or reuses) the demo city in `dir`, serves it and times each request `rounds` times.
pub async fn web(dir: &Path, cases: usize, rounds: usize) -> anyhow::Result<()> {
    ensure!(rounds > 0, "--rounds must be at least 1");
    let store = Store::open_data_dir(dir).await?;
    let started = Instant::now();
    crate::demo::ensure(&store, dir, cases).await?;
    println!("demo city ready in {} ({:.1} s)", dir.display(), started.elapsed().as_secs_f64());
    if store.user_by_name(BENCH_USER).await?.is_none() {
        crate::add_user(&store, BENCH_USER, None, Role::Dispatcher, None, BENCH_PASSWORD).await?;
    }
    let total = store.case_count().await?;
    store.close().await;
    let addr = crate::bench::free_port()?;
    let base = format!("http://{addr}");
    let mut server = crate::bench::start_server(dir, addr).await?;

    let http = reqwest::Client::new();
    let session: Value = http
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"username": BENCH_USER, "password": BENCH_PASSWORD}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = session["token"].as_str().context("no session token")?.to_owned();
    println!("{total} cases; {rounds} rounds each, one request at a time (time from send to the whole answer):");
    println!("{:<58} {:>9} {:>9} {:>9} {:>9}", "request", "p50", "p95", "max", "bytes");
    for path in [
        "/api/v1/dashboard",
        "/api/v1/dashboard?region=110105000000",
        "/api/v1/cases?page_size=50",
        "/api/v1/cases?page_size=50&page=20",
        "/api/v1/cases?page_size=50&overdue=true",
        "/api/v1/cases?page_size=50&region=110105000000&status=dispatched",
        "/dashboard (the page itself, by cookie)",
        "/assets/echarts.min.js",
    ] {
        let (url, by_cookie) = match path.split_once(' ') {
            Some((page, _)) => (format!("{base}{page}"), true),
            None => (format!("{base}{path}"), false),
        };
        let mut times = Vec::with_capacity(rounds);
        let mut bytes = 0;
        for _ in 0..rounds {
            let request = if by_cookie {
                http.get(&url).header("cookie", format!("gridline_session={token}"))
            } else {
                http.get(&url).bearer_auth(&token)
            };
            let start = Instant::now();
            let answer = request.send().await?;
            ensure!(answer.status().is_success(), "{path} answered {}", answer.status());
            bytes = answer.bytes().await?.len();
            times.push(start.elapsed());
        }
        times.sort();
        let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
        println!("{path:<58} {:>9} {:>9} {:>9} {bytes:>9}", ms(at(0.5)), ms(at(0.95)), ms(times[times.len() - 1]));
    }
    server.kill().await?;
    Ok(())
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}
