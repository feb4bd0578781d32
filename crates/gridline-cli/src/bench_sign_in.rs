//! `gridline bench sign-in`: good users' sign-in latency while an attacker hammers one account
//! with wrong passwords, against the same load without the attacker, runs alternated, on a real
//! server process (`gridline serve`) over a fresh embedded store.
//!
//! Every client sends `X-Forwarded-For` and the server trusts the loopback as its proxy
//! (`GRIDLINE_TRUSTED_PROXIES=127.0.0.1`), so each good user signs in from an address of its own
//! and the attacker from another, as they would through a reverse proxy: the attacker's failures
//! lock its account and its address, not the good users'.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::ensure;
use gridline_core::actor::Role;
use gridline_store::{SignInSubject, Store};
use serde_json::json;

use crate::bench::{Place, free_port, ms, percentile, start_server};

const GOOD_PASSWORD: &str = "good-password-1";
const VICTIM: &str = "victim";
const ATTACKER_ADDRESS: &str = "198.51.100.66";

/// What one run measured.
struct Run {
    attacked: bool,
    /// Good users' sign-in latencies, sorted.
    latencies: Vec<Duration>,
    /// Good sign-ins that were not answered 201.
    good_refused: usize,
    /// The attacker's requests by answer: 401 (password checked), 429 (locked out), other.
    attacker: [usize; 3],
}

pub async fn sign_in(dir: &Path, users: usize, attackers: usize, seconds: u64, rounds: usize) -> anyhow::Result<()> {
    ensure!(users > 0 && rounds > 0 && seconds > 0, "--users, --rounds and --seconds must be at least 1");
    ensure!(!dir.join("gridline.db").exists(), "{} already holds a database; give an empty directory", dir.display());
    let place = Place::Dir(dir.to_owned());
    {
        let store = Store::open_data_dir(dir).await?;
        for user in 0..users {
            crate::add_user(&store, &format!("good-{user}"), None, Role::Dispatcher, None, GOOD_PASSWORD).await?;
        }
        crate::add_user(&store, VICTIM, None, Role::Admin, None, GOOD_PASSWORD).await?;
        store.close().await;
    }
    let addr = free_port()?;
    let mut server = start_server(&place, addr, None, &[("GRIDLINE_TRUSTED_PROXIES", "127.0.0.1")]).await?;
    println!(
        "sign-in: {users} good users signing in one after another each, {} s a run, {rounds} rounds of a run without and a run with \
         {attackers} attacker connections sending wrong passwords for one account (order alternated)",
        seconds
    );
    let http = reqwest::Client::builder().pool_max_idle_per_host(users + attackers).build()?;
    let url = format!("http://{addr}/api/v1/session");
    let mut runs = Vec::new();
    for round in 0..rounds {
        let order = if round % 2 == 0 { [false, true] } else { [true, false] };
        for attacked in order {
            // Each attack starts from an unlocked account and address, so that every attacked run
            // includes the failures that are checked (Argon2) before the lockout.
            let store = Store::open_data_dir(dir).await?;
            for subject in [SignInSubject::Account(VICTIM.into()), SignInSubject::Address(ATTACKER_ADDRESS.into())] {
                store.security().clear(&subject).await?;
            }
            store.close().await;
            let run = one_run(&http, &url, users, if attacked { attackers } else { 0 }, Duration::from_secs(seconds)).await;
            report(&run, seconds);
            runs.push(run);
        }
    }
    server.start_kill()?;
    server.wait().await?;
    for attacked in [false, true] {
        let mut p50: Vec<f64> = runs.iter().filter(|r| r.attacked == attacked).map(|r| ms(percentile(&r.latencies, 0.50))).collect();
        let mut p99: Vec<f64> = runs.iter().filter(|r| r.attacked == attacked).map(|r| ms(percentile(&r.latencies, 0.99))).collect();
        let rate: f64 =
            runs.iter().filter(|r| r.attacked == attacked).map(|r| r.latencies.len() as f64).sum::<f64>() / (seconds * rounds as u64) as f64;
        p50.sort_by(f64::total_cmp);
        p99.sort_by(f64::total_cmp);
        println!(
            "{}: good sign-ins {rate:.1}/s; p50 median {:.1} ms (runs {:.1}–{:.1}); p99 median {:.1} ms (runs {:.1}–{:.1})",
            if attacked { "under attack" } else { "no attacker" },
            p50[p50.len() / 2],
            p50[0],
            p50[p50.len() - 1],
            p99[p99.len() / 2],
            p99[0],
            p99[p99.len() - 1],
        );
    }
    ensure!(runs.iter().all(|r| r.good_refused == 0), "good users were refused while the attacker was at work");
    Ok(())
}

async fn one_run(http: &reqwest::Client, url: &str, users: usize, attackers: usize, length: Duration) -> Run {
    let stop = Arc::new(AtomicBool::new(false));
    let mut good = tokio::task::JoinSet::new();
    for user in 0..users {
        let (http, url, stop) = (http.clone(), url.to_owned(), stop.clone());
        good.spawn(async move {
            let body = json!({"username": format!("good-{user}"), "password": GOOD_PASSWORD});
            let address = format!("203.0.113.{}", user % 250 + 1);
            let (mut latencies, mut refused) = (Vec::new(), 0);
            while !stop.load(Ordering::Relaxed) {
                let sent = Instant::now();
                let answer = http.post(&url).header("x-forwarded-for", &address).json(&body).send().await;
                match answer {
                    Ok(response) if response.status().as_u16() == 201 => {
                        let _ = response.bytes().await;
                        latencies.push(sent.elapsed());
                    }
                    _ => refused += 1,
                }
            }
            (latencies, refused)
        });
    }
    let mut attack = tokio::task::JoinSet::new();
    for connection in 0..attackers {
        let (http, url, stop) = (http.clone(), url.to_owned(), stop.clone());
        attack.spawn(async move {
            let mut counts = [0; 3];
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let body = json!({"username": VICTIM, "password": format!("guess-{connection}-{n}")});
                let status = match http.post(&url).header("x-forwarded-for", ATTACKER_ADDRESS).json(&body).send().await {
                    Ok(response) => response.status().as_u16(),
                    Err(_) => 0,
                };
                counts[match status {
                    401 => 0,
                    429 => 1,
                    _ => 2,
                }] += 1;
            }
            counts
        });
    }
    tokio::time::sleep(length).await;
    stop.store(true, Ordering::Relaxed);
    let mut run = Run { attacked: attackers > 0, latencies: Vec::new(), good_refused: 0, attacker: [0; 3] };
    while let Some(Ok((latencies, refused))) = good.join_next().await {
        run.latencies.extend(latencies);
        run.good_refused += refused;
    }
    while let Some(Ok(counts)) = attack.join_next().await {
        for (total, n) in run.attacker.iter_mut().zip(counts) {
            *total += n;
        }
    }
    run.latencies.sort();
    run
}

fn report(run: &Run, seconds: u64) {
    let attacker = if run.attacked {
        let total: usize = run.attacker.iter().sum();
        format!(
            "; attacker {:.0} requests/s ({} answered 401, {} 429, {} other)",
            total as f64 / seconds as f64,
            run.attacker[0],
            run.attacker[1],
            run.attacker[2]
        )
    } else {
        String::new()
    };
    println!(
        "{:>12}: {} good sign-ins ({:.1}/s), p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms, {} refused{attacker}",
        if run.attacked { "under attack" } else { "no attacker" },
        run.latencies.len(),
        run.latencies.len() as f64 / seconds as f64,
        ms(percentile(&run.latencies, 0.50)),
        ms(percentile(&run.latencies, 0.99)),
        ms(run.latencies.last().copied().unwrap_or_default()),
        run.good_refused,
    );
}
