//! `gridline bench evaluation`: a month's scores and ranking of every district and street, and
//! one district's health report, over a generated month of point checks and questionnaire
//! answers on the embedded store; then answers sent through the public questionnaire form by
//! concurrent clients to a real server process, which is killed (`kill -9`) afterwards, and every
//! acknowledged answer counted in the database.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use gridline_app::App;
use gridline_app::evaluation::ScoreLevel;
use gridline_core::actor::{Actor, Role};
use gridline_core::evaluation::questionnaire::ResponseChannel;
use gridline_core::evaluation::{Answer, Check, Form, InspectionPoint, Location, Outcome, PointType, Round, SamplingLevel, SamplingPlan};
use gridline_core::period::{Month, Period};
use gridline_core::region::RegionLevel;
use gridline_store::{NewResponse, NewUser, Store};
use jiff::{SignedDuration, Timestamp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The generated month.
const MONTH: &str = "2026-11";

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs `f` `repeat` times; (min, median, max) in ms.
async fn timed<T, F: AsyncFnMut() -> anyhow::Result<T>>(repeat: usize, mut f: F) -> anyhow::Result<(f64, f64, f64)> {
    let mut times = Vec::with_capacity(repeat);
    for _ in 0..repeat {
        let start = Instant::now();
        f().await?;
        times.push(millis(start.elapsed()));
    }
    times.sort_by(f64::total_cmp);
    Ok((times[0], times[times.len() / 2], times[times.len() - 1]))
}

pub async fn evaluation(dir: &Path, checks: usize, responses: usize, submissions: usize, clients: usize, repeat: usize) -> anyhow::Result<()> {
    ensure!(!dir.join("gridline.db").exists(), "{} already holds a database; give an empty directory", dir.display());
    std::fs::create_dir_all(dir)?;
    let store = Store::open_data_dir(dir).await?;
    let regions = Arc::new(gridline_geo::beijing());
    let app = App::new(store.clone(), regions.clone(), &Default::default()).await?;
    let office = Actor { user_id: 0, username: "bench".into(), role: Role::Admin, unit: None };
    let mut rng = StdRng::seed_from_u64(21);
    let month = Month::parse(MONTH)?;
    let at = month.start() + SignedDuration::from_hours(24 * 10);
    let streets: Vec<(String, (f64, f64))> = regions.at_level(RegionLevel::Street).map(|s| (s.code.clone(), s.label_point.unwrap_or((39.9, 116.4)))).collect();
    let districts = regions.at_level(RegionLevel::District).count();
    println!("{districts} districts, {} streets; generating {MONTH}: {checks} point checks, {responses} questionnaire answers", streets.len());

    // Points: 20 per street, every type.
    let started = Instant::now();
    let inspector = store
        .people()
        .create_user(&NewUser { username: "bench-inspector".into(), display_name: "bench".into(), role: Role::Inspector, unit: None, password_hash: "!".into() }, at)
        .await?;
    let mut points = Vec::new();
    for (street, (lat, lon)) in &streets {
        for n in 0..20 {
            let point_type = PointType::ALL[n % PointType::ALL.len()];
            let point = InspectionPoint {
                id: 0,
                code: format!("{street}-{n:02}"),
                name: format!("点位{n}"),
                point_type,
                location: Location::Point { lat: *lat, lon: *lon },
                region: street.parse()?,
                unit: None,
                address: None,
            };
            points.push(store.evaluation().create_point(&point, at).await?);
        }
    }
    // Rounds drawing every point, as many as the checks need; each point's checklist answered.
    let system = app.indicator_system().await?;
    let mut made = 0;
    let mut rows = 0;
    let mut week = 0;
    while made < checks {
        let take = (checks - made).min(points.len());
        let round = Round {
            id: 0,
            system_id: system.id,
            name: format!("基准第{}轮", week + 1),
            starts: (month.start() + SignedDuration::from_hours(24 * (week % 28))).to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai")?).date(),
            deadline: at + SignedDuration::from_hours(24 * 30),
            seed: week as u64,
            plan: SamplingPlan { level: SamplingLevel::Street, per_type: Default::default(), regions: vec![] },
            created_by: 0,
            created_at: at,
        };
        let assignments: Vec<(i64, i64)> = points[..take].iter().map(|p| (p.id, inspector.id)).collect();
        let round = store.evaluation().create_round(&round, &assignments).await?;
        let mut batch = Vec::new();
        for point in &points[..take] {
            for placed in system.system.checklist(point.point_type) {
                let fail = rng.random_bool(0.1);
                let answer = Answer {
                    clause: placed.clause.code.clone(),
                    outcome: if fail { Outcome::Fail } else { Outcome::Pass },
                    count: fail.then_some(1),
                    note: None,
                    position: None,
                    photos: vec![],
                };
                let scored = answer.score(placed.clause, point.point_type)?;
                batch.push(Check {
                    round: round.id,
                    point: point.id,
                    answer: scored.answer,
                    earned: scored.earned,
                    possible: scored.possible,
                    case_id: None,
                    answered_by: inspector.id,
                    answered_at: at,
                });
            }
            if batch.len() >= 20_000 {
                rows += batch.len();
                store.evaluation().record_answers(&std::mem::take(&mut batch)).await?;
            }
        }
        rows += batch.len();
        store.evaluation().record_answers(&batch).await?;
        made += take;
        week += 1;
    }
    println!("  {} points, {week} rounds, {made} point checks ({rows} clause answers) in {:.0} s", points.len(), started.elapsed().as_secs_f64());

    // The questionnaire: a million answers spread over the streets.
    let started = Instant::now();
    let form = bench_form()?;
    let questionnaire = app.create_questionnaire(&office, "bench", form.clone(), at).await?;
    app.open_questionnaire(&office, questionnaire.id, None, at).await?;
    let mut sent = 0;
    while sent < responses {
        let chunk: Vec<NewResponse> = (sent..(sent + 10_000).min(responses))
            .map(|n| {
                let (street, _) = &streets[n % streets.len()];
                let levels = [rng.random_range(1..=5u8), rng.random_range(3..=5u8)];
                let answers = serde_json::json!({"clean": levels[0].to_string(), "overall": levels[1].to_string()});
                let scored = form.check(serde_json::from_value(answers).expect("answers")).expect("a valid response");
                NewResponse {
                    questionnaire: questionnaire.id,
                    respondent: format!("bench-{n:08}"),
                    channel: ResponseChannel::Import,
                    region: street.clone(),
                    month: MONTH.to_owned(),
                    answers: serde_json::to_string(&scored.answers).expect("json"),
                    score: scored.index,
                    clauses: scored.clauses,
                    entered_by: None,
                    submitted_at: at,
                }
            })
            .collect();
        sent += chunk.len();
        store.questionnaires().submit(chunk).await?;
    }
    println!("  {sent} questionnaire answers in {:.0} s", started.elapsed().as_secs_f64());

    // The measurements.
    let period = Period::month(month);
    let scores = app.evaluation_scores(period, ScoreLevel::District).await?;
    ensure!(scores.items.iter().all(|r| r.questionnaire.is_some() && r.field_check.is_some()), "every district has both sub-scores");
    let (d_min, d_med, d_max) = timed(repeat, async || app.evaluation_scores(period, ScoreLevel::District).await.map_err(anyhow::Error::from)).await?;
    let (s_min, s_med, s_max) = timed(repeat, async || app.evaluation_scores(period, ScoreLevel::Street).await.map_err(anyhow::Error::from)).await?;
    let district = scores.items[scores.items.len() / 2].code.clone();
    let (h_min, h_med, h_max) = timed(repeat, async || app.health_report(&district, period).await.map_err(anyhow::Error::from)).await?;
    println!("scores and ranking, {districts} districts (min / median / max of {repeat}): {d_min:.1} / {d_med:.1} / {d_max:.1} ms");
    println!("scores and ranking, {} streets: {s_min:.1} / {s_med:.1} / {s_max:.1} ms", streets.len());
    println!("health report of {district}: {h_min:.1} / {h_med:.1} / {h_max:.1} ms");
    drop(app);
    store.close().await;

    public_form(dir, submissions, clients).await
}

/// Two satisfaction questions, one linked to 5.1.1.
fn bench_form() -> anyhow::Result<Form> {
    let sheet = |rows: &[&[&str]]| -> Vec<Vec<String>> { rows.iter().map(|r| r.iter().map(|c| (*c).to_owned()).collect()).collect() };
    Ok(Form::from_xlsform(
        &sheet(&[
            &["type", "name", "label", "required", "clause"],
            &["select_one satisfaction", "clean", "环境卫生满意吗？", "yes", "5.1.1"],
            &["select_one satisfaction", "overall", "总体满意吗？", "yes", ""],
        ]),
        &[],
        &sheet(&[&["form_title"], &["基准问卷"]]),
    )?)
}

/// `submissions` answers through the public form by `clients` concurrent clients against a
/// server process; the server is killed with SIGKILL afterwards and every acknowledged answer
/// is looked up in the database.
async fn public_form(dir: &Path, submissions: usize, clients: usize) -> anyhow::Result<()> {
    // A second questionnaire, opened, with its links.
    let store = Store::open_data_dir(dir).await?;
    let app = App::new(store.clone(), Arc::new(gridline_geo::beijing()), &Default::default()).await?;
    let office = Actor { user_id: 0, username: "bench".into(), role: Role::Admin, unit: None };
    let q = app.create_questionnaire(&office, "bench-public", bench_form()?, Timestamp::now()).await?;
    app.open_questionnaire(&office, q.id, None, Timestamp::now()).await?;
    let link = app.questionnaire_links(&office, q.id).await?.into_iter().next().context("a link")?;
    let streets: Vec<String> = app.public_form(&link.token, Timestamp::now()).await?.streets.into_iter().map(|s| s.code).collect();
    drop(app);
    store.close().await;

    let addr = crate::bench::free_port()?;
    let mut server = crate::bench::start_server(&crate::bench::Place::Dir(dir.to_owned()), addr, None, &[("GRIDLINE_FORM_ANSWERS_PER_MINUTE", "0")]).await?;
    let url = format!("http://{addr}/api/v1/public/questionnaires/{}/responses", link.token);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..clients {
        let (url, streets) = (url.clone(), streets.clone());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut acknowledged = Vec::new();
            let mut latencies = Vec::new();
            let mut n = client;
            while n < submissions {
                let body = serde_json::json!({
                    "respondent": format!("device-{n:08}"),
                    "street": streets[n % streets.len()],
                    "answers": {"clean": ((n % 5) + 1).to_string(), "overall": "5"},
                });
                let sent = Instant::now();
                let response = http.post(&url).json(&body).send().await;
                if let Ok(response) = response
                    && response.status() == reqwest::StatusCode::CREATED
                {
                    latencies.push(sent.elapsed());
                    acknowledged.push(format!("device-{n:08}"));
                }
                n += clients;
            }
            (acknowledged, latencies)
        }));
    }
    let mut acknowledged = Vec::new();
    let mut latencies = Vec::new();
    for task in tasks {
        let (a, l) = task.await?;
        acknowledged.extend(a);
        latencies.extend(l);
    }
    let elapsed = started.elapsed();
    server.start_kill()?;
    server.wait().await?;
    latencies.sort();
    let pct = |p: f64| latencies.get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1))).map_or(0.0, |d| millis(*d));
    println!(
        "public form: {} of {submissions} answers acknowledged (201) from {clients} clients in {:.1} s ({:.0}/s); p50 {:.1} ms, p99 {:.1} ms",
        acknowledged.len(),
        elapsed.as_secs_f64(),
        acknowledged.len() as f64 / elapsed.as_secs_f64(),
        pct(0.5),
        pct(0.99)
    );
    // After kill -9: every acknowledged answer is in the database.
    let store = Store::open_data_dir(dir).await?;
    let stored = store.questionnaires().count(Some(q.id)).await?;
    let mut missing = 0;
    let kept: std::collections::HashSet<String> = store.questionnaires().responses(q.id, u32::MAX).await?.into_iter().map(|r| r.respondent).collect();
    for key in &acknowledged {
        if !kept.contains(key) {
            missing += 1;
        }
    }
    println!("after kill -9: {stored} answers stored, {} acknowledged, {missing} acknowledged but missing", acknowledged.len());
    ensure!(missing == 0, "{missing} acknowledged answers were lost");
    store.close().await;
    Ok(())
}
