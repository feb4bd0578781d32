//! Rankings, rates, hotspots, campaigns and supervision over HTTP, on every engine under test.

mod api_schema;

use gridline_core::actor::{Actor, Role};
use gridline_core::calendar::WorkCalendar;
use gridline_core::case::{CaseEvent, Change, Channel, GeoPoint, Intake, Satisfaction, SupervisionLevel};
use gridline_core::period::Month;
use gridline_core::sla::{LimitUnit, SlaClock, TimeLimit};
use gridline_core::unit::{Unit, UnitKind};
use gridline_app::passwords::hash_password;
use gridline_server::Application;
use gridline_store::testing::fresh_databases;
use gridline_store::{NewUser, Store};
use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PASSWORD: &str = "Wangjing-2024!";
const WANGJING: &str = "110105026000";
const DONGHUAMEN: &str = "110101001000";

fn bj(text: &str) -> Timestamp {
    let civil: jiff::civil::DateTime = text.parse().unwrap();
    civil.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).unwrap().timestamp()
}

/// A closed and called-back history: accepted after `accept_h` hours, handled in time.
fn closed_loop(region: &str, unit: &str, day: &str, accept_h: i64, resolved: bool, satisfaction: Satisfaction) -> Vec<CaseEvent> {
    let actor = Actor { user_id: 1, username: "admin".into(), role: Role::Admin, unit: None };
    let start = bj(&format!("{day} 08:00"));
    let at = |mins: i64| start + SignedDuration::from_mins(mins);
    let intake = Intake {
        channel: Channel::Hotline,
        external_id: None,
        category: Some("S0102".parse().unwrap()),
        category_version: Some(1),
        source: None,
        emergency: false,
        suggestion: None,
        region: Some(region.parse().unwrap()),
        title: "垃圾".into(),
        description: "暴露垃圾".into(),
        address: None,
        location: None,
        reporter: None,
        photos: vec![],
    };
    let clock = SlaClock::start(WorkCalendar::china(), at(10), TimeLimit::new(72, LimitUnit::Hours));
    let changes = vec![
        (0, Change::Receive(intake)),
        (5, Change::Register { category: "S0102".parse().unwrap(), category_version: 1, region: region.parse().unwrap(), note: None }),
        (10, Change::Dispatch { unit: unit.parse().unwrap(), clock, note: None, rule: None }),
        (10 + accept_h * 60, Change::Accept { note: None }),
        (10 + accept_h * 60 + 60, Change::Handle { feedback: "已清理".into(), photos: vec![] }),
        (10 + accept_h * 60 + 120, Change::Verify { passed: true, note: None }),
        (10 + accept_h * 60 + 180, Change::Callback { resolved, satisfaction, note: None }),
    ];
    changes.into_iter().zip(1..).map(|((m, change), seq)| CaseEvent { seq, at: at(m), actor: actor.clone(), change }).collect()
}

struct Api {
    base: String,
    client: reqwest::Client,
}

impl Api {
    async fn token(&self, user: &str) -> String {
        let body: Value = self
            .client
            .post(format!("{}/session", self.base))
            .json(&json!({"username": user, "password": PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    async fn get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        read("GET", self.client.get(format!("{}{path}", self.base)).bearer_auth(token).send().await.unwrap()).await
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        read("POST", self.client.post(format!("{}{path}", self.base)).bearer_auth(token).json(&body).send().await.unwrap()).await
    }

    /// A POST of raw text as JSON: for bodies that are not JSON, or too large.
    async fn post_text(&self, token: &str, path: &str, body: String) -> (StatusCode, Value) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        (r.status(), r.json().await.unwrap_or(Value::Null))
    }

    /// A GET without signing in.
    async fn get_public(&self, path: &str) -> (StatusCode, Value) {
        read("GET", self.client.get(format!("{}{path}", self.base)).send().await.unwrap()).await
    }
}

/// The status and JSON of an answer; a success is checked against the OpenAPI document.
async fn read(method: &str, r: reqwest::Response) -> (StatusCode, Value) {
    let (status, path) = (r.status(), r.url().path().to_owned());
    let body = r.json().await.unwrap_or(Value::Null);
    if status.is_success() {
        let problems = api_schema::check_answer(method, &path, status.as_u16(), &body);
        assert!(problems.is_empty(), "{method} {path}: the answer differs from the OpenAPI document:\n{}", problems.join("\n"));
    }
    (status, body)
}

/// The error code of an API error body.
fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

async fn each_server(test: impl AsyncFn(&'static str, Api, Store)) {
    let dir = tempfile::tempdir().unwrap();
    let hash = hash_password(PASSWORD).unwrap();
    for (engine, url) in fresh_databases(dir.path()).await {
        let store = Store::open(&url).await.unwrap();
        let now = Timestamp::now();
        for (code, region) in [("CY-WJ", WANGJING), ("DC-DHM", DONGHUAMEN)] {
            let unit = Unit { code: code.parse().unwrap(), name: format!("{code} 街道办事处"), kind: UnitKind::StreetOffice, regions: vec![region.into()], types: vec![] };
            store.people().put_unit(&unit, now).await.unwrap();
        }
        for (name, role, unit) in [("admin", Role::Admin, None), ("supervisor", Role::Supervisor, None), ("dispatcher", Role::Dispatcher, None), ("wj", Role::HandlingUnit, Some("CY-WJ")), ("dhm", Role::HandlingUnit, Some("DC-DHM"))] {
            let user = NewUser { username: name.into(), display_name: name.into(), role, unit: unit.map(|c| c.parse().unwrap()), password_hash: hash.clone() };
            store.people().create_user(&user, now).await.unwrap();
        }
        // October: 望京 3 cases, 2 answered in time, all solved, one only basically satisfied.
        // 东华门 2 cases, both in time, one unsolved and dissatisfied. November: one each.
        let histories = vec![
            closed_loop(WANGJING, "CY-WJ", "2026-10-05", 1, true, Satisfaction::Satisfied),
            closed_loop(WANGJING, "CY-WJ", "2026-10-06", 30, true, Satisfaction::Satisfied),
            closed_loop(WANGJING, "CY-WJ", "2026-10-07", 1, true, Satisfaction::BasicallySatisfied),
            closed_loop(DONGHUAMEN, "DC-DHM", "2026-10-05", 1, true, Satisfaction::Satisfied),
            closed_loop(DONGHUAMEN, "DC-DHM", "2026-10-06", 1, false, Satisfaction::Dissatisfied),
            closed_loop(WANGJING, "CY-WJ", "2026-09-05", 1, false, Satisfaction::Dissatisfied),
            closed_loop(DONGHUAMEN, "DC-DHM", "2026-09-05", 1, true, Satisfaction::Satisfied),
        ];
        store.cases().import(histories).await.unwrap();
        let app = Application::build(store.clone(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
        let base = format!("http://127.0.0.1:{}/api/v1", app.port());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async move {
            let _ = stopped.await;
        }));
        test(engine, Api { base, client: reqwest::Client::new() }, store.clone()).await;
        let _ = stop.send(());
        let _ = server.await;
    }
}

#[tokio::test]
async fn the_monthly_street_ranking_by_hand() {
    each_server(async |engine, api, _store| {
        let token = api.token("wj").await;
        // Two or three cases a street: under the default minimum sample (5), shown unranked
        // (样本不足) and nobody on the interview list.
        let (status, small) = api.get(&token, "/rankings?period=2026-10&level=street").await;
        assert_eq!(status, StatusCode::OK, "{engine}: {small}");
        assert_eq!(small["min_cases"], 5);
        assert!(small["items"].as_array().unwrap().iter().all(|r| r["rank"].is_null() && r["insufficient"] == true), "{engine}: {small}");
        assert_eq!(small["interview"], json!([]));
        assert_eq!((small["notice"]["ranked"].as_u64(), small["notice"]["unranked"].as_u64()), (Some(0), Some(2)));
        assert_eq!(api.get(&token, "/rankings?period=2026-10&min_cases=many").await.0, StatusCode::UNPROCESSABLE_ENTITY);
        // The figures by hand, every street ranked.
        let (status, body) = api.get(&token, "/rankings?period=2026-10&level=street&min_cases=0").await;
        assert_eq!(status, StatusCode::OK, "{engine}: {body}");
        let items = body["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "{engine}");
        // 望京: response 2/3, resolution 3/3, satisfaction 3/3 → 0.1·66.67 + 45 + 45 = 96.67.
        // 东华门: 2/2, 1/2, 1/2 → 10 + 22.5 + 22.5 = 55.
        assert_eq!(items[0]["code"], WANGJING, "{engine}");
        assert_eq!(items[0]["rank"], 1);
        assert!((items[0]["score"].as_f64().unwrap() - (10.0 * 2.0 / 3.0 + 90.0)).abs() < 1e-6);
        assert!((items[0]["response_rate"].as_f64().unwrap() - 200.0 / 3.0).abs() < 1e-6);
        assert_eq!(items[0]["satisfaction_rate"], 100.0);
        // September: 望京 0.1·100 + 0 + 0 = 10, 东华门 100 → 望京 gained one place.
        assert_eq!(items[0]["movement"], 1, "{engine}");
        assert_eq!(items[1]["code"], DONGHUAMEN);
        assert_eq!(items[1]["movement"], -1);
        assert_eq!(items[1]["score"], 55.0);
        assert_eq!(body["interview"].as_array().unwrap().len(), 2);
        let (_, one) = api.get(&token, "/rankings?period=2026-10&level=street&bottom=1&min_cases=0").await;
        assert_eq!(one["interview"][0]["code"], DONGHUAMEN);
        let (_, units) = api.get(&token, "/rankings?period=2026-10&level=unit&min_cases=0").await;
        assert_eq!(units["items"][0]["code"], "CY-WJ");
        assert_eq!(units["items"][0]["name"], "CY-WJ 街道办事处");
        let (_, districts) = api.get(&token, "/rankings?period=2026-09..2026-10&level=district&min_cases=0").await;
        assert_eq!(districts["items"].as_array().unwrap().len(), 2, "{engine}");
        let (_, empty) = api.get(&token, "/rankings?period=2020-01").await;
        assert_eq!(empty["items"], json!([]));
        for (query, status) in [
            ("", StatusCode::UNPROCESSABLE_ENTITY),
            ("?period=2026-13", StatusCode::UNPROCESSABLE_ENTITY),
            ("?period=2026-10&level=city", StatusCode::UNPROCESSABLE_ENTITY),
            ("?period=2026-10&region=999", StatusCode::UNPROCESSABLE_ENTITY),
            ("?period=2026-10&bottom=0", StatusCode::UNPROCESSABLE_ENTITY),
            ("?period=2026-10&sort=name", StatusCode::BAD_REQUEST),
        ] {
            let (got, body) = api.get(&token, &format!("/rankings{query}")).await;
            assert_eq!(got, status, "{engine} {query}: {body}");
            assert!(body["error"]["code"].is_string());
        }
        let (status, _) = api.get("nonsense", "/rankings?period=2026-10").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        // The rates of one unit and the digital city-management rates.
        let (_, rates) = api.get(&token, "/rates?period=2026-10&unit=DC-DHM").await;
        assert_eq!(rates["rates"]["resolution_rate"], 50.0, "{engine}");
        assert_eq!(rates["rates"]["on_time_closure_rate"], 100.0);
        assert_eq!(rates["counts"]["called_back"], 2);
        let (status, _) = api.get(&token, "/rates?period=2026-10&unit=NOPE").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        // Hotspots of 朝阳 in October: 3 exposed-rubbish cases against 1 in September.
        let (_, hot) = api.get(&token, "/hotspots?period=2026-10&region=110105000000").await;
        assert_eq!(hot["items"][0]["category"], "S0102", "{engine}: {hot}");
        assert_eq!(hot["items"][0]["count"], 3);
        assert_eq!(hot["items"][0]["previous"], 1);
        assert_eq!(hot["items"][0]["change_vs_previous"], 200.0);
    })
    .await;
}

/// `history` with `changes` put before its step `at`, minutes after the intake, numbered afresh.
fn with_steps(mut history: Vec<CaseEvent>, at: usize, changes: Vec<(i64, Change)>) -> Vec<CaseEvent> {
    let (start, actor) = (history[0].at, history[0].actor.clone());
    let extra = changes.into_iter().map(|(mins, change)| CaseEvent { seq: 0, at: start + SignedDuration::from_mins(mins), actor: actor.clone(), change });
    history.splice(at..at, extra);
    for (seq, event) in (1..).zip(&mut history) {
        event.seq = seq;
    }
    history
}

#[tokio::test]
async fn the_dashboard_and_the_ranking_agree_on_a_months_rates() {
    each_server(async |engine, api, store| {
        // One more October case in 望京: first sent to 东华门's office, which returned it (not held
        // against anyone), then accepted in time by 望京, unsolved and dissatisfied. With the three
        // of the fixture (one accepted after 30 h, one only basically satisfied), 望京's October:
        // response 3 in time of 5 dispatches − 1 return, resolution 3/4, satisfaction 3/4.
        let returned = with_steps(
            closed_loop(WANGJING, "CY-WJ", "2026-10-08", 1, false, Satisfaction::Dissatisfied),
            2,
            vec![
                (6, Change::Dispatch { unit: "DC-DHM".parse().unwrap(), clock: SlaClock::start(WorkCalendar::china(), bj("2026-10-08 08:06"), TimeLimit::new(72, LimitUnit::Hours)), note: None, rule: None }),
                (8, Change::Return { reason: "不属本单位".into() }),
            ],
        );
        // Open now in 东华门: one dispatched in November, long overdue and supervised; one with
        // 20 minutes left of 2 hours, due soon.
        let actor = Actor { user_id: 1, username: "admin".into(), role: Role::Admin, unit: None };
        let overdue = with_steps(
            closed_loop(DONGHUAMEN, "DC-DHM", "2026-11-09", 1, true, Satisfaction::Satisfied)[..3].to_vec(),
            3,
            vec![(60, Change::Supervise { level: SupervisionLevel::Key, note: "超期".into() })],
        );
        let now = Timestamp::now();
        let mut due_soon = closed_loop(DONGHUAMEN, "DC-DHM", "2026-11-10", 1, true, Satisfaction::Satisfied)[..3].to_vec();
        for (event, ago) in due_soon.iter_mut().zip([120, 110, 100]) {
            event.at = now - SignedDuration::from_mins(ago);
            event.actor = actor.clone();
        }
        due_soon[2].change = Change::Dispatch { unit: "DC-DHM".parse().unwrap(), clock: SlaClock::start(WorkCalendar::china(), due_soon[2].at, TimeLimit::new(2, LimitUnit::Hours)), note: None, rule: None };
        store.cases().import(vec![returned, overdue, due_soon]).await.unwrap();

        let token = api.token("supervisor").await;
        let (status, streets) = api.get(&token, "/rankings?period=2026-10&level=street").await;
        assert_eq!(status, StatusCode::OK, "{engine}: {streets}");
        let (_, districts) = api.get(&token, "/rankings?period=2026-10&level=district").await;
        for (ranking, code, region) in [(&streets, WANGJING, WANGJING), (&streets, DONGHUAMEN, DONGHUAMEN), (&districts, "110105", "110105000000")] {
            let item = ranking["items"].as_array().unwrap().iter().find(|i| i["code"] == code).unwrap_or_else(|| panic!("{engine}: {code} ranked"));
            let (status, dashboard) = api.get(&token, &format!("/dashboard?region={region}&period=2026-10")).await;
            assert_eq!(status, StatusCode::OK, "{engine}: {dashboard}");
            assert_eq!(dashboard["period"], "2026-10");
            for rate in ["response", "resolution", "satisfaction"] {
                let shown = dashboard["rates"][rate]["rate"].as_f64().unwrap() * 100.0;
                let ranked = item[format!("{rate}_rate")].as_f64().unwrap();
                assert!((shown - ranked).abs() < 1e-9, "{engine} {code} {rate}: dashboard {shown}, ranking {ranked}");
            }
        }
        let (_, wangjing) = api.get(&token, &format!("/dashboard?region={WANGJING}&period=2026-10")).await;
        assert_eq!(wangjing["rates"]["response"], json!({"numerator": 3, "denominator": 4, "rate": 0.75}), "{engine}");
        assert_eq!(wangjing["rates"]["resolution"], json!({"numerator": 3, "denominator": 4, "rate": 0.75}));
        assert_eq!(wangjing["rates"]["satisfaction"], json!({"numerator": 3, "denominator": 4, "rate": 0.75}));
        assert_eq!((wangjing["total"].as_i64(), wangjing["open"].as_i64()), (Some(5), Some(0)), "{engine}");

        // The city now: 10 cases, the two open ones in 东城, counted from the open cases' index.
        let (_, city) = api.get(&token, "/dashboard?days=1").await;
        assert_eq!(city["by_category"][0]["count"], 1, "{engine}: this month's, the due-soon case: {city}");
        assert_eq!(city["total"], 10, "{engine}: {city}");
        assert_eq!((city["open"].as_i64(), city["overdue"].as_i64(), city["due_soon"].as_i64(), city["supervised"].as_i64()), (Some(2), Some(1), Some(1), Some(1)), "{engine}");
        assert_eq!(city["period"], Month::of(now).to_string(), "the rates of this month by default");
        assert_eq!(city["trend"].as_array().unwrap().len(), 1);
        let received_today = gridline_core::period::day_of(now - SignedDuration::from_mins(120)) == gridline_core::period::day_of(now);
        assert_eq!(city["today"]["received"], i64::from(received_today), "{engine}");
        let dongcheng = city["by_region"].as_array().unwrap().iter().find(|r| r["code"] == "110101000000").unwrap();
        assert_eq!((dongcheng["total"].as_i64(), dongcheng["open"].as_i64(), dongcheng["overdue"].as_i64()), (Some(5), Some(2), Some(1)), "{engine}");
        let (_, months) = api.get(&token, &format!("/dashboard?period=2026-09..{}", Month::of(now))).await;
        assert_eq!(months["by_category"][0]["count"], 10, "{engine}: {months}");
        let (status, _) = api.get(&token, "/dashboard?period=2026-13").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    })
    .await;
}

/// A closed case in 望京 reported at an address or a point.
fn reported_at(day: &str, address: Option<&str>, location: Option<(f64, f64)>) -> Vec<CaseEvent> {
    let mut events = closed_loop(WANGJING, "CY-WJ", day, 1, true, Satisfaction::Satisfied);
    if let Change::Receive(intake) = &mut events[0].change {
        intake.address = address.map(Into::into);
        intake.location = location.map(|(lat, lon)| GeoPoint { lat, lon });
    }
    events
}

#[tokio::test]
async fn places_that_keep_coming_back_are_listed_with_their_history() {
    each_server(async |engine, api, store| {
        // One address written three ways in October and once in September; two points 10 m
        // apart in October; one address once.
        store
            .cases().import(vec![
                reported_at("2026-10-03", Some("望京西路1号"), None),
                reported_at("2026-10-12", Some("望京西路 1 号"), None),
                reported_at("2026-10-20", Some("望京西路1号。"), None),
                reported_at("2026-09-20", Some("望京西路1号"), None),
                reported_at("2026-10-04", None, Some((39.99003, 116.47003))),
                reported_at("2026-10-05", None, Some((39.99008, 116.47008))),
                reported_at("2026-10-06", Some("阜通东大街6号"), None),
            ])
            .await
            .unwrap();
        let supervisor = api.token("supervisor").await;
        let (status, october) = api.get(&supervisor, "/hotspots/places?period=2026-10&min=2").await;
        assert_eq!(status, StatusCode::OK, "{engine}: {october}");
        let items = october["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "{engine}: {october}");
        assert_eq!((items[0]["kind"].as_str(), items[0]["place"].as_str(), items[0]["count"].as_i64()), (Some("address"), Some("望京西路1号"), Some(3)), "{engine}");
        let history: Vec<&str> = items[0]["history"].as_array().unwrap().iter().map(|c| c["received_at"].as_str().unwrap()).collect();
        assert_eq!(history.len(), 3);
        assert!(history.windows(2).all(|w| w[0] < w[1]), "oldest first: {history:?}");
        assert_eq!(items[0]["first_received_at"].as_str(), history.first().copied());
        assert_eq!(items[0]["categories"], json!(["S0102"]));
        assert_eq!((items[1]["kind"].as_str(), items[1]["count"].as_i64()), (Some("cluster"), Some(2)), "{engine}");
        // September joins the address's history; the default minimum of 3 drops the pair.
        let (_, two_months) = api.get(&supervisor, "/hotspots/places?period=2026-09..2026-10").await;
        let counts: Vec<i64> = two_months["items"].as_array().unwrap().iter().map(|p| p["count"].as_i64().unwrap()).collect();
        assert_eq!(counts, [4], "{engine}: {two_months}");
        let (_, by_category) = api.get(&supervisor, "/hotspots/places?period=2026-10&min=2&category=S0102&channel=hotline&region=110105000000").await;
        assert_eq!(by_category["items"], october["items"], "{engine}");
        let (_, elsewhere) = api.get(&supervisor, "/hotspots/places?period=2026-10&region=110101000000").await;
        assert_eq!(elsewhere["items"], json!([]), "{engine}");
        // A unit sees the places of its own cases only.
        let (_, other_unit) = api.get(&api.token("dhm").await, "/hotspots/places?period=2026-10&min=2").await;
        assert_eq!(other_unit["items"], json!([]), "{engine}: {other_unit}");
        for (bad, field) in [
            ("/hotspots/places", "period"),
            ("/hotspots/places?period=2026-13", "period"),
            ("/hotspots/places?period=2026-10&min=1", "min"),
            ("/hotspots/places?period=2026-10&min=x", "min"),
            ("/hotspots/places?period=2026-10&limit=100000", "limit"),
            ("/hotspots/places?period=2026-10&region=1", "region"),
            ("/hotspots/places?period=2026-10&category=9999", "category"),
            ("/hotspots/places?period=2026-10&channel=fax", "channel"),
        ] {
            let (status, err) = api.get(&supervisor, bad).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{engine} {bad}: {err}");
            assert_eq!(err["error"]["field"], field, "{engine} {bad}: {err}");
        }
        let (status, _) = api.get(&supervisor, "/hotspots/places?period=2026-10&radius=5").await;
        assert!(status.is_client_error(), "{engine}: an unknown parameter is refused, not ignored");
        let (status, _) = api.get_public("/hotspots/places?period=2026-10").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{engine}");
    })
    .await;
}

#[tokio::test]
async fn campaigns_are_declared_by_supervisors_and_measured() {
    each_server(async |engine, api, _store| {
        let supervisor = api.token("supervisor").await;
        let body = json!({"theme": "暴露垃圾专项整治", "entries": ["S01"], "regions": ["110105000000"], "first_month": "2026-10", "last_month": "2026-10"});
        let (status, _) = api.post(&api.token("wj").await, "/campaigns", body.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{engine}");
        let (status, campaign) = api.post(&supervisor, "/campaigns", body).await;
        assert_eq!(status, StatusCode::CREATED, "{engine}: {campaign}");
        // 朝阳 hotline: 3 in October against 1 in September (+200 %); none a year before.
        assert_eq!(campaign["effect"]["count"], 3);
        assert_eq!(campaign["effect"]["previous"]["count"], 1);
        assert_eq!(campaign["effect"]["previous"]["change_percent"], 200.0);
        assert_eq!(campaign["effect"]["last_year"]["change_percent"], Value::Null);
        let id = campaign["id"].as_i64().unwrap();
        let (_, again) = api.get(&supervisor, &format!("/campaigns/{id}")).await;
        assert_eq!(again["effect"], campaign["effect"]);
        let (_, all) = api.get(&supervisor, "/campaigns").await;
        assert_eq!(all["items"].as_array().unwrap().len(), 1);
        let (status, _) = api.get(&supervisor, "/campaigns/999").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = api.get(&supervisor, "/campaigns/x").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        for bad in [
            json!({"theme": "x", "entries": ["9999"], "first_month": "2026-10", "last_month": "2026-10"}),
            json!({"theme": "x", "entries": ["S01"], "regions": ["1"], "first_month": "2026-10", "last_month": "2026-10"}),
            json!({"theme": " ", "entries": ["S01"], "first_month": "2026-10", "last_month": "2026-10"}),
            json!({"theme": "x", "entries": ["S01"], "first_month": "2026-10", "last_month": "2026-09"}),
            json!({"theme": "x", "entries": ["S01"], "first_month": "2026-10", "last_month": "2026-10", "budget": 1}),
        ] {
            let (status, err) = api.post(&supervisor, "/campaigns", bad.clone()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{engine} {bad}: {err}");
        }
        let (_, all) = api.get(&supervisor, "/campaigns").await;
        assert_eq!(all["items"].as_array().unwrap().len(), 1, "nothing half-written");
    })
    .await;
}

#[tokio::test]
async fn supervision_orders_are_answered_once_by_the_supervised() {
    each_server(async |engine, api, _store| {
        let supervisor = api.token("supervisor").await;
        let wj = api.token("wj").await;
        let deadline = (Timestamp::now() + SignedDuration::from_hours(48)).to_string();
        let order = json!({"target_kind": "unit", "target": "CY-WJ", "level": "key", "note": "暴露垃圾反复出现", "deadline": deadline});
        let (status, _) = api.post(&wj, "/supervision/orders", order.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, created) = api.post(&supervisor, "/supervision/orders", order).await;
        assert_eq!(status, StatusCode::CREATED, "{engine}: {created}");
        assert_eq!(created["state"], "awaiting_reply");
        let id = created["id"].as_i64().unwrap();
        for bad in [
            json!({"target_kind": "unit", "target": "NOPE", "note": "n", "deadline": deadline}),
            json!({"target_kind": "case", "target": "424242", "note": "n", "deadline": deadline}),
            json!({"target_kind": "place", "target": "阜通东大街", "note": "n", "deadline": "2020-01-01T00:00:00Z"}),
            json!({"target_kind": "street", "target": "x", "note": "n", "deadline": deadline}),
        ] {
            let (status, err) = api.post(&supervisor, "/supervision/orders", bad.clone()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{engine} {bad}: {err}");
        }
        let (_, board) = api.get(&supervisor, "/supervision/board").await;
        assert_eq!(board["open_orders"], 1, "{engine}: {board}");
        assert_eq!(board["orders_by_level"]["key"], 1);
        assert_eq!(board["orders_by_unit"]["CY-WJ"], 1);
        assert_eq!(board["orders_by_age"]["under_1_day"], 1);
        let (status, _) = api.post(&api.token("dhm").await, &format!("/supervision/orders/{id}/reply"), json!({"reply": "不是我们"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = api.post(&wj, &format!("/supervision/orders/{id}/reply"), json!({"reply": "  "})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, replied) = api.post(&wj, &format!("/supervision/orders/{id}/reply"), json!({"reply": "已清理并安排每日巡查"})).await;
        assert_eq!(status, StatusCode::OK, "{engine}: {replied}");
        assert_eq!(replied["state"], "replied");
        let (status, _) = api.post(&wj, &format!("/supervision/orders/{id}/reply"), json!({"reply": "again"})).await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, _) = api.post(&wj, "/supervision/orders/999/reply", json!({"reply": "x"})).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, open) = api.get(&supervisor, "/supervision/orders?open=true").await;
        assert_eq!(open["items"], json!([]));
        let (status, _) = api.get(&supervisor, "/supervision/orders?open=maybe").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    })
    .await;
}

#[tokio::test]
async fn the_sweep_reminds_an_overdue_case_once() {
    each_server(async |engine, api, store| {
        // A case dispatched three days ago with a two-hour limit: overdue.
        let actor = Actor { user_id: 1, username: "admin".into(), role: Role::Admin, unit: None };
        let start = Timestamp::now() - SignedDuration::from_hours(72);
        let mut history = closed_loop(WANGJING, "CY-WJ", "2026-10-05", 1, true, Satisfaction::Satisfied);
        history.truncate(2);
        for e in &mut history {
            e.at = start;
        }
        let clock = SlaClock::start(WorkCalendar::china(), start, TimeLimit::new(2, LimitUnit::Hours));
        history.push(CaseEvent { seq: 3, at: start, actor, change: Change::Dispatch { unit: "CY-WJ".parse().unwrap(), clock, note: None, rule: None } });
        let case_id = store.cases().import(vec![history]).await.unwrap()[0].case.id;
        let state = gridline_app::App::new(store.clone(), std::sync::Arc::new(gridline_geo::beijing()), &Default::default()).await.unwrap();
        let now = Timestamp::now();
        // The server's own sweep, which starts with it, may get to the new case first: whichever
        // sweeps first sends the reminder, and no sweep sends it again.
        let first = state.sweep(now).await.unwrap().reminders;
        assert!(first <= 1, "{engine}: {first}");
        assert_eq!(state.sweep(now + SignedDuration::from_mins(1)).await.unwrap().reminders, 0, "sent once");
        let (_, mine) = api.get(&api.token("wj").await, "/supervision/reminders").await;
        assert_eq!(mine["items"].as_array().map(Vec::len), Some(1), "{engine}: {mine}");
        assert_eq!(mine["items"][0]["case_id"], case_id.get(), "{engine}: {mine}");
        assert_eq!(mine["items"][0]["kind"], "overdue");
        let (_, board) = api.get(&api.token("supervisor").await, "/supervision/board").await;
        assert_eq!(board["overdue_cases_by_unit"][0]["unit"], "CY-WJ", "{engine}: {board}");
        assert_eq!(board["overdue_cases_by_unit"][0]["overdue"], 1);
        let (_, other) = api.get(&api.token("dhm").await, "/supervision/reminders").await;
        assert_eq!(other["items"], json!([]), "a unit sees its own reminders only");
    })
    .await;
}

#[tokio::test]
async fn listed_places_are_on_a_public_list_until_the_deadline_check_passes() {
    each_server(async |engine, api, store| {
        let supervisor = api.token("supervisor").await;
        let wj = api.token("wj").await;
        let deadline = (Timestamp::now() + SignedDuration::from_hours(24 * 30)).to_string();
        let listing = json!({"kind": "place", "target": "阜通东大街6号", "name": "阜通东大街6号门前", "region": WANGJING,
            "reason": "暴露垃圾反复出现, 月评排名末位", "deadline": deadline});
        let (status, err) = api.post(&wj, "/supervision/listings", listing.clone()).await;
        assert_eq!((status, code(&err)), (StatusCode::FORBIDDEN, "forbidden"), "{engine}");
        let (status, _) = api.post("nobody", "/supervision/listings", listing.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, created) = api.post(&supervisor, "/supervision/listings", listing.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{engine}: {created}");
        assert_eq!((created["overdue"].clone(), created["region_name"].clone()), (json!(false), json!("望京街道")), "{created}");
        let id = created["id"].as_i64().unwrap();
        let (status, err) = api.post(&supervisor, "/supervision/listings", listing.clone()).await;
        assert_eq!((status, code(&err)), (StatusCode::CONFLICT, "conflict"), "one open listing per target: {err}");
        let mut bad_bodies = vec![
            json!({"kind": "unit", "target": "NOPE", "name": "n", "reason": "r", "deadline": deadline}),
            json!({"kind": "street", "target": "x", "name": "n", "reason": "r", "deadline": deadline}),
            json!({"kind": "place", "target": "x", "name": "n", "reason": " ", "deadline": deadline}),
            json!({"kind": "place", "target": "", "name": "n", "reason": "r", "deadline": deadline}),
            json!({"kind": "place", "target": "x", "name": "n", "reason": "r", "deadline": "2020-01-01T00:00:00Z"}),
            json!({"kind": "place", "target": "x", "name": "n", "reason": "r", "deadline": "tomorrow"}),
            json!({"kind": "place", "target": "x", "name": "n", "region": "110199999999", "reason": "r", "deadline": deadline}),
            json!({"kind": "place", "target": "x", "name": "n", "reason": "长".repeat(2001), "deadline": deadline}),
            json!({"kind": "place", "target": "x", "name": "n", "reason": "r", "deadline": deadline, "owner": "me"}),
            json!({}),
        ];
        bad_bodies.push(json!({"kind": "place", "target": "x", "name": "n", "reason": "r"}));
        for bad in bad_bodies {
            let (status, err) = api.post(&supervisor, "/supervision/listings", bad.clone()).await;
            assert_eq!((status, code(&err)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid"), "{engine} {bad}: {err}");
        }
        let (status, err) = api.post_text(&supervisor, "/supervision/listings", "{\"kind\": ".into()).await;
        assert_eq!((status, code(&err)), (StatusCode::BAD_REQUEST, "malformed_json"));
        let huge = json!({"kind": "place", "target": "x", "name": "n", "reason": "长".repeat(40_000), "deadline": deadline}).to_string();
        let (status, err) = api.post_text(&supervisor, "/supervision/listings", huge).await;
        assert_eq!((status, code(&err)), (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"));
        // A unit listed by the HTTP API, and a place listed a month ago whose deadline has passed.
        let unit = json!({"kind": "unit", "target": "DC-DHM", "name": "东华门街道办事处", "reason": "三率连续两月末位", "deadline": deadline});
        let (status, _) = api.post(&supervisor, "/supervision/listings", unit).await;
        assert_eq!(status, StatusCode::CREATED);
        let past = gridline_core::supervision::NewListing {
            kind: gridline_core::supervision::ListingKind::Place,
            target: "望京西园三区".into(),
            name: "望京西园三区北门".into(),
            region: None,
            reason: "堆物堆料".into(),
            deadline: Timestamp::now() - SignedDuration::from_hours(1),
        };
        let late = store.listings().create(&past, 2, Timestamp::now() - SignedDuration::from_hours(24 * 30)).await.unwrap();

        // The public list: no sign-in, no people.
        let (status, public) = api.get_public("/supervision/listings?open=true").await;
        assert_eq!(status, StatusCode::OK, "{engine}: {public}");
        let items = public["items"].as_array().unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(items[0]["id"], late.id);
        assert_eq!(items[0]["overdue"], true);
        assert!(items.iter().all(|i| i.get("listed_by").is_none()), "{public}");
        let (status, _) = api.get_public("/supervision/listings?open=maybe").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, _) = api.get_public("/supervision/listings?page=2").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (_, board) = api.get(&supervisor, "/supervision/board").await;
        assert_eq!(board["open_listings"], 3, "{engine}: {board}");
        assert_eq!(board["overdue_listings"].as_array().unwrap().len(), 1);
        assert_eq!(board["overdue_listings"][0]["id"], late.id);

        // Checks: a failed one says why; a passed one before the deadline does not de-list.
        let checks = format!("/supervision/listings/{id}/checks");
        let (status, _) = api.post(&wj, &checks, json!({"passed": true})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, err) = api.post(&supervisor, &checks, json!({"passed": false})).await;
        assert_eq!((status, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("note")), "{err}");
        let (status, err) = api.post(&supervisor, &checks, json!({"passed": "yes"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        let (status, err) = api.post(&supervisor, &checks, json!({"passed": false, "note": "长".repeat(2001)})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        let (status, checked) = api.post(&supervisor, &checks, json!({"passed": false, "note": "仍有垃圾桶满溢"})).await;
        assert_eq!(status, StatusCode::OK, "{engine}: {checked}");
        let (_, checked) = api.post(&supervisor, &checks, json!({"passed": true, "note": "已清理"})).await;
        assert_eq!((checked["delisted_at"].clone(), checked["checks"].as_array().unwrap().len()), (Value::Null, 2), "{checked}");
        assert_eq!(checked["checks"][0], json!({"passed": false, "note": "仍有垃圾桶满溢", "at": checked["checks"][0]["at"]}));
        let (status, _) = api.post(&supervisor, "/supervision/listings/424242/checks", json!({"passed": true})).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = api.post(&supervisor, "/supervision/listings/x/checks", json!({"passed": true})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);

        // The late listing's check passes after its deadline: de-listed, once.
        let late_checks = format!("/supervision/listings/{}/checks", late.id);
        let (status, delisted) = api.post(&supervisor, &late_checks, json!({"passed": true})).await;
        assert_eq!(status, StatusCode::OK, "{engine}: {delisted}");
        assert!(delisted["delisted_at"].is_string());
        assert_eq!(delisted["overdue"], false);
        let (status, err) = api.post(&supervisor, &late_checks, json!({"passed": true})).await;
        assert_eq!((status, code(&err)), (StatusCode::CONFLICT, "conflict"));
        let (_, open) = api.get_public("/supervision/listings?open=true").await;
        assert_eq!(open["items"].as_array().unwrap().len(), 2);
        let (_, all) = api.get_public("/supervision/listings").await;
        assert_eq!(all["items"].as_array().unwrap().len(), 3);
        // Once de-listed, the place may be listed again.
        let again = json!({"kind": "place", "target": "望京西园三区", "name": "望京西园三区北门", "reason": "又见堆物", "deadline": deadline});
        let (status, _) = api.post(&supervisor, "/supervision/listings", again).await;
        assert_eq!(status, StatusCode::CREATED);
    })
    .await;
}

/// A case received through `channel` and dispatched to `unit` on 5 October with a 72-hour limit:
/// overdue by now.
fn dispatched(channel: Channel, region: &str, unit: &str) -> Vec<CaseEvent> {
    let mut history = closed_loop(region, unit, "2026-10-05", 1, true, Satisfaction::Satisfied);
    history.truncate(3);
    if let Change::Receive(intake) = &mut history[0].change {
        intake.channel = channel;
        intake.address = Some("阜通东大街6号".into());
    }
    history
}

#[tokio::test]
async fn a_finding_and_a_hotline_case_are_linked_and_supervised_from_both_sides() {
    each_server(async |engine, api, store| {
        let ids: Vec<i64> = store
            .cases().import(vec![
                dispatched(Channel::Grid, WANGJING, "CY-WJ"),
                dispatched(Channel::Hotline, WANGJING, "CY-WJ"),
                dispatched(Channel::Hotline, WANGJING, "CY-WJ"),
            ])
            .await
            .unwrap()
            .iter()
            .map(|c| c.case.id.get())
            .collect();
        let (finding, hotline, hotline2) = (ids[0], ids[1], ids[2]);
        let supervisor = api.token("supervisor").await;
        let dispatcher = api.token("dispatcher").await;
        // Supervision raised on the hotline side: an order on the case, a listing of its unit.
        let deadline = (Timestamp::now() + SignedDuration::from_hours(48)).to_string();
        let order = json!({"target_kind": "case", "target": hotline.to_string(), "level": "urgent", "note": "群众反复来电", "deadline": deadline});
        let (status, _) = api.post(&supervisor, "/supervision/orders", order).await;
        assert_eq!(status, StatusCode::CREATED);
        let listing = json!({"kind": "unit", "target": "CY-WJ", "name": "望京街道", "reason": "超期未办", "deadline": deadline});
        let (status, _) = api.post(&supervisor, "/supervision/listings", listing).await;
        assert_eq!(status, StatusCode::CREATED);

        let (status, _) = api.post(&api.token("wj").await, &format!("/cases/{finding}/links"), json!({"case": hotline})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{engine}");
        // Named hotline first: the finding is still the finding.
        let (status, linked) = api.post(&dispatcher, &format!("/cases/{hotline}/links"), json!({"case": finding})).await;
        assert_eq!(status, StatusCode::CREATED, "{engine}: {linked}");
        assert_eq!((linked["items"][0]["finding"].clone(), linked["items"][0]["hotline"].clone()), (json!(finding), json!(hotline)));
        assert_eq!(linked["items"][0]["case"]["id"], finding);
        // From the finding's side: the hotline case's state, unit, deadline, overdue and supervision.
        let (status, links) = api.get(&dispatcher, &format!("/cases/{finding}/links")).await;
        assert_eq!(status, StatusCode::OK, "{engine}: {links}");
        let other = &links["items"][0];
        assert_eq!(other["case"]["id"], hotline, "{links}");
        assert_eq!(other["case"]["status"], "dispatched");
        assert_eq!(other["case"]["unit"], "CY-WJ");
        assert!(other["case"]["deadline"].is_string(), "{links}");
        assert_eq!(other["case"]["overdue"], true);
        assert!(other["case"].get("reporter").is_none() && other["case"].get("description").is_none());
        assert_eq!(other["orders"][0]["level"], "urgent", "{links}");
        assert_eq!(other["orders"][0]["state"], "awaiting_reply");
        assert_eq!(other["listings"][0]["target"], "CY-WJ");
        // The unit's staff see the links of their own cases; other units do not see the case.
        let (status, _) = api.get(&api.token("wj").await, &format!("/cases/{hotline}/links")).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = api.get(&api.token("dhm").await, &format!("/cases/{hotline}/links")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        let link = |from: i64, to: Value| {
            let (api, dispatcher) = (&api, &dispatcher);
            async move { api.post(dispatcher, &format!("/cases/{from}/links"), json!({"case": to})).await }
        };
        let (status, err) = link(finding, json!(hotline)).await;
        assert_eq!((status, code(&err)), (StatusCode::CONFLICT, "conflict"), "a duplicate: {err}");
        let (status, err) = link(finding, json!(finding)).await;
        assert_eq!((status, code(&err), err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("case")), "{err}");
        let (status, err) = link(hotline, json!(hotline2)).await;
        assert_eq!((status, code(&err)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid"), "two hotline cases: {err}");
        for bad in [json!(424242), json!(0), json!("x"), json!(null)] {
            let (status, err) = link(finding, bad.clone()).await;
            assert_eq!((status, code(&err)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid"), "{engine} {bad}: {err}");
        }
        let (status, err) = api.post(&dispatcher, "/cases/424242/links", json!({"case": finding})).await;
        assert_eq!((status, code(&err)), (StatusCode::NOT_FOUND, "not_found"));
        let (status, err) = api.get(&dispatcher, "/cases/x/links").await;
        assert_eq!((status, code(&err)), (StatusCode::BAD_REQUEST, "bad_request"));
        let (status, err) = api.post_text(&dispatcher, &format!("/cases/{finding}/links"), "{case".into()).await;
        assert_eq!((status, code(&err)), (StatusCode::BAD_REQUEST, "malformed_json"));
        let (status, _) = api.post(&dispatcher, &format!("/cases/{finding}/links"), json!({"case": hotline2, "why": "same"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        // A second hotline case about the same problem links to the same finding.
        let (status, _) = link(finding, json!(hotline2)).await;
        assert_eq!(status, StatusCode::CREATED);
        let (_, links) = api.get(&supervisor, &format!("/cases/{finding}/links")).await;
        assert_eq!(links["items"].as_array().unwrap().len(), 2, "{engine}: {links}");
    })
    .await;
}

#[tokio::test]
async fn the_sweep_files_a_watched_places_inspection_once_per_slot() {
    each_server(async |engine, api, store| {
        let supervisor = api.token("supervisor").await;
        let watch = json!({"region": WANGJING, "place": "望京SOHO北侧", "category": "S0102", "every_days": 7});
        let (status, _) = api.post(&api.token("wj").await, "/supervision/watches", watch.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{engine}");
        let (status, created) = api.post(&supervisor, "/supervision/watches", watch.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{engine}: {created}");
        assert_eq!((created["active"].clone(), created["due"].clone(), created["last_case"].clone()), (json!(true), json!(true), Value::Null));
        let id = created["id"].as_i64().unwrap();
        let first_due: Timestamp = created["next_due"].as_str().unwrap().parse().unwrap();
        let (status, err) = api.post(&supervisor, "/supervision/watches", watch.clone()).await;
        assert_eq!((status, code(&err)), (StatusCode::CONFLICT, "conflict"), "{err}");
        for bad in [
            json!({"region": WANGJING, "place": "p", "category": "S0102", "every_days": 0}),
            json!({"region": WANGJING, "place": "p", "category": "S0102", "every_days": 91}),
            json!({"region": WANGJING, "place": "p", "category": "S0102", "every_days": -1}),
            json!({"region": WANGJING, "place": "p", "category": "S01", "every_days": 7}),
            json!({"region": "110199999999", "place": "p", "category": "S0102", "every_days": 7}),
            json!({"region": WANGJING, "place": " ", "category": "S0102", "every_days": 7}),
            json!({"region": WANGJING, "place": "街".repeat(301), "category": "S0102", "every_days": 7}),
            json!({"region": WANGJING, "place": "p", "category": "S0102", "every_days": 7, "first_due": "2099-01-01T00:00:00Z"}),
            json!({"region": WANGJING, "place": "p", "category": "S0102", "every_days": 7, "cron": "* * *"}),
            json!({"place": "p", "category": "S0102", "every_days": 7}),
        ] {
            let (status, err) = api.post(&supervisor, "/supervision/watches", bad.clone()).await;
            assert_eq!((status, code(&err)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid"), "{engine} {bad}: {err}");
        }
        let (status, _) = api.post_text(&supervisor, "/supervision/watches", "[".into()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (_, board) = api.get(&supervisor, "/supervision/board").await;
        assert_eq!(board["due_watches"][0]["id"], id, "{engine}: {board}");

        // Two sweeps at the same instant, at once, and a third after them: one case.
        let state = gridline_app::App::new(store.clone(), std::sync::Arc::new(gridline_geo::beijing()), &Default::default()).await.unwrap();
        let now = Timestamp::now();
        let (a, b) = tokio::join!(state.sweep(now), state.sweep(now));
        assert_eq!(a.unwrap().inspections + b.unwrap().inspections, 1, "{engine}");
        assert_eq!(state.sweep(now).await.unwrap().inspections, 0, "{engine}: filed once");
        let (_, watches) = api.get(&supervisor, "/supervision/watches?active=true").await;
        let w = &watches["items"][0];
        let case_id = w["last_case"].as_i64().unwrap_or_else(|| panic!("{engine}: {watches}"));
        assert_eq!(w["next_due"].as_str().unwrap().parse::<Timestamp>().unwrap(), first_due + SignedDuration::from_hours(24 * 7));
        assert_eq!(w["due"], false);
        let admin = api.token("admin").await;
        let (_, inspections) = api.get(&admin, "/cases?channel=inspection").await;
        assert_eq!(inspections["total"], 1, "{engine}: {inspections}");
        // Filed like any case: received, in the watch's region and entry, in its author's name,
        // waiting for the dispatcher to register and dispatch it.
        let (status, case) = api.get(&admin, &format!("/cases/{case_id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!((case["status"].clone(), case["channel"].clone()), (json!("received"), json!("inspection")), "{case}");
        assert_eq!((case["region"].clone(), case["category"].clone(), case["address"].clone()), (json!(WANGJING), json!("S0102"), json!("望京SOHO北侧")));
        assert_eq!(case["events"][0]["actor"]["username"], "supervisor");
        let (status, registered) = api.post(&admin, &format!("/cases/{case_id}/actions"), json!({"action": "register"})).await;
        assert_eq!(status, StatusCode::OK, "{engine}: {registered}");

        // A week later, the next slot: a second case.
        let week = now + SignedDuration::from_hours(24 * 7) + SignedDuration::from_mins(1);
        assert_eq!(state.sweep(week).await.unwrap().inspections, 1, "{engine}");
        let (_, inspections) = api.get(&admin, "/cases?channel=inspection").await;
        assert_eq!(inspections["total"], 2);

        // Stopped: no more inspections; the pair may be watched again later.
        let stop = format!("/supervision/watches/{id}/stop");
        let (status, _) = api.post(&api.token("wj").await, &stop, json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, stopped) = api.post(&supervisor, &stop, json!({})).await;
        assert_eq!((status, stopped["active"].clone()), (StatusCode::OK, json!(false)), "{engine}: {stopped}");
        let (status, err) = api.post(&supervisor, &stop, json!({})).await;
        assert_eq!((status, code(&err)), (StatusCode::CONFLICT, "conflict"));
        let (status, _) = api.post(&supervisor, "/supervision/watches/424242/stop", json!({})).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = api.post(&supervisor, "/supervision/watches/0/stop", json!({})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(state.sweep(week + SignedDuration::from_hours(24 * 30)).await.unwrap().inspections, 0);
        let (_, active) = api.get(&supervisor, "/supervision/watches?active=true").await;
        assert_eq!(active["items"], json!([]));
        let (_, all) = api.get(&supervisor, "/supervision/watches").await;
        assert_eq!(all["items"].as_array().unwrap().len(), 1);
        let (status, _) = api.post(&supervisor, "/supervision/watches", watch).await;
        assert_eq!(status, StatusCode::CREATED);
    })
    .await;
}
