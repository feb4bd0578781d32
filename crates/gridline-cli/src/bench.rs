//! `gridline bench intake`: sustained case creation over HTTP against a real server process on
//! the embedded store (or a PostgreSQL database), then `kill -9` of that server in the middle of
//! the load, and a check that every case it had acknowledged is in the database. The same rows
//! are then written straight into SQLite as the ceiling to compare with. A short run of it is the
//! durability check of `cargo test` on both engines (crates/gridline/tests/durability.rs).

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use clap::Subcommand;
use gridline_core::actor::{Actor, Role};
use gridline_core::case::{CaseEvent, CaseId, Change};
use gridline_core::catalogue::Catalogue;
use gridline_core::reference::Reference;
use gridline_app::intake::NewCase;
use gridline_core::region::RegionLevel;
use gridline_store::Store;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Case intake over HTTP with durability across kill -9, and the raw SQLite ceiling.
    Intake {
        /// Seconds of measured load (after a warm-up of 2 s).
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Concurrent clients, each with its own keep-alive connection.
        #[arg(long, default_value_t = 96)]
        concurrency: usize,
        /// Where the benchmark's database goes (a fresh temporary directory by default).
        #[arg(long, conflicts_with = "database")]
        data_dir: Option<PathBuf>,
        /// A PostgreSQL URL (an empty database or schema) instead of an embedded store; the SQLite
        /// ceiling is then not measured.
        #[arg(long)]
        database: Option<String>,
        /// Only the load, the kill and the durability check: no SQLite ceiling afterwards.
        #[arg(long)]
        no_ceiling: bool,
    },
    /// Good users' sign-in latency while an attacker hammers one account with wrong passwords,
    /// against the same load without the attacker (runs alternated).
    SignIn {
        /// Good users, each signing in again and again on its own connection.
        #[arg(long, default_value_t = 8)]
        users: usize,
        /// The attacker's concurrent connections.
        #[arg(long, default_value_t = 16)]
        attackers: usize,
        /// Seconds of each run.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Pairs of runs (without and with the attacker).
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// An empty directory for the benchmark's database (a fresh temporary one by default).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// 背街小巷 at the city's scale: 5,393 alleys with a year of daily patrols (about 2 million
    /// records), weekly checks and located cases; the month's evaluation and ranking in process,
    /// one district's alley map and the ranking over HTTP.
    Alleys {
        #[arg(long, default_value_t = 5393)]
        alleys: usize,
        /// Cases received per month (a fifth near an alley, a tenth naming one).
        #[arg(long, default_value_t = 20_000)]
        cases_per_month: usize,
        #[arg(long, default_value_t = 20)]
        rounds: usize,
        /// Where the database goes (by default `gridline-bench-alleys-N` in the temporary
        /// directory); one filled by an earlier run is reused.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Fill the directory and stop before the months are evaluated: copies of it let two
        /// builds time the same months (an evaluated month is not evaluated again).
        #[arg(long)]
        fill_only: bool,
    },
    /// The web UI's server times on the demo city: the dashboard and a page of 50 cases.
    Web {
        /// The demo city's directory (created if absent, reused if present; by default
        /// `gridline-bench-web` in the temporary directory).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        #[arg(long, default_value_t = 3000)]
        cases: usize,
        #[arg(long, default_value_t = 50)]
        rounds: usize,
    },
    /// The dashboard (city-wide and one district) over HTTP on an embedded database of a
    /// generated year of cases.
    Dashboard {
        #[arg(long, default_value_t = 1_000_000)]
        cases: usize,
        #[arg(long, default_value_t = 20)]
        rounds: usize,
        /// Where the database goes (by default `gridline-bench-dashboard-N` in the temporary
        /// directory); one filled by an earlier run with the same --cases is reused.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Serve with this `gridline` binary instead of this one, to compare two builds on the
        /// same data.
        #[arg(long)]
        server: Option<PathBuf>,
    },
    /// Bulk import of a generated CSV file into a fresh embedded database.
    Import {
        #[arg(long, default_value_t = 200_000)]
        rows: usize,
        /// Rows without category and coordinates: every row goes through classification and
        /// geocoding.
        #[arg(long)]
        classify: bool,
        /// Classify with this text model (as `gridline import cases --model`) instead of the
        /// catalogue keywords.
        #[arg(long, requires = "classify")]
        model: Option<PathBuf>,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// CSV export of a fresh embedded database filled with this many cases.
    Export {
        #[arg(long, default_value_t = 1_000_000)]
        cases: usize,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// A month's street ranking and a district's hotspot list over a generated year of cases,
    /// on SQLite rollups and, for comparison, DuckDB over the same cases in Parquet.
    Rankings {
        /// How many cases the generated year holds.
        #[arg(long, default_value_t = 20_000_000)]
        cases: u64,
        /// Where the database and the Parquet file go (a fresh temporary directory by default).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// The Python with the `duckdb` module.
        #[arg(long, default_value = "python3", env = "GRIDLINE_BENCH_PYTHON")]
        python: String,
        /// Timed runs of each query.
        #[arg(long, default_value_t = 20)]
        repeat: usize,
    },
    /// A phone's photo (3 MB) uploaded to a case over HTTP, one at a time, acknowledged once on
    /// disk; checked after kill -9.
    Upload {
        #[arg(long, default_value_t = 50)]
        rounds: usize,
        /// The photo's size in MB.
        #[arg(long, default_value_t = 3.0)]
        megabytes: f64,
        /// Where the benchmark's database and files go (a fresh temporary directory by default).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// A 4-page 简报 rendered to PDF and DOCX (fonts read once, as a server does), then the demo
    /// city's 16 districts' 体检报告 as PDF, from the store.
    Documents {
        /// Timed runs of each.
        #[arg(long, default_value_t = 5)]
        repeat: usize,
        /// Where the demo city is kept between runs (made on the first).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Cases of the demo city when it is made.
        #[arg(long, default_value_t = 5000)]
        cases: usize,
    },
    /// A month's evaluation scores and ranking (districts and streets) and a district's health
    /// report over generated point checks and questionnaire answers; then answers through the
    /// public questionnaire form by concurrent clients, durable across kill -9.
    Evaluation {
        /// Point checks (a point's checklist answered in a round) in the month.
        #[arg(long, default_value_t = 100_000)]
        checks: usize,
        /// Questionnaire answers in the month.
        #[arg(long, default_value_t = 1_000_000)]
        responses: usize,
        /// Answers sent through the public form.
        #[arg(long, default_value_t = 10_000)]
        submissions: usize,
        #[arg(long, default_value_t = 64)]
        clients: usize,
        /// Timed runs of each query.
        #[arg(long, default_value_t = 10)]
        repeat: usize,
        /// An empty directory for the database (a fresh temporary one by default).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    #[command(flatten)]
    Text(crate::text::TextBench),
}

pub async fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Intake { seconds, concurrency, data_dir, database, no_ceiling } => {
            let place = match (database, data_dir) {
                (Some(url), _) => Place::Url(url),
                (None, Some(dir)) => {
                    ensure!(!dir.join("gridline.db").exists(), "{} already holds a database; give an empty directory", dir.display());
                    Place::Dir(dir)
                }
                (None, None) => {
                    let scratch = BenchDir::new(None, "intake")?;
                    return intake(&Place::Dir(scratch.path().to_owned()), Duration::from_secs(seconds), concurrency, !no_ceiling).await;
                }
            };
            intake(&place, Duration::from_secs(seconds), concurrency, !no_ceiling).await
        }
        BenchCommand::SignIn { users, attackers, seconds, rounds, data_dir } => {
            let dir = BenchDir::new(data_dir, "sign-in")?;
            crate::bench_sign_in::sign_in(dir.path(), users, attackers, seconds, rounds).await
        }
        BenchCommand::Alleys { alleys, cases_per_month, rounds, data_dir, fill_only } => {
            let dir = data_dir.unwrap_or_else(|| std::env::temp_dir().join(format!("gridline-bench-alleys-{alleys}")));
            crate::bench_alleys::alleys(&dir, alleys, cases_per_month, rounds, fill_only).await
        }
        BenchCommand::Web { data_dir, cases, rounds } => {
            let dir = data_dir.unwrap_or_else(|| std::env::temp_dir().join("gridline-bench-web"));
            crate::bench_web::web(&dir, cases, rounds).await
        }
        BenchCommand::Dashboard { cases, rounds, data_dir, server } => {
            let dir = data_dir.unwrap_or_else(|| std::env::temp_dir().join(format!("gridline-bench-dashboard-{cases}")));
            crate::bench_web::dashboard(&dir, cases, rounds, server.as_deref()).await
        }
        BenchCommand::Import { rows, classify, model, data_dir } => crate::bench_io::import(rows, classify, model, data_dir).await,
        BenchCommand::Export { cases, data_dir } => crate::bench_io::export(cases, data_dir).await,
        BenchCommand::Rankings { cases, data_dir, python, repeat } => {
            let dir = data_dir.unwrap_or_else(crate::analytics::default_bench_dir);
            crate::analytics::bench_rankings(cases, &dir, &python, repeat.max(1)).await
        }
        BenchCommand::Documents { repeat, data_dir, cases } => {
            let dir = data_dir.unwrap_or_else(|| std::env::temp_dir().join(format!("gridline-bench-documents-{cases}")));
            crate::report::bench(repeat.max(1), &dir, cases).await
        }
        BenchCommand::Evaluation { checks, responses, submissions, clients, repeat, data_dir } => {
            let dir = BenchDir::new(data_dir, "evaluation")?;
            crate::bench_evaluation::evaluation(dir.path(), checks, responses, submissions, clients.max(1), repeat.max(1)).await
        }
        BenchCommand::Upload { rounds, megabytes, data_dir } => {
            let dir = BenchDir::new(data_dir, "upload")?;
            crate::bench_upload::upload(dir.path(), rounds, megabytes).await
        }
        BenchCommand::Text(command) => crate::text::bench(command),
    }
}

/// Where a benchmark's database goes: the directory given, kept for a later look; or a fresh
/// temporary one, removed when the benchmark ends (a run leaves hundreds of megabytes).
pub(crate) struct BenchDir {
    path: PathBuf,
    _scratch: Option<tempfile::TempDir>,
}

impl BenchDir {
    pub(crate) fn new(given: Option<PathBuf>, name: &str) -> anyhow::Result<BenchDir> {
        Ok(match given {
            Some(path) => BenchDir { path, _scratch: None },
            None => {
                let scratch = tempfile::Builder::new().prefix(&format!("gridline-bench-{name}-")).tempdir()?;
                BenchDir { path: scratch.path().to_owned(), _scratch: Some(scratch) }
            }
        })
    }

    pub(crate) fn path(&self) -> &std::path::Path {
        &self.path
    }
}

const BENCH_USER: &str = "bench-operator";
const BENCH_PASSWORD: &str = "bench-password-1";

/// The bodies the clients send: real categories and streets, varied text, a unique ticket number.
struct Bodies {
    categories: Vec<String>,
    streets: Vec<(String, String)>,
}

impl Bodies {
    fn new() -> Self {
        let regions = gridline_geo::beijing();
        Bodies {
            categories: Catalogue::builtin().leaves().map(|e| e.code.clone()).collect(),
            streets: regions.at_level(RegionLevel::Street).map(|r| (r.code.clone(), r.name.clone())).collect(),
        }
    }

    fn body(&self, client: usize, n: usize) -> IntakeBody<'_> {
        let (street, name) = &self.streets[(client * 7919 + n) % self.streets.len()];
        IntakeBody {
            channel: "hotline",
            external_id: format!("BENCH-{client}-{n}"),
            category: &self.categories[n % self.categories.len()],
            region: street,
            description: format!("{name}第{n}号楼附近有问题需要处理,市民反映已持续多日,请尽快安排人员到现场核实整改"),
            address: format!("北京市{name}{n}号"),
            reporter: BenchReporter { name: "市民", phone: format!("138{:08}", n % 100_000_000) },
        }
    }
}

/// A hotline case as the clients send it (typed, so that building it costs the client little).
#[derive(serde::Serialize)]
struct IntakeBody<'a> {
    channel: &'static str,
    external_id: String,
    category: &'a str,
    region: &'a str,
    description: String,
    address: String,
    reporter: BenchReporter,
}

#[derive(serde::Serialize)]
struct BenchReporter {
    name: &'static str,
    phone: String,
}

pub(crate) fn free_port() -> anyhow::Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

/// Where a benchmark's server keeps its data.
pub(crate) enum Place {
    /// An embedded store in this data directory.
    Dir(PathBuf),
    /// A database URL (PostgreSQL).
    Url(String),
}

impl Place {
    async fn open(&self) -> anyhow::Result<Store> {
        Ok(match self {
            Place::Dir(dir) => Store::open_data_dir(dir).await?,
            Place::Url(url) => Store::open(url).await?,
        })
    }

    /// The arguments of `gridline serve` that point it here.
    fn serve_args(&self) -> Vec<std::ffi::OsString> {
        match self {
            Place::Dir(dir) => vec!["--data-dir".into(), dir.into()],
            Place::Url(url) => vec!["--database".into(), url.into()],
        }
    }
}

/// Starts `gridline serve` (this very binary, or `binary`) on `place`, with `env` added to its
/// environment, and waits until it answers.
pub(crate) async fn start_server(place: &Place, addr: SocketAddr, binary: Option<&Path>, env: &[(&str, &str)]) -> anyhow::Result<Child> {
    let binary = match binary {
        Some(path) => path.to_owned(),
        None => std::env::current_exe()?,
    };
    let child = Command::new(binary)
        .arg("serve")
        .args(place.serve_args())
        .args(["--addr", &addr.to_string()])
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting the server")?;
    let health = format!("http://{addr}/healthz");
    for _ in 0..200 {
        if reqwest::get(&health).await.is_ok_and(|r| r.status().is_success()) {
            return Ok(child);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("the server did not come up on {addr}")
}

async fn sign_in(client: &reqwest::Client, addr: SocketAddr) -> anyhow::Result<String> {
    let answer: Value = client
        .post(format!("http://{addr}/api/v1/session"))
        .json(&json!({ "username": BENCH_USER, "password": BENCH_PASSWORD }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    answer["token"].as_str().map(str::to_owned).context("no token in the sign-in answer")
}

/// The part of the intake answer the client keeps.
#[derive(serde::Deserialize)]
struct Acknowledged {
    id: CaseId,
}

/// What one client saw: latencies inside the measured window and every acknowledged case.
#[derive(Default)]
struct ClientLog {
    latencies: Vec<Duration>,
    acknowledged: Vec<(String, CaseId)>,
}

async fn intake(place: &Place, measured: Duration, concurrency: usize, ceiling: bool) -> anyhow::Result<()> {
    {
        let store = place.open().await?;
        ensure!(store.cases().count().await? == 0, "the benchmark's database already holds cases; give an empty one");
        if store.people().user_by_name(BENCH_USER).await?.is_none() {
            crate::add_user(&store, BENCH_USER, None, Role::HotlineOperator, None, BENCH_PASSWORD).await?;
        }
        store.close().await;
    }
    let addr = free_port()?;
    let mut server = start_server(place, addr, None, &[]).await?;
    let http = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build()?;
    let token = sign_in(&http, addr).await?;
    let bodies = Arc::new(Bodies::new());
    let warm_up = Duration::from_secs(2);
    let started = Instant::now();
    let window = (started + warm_up, started + warm_up + measured);
    let stop = Arc::new(AtomicBool::new(false));
    println!("intake: {concurrency} clients, 2 s warm-up, {} s measured, then kill -9 under load", measured.as_secs());
    let mut clients = tokio::task::JoinSet::new();
    for client in 0..concurrency {
        let (http, token, bodies, stop) = (http.clone(), token.clone(), bodies.clone(), stop.clone());
        clients.spawn(async move {
            let url = format!("http://{addr}/api/v1/cases");
            let mut log = ClientLog::default();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let body = bodies.body(client, n);
                let sent = Instant::now();
                let Ok(response) = http.post(&url).bearer_auth(&token).json(&body).send().await else { break };
                if response.status().as_u16() != 201 {
                    break;
                }
                let Ok(ack) = response.json::<Acknowledged>().await else { break };
                let done = Instant::now();
                if sent >= window.0 && done <= window.1 {
                    log.latencies.push(done - sent);
                }
                log.acknowledged.push((body.external_id, ack.id));
            }
            log
        });
    }
    tokio::time::sleep_until((window.1).into()).await;
    // The crash: the clients are still sending.
    server.start_kill()?;
    server.wait().await?;
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    let mut acknowledged = Vec::new();
    while let Some(log) = clients.join_next().await {
        let log = log?;
        latencies.extend(log.latencies);
        acknowledged.extend(log.acknowledged);
    }
    latencies.sort();
    let rate = latencies.len() as f64 / measured.as_secs_f64();
    let pct = |p: f64| percentile(&latencies, p);
    println!(
        "HTTP intake: {} cases in the measured {} s = {rate:.0} cases/s; latency p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        measured.as_secs(),
        ms(pct(0.50)),
        ms(pct(0.95)),
        ms(pct(0.99)),
        ms(latencies.last().copied().unwrap_or_default())
    );

    // Every acknowledged case must have survived the kill.
    let store = place.open().await?;
    let mut missing = 0;
    for (external_id, id) in &acknowledged {
        match store.cases().get(*id).await? {
            Some(case) if case.intake.external_id.as_deref() == Some(external_id.as_str()) => {}
            _ => missing += 1,
        }
    }
    let stored = store.cases().count().await?;
    store.close().await;
    println!(
        "kill -9 under load: {} cases acknowledged, {missing} of them missing afterwards; {stored} cases stored (the rest were committed but their answers were lost with the server)",
        acknowledged.len()
    );
    ensure!(missing == 0, "{missing} acknowledged cases were lost");
    let mut server = start_server(place, addr, None, &[]).await?;
    let token = sign_in(&http, addr).await?;
    if let Some((_, id)) = acknowledged.last() {
        let status = http.get(format!("http://{addr}/api/v1/cases/{id}")).bearer_auth(&token).send().await?.status();
        ensure!(status.is_success(), "case {id} not served after restart: {status}");
    }
    server.start_kill()?;
    server.wait().await?;
    println!("restart: the server came back and serves the acknowledged cases");

    match place {
        Place::Dir(dir) if ceiling => raw_ceiling(dir, &bodies, acknowledged.len().max(10_000)).await,
        _ => Ok(()),
    }
}

/// The same rows written straight into a fresh SQLite database in transactions of 1,000, without
/// HTTP: the ceiling for the HTTP figure.
async fn raw_ceiling(dir: &Path, bodies: &Bodies, rows: usize) -> anyhow::Result<()> {
    let raw_dir = dir.join("raw");
    let _ = std::fs::remove_dir_all(&raw_dir);
    let store = Store::open_data_dir(&raw_dir).await?;
    let actor = Actor { user_id: 1, username: BENCH_USER.into(), role: Role::HotlineOperator, unit: None };
    let regions = gridline_geo::beijing();
    let reference = Reference::builtin(&regions);
    let now = jiff::Timestamp::now();
    let mut histories = Vec::with_capacity(rows);
    for n in 0..rows {
        let new_case: NewCase = serde_json::from_value(serde_json::to_value(bodies.body(0, n))?)?;
        let intake = new_case.validate(&actor, &reference, &regions)?;
        histories.push(vec![CaseEvent { seq: 1, at: now, actor: actor.clone(), change: Change::Receive(intake) }]);
    }
    let started = Instant::now();
    for chunk in histories.chunks(1000) {
        store.cases().import(chunk.to_vec()).await?;
    }
    let elapsed = started.elapsed();
    ensure!(store.cases().count().await? == rows as i64, "raw insert lost rows");
    store.close().await;
    println!(
        "raw SQLite insert of the same rows (case + event, 1,000 per transaction, no HTTP): {rows} in {:.2} s = {:.0} cases/s",
        elapsed.as_secs_f64(),
        rows as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The `p` quantile (0–1) of `sorted` latencies; zero when there are none.
pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted.get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1))).copied().unwrap_or_default()
}
