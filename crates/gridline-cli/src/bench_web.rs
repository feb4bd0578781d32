//! `gridline bench web`: the web UI's server-side times on the demo city — the dashboard's
//! figures (city-wide and one district) and a page of 50 cases — measured over HTTP against the
//! real server (`gridline serve` in a child process), as the browser asks for them; and
//! `gridline bench dashboard`: the dashboard alone on a city of a million generated cases.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use gridline_core::actor::{Actor, Role};
use gridline_store::Store;
use jiff::{SignedDuration, Timestamp};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};
use tokio::process::Child;

const BENCH_USER: &str = "bench-dispatcher";
const BENCH_PASSWORD: &str = "bench-password-1";

/// Builds (or reuses) the demo city in `dir`, serves it and times each request `rounds` times.
pub async fn web(dir: &Path, cases: usize, rounds: usize) -> anyhow::Result<()> {
    ensure!(rounds > 0, "--rounds must be at least 1");
    let store = Store::open_data_dir(dir).await?;
    let started = Instant::now();
    crate::demo::ensure(&store, dir, cases).await?;
    println!("demo city ready in {} ({:.1} s)", dir.display(), started.elapsed().as_secs_f64());
    if store.people().user_by_name(BENCH_USER).await?.is_none() {
        crate::add_user(&store, BENCH_USER, None, Role::Dispatcher, None, BENCH_PASSWORD).await?;
    }
    let total = store.cases().count().await?;
    store.close().await;
    let (mut server, http, base, token) = serve_signed_in(dir, None).await?;
    println!("{total} cases; {rounds} rounds each, one request at a time (time from send to the whole answer):");
    time_requests(&http, &base, &token, &[
        "/api/v1/dashboard",
        "/api/v1/dashboard?region=110105000000",
        "/api/v1/cases?page_size=50",
        "/api/v1/cases?page_size=50&page=20",
        "/api/v1/cases?page_size=50&overdue=true",
        "/api/v1/cases?page_size=50&region=110105000000&status=dispatched",
        "/dashboard (the page itself, by cookie)",
        "/assets/echarts.min.js",
    ], rounds)
    .await?;
    server.kill().await?;
    Ok(())
}

/// A `gridline serve` (this binary or `binary`) on `dir`, a client and the bench user's token.
pub(crate) async fn serve_signed_in(dir: &Path, binary: Option<&Path>) -> anyhow::Result<(Child, reqwest::Client, String, String)> {
    let addr = crate::bench::free_port()?;
    let base = format!("http://{addr}");
    let server = crate::bench::start_server(&crate::bench::Place::Dir(dir.to_owned()), addr, binary, &[]).await?;
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
    Ok((server, http, base, token))
}

/// `gridline bench dashboard`: fills `dir` (unless an earlier run did) with `cases` generated
/// closed-loop histories of the year up to now — the rankings benchmark's cases, through the
/// store's import path, so that the rollups and the case rows are as the writer keeps them —
/// then serves it and times the dashboard city-wide and for one district.
pub async fn dashboard(dir: &Path, cases: usize, rounds: usize, binary: Option<&Path>) -> anyhow::Result<()> {
    ensure!(rounds > 0, "--rounds must be at least 1");
    let store = Store::open_data_dir(dir).await?;
    let stored = store.cases().count().await?;
    if stored == 0 {
        let started = Instant::now();
        fill(&store, cases).await?;
        println!("filled {cases} cases in {:.1} s ({})", started.elapsed().as_secs_f64(), dir.display());
        crate::add_user(&store, BENCH_USER, None, Role::Dispatcher, None, BENCH_PASSWORD).await?;
    } else {
        ensure!(stored == cases as i64, "{} holds {stored} cases, not {cases}: give another --data-dir", dir.display());
    }
    store.close().await;
    let (mut server, http, base, token) = serve_signed_in(dir, binary).await?;
    println!("{cases} cases; {rounds} rounds each, one request at a time (time from send to the whole answer):");
    time_requests(&http, &base, &token, &["/api/v1/dashboard", "/api/v1/dashboard?region=110105000000"], rounds).await?;
    server.kill().await?;
    Ok(())
}

/// Imports `cases` generated histories received over the 360 days before the last two (every
/// step of a generated case falls within two days of its intake), in batches of 10,000.
async fn fill(store: &Store, cases: usize) -> anyhow::Result<()> {
    let (streets, categories) = crate::analytics::generated_codes(&gridline_geo::beijing())?;
    let actor = Actor { user_id: 1, username: "bench".into(), role: Role::Admin, unit: None };
    let year_start = Timestamp::now() - SignedDuration::from_hours(24 * 362);
    let mut rng = StdRng::seed_from_u64(19);
    let mut batch = Vec::with_capacity(10_000);
    for _ in 0..cases {
        batch.push(crate::analytics::generated_case(&mut rng, year_start, &streets, &categories, &actor).2);
        if batch.len() == 10_000 {
            store.cases().import(std::mem::take(&mut batch)).await?;
        }
    }
    if !batch.is_empty() {
        store.cases().import(batch).await?;
    }
    Ok(())
}

/// Times each of `paths` `rounds` times, one request at a time, and prints p50, p95 and max. A
/// path with a note after a space (`/dashboard (the page)`) is asked for by cookie, as a browser
/// does; the others with the bearer token.
pub(crate) async fn time_requests(http: &reqwest::Client, base: &str, token: &str, paths: &[&str], rounds: usize) -> anyhow::Result<()> {
    println!("{:<58} {:>9} {:>9} {:>9} {:>9}", "request", "p50", "p95", "max", "bytes");
    for path in paths {
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
                http.get(&url).bearer_auth(token)
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
    Ok(())
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}
