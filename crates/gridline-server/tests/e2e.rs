//! End-to-end tests: the real server on a free port, spoken to over HTTP with reqwest, on every
//! engine of `gridline_store::testing::fresh_databases` (SQLite always; PostgreSQL when
//! `GRIDLINE_TEST_POSTGRES_URL` is set). Reference data (units, users) goes straight into the
//! store before the server starts; everything else goes through the API, except the few cases
//! that must have happened weeks ago, which are written through the store with past times.

mod api_schema;

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use gridline_core::actor::{Actor, Role};
use gridline_core::calendar::WorkCalendar;
use gridline_core::case::{CaseEvent, Change};
use gridline_core::ids::UnitCode;
use gridline_core::period::Month;
use gridline_core::reference::Reference;
use gridline_app::intake::NewCase;
use gridline_core::unit::{Unit, UnitKind};
use gridline_core::workflow::{Command, Context, decide};
use gridline_app::passwords::hash_password;
use gridline_server::Application;
use gridline_store::testing::fresh_databases;
use gridline_store::{NewUser, Store, UserRecord};
use jiff::{SignedDuration, Timestamp};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Every seeded user's password (one hash for all: Argon2 is slow in debug builds).
const PASSWORD: &str = "Wangjing-2024!";
const PHONE: &str = "13812345678";
const MASKED: &str = "138****5678";

const WANGJING: &str = "110105026000";
const CHAOYANG: &str = "110105000000";
const JIANWAI: &str = "110105001000";
const DONGHUAMEN: &str = "110101001000";
const QIANMEN: &str = "110101011000";
const DONGCHENG: &str = "110101000000";

fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password(PASSWORD).expect("hash the test password")).clone()
}

/// The units of the tests. Only the two in 前门 and 东城 name the unit types they handle, so
/// registration dispatches by the rules there and everywhere else waits for the dispatcher.
fn units() -> Vec<Unit> {
    let unit = |code: &str, name: &str, kind, region: &str, types: &[&str]| Unit {
        code: code.parse().unwrap(),
        name: name.into(),
        kind,
        regions: vec![region.into()],
        types: types.iter().map(|t| (*t).to_owned()).collect(),
    };
    vec![
        unit("CY-WJ", "望京街道办事处", UnitKind::StreetOffice, WANGJING, &[]),
        unit("CY-CGW", "朝阳区城市管理委员会", UnitKind::Department, CHAOYANG, &[]),
        unit("DC-DHM", "东华门街道办事处", UnitKind::StreetOffice, DONGHUAMEN, &[]),
        unit("BJ-JTW", "北京市交通委员会", UnitKind::MemberUnit, "110000000000", &[]),
        unit("DC-QM", "前门街道办事处", UnitKind::StreetOffice, QIANMEN, &["street_office"]),
        unit("DC-ZF", "东城区城市管理综合行政执法局", UnitKind::Department, DONGCHENG, &["city_management_enforcement"]),
    ]
}

/// `(username, display name, role, unit)` of every seeded user.
const USERS: [(&str, &str, Role, Option<&str>); 11] = [
    ("operator", "话务员小李", Role::HotlineOperator, None),
    ("grid", "网格员老王", Role::GridWorker, Some("CY-WJ")),
    ("grid_dhm", "东华门网格员", Role::GridWorker, Some("DC-DHM")),
    ("dispatcher", "派单员小张", Role::Dispatcher, None),
    ("wj", "望京街道承办人", Role::HandlingUnit, Some("CY-WJ")),
    ("cgw", "朝阳区城管委承办人", Role::HandlingUnit, Some("CY-CGW")),
    ("dhm", "东华门街道承办人", Role::HandlingUnit, Some("DC-DHM")),
    ("supervisor", "文明办督查", Role::Supervisor, None),
    ("inspector", "测评员", Role::Inspector, None),
    ("member", "交通委联络员", Role::MemberUnit, Some("BJ-JTW")),
    ("admin", "管理员", Role::Admin, None),
];

/// A hotline case in 望京街道 with a reporter; `extra` fields override the defaults.
fn hotline(external_id: &str, extra: Value) -> Value {
    let mut body = json!({
        "channel": "hotline",
        "external_id": external_id,
        "category": "S0102",
        "region": WANGJING,
        "description": "望京街道阜通东大街6号门口暴露垃圾",
        "reporter": {"name": "张先生", "phone": PHONE},
    });
    for (key, value) in extra.as_object().expect("extra fields are an object") {
        body[key] = value.clone();
    }
    body
}

fn ids(list: &Value) -> Vec<i64> {
    list["items"].as_array().expect("a list has items").iter().map(|c| c["id"].as_i64().expect("an id")).collect()
}

fn time(value: &Value) -> Timestamp {
    value.as_str().and_then(|t| t.parse().ok()).unwrap_or_else(|| panic!("not a time: {value}"))
}

/// The case JSON without what moves with the clock.
fn steady(mut case: Value) -> Value {
    if let Some(object) = case.as_object_mut() {
        object.remove("time_left_seconds");
    }
    case
}

/// The Beijing date of `at`, as the list's `from`/`to` take it.
fn beijing_date(at: Timestamp) -> String {
    at.to_zoned(WorkCalendar::china().time_zone().clone()).date().to_string()
}

/// The real server on a free port over one database, with its store kept for set-up and restart.
struct Server {
    engine: &'static str,
    db_url: String,
    store: Store,
    users: HashMap<String, UserRecord>,
    base: String,
    http: reqwest::Client,
    tokens: Mutex<HashMap<String, String>>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Server {
    /// Opens a fresh database, seeds units and users, and starts the server on it.
    async fn start(engine: &'static str, db_url: &str) -> Server {
        let store = Store::open(db_url).await.unwrap_or_else(|e| panic!("[{engine}] open {db_url}: {e}"));
        let now = Timestamp::now();
        for unit in units() {
            store.people().put_unit(&unit, now).await.unwrap_or_else(|e| panic!("[{engine}] unit {}: {e}", unit.code));
        }
        let mut users = HashMap::new();
        for (username, display_name, role, unit) in USERS {
            let user = NewUser {
                username: username.into(),
                display_name: display_name.into(),
                role,
                unit: unit.map(|c| c.parse().unwrap()),
                password_hash: password_hash(),
            };
            let record = store.people().create_user(&user, now).await.unwrap_or_else(|e| panic!("[{engine}] user {username}: {e}"));
            users.insert(username.to_owned(), record);
        }
        Server::launch(engine, db_url.to_owned(), store, users).await
    }

    async fn launch(engine: &'static str, db_url: String, store: Store, users: HashMap<String, UserRecord>) -> Server {
        let addr = "127.0.0.1:0".parse().expect("an address");
        let app = Application::build(store.clone(), addr).await.unwrap_or_else(|e| panic!("[{engine}] build: {e}"));
        let base = format!("http://127.0.0.1:{}", app.port());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(app.run_until(async move {
            let _ = stopped.await;
        }));
        Server {
            engine,
            db_url,
            store,
            users,
            base,
            http: reqwest::Client::new(),
            tokens: Mutex::new(HashMap::new()),
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Shuts the server down and closes the store.
    async fn stop(mut self) -> (String, HashMap<String, UserRecord>) {
        drop(std::mem::take(&mut self.http));
        let _ = self.stop.take().expect("running").send(());
        let task = self.task.take().expect("running");
        tokio::time::timeout(Duration::from_secs(20), task)
            .await
            .unwrap_or_else(|_| panic!("[{}] the server did not shut down", self.engine))
            .expect("the server task")
            .unwrap_or_else(|e| panic!("[{}] the server failed: {e}", self.engine));
        let store = self.store.clone();
        let (db_url, users) = (std::mem::take(&mut self.db_url), std::mem::take(&mut self.users));
        drop(self);
        store.close().await;
        (db_url, users)
    }

    /// Stops everything, reopens the same database and starts a new server on it.
    async fn restart(self) -> Server {
        let engine = self.engine;
        let (db_url, users) = self.stop().await;
        let store = Store::open(&db_url).await.unwrap_or_else(|e| panic!("[{engine}] reopen {db_url}: {e}"));
        Server::launch(engine, db_url, store, users).await
    }

    fn http(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base))
    }

    /// Sends a request and reads its JSON answer (Null for an empty body).
    /// Every answer is checked against the OpenAPI document: its status is listed, its body fits.
    async fn send(&self, request: RequestBuilder) -> (StatusCode, Value) {
        let request = request.build().unwrap_or_else(|e| panic!("[{}] building the request: {e}", self.engine));
        let (method, path) = (request.method().to_string(), request.url().path().to_owned());
        let response = self.http.execute(request).await.unwrap_or_else(|e| panic!("[{}] request failed: {e}", self.engine));
        let status = response.status();
        let text = response.text().await.unwrap_or_else(|e| panic!("[{}] reading the answer: {e}", self.engine));
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("[{}] {status} answer is not JSON ({e}): {text}", self.engine))
        };
        // Every answer, refusals too, is one the document lists with its schema (405 aside: the
        // document lists the methods a path has, not the others).
        if status != StatusCode::METHOD_NOT_ALLOWED {
            let problems = api_schema::check_answer(&method, &path, status.as_u16(), &body);
            assert!(problems.is_empty(), "[{}] {method} {path}: the answer differs from the OpenAPI document:\n{}", self.engine, problems.join("\n"));
        }
        (status, body)
    }

    async fn sign_in(&self, username: &str, password: &str) -> (StatusCode, Value) {
        let body = json!({"username": username, "password": password});
        self.send(self.http(Method::POST, "/api/v1/session").json(&body)).await
    }

    /// The bearer token of a seeded user, signing in on first use.
    async fn token(&self, user: &str) -> String {
        if let Some(token) = self.tokens.lock().expect("tokens").get(user) {
            return token.clone();
        }
        let (status, body) = self.sign_in(user, PASSWORD).await;
        assert_eq!(status, StatusCode::CREATED, "[{}] sign in as {user}: {body}", self.engine);
        assert_eq!(body["user"]["username"], user, "[{}] sign in as {user}: {body}", self.engine);
        let token = body["token"].as_str().unwrap_or_else(|| panic!("[{}] no token: {body}", self.engine)).to_owned();
        self.tokens.lock().expect("tokens").insert(user.to_owned(), token.clone());
        token
    }

    async fn get(&self, path: &str, user: &str) -> (StatusCode, Value) {
        let token = self.token(user).await;
        self.send(self.http(Method::GET, path).bearer_auth(token)).await
    }

    async fn post(&self, path: &str, user: &str, body: &Value) -> (StatusCode, Value) {
        let token = self.token(user).await;
        self.send(self.http(Method::POST, path).bearer_auth(token).json(body)).await
    }

    async fn act(&self, case: i64, user: &str, action: Value) -> (StatusCode, Value) {
        self.act_path(&case.to_string(), user, &action).await
    }

    /// An action on a case id given as text, to try ids that are not numbers.
    async fn act_path(&self, id: &str, user: &str, action: &Value) -> (StatusCode, Value) {
        self.post(&format!("/api/v1/cases/{id}/actions"), user, action).await
    }

    /// An action that must succeed; returns the case after it.
    async fn ok_act(&self, case: i64, user: &str, action: Value) -> Value {
        let (status, body) = self.act(case, user, action.clone()).await;
        assert_eq!(status, StatusCode::OK, "[{}] {user} {action} on case {case}: {body}", self.engine);
        assert_eq!(body["id"], case, "[{}] {action}", self.engine);
        body
    }

    /// Files a case that must be created (201); returns its id.
    async fn file(&self, user: &str, body: Value) -> i64 {
        let (status, answer) = self.post("/api/v1/cases", user, &body).await;
        assert_eq!(status, StatusCode::CREATED, "[{}] {user} files {body}: {answer}", self.engine);
        assert_eq!(answer["status"], "received", "[{}] {answer}", self.engine);
        answer["id"].as_i64().unwrap_or_else(|| panic!("[{}] no id: {answer}", self.engine))
    }

    /// One case as `user` sees it, with its events.
    async fn case(&self, id: i64, user: &str) -> Value {
        let (status, body) = self.get(&format!("/api/v1/cases/{id}"), user).await;
        assert_eq!(status, StatusCode::OK, "[{}] {user} reads case {id}: {body}", self.engine);
        body
    }

    async fn list_raw(&self, user: &str, query: &[(&str, &str)]) -> (StatusCode, Value) {
        let token = self.token(user).await;
        self.send(self.http(Method::GET, "/api/v1/cases").query(query).bearer_auth(token)).await
    }

    /// The case list as `user` sees it; the query must be accepted.
    async fn list(&self, user: &str, query: &[(&str, &str)]) -> Value {
        let (status, body) = self.list_raw(user, query).await;
        assert_eq!(status, StatusCode::OK, "[{}] {user} lists {query:?}: {body}", self.engine);
        body
    }

    /// The ids of a list query, checking that `total` matches when everything fits one page.
    async fn list_ids(&self, user: &str, query: &[(&str, &str)]) -> Vec<i64> {
        let mut query = query.to_vec();
        query.push(("page_size", "200"));
        let list = self.list(user, &query).await;
        let found = ids(&list);
        assert_eq!(list["total"].as_u64(), Some(found.len() as u64), "[{}] total of {query:?}: {list}", self.engine);
        found
    }

    /// `GET /api/v1/cases/export` as `user`: the status, the content type and the body's bytes.
    async fn export_raw(&self, user: &str, query: &[(&str, &str)]) -> (StatusCode, String, Vec<u8>) {
        let token = self.token(user).await;
        let answer = self.http(Method::GET, "/api/v1/cases/export").query(query).bearer_auth(token).send().await;
        let answer = answer.unwrap_or_else(|e| panic!("[{}] export failed: {e}", self.engine));
        let status = answer.status();
        let content_type = answer.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let bytes = answer.bytes().await.expect("the export's bytes").to_vec();
        if !status.is_success() {
            // A refusal is JSON, as the document describes it (a file is not checked).
            let body: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("[{}] a {status} refusal that is not JSON: {e}", self.engine));
            let problems = api_schema::check_answer("GET", "/api/v1/cases/export", status.as_u16(), &body);
            assert!(problems.is_empty(), "[{}] the export's refusal differs from the OpenAPI document:\n{}", self.engine, problems.join("\n"));
        }
        (status, content_type, bytes)
    }

    /// The CSV export as `user` sees it, accepted: its header and its rows.
    async fn export_csv(&self, user: &str, query: &[(&str, &str)]) -> (Vec<String>, Vec<Vec<String>>) {
        let (status, content_type, bytes) = self.export_raw(user, query).await;
        assert_eq!(status, StatusCode::OK, "[{}] {user} exports {query:?}: {}", self.engine, String::from_utf8_lossy(&bytes));
        assert!(content_type.starts_with("text/csv"), "[{}] {content_type}", self.engine);
        let text = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or_else(|| panic!("[{}] no byte-order mark for Excel", self.engine));
        let mut reader = csv::Reader::from_reader(text);
        let header = reader.headers().expect("a header").iter().map(str::to_owned).collect();
        let rows = reader.records().map(|r| r.expect("a CSV row").iter().map(str::to_owned).collect()).collect();
        (header, rows)
    }

    /// The ids of the cases `user` exports with `query` (the `id` column of `lang=en`), in the
    /// export's order: oldest first.
    async fn export_ids(&self, user: &str, query: &[(&str, &str)]) -> Vec<i64> {
        let mut query = query.to_vec();
        query.push(("lang", "en"));
        let (header, rows) = self.export_csv(user, &query).await;
        assert_eq!(header[0], "id", "[{}]", self.engine);
        rows.iter().map(|row| row[0].parse().expect("an id")).collect()
    }

    /// Checks a refusal: status, `error.code`, a message; returns the message.
    fn refused(&self, what: &str, answer: &(StatusCode, Value), status: u16, code: &str) -> String {
        let (got, body) = answer;
        assert_eq!(got.as_u16(), status, "[{}] {what}: {body}", self.engine);
        assert_eq!(body["error"]["code"], code, "[{}] {what}: {body}", self.engine);
        let message = body["error"]["message"].as_str().unwrap_or_else(|| panic!("[{}] {what}: no message in {body}", self.engine));
        assert!(!message.is_empty(), "[{}] {what}: empty message", self.engine);
        message.to_owned()
    }

    /// Like [`Server::refused`] for a 422 that names the field.
    fn invalid(&self, what: &str, answer: &(StatusCode, Value), field: &str) -> String {
        let message = self.refused(what, answer, 422, "invalid");
        assert_eq!(answer.1["error"]["field"], field, "[{}] {what}: {}", self.engine, answer.1);
        message
    }

    fn actor(&self, username: &str) -> Actor {
        let user = &self.users[username];
        Actor { user_id: user.id, username: user.username.clone(), role: user.role, unit: user.unit.clone() }
    }

    /// Files a case straight through the store as if it had been received `days_ago` days ago by
    /// the hotline operator, then takes `steps` (user, action JSON) ten minutes apart back then,
    /// decided by the same workflow code the server runs.
    async fn backdated_case(&self, days_ago: i64, body: Value, steps: &[(&str, Value)]) -> i64 {
        let engine = self.engine;
        let received_at = Timestamp::now() - SignedDuration::from_hours(24 * days_ago);
        let regions = gridline_geo::beijing();
        let reference = Reference::builtin(&regions);
        let known: HashMap<UnitCode, Unit> =
            self.store.people().units().await.expect("units").into_iter().map(|u| (u.code.clone(), u)).collect();
        let lookup = |code: &str| known.get(code).cloned();
        let operator = self.actor("operator");
        let new_case: NewCase = serde_json::from_value(body).expect("a case body");
        let intake = new_case.validate(&operator, &reference, &regions).expect("a valid case");
        let receive = CaseEvent { seq: 1, at: received_at, actor: operator, change: Change::Receive(intake) };
        let mut case = self.store.cases().create(receive).await.unwrap_or_else(|e| panic!("[{engine}] backdated case: {e}")).case;
        for (n, (user, action)) in steps.iter().enumerate() {
            let now = received_at + SignedDuration::from_mins(10 * (n as i64 + 1));
            let command: Command = serde_json::from_value(action.clone()).expect("an action");
            let actor = self.actor(user);
            let ctx = Context { calendar: WorkCalendar::china(), catalogue: &reference.catalogue, regions: &regions, units: &lookup, now };
            let change = decide(&case, &command, &actor, &ctx, None).unwrap_or_else(|e| panic!("[{engine}] {action}: {e}"));
            let event = CaseEvent { seq: case.version + 1, at: now, actor, change };
            let mut after = case.clone();
            after.apply(&event);
            case = self.store.cases().append(after, event).await.unwrap_or_else(|e| panic!("[{engine}] {action}: {e}"));
        }
        case.id.get()
    }
}

/// Fresh databases for one test: the temporary directory must outlive the loop.
async fn engines() -> (tempfile::TempDir, Vec<(&'static str, String)>) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let databases = fresh_databases(dir.path()).await;
    (dir, databases)
}

fn register() -> Value {
    json!({"action": "register"})
}

fn dispatch(unit: &str) -> Value {
    json!({"action": "dispatch", "unit": unit})
}

/// Files a hotline case and takes it to `dispatched` at `unit`.
async fn dispatched_case(s: &Server, external_id: &str, extra: Value, unit: &str) -> i64 {
    let id = s.file("operator", hotline(external_id, extra)).await;
    s.ok_act(id, "dispatcher", register()).await;
    s.ok_act(id, "dispatcher", dispatch(unit)).await;
    id
}

// ---------------------------------------------------------------------------------------------
// 1. The closed loop

#[tokio::test]
async fn a_hotline_case_runs_the_whole_closed_loop_over_http_as_the_right_roles() {
    let (_dir, databases) = engines().await;
    for (engine, url) in databases {
        let s = Server::start(engine, &url).await;
        let started = Timestamp::now() - SignedDuration::from_secs(1);
        let (status, c) = s.post("/api/v1/cases", "operator", &hotline("HL-1", json!({}))).await;
        assert_eq!(status, StatusCode::CREATED, "[{engine}] create: {c}");
        let id = c["id"].as_i64().expect("an id");
        assert_eq!(c["status"], "received", "[{engine}]");
        assert_eq!(c["channel"], "hotline", "[{engine}]");
        assert_eq!(c["external_id"], "HL-1", "[{engine}]");
        assert_eq!(c["category"], "S0102", "[{engine}]");
        assert_eq!(c["category_name"], "暴露垃圾", "[{engine}]");
        assert_eq!(c["region"], WANGJING, "[{engine}]");
        assert_eq!(c["region_name"], "望京街道", "[{engine}]");
        assert_eq!(c["district"], json!({"code": CHAOYANG, "name": "朝阳区"}), "[{engine}]");
        assert_eq!(c["title"], "望京街道阜通东大街6号门口暴露垃圾", "[{engine}] the title defaults to the description");
        assert_eq!(c["reporter"], json!({"name": "张先生", "phone": PHONE}), "[{engine}]");
        assert_eq!((&c["unit"], &c["deadline"], &c["version"]), (&Value::Null, &Value::Null, &json!(1)), "[{engine}]");
        let c = s.case(id, "dispatcher").await;
        assert_eq!(c["allowed_actions"], json!(["register", "reject", "merge"]), "[{engine}] the dispatcher's actions");

        let c = s.ok_act(id, "dispatcher", json!({"action": "register", "note": "属实，立案"})).await;
        assert_eq!(c["status"], "registered", "[{engine}]");
        assert!(c["registered_at"].is_string(), "[{engine}] {c}");
        assert_eq!(c["deadline"], Value::Null, "[{engine}] no clock before dispatch");

        let c = s.ok_act(id, "dispatcher", json!({"action": "dispatch", "unit": "CY-CGW", "note": "派朝阳区城管委"})).await;
        assert_eq!((&c["status"], &c["unit"]), (&json!("dispatched"), &json!("CY-CGW")), "[{engine}]");
        assert_eq!(c["unit_name"], "朝阳区城市管理委员会", "[{engine}]");
        assert_eq!(c["time_limit"], "1个工作日", "[{engine}]");
        assert!(c["deadline"].is_string(), "[{engine}] a dispatched case has a deadline: {c}");
        let left = c["time_left_seconds"].as_i64().expect("time left");
        assert!((1..=8 * 3600).contains(&left), "[{engine}] one working day is left, not {left} s");
        assert_eq!((&c["overdue"], &c["suspended"]), (&json!(false), &json!(false)), "[{engine}]");
        assert_eq!(s.case(id, "cgw").await["allowed_actions"], json!(["accept", "return", "request_extension"]), "[{engine}]");

        let c = s.ok_act(id, "cgw", json!({"action": "return", "reason": "属街道职责，退回重派"})).await;
        assert_eq!((&c["status"], &c["unit"]), (&json!("returned"), &Value::Null), "[{engine}]");
        assert_eq!((&c["return_count"], &c["return_reason"]), (&json!(1), &json!("属街道职责，退回重派")), "[{engine}]");
        assert_eq!((&c["deadline"], &c["time_left_seconds"]), (&Value::Null, &Value::Null), "[{engine}] the clock stops");
        // Once returned the case is no longer the department's: it cannot even see it.
        let gone = s.get(&format!("/api/v1/cases/{id}"), "cgw").await;
        s.refused("the department reads a case it returned", &gone, 404, "not_found");

        let c = s.ok_act(id, "dispatcher", json!({"action": "dispatch", "unit": "CY-WJ", "note": "改派望京街道"})).await;
        assert_eq!((&c["status"], &c["unit"]), (&json!("dispatched"), &json!("CY-WJ")), "[{engine}]");
        assert_eq!((&c["return_count"], &c["return_reason"]), (&json!(1), &Value::Null), "[{engine}]");
        let first_deadline = time(&c["deadline"]);

        let c = s.ok_act(id, "wj", json!({"action": "accept"})).await;
        assert_eq!(c["status"], "accepted", "[{engine}]");
        assert!(c["accepted_at"].is_string(), "[{engine}]");

        let c = s.ok_act(id, "wj", json!({"action": "request_extension", "amount": 2, "unit": "working_days", "reason": "需协调物业"})).await;
        assert_eq!(c["pending_extension"]["amount"], 2, "[{engine}] {c}");
        assert_eq!(c["pending_extension"]["unit"], "working_days", "[{engine}] {c}");
        assert_eq!(c["pending_extension"]["reason"], "需协调物业", "[{engine}] {c}");
        assert_eq!((time(&c["deadline"]), &c["extension_count"]), (first_deadline, &json!(0)), "[{engine}] not yet approved");
        assert_eq!(s.case(id, "dispatcher").await["allowed_actions"], json!(["suspend", "approve_extension"]), "[{engine}]");

        let c = s.ok_act(id, "dispatcher", json!({"action": "approve_extension", "note": "同意延期"})).await;
        let extended = time(&c["deadline"]);
        assert!(
            extended.duration_since(first_deadline) >= SignedDuration::from_hours(48),
            "[{engine}] two more working days move the deadline from {first_deadline} to {extended}"
        );
        assert_eq!((&c["extension_count"], &c["pending_extension"]), (&json!(1), &Value::Null), "[{engine}]");

        let c = s.ok_act(id, "dispatcher", json!({"action": "suspend", "reason": "等待产权单位确认"})).await;
        assert_eq!((&c["status"], &c["suspended"]), (&json!("accepted"), &json!(true)), "[{engine}]");
        assert_eq!(c["suspension"]["reason"], "等待产权单位确认", "[{engine}]");
        assert_eq!(c["allowed_actions"], json!(["resume"]), "[{engine}] the dispatcher may only resume");

        let refused = s.act(id, "wj", json!({"action": "handle", "feedback": "已清运"})).await;
        let message = s.refused("handle while suspended", &refused, 409, "conflict");
        assert_eq!(
            message,
            format!("case {id} is accepted (suspended): handle is not allowed; allowed actions: resume, supervise"),
            "[{engine}]"
        );

        let c = s.ok_act(id, "dispatcher", json!({"action": "resume", "note": "产权单位已确认"})).await;
        assert_eq!((&c["suspended"], &c["suspension"]), (&json!(false), &Value::Null), "[{engine}]");
        assert!(c["deadline"].is_string(), "[{engine}] the clock runs again");

        let c = s.ok_act(id, "supervisor", json!({"action": "supervise", "level": "key", "note": "加快办理"})).await;
        assert_eq!((&c["supervision_count"], &c["supervision_level"]), (&json!(1), &json!("key")), "[{engine}]");
        assert_eq!(c["status"], "accepted", "[{engine}] supervision does not change the state");

        let c = s.ok_act(id, "wj", json!({"action": "handle", "feedback": "已清运", "photos": ["photos/1.jpg"]})).await;
        assert_eq!(c["status"], "handled", "[{engine}]");
        assert_eq!(c["feedback"]["text"], "已清运", "[{engine}]");
        assert_eq!(c["feedback"]["photos"], json!(["photos/1.jpg"]), "[{engine}]");

        let no_note = s.act(id, "grid", json!({"action": "verify", "passed": false})).await;
        s.invalid("a failed verification without a note", &no_note, "note");
        let c = s.ok_act(id, "grid", json!({"action": "verify", "passed": false, "note": "仍有残留"})).await;
        assert_eq!((&c["status"], &c["rework_count"]), (&json!("accepted"), &json!(1)), "[{engine}]");

        let c = s.ok_act(id, "wj", json!({"action": "handle", "feedback": "已彻底清理"})).await;
        assert_eq!(c["status"], "handled", "[{engine}]");
        let c = s.ok_act(id, "grid", json!({"action": "verify", "passed": true})).await;
        assert_eq!(c["status"], "closed", "[{engine}]");
        assert!(c["closed_at"].is_string(), "[{engine}]");
        assert_eq!(c["closed_late"], false, "[{engine}]");
        assert_eq!(c["deadline"], Value::Null, "[{engine}] a closed case runs no clock");

        let c = s
            .ok_act(id, "operator", json!({"action": "callback", "resolved": true, "satisfaction": "satisfied", "note": "市民表示满意"}))
            .await;
        assert_eq!(c["status"], "called_back", "[{engine}]");
        assert_eq!(c["callback"]["satisfaction"], "satisfied", "[{engine}]");
        assert_eq!(c["callback"]["resolved"], true, "[{engine}]");
        let finished = Timestamp::now() + SignedDuration::from_secs(1);

        let c = s.case(id, "admin").await;
        let counts = ["version", "rework_count", "extension_count", "supervision_count", "return_count"].map(|k| c[k].clone());
        assert_eq!(counts, [json!(16), json!(1), json!(1), json!(1), json!(1)], "[{engine}] {c}");
        assert_eq!(c["allowed_actions"], json!([]), "[{engine}] nothing is left to do");
        let expected: [(&str, &str, Option<&str>); 16] = [
            ("receive", "operator", Some("望京街道阜通东大街6号门口暴露垃圾")),
            ("register", "dispatcher", Some("属实，立案")),
            ("dispatch", "dispatcher", Some("派朝阳区城管委")),
            ("return", "cgw", Some("属街道职责，退回重派")),
            ("dispatch", "dispatcher", Some("改派望京街道")),
            ("accept", "wj", None),
            ("request_extension", "wj", Some("需协调物业")),
            ("approve_extension", "dispatcher", Some("同意延期")),
            ("suspend", "dispatcher", Some("等待产权单位确认")),
            ("resume", "dispatcher", Some("产权单位已确认")),
            ("supervise", "supervisor", Some("加快办理")),
            ("handle", "wj", Some("已清运")),
            ("verify", "grid", Some("仍有残留")),
            ("handle", "wj", Some("已彻底清理")),
            ("verify", "grid", None),
            ("callback", "operator", Some("市民表示满意")),
        ];
        let events = c["events"].as_array().expect("events");
        assert_eq!(events.len(), expected.len(), "[{engine}] {events:#?}");
        let mut previous = started;
        for (n, (event, (action, username, note))) in events.iter().zip(expected).enumerate() {
            let what = format!("[{engine}] event {}: {event}", n + 1);
            assert_eq!(event["seq"], n + 1, "{what}");
            assert_eq!(event["action"], action, "{what}");
            assert_eq!(event["actor"]["username"], username, "{what}");
            assert_eq!(event["actor"]["role"], s.users[username].role.as_str(), "{what}");
            assert_eq!(event["unit"], json!(s.users[username].unit), "{what}");
            assert_eq!(event["note"], json!(note), "{what}");
            // Times are shown to the second: in order, and within the test's run.
            let at = time(&event["time"]);
            assert!(at >= previous && at <= finished, "{what}: {at} is not between {previous} and {finished}");
            previous = at;
        }
        assert_eq!(events[2]["data"]["unit"], "CY-CGW", "[{engine}]");
        assert_eq!(events[3]["unit_name"], "朝阳区城市管理委员会", "[{engine}]");
        assert_eq!(events[4]["data"]["unit"], "CY-WJ", "[{engine}]");
        assert_eq!(events[10]["data"]["level"], "key", "[{engine}]");
        assert_eq!((&events[12]["data"]["passed"], &events[14]["data"]["passed"]), (&json!(false), &json!(true)), "[{engine}]");
        assert_eq!(events[15]["data"]["satisfaction"], "satisfied", "[{engine}]");
        s.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Reject and merge

#[tokio::test]
async fn a_case_can_be_rejected_or_merged_into_another_live_case_but_not_into_itself_or_a_missing_one() {
    let (_dir, databases) = engines().await;
    for (engine, url) in databases {
        let s = Server::start(engine, &url).await;
        let rejected = s.file("operator", hotline("HL-R1", json!({"description": "咨询社保政策"}))).await;
        let empty = s.act(rejected, "dispatcher", json!({"action": "reject", "reason": "  "})).await;
        s.invalid("a rejection without a reason", &empty, "reason");
        let c = s.ok_act(rejected, "dispatcher", json!({"action": "reject", "reason": "非城市管理问题"})).await;
        assert_eq!(c["status"], "rejected", "[{engine}]");
        assert_eq!(c["reject_reason"], "非城市管理问题", "[{engine}]");
        assert!(c["closed_at"].is_string(), "[{engine}]");
        assert_eq!(c["allowed_actions"], json!([]), "[{engine}]");
        let again = s.act(rejected, "dispatcher", register()).await;
        let message = s.refused("register a rejected case", &again, 409, "conflict");
        assert_eq!(message, format!("case {rejected} is rejected: register is not allowed; allowed actions: none"), "[{engine}]");

        let master = s.file("operator", hotline("HL-M1", json!({}))).await;
        s.ok_act(master, "dispatcher", register()).await;
        let duplicate = s.file("operator", hotline("HL-M2", json!({"description": "阜通东大街6号垃圾没人管"}))).await;
        let into_itself = s.act(duplicate, "dispatcher", json!({"action": "merge", "into": duplicate})).await;
        let message = s.invalid("merge into itself", &into_itself, "into");
        assert_eq!(message, "a case cannot be merged into itself", "[{engine}]");
        let into_missing = s.act(duplicate, "dispatcher", json!({"action": "merge", "into": 999_999})).await;
        let message = s.invalid("merge into a missing case", &into_missing, "into");
        assert_eq!(message, "case 999999 does not exist", "[{engine}]");
        let into_rejected = s.act(duplicate, "dispatcher", json!({"action": "merge", "into": rejected})).await;
        let message = s.invalid("merge into a rejected case", &into_rejected, "into");
        assert!(message.contains("rejected"), "[{engine}] {message}");
        assert_eq!(s.case(duplicate, "dispatcher").await["status"], "received", "[{engine}] refusals change nothing");

        let c = s.ok_act(duplicate, "dispatcher", json!({"action": "merge", "into": master, "note": "同一地点重复来电"})).await;
        assert_eq!((&c["status"], &c["merged_into"]), (&json!("merged"), &json!(master)), "[{engine}]");
        assert!(c["closed_at"].is_string(), "[{engine}]");
        assert_eq!(c["allowed_actions"], json!([]), "[{engine}]");
        let events = c["events"].as_array().expect("events");
        assert_eq!(events.last().map(|e| (&e["action"], &e["note"], &e["data"]["into"])), Some((&json!("merge"), &json!("同一地点重复来电"), &json!(master))), "[{engine}]");
        let m = s.case(master, "dispatcher").await;
        assert_eq!((&m["status"], &m["version"]), (&json!("registered"), &json!(2)), "[{engine}] the target is untouched");

        // A merged case cannot take further merges either way.
        let third = s.file("operator", hotline("HL-M3", json!({}))).await;
        let into_merged = s.act(third, "dispatcher", json!({"action": "merge", "into": duplicate})).await;
        let message = s.invalid("merge into a merged case", &into_merged, "into");
        assert!(message.contains("merged"), "[{engine}] {message}");
        let merged_again = s.act(duplicate, "dispatcher", json!({"action": "merge", "into": third})).await;
        s.refused("merge a merged case", &merged_again, 409, "conflict");
        // A registered case can still be merged (by an admin, too).
        s.ok_act(third, "admin", register()).await;
        let c = s.ok_act(third, "admin", json!({"action": "merge", "into": master})).await;
        assert_eq!(c["merged_into"], master, "[{engine}]");
        s.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Roles and transitions

#[tokio::test]
async fn wrong_roles_get_403_other_units_cases_404_and_wrong_transitions_409_naming_state_and_allowed_actions() {
    let (_dir, databases) = engines().await;
    for (engine, url) in databases {
        let s = Server::start(engine, &url).await;
        let id = s.file("operator", hotline("HL-ROLE", json!({}))).await;

        let answer = s.act(id, "operator", dispatch("CY-WJ")).await;
        let message = s.refused("the hotline operator dispatches", &answer, 403, "forbidden");
        assert_eq!(message, "role hotline_operator may not dispatch; it is for dispatcher, admin", "[{engine}]");
        let answer = s.act(id, "grid", register()).await;
        let message = s.refused("a grid worker registers", &answer, 403, "forbidden");
        assert_eq!(message, "role grid_worker may not register; it is for dispatcher, admin", "[{engine}]");
        let answer = s.act(id, "operator", json!({"action": "supervise", "note": "快"})).await;
        s.refused("the hotline operator supervises", &answer, 403, "forbidden");
        // The role is checked before the state: a supervisor may never accept, whatever the state.
        let answer = s.act(id, "supervisor", json!({"action": "accept"})).await;
        let message = s.refused("a supervisor accepts", &answer, 403, "forbidden");
        assert_eq!(message, "role supervisor may not accept; it is for handling_unit, member_unit", "[{engine}]");
        // A handling unit may accept, but a received case is with no unit, so a unit cannot see it:
        // 404, not 409 (units never learn of cases that are not theirs).
        let answer = s.act(id, "wj", json!({"action": "accept"})).await;
        let message = s.refused("a unit accepts a received case", &answer, 404, "not_found");
        assert_eq!(message, format!("case {id} not found"), "[{engine}]");
        // 409 from roles that may act but not in this state.
        let answer = s.act(id, "dispatcher", dispatch("CY-WJ")).await;
        let message = s.refused("dispatch a received case", &answer, 409, "conflict");
        assert_eq!(
            message,
            format!("case {id} is received: dispatch is not allowed; allowed actions: register, reject, merge, supervise"),
            "[{engine}]"
        );
        let answer = s.act(id, "grid", json!({"action": "verify", "passed": true})).await;
        let message = s.refused("verify a received case", &answer, 409, "conflict");
        assert!(message.starts_with(&format!("case {id} is received: verify is not allowed")), "[{engine}] {message}");
        assert_eq!(s.case(id, "admin").await["version"], 1, "[{engine}] refusals record nothing");

        s.ok_act(id, "dispatcher", register()).await;
        let answer = s.act(id, "dispatcher", dispatch("DC-DHM")).await;
        let message = s.invalid("dispatch to a unit that does not cover the region", &answer, "unit");
        assert!(message.contains("does not cover"), "[{engine}] {message}");
        let answer = s.act(id, "dispatcher", dispatch("NOPE")).await;
        s.invalid("dispatch to an unknown unit", &answer, "unit");
        s.ok_act(id, "dispatcher", dispatch("CY-WJ")).await;
        // Other units' staff: the case is not theirs, so it does not exist for them (404, not 403).
        for other in ["dhm", "cgw", "member"] {
            let answer = s.act(id, other, json!({"action": "accept"})).await;
            let message = s.refused(&format!("{other} accepts a CY-WJ case"), &answer, 404, "not_found");
            assert_eq!(message, format!("case {id} not found"), "[{engine}]");
        }
        s.ok_act(id, "wj", json!({"action": "accept"})).await;
        let answer = s.act(id, "wj", json!({"action": "accept"})).await;
        let message = s.refused("accept twice", &answer, 409, "conflict");
        assert_eq!(
            message,
            format!("case {id} is accepted: accept is not allowed; allowed actions: handle, suspend, request_extension, supervise"),
            "[{engine}]"
        );
        let answer = s.act(id, "wj", json!({"action": "approve_extension"})).await;
        s.refused("a unit approves its own extension", &answer, 403, "forbidden");

        // Intake channels are per role.
        let answer = s.post("/api/v1/cases", "grid", &hotline("HL-GRID", json!({}))).await;
        let message = s.refused("a grid worker files a hotline case", &answer, 403, "forbidden");
        assert_eq!(message, "role grid_worker may not file cases through the hotline channel", "[{engine}]");
        for user in ["supervisor", "wj", "member"] {
            let answer = s.post("/api/v1/cases", user, &hotline(&format!("HL-{user}"), json!({"channel": "public"}))).await;
            s.refused(&format!("{user} files a case"), &answer, 403, "forbidden");
        }
        // A grid worker may file through the grid channel, anywhere, and keeps sight of what it filed ...
        let far = s.file("grid", json!({"channel": "grid", "category": "S0201", "region": DONGHUAMEN, "description": "东华门大街电线杆小广告"})).await;
        s.ok_act(far, "dispatcher", register()).await;
        s.ok_act(far, "dispatcher", dispatch("DC-DHM")).await;
        s.ok_act(far, "dhm", json!({"action": "accept"})).await;
        s.ok_act(far, "dhm", json!({"action": "handle", "feedback": "已清除"})).await;
        // ... but verifies only inside its own unit's area: it sees the case, so this is a 403.
        let answer = s.act(far, "grid", json!({"action": "verify", "passed": true})).await;
        let message = s.refused("a grid worker verifies outside its area", &answer, 403, "forbidden");
        assert_eq!(message, format!("case {far} lies in region {DONGHUAMEN}, outside the area of 望京街道办事处"), "[{engine}]");
        let c = s.ok_act(far, "inspector", json!({"action": "verify", "passed": true})).await;
        assert_eq!(c["status"], "closed", "[{engine}] a city-wide inspector verifies anywhere");
        s.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Visibility and masking

#[tokio::test]
async fn units_see_only_their_own_cases_and_phone_numbers_are_masked_for_roles_that_must_not_see_them() {
    let (_dir, databases) = engines().await;
    for (engine, url) in databases {
        let s = Server::start(engine, &url).await;
        let wangjing = dispatched_case(&s, "HL-V1", json!({}), "CY-WJ").await;
        let donghuamen =
            dispatched_case(&s, "HL-V2", json!({"region": DONGHUAMEN, "description": "东华门大街暴露垃圾"}), "DC-DHM").await;
        let waiting = s.file("operator", hotline("HL-V3", json!({}))).await;

        assert_eq!(s.list_ids("dhm", &[]).await, vec![donghuamen], "[{engine}] the 东华门 unit's list");
        assert_eq!(s.list_ids("wj", &[]).await, vec![wangjing], "[{engine}] the 望京 unit's list");
        assert_eq!(s.list_ids("cgw", &[]).await, Vec::<i64>::new(), "[{engine}] nothing is with the department");
        assert_eq!(s.list_ids("member", &[]).await, Vec::<i64>::new(), "[{engine}] nothing is with the member unit");
        assert_eq!(s.list_ids("grid", &[]).await, vec![waiting, wangjing], "[{engine}] the grid worker sees its area");
        for everyone in ["operator", "dispatcher", "supervisor", "inspector", "admin"] {
            assert_eq!(s.list_ids(everyone, &[]).await, vec![waiting, donghuamen, wangjing], "[{engine}] {everyone} sees all");
        }
        for (user, hidden) in [("dhm", wangjing), ("dhm", waiting), ("wj", donghuamen), ("grid", donghuamen)] {
            let answer = s.get(&format!("/api/v1/cases/{hidden}"), user).await;
            let message = s.refused(&format!("{user} reads case {hidden}"), &answer, 404, "not_found");
            assert_eq!(message, format!("case {hidden} not found"), "[{engine}] the same answer as for a missing case");
        }
        let missing = s.get("/api/v1/cases/999999", "dhm").await;
        assert_eq!(missing.1["error"]["message"], "case 999999 not found", "[{engine}]");
        let answer = s.act(wangjing, "dhm", json!({"action": "handle", "feedback": "x"})).await;
        s.refused("dhm handles a CY-WJ case", &answer, 404, "not_found");

        for (user, phone) in [
            ("grid", MASKED),
            ("wj", MASKED),
            ("supervisor", MASKED),
            ("inspector", MASKED),
            ("operator", PHONE),
            ("dispatcher", PHONE),
            ("admin", PHONE),
        ] {
            let c = s.case(wangjing, user).await;
            assert_eq!(c["reporter"], json!({"name": "张先生", "phone": phone}), "[{engine}] {user}'s view of the case");
            assert_eq!(c["events"][0]["action"], "receive", "[{engine}]");
            assert_eq!(c["events"][0]["data"]["reporter"]["phone"], phone, "[{engine}] {user}'s view of the receive event");
            let list = s.list(user, &[("unit", "CY-WJ")]).await;
            assert_eq!(list["items"][0]["reporter"]["phone"], phone, "[{engine}] {user}'s list");
            let text = serde_json::to_string(&c).expect("json");
            assert_eq!(text.contains(PHONE), phone == PHONE, "[{engine}] the full number appears nowhere for {user}");
        }
        // The answer to an action is masked too.
        let c = s.ok_act(wangjing, "wj", json!({"action": "accept"})).await;
        assert_eq!(c["reporter"]["phone"], MASKED, "[{engine}] the unit's action answer");
        assert!(!serde_json::to_string(&c).expect("json").contains(PHONE), "[{engine}]");
        // Searching by phone number is for roles that see phone numbers.
        assert_eq!(s.list_ids("operator", &[("phone", PHONE)]).await, vec![waiting, donghuamen, wangjing], "[{engine}]");
        assert_eq!(s.list_ids("operator", &[("phone", "13900000000")]).await, Vec::<i64>::new(), "[{engine}]");
        let answer = s.list_raw("supervisor", &[("phone", PHONE)]).await;
        s.refused("a supervisor searches by phone", &answer, 403, "forbidden");
        let answer = s.list_raw("wj", &[("phone", PHONE)]).await;
        s.refused("a unit searches by phone", &answer, 403, "forbidden");
        s.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Bad input

#[tokio::test]
async fn bad_input_gets_the_exact_status_and_an_error_body_with_code_and_message() {
    let (_dir, databases) = engines().await;
    for (engine, url) in databases {
        let s = Server::start(engine, &url).await;
        let token = s.token("operator").await;
        let raw_post = |body: String| s.http(Method::POST, "/api/v1/cases").bearer_auth(&token).header("content-type", "application/json").body(body);

        let answer = s.send(raw_post(r#"{"channel": "hotline", "description": "#.into())).await;
        s.refused("malformed JSON", &answer, 400, "malformed_json");
        let answer = s.send(raw_post("not json at all".into())).await;
        s.refused("not JSON", &answer, 400, "malformed_json");
        let answer = s.send(s.http(Method::POST, "/api/v1/cases").bearer_auth(&token).header("content-type", "text/plain").body("{}")).await;
        s.refused("the wrong content type", &answer, 415, "unsupported_media_type");
        let answer = s.post("/api/v1/cases", "operator", &json!({"channel": "hotline", "region": WANGJING})).await;
        let message = s.refused("a missing description", &answer, 422, "invalid");
        assert!(message.contains("description"), "[{engine}] the message names the missing field: {message}");
        let answer = s.post("/api/v1/cases", "operator", &hotline("HL-X", json!({"sudo": true}))).await;
        s.refused("an unknown field", &answer, 422, "invalid");
        let answer = s.post("/api/v1/cases", "operator", &hotline("HL-X", json!({"description": "   "}))).await;
        s.invalid("a blank description", &answer, "description");
        let answer = s.post("/api/v1/cases", "operator", &hotline("HL-X", json!({"category": "9999"}))).await;
        s.invalid("an unknown category", &answer, "category");
        let answer = s.post("/api/v1/cases", "operator", &hotline("HL-X", json!({"category": "S01"}))).await;
        s.invalid("a group category", &answer, "category");
        let answer = s.post("/api/v1/cases", "operator", &hotline("HL-X", json!({"region": "110105999000"}))).await;
        s.invalid("an unknown region", &answer, "region");
        let answer = s.post("/api/v1/cases", "operator", &hotline("HL-X", json!({"channel": "fax"}))).await;
        let message = s.invalid("an unknown channel", &answer, "channel");
        assert!(message.contains("hotline"), "[{engine}] the message lists the channels: {message}");
        let answer = s.post("/api/v1/cases", "operator", &hotline("HL-X", json!({"reporter": {"phone": "call me"}}))).await;
        s.invalid("a bad phone number", &answer, "reporter.phone");
        let answer = s.post("/api/v1/cases", "operator", &hotline("HL-X", json!({"location": {"lat": 91.0, "lon": 116.4}}))).await;
        s.invalid("a point off the globe", &answer, "location");
        let answer = s.post("/api/v1/cases", "operator", &hotline("HL-X", json!({"title": "标".repeat(201)}))).await;
        s.invalid("a title over 200 characters", &answer, "title");
        let answer = s.post("/api/v1/cases", "operator", &hotline("HL-X", json!({"photos": vec!["p.jpg"; 21]}))).await;
        s.invalid("21 photos", &answer, "photos");
        let answer = s.post("/api/v1/cases", "operator", &hotline(&"X".repeat(101), json!({}))).await;
        s.invalid("an external id over 100 bytes", &answer, "external_id");
        let huge = hotline("HL-BIG", json!({"description": "垃圾".repeat(12_000)}));
        assert!(huge.to_string().len() > 64 * 1024);
        let answer = s.post("/api/v1/cases", "operator", &huge).await;
        let message = s.refused("a body over 64 KiB", &answer, 413, "payload_too_large");
        assert_eq!(message, "the request body is larger than 64 KiB", "[{engine}]");
        let total = s.list("admin", &[]).await["total"].clone();
        assert_eq!(total, 0, "[{engine}] none of the refused cases was filed");

        // Authentication.
        let answer = s.send(s.http(Method::GET, "/api/v1/cases")).await;
        s.refused("no token", &answer, 401, "unauthorized");
        let answer = s.send(s.http(Method::GET, "/api/v1/cases").bearer_auth("0123456789abcdef")).await;
        s.refused("a made-up token", &answer, 401, "unauthorized");
        let answer = s.send(s.http(Method::GET, "/api/v1/cases").header("authorization", format!("Basic {token}"))).await;
        s.refused("the wrong scheme", &answer, 401, "unauthorized");
        let answer = s.sign_in("operator", "wrong password").await;
        let message = s.refused("a wrong password", &answer, 401, "unauthorized");
        assert_eq!(message, "wrong username or password", "[{engine}]");
        let answer = s.sign_in("nobody", PASSWORD).await;
        let unknown = s.refused("an unknown user", &answer, 401, "unauthorized");
        assert_eq!(unknown, message, "[{engine}] unknown users and wrong passwords look alike");
        let answer = s.send(s.http(Method::POST, "/api/v1/session").json(&json!({"username": "operator"}))).await;
        s.refused("sign-in without a password", &answer, 422, "invalid");
        let (status, me) = s.get("/api/v1/me", "operator").await;
        assert_eq!((status, &me["role"]), (StatusCode::OK, &json!("hotline_operator")), "[{engine}] {me}");
        let (status, _) = s.sign_in("supervisor", PASSWORD).await;
        assert_eq!(status, StatusCode::CREATED, "[{engine}]");

        // Idempotent intake on (channel, external id).
        let first = s.file("operator", hotline("HL-DUP", json!({}))).await;
        let total = s.list("admin", &[]).await["total"].clone();
        let (status, again) = s.post("/api/v1/cases", "operator", &hotline("HL-DUP", json!({"description": "重复来电"}))).await;
        assert_eq!(status, StatusCode::OK, "[{engine}] the same external id again: {again}");
        assert_eq!(again["id"], first, "[{engine}]");
        assert_eq!(again["description"], "望京街道阜通东大街6号门口暴露垃圾", "[{engine}] the first filing stands");
        assert_eq!(s.list("admin", &[]).await["total"], total, "[{engine}] nothing new was filed");
        assert_eq!(s.case(first, "admin").await["version"], 1, "[{engine}] nor any event");
        let other_channel = s.file("operator", hotline("HL-DUP", json!({"channel": "public"}))).await;
        assert_ne!(other_channel, first, "[{engine}] external ids are per channel");
        let (a, b) = (json!({"channel": "public", "description": "无编号来件"}), json!({"channel": "public", "external_id": " ", "description": "无编号来件"}));
        let (first_anonymous, second_anonymous) = (s.file("operator", a).await, s.file("operator", b).await);
        assert_ne!(first_anonymous, second_anonymous, "[{engine}] without an external id every filing is a new case");

        // The list's query.
        let answer = s.list_raw("admin", &[("colour", "red")]).await;
        s.refused("an unknown query parameter", &answer, 400, "bad_request");
        let answer = s.list_raw("admin", &[("overdue", "maybe")]).await;
        s.invalid("overdue=maybe", &answer, "overdue");
        let answer = s.list_raw("admin", &[("q", &"字".repeat(101))]).await;
        s.invalid("a search over 100 characters", &answer, "q");

        // Case ids.
        for bad in ["abc", "0", "-1", "1.5", "99999999999999999999"] {
            let answer = s.get(&format!("/api/v1/cases/{bad}"), "admin").await;
            s.refused(&format!("case id {bad}"), &answer, 400, "bad_request");
            let answer = s.act_path(bad, "admin", &json!({"action": "accept"})).await;
            s.refused(&format!("action on case id {bad}"), &answer, 400, "bad_request");
        }
        let answer = s.get("/api/v1/nowhere", "admin").await;
        s.refused("an unknown endpoint", &answer, 404, "not_found");
        // A path outside the API is a page: the Chinese 404 page, not JSON.
        let page = s.http(Method::GET, "/elsewhere").send().await.expect("a page");
        assert_eq!(page.status(), 404, "[{engine}]");
        let page = page.text().await.expect("HTML");
        assert!(page.contains(r#"data-view="missing""#), "[{engine}] {page}");

        // Actions.
        let answer = s.act(first, "dispatcher", json!({"action": "explode"})).await;
        let message = s.refused("an unknown action", &answer, 422, "invalid");
        assert!(message.contains("explode"), "[{engine}] {message}");
        let answer = s.act(first, "dispatcher", json!({"note": "no action"})).await;
        s.refused("no action at all", &answer, 422, "invalid");
        let answer = s.act(first, "dispatcher", json!({"action": "register", "sudo": true})).await;
        s.refused("an unknown action field", &answer, 422, "invalid");
        let answer = s.act(first, "dispatcher", json!({"action": "dispatch"})).await;
        s.refused("an action without its field", &answer, 422, "invalid");
        let answer = s.act(first, "dispatcher", json!({"action": "register", "category": "S01"})).await;
        s.invalid("register under a group category", &answer, "category");
        let answer = s.act(first, "dispatcher", json!({"action": "register", "note": "备注".repeat(1001)})).await;
        s.invalid("a note over 2000 characters", &answer, "note");
        let answer = s.act(999_999, "dispatcher", register()).await;
        s.refused("an action on a missing case", &answer, 404, "not_found");
        assert_eq!(s.case(first, "admin").await["version"], 1, "[{engine}] no refused action was recorded");

        // Hostile text is data: stored and returned verbatim, never run or escaped.
        let sql = "'; DROP TABLE cases; -- \" OR 1=1 /* 100% _done_ \\";
        let html = "<script>alert('xss')</script><img src=x onerror=alert(1)> &amp; 🚯";
        let description = format!("{sql}\n{html}");
        let hostile = s
            .file(
                "operator",
                hotline("HL-'; DROP TABLE users; --", json!({"title": html, "description": description, "address": sql, "reporter": {"name": html}})),
            )
            .await;
        let c = s.case(hostile, "admin").await;
        assert_eq!(c["description"], description, "[{engine}]");
        assert_eq!(c["title"], html, "[{engine}]");
        assert_eq!(c["address"], sql, "[{engine}]");
        assert_eq!(c["reporter"]["name"], html, "[{engine}]");
        assert_eq!(c["external_id"], "HL-'; DROP TABLE users; --", "[{engine}]");
        let c = s.ok_act(hostile, "dispatcher", json!({"action": "register", "note": html})).await;
        assert_eq!(c["events"][1]["note"], html, "[{engine}]");
        for q in [sql, "' OR '1'='1", "%", "_", "\\", "<script>", "DROP TABLE"] {
            let found = s.list_ids("admin", &[("q", q)]).await;
            let expected = if description.to_lowercase().contains(&q.to_lowercase()) { vec![hostile] } else { vec![] };
            assert_eq!(found, expected, "[{engine}] search for {q:?}");
        }
        let all = s.list("admin", &[]).await;
        assert_eq!(all["total"], 5, "[{engine}] the tables are all still there: {all}");
        let (status, _) = s.sign_in("operator", PASSWORD).await;
        assert_eq!(status, StatusCode::CREATED, "[{engine}] and the users too");

        // A signed-out token is dead.
        let (status, _) = s.send(s.http(Method::DELETE, "/api/v1/session").bearer_auth(&token)).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "[{engine}]");
        let answer = s.send(s.http(Method::GET, "/api/v1/me").bearer_auth(&token)).await;
        s.refused("a signed-out token", &answer, 401, "unauthorized");
        s.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// 6. Restart

#[tokio::test]
async fn every_case_and_event_survives_a_restart_of_the_server_and_the_database() {
    let (_dir, databases) = engines().await;
    for (engine, url) in databases {
        let s = Server::start(engine, &url).await;
        let received = s.file("operator", hotline("HL-S1", json!({}))).await;
        let registered = s.file("operator", hotline("HL-S2", json!({"category": "S0201"}))).await;
        s.ok_act(registered, "dispatcher", register()).await;
        let department = dispatched_case(&s, "HL-S3", json!({}), "CY-CGW").await;
        let returned = dispatched_case(&s, "HL-S4", json!({}), "CY-CGW").await;
        s.ok_act(returned, "cgw", json!({"action": "return", "reason": "属街道职责"})).await;
        let extending = dispatched_case(&s, "HL-S5", json!({}), "CY-WJ").await;
        s.ok_act(extending, "wj", json!({"action": "accept", "note": "已签收"})).await;
        s.ok_act(extending, "wj", json!({"action": "request_extension", "amount": 6, "unit": "working_hours", "reason": "需协调"})).await;
        let suspended = dispatched_case(&s, "HL-S6", json!({"region": DONGHUAMEN}), "DC-DHM").await;
        s.ok_act(suspended, "dispatcher", json!({"action": "suspend", "reason": "等待确认"})).await;
        s.ok_act(suspended, "supervisor", json!({"action": "supervise", "level": "urgent", "note": "尽快"})).await;
        let closed = dispatched_case(&s, "HL-S7", json!({}), "CY-WJ").await;
        s.ok_act(closed, "wj", json!({"action": "accept"})).await;
        s.ok_act(closed, "wj", json!({"action": "handle", "feedback": "已清运", "photos": ["a.jpg", "b.jpg"]})).await;
        s.ok_act(closed, "grid", json!({"action": "verify", "passed": false, "note": "未清理干净"})).await;
        s.ok_act(closed, "wj", json!({"action": "handle", "feedback": "已清理干净"})).await;
        s.ok_act(closed, "grid", json!({"action": "verify", "passed": true})).await;
        let called_back = dispatched_case(&s, "HL-S8", json!({}), "CY-WJ").await;
        s.ok_act(called_back, "wj", json!({"action": "accept"})).await;
        s.ok_act(called_back, "wj", json!({"action": "handle", "feedback": "已处理"})).await;
        s.ok_act(called_back, "inspector", json!({"action": "verify", "passed": true})).await;
        s.ok_act(called_back, "operator", json!({"action": "callback", "resolved": false, "satisfaction": "dissatisfied", "note": "市民不满意"})).await;
        let rejected = s.file("operator", hotline("HL-S9", json!({})) ).await;
        s.ok_act(rejected, "dispatcher", json!({"action": "reject", "reason": "重复"})).await;
        let merged = s.file("operator", hotline("HL-S10", json!({}))).await;
        s.ok_act(merged, "dispatcher", json!({"action": "merge", "into": received})).await;
        let grid = s.file("grid", json!({"channel": "grid", "description": "无主车辆 <b>长期</b> 占道", "location": {"lat": 39.98734, "lon": 116.46189}})).await;
        let overdue = s
            .backdated_case(20, hotline("HL-OLD", json!({})), &[("dispatcher", register()), ("dispatcher", dispatch("CY-WJ"))])
            .await;
        let all = [received, registered, department, returned, extending, suspended, closed, called_back, rejected, merged, grid, overdue];
        assert_eq!(s.case(overdue, "admin").await["overdue"], true, "[{engine}]");

        let viewers = ["admin", "wj", "grid"];
        let mut before = HashMap::new();
        for user in viewers {
            for id in all {
                let (status, c) = s.get(&format!("/api/v1/cases/{id}"), user).await;
                before.insert((user, id), (status, steady(c)));
            }
        }
        let list_before = s.list("admin", &[("page_size", "200")]).await;
        let old_token = s.token("admin").await;

        let s = s.restart().await;
        let (status, me) = s.send(s.http(Method::GET, "/api/v1/me").bearer_auth(&old_token)).await;
        assert_eq!((status, &me["username"]), (StatusCode::OK, &json!("admin")), "[{engine}] sessions survive the restart");
        for user in viewers {
            for id in all {
                let (status, c) = s.get(&format!("/api/v1/cases/{id}"), user).await;
                assert_eq!((status, steady(c)), before[&(user, id)], "[{engine}] case {id} as {user} after the restart");
            }
        }
        let mut list_after = s.list("admin", &[("page_size", "200")]).await;
        let mut list_before = list_before;
        for list in [&mut list_before, &mut list_after] {
            for item in list["items"].as_array_mut().expect("items") {
                *item = steady(item.take());
            }
        }
        assert_eq!(list_after, list_before, "[{engine}] the list after the restart");
        assert_eq!(list_after["total"], all.len(), "[{engine}]");

        // The workflow goes on where it stopped, and new cases get new ids.
        let c = s.ok_act(department, "cgw", json!({"action": "accept"})).await;
        assert_eq!((&c["status"], &c["version"]), (&json!("accepted"), &json!(4)), "[{engine}]");
        let c = s.ok_act(extending, "dispatcher", json!({"action": "approve_extension", "approved": false, "note": "不同意"})).await;
        assert_eq!((&c["extension_count"], &c["pending_extension"]), (&json!(0), &Value::Null), "[{engine}] a refused extension");
        let c = s.ok_act(suspended, "dispatcher", json!({"action": "resume"})).await;
        assert_eq!(c["suspended"], false, "[{engine}]");
        let newer = s.file("operator", hotline("HL-S11", json!({}))).await;
        assert!(all.iter().all(|id| newer > *id), "[{engine}] a new id {newer} after {all:?}");
        let (status, again) = s.post("/api/v1/cases", "operator", &hotline("HL-S1", json!({}))).await;
        assert_eq!((status, &again["id"]), (StatusCode::OK, &json!(received)), "[{engine}] external ids are remembered");
        s.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// 7. List filters

/// A list query with owned values.
type Query = Vec<(&'static str, String)>;

#[tokio::test]
async fn the_case_list_filters_by_status_channel_category_region_unit_text_time_page_and_overdue() {
    let (_dir, databases) = engines().await;
    for (engine, url) in databases {
        let s = Server::start(engine, &url).await;
        let old = s
            .backdated_case(
                20,
                hotline("HL-F0", json!({"description": "望京西园三区暴露垃圾无人清理"})),
                &[("dispatcher", register()), ("dispatcher", dispatch("CY-WJ"))],
            )
            .await;
        let accepted = dispatched_case(&s, "HL-F1", json!({}), "CY-WJ").await;
        s.ok_act(accepted, "wj", json!({"action": "accept"})).await;
        let adverts = s.file("operator", hotline("HL-F2", json!({"category": "S0201", "description": "望京SOHO附近非法小广告 ABC"}))).await;
        let piles = s.file("grid", json!({"channel": "grid", "category": "S0111", "region": WANGJING, "description": "Lane 7: 50% blocked by 堆物堆料"})).await;
        s.ok_act(piles, "dispatcher", register()).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        let split = Timestamp::now();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let city_centre = dispatched_case(&s, "HL-F4", json!({"region": DONGHUAMEN, "description": "东华门大街暴露垃圾"}), "DC-DHM").await;
        let jianwai = s.file("inspector", json!({"channel": "inspection", "category": "S0201", "region": JIANWAI, "description": "建外SOHO公益广告破损"})).await;
        s.ok_act(jianwai, "dispatcher", register()).await;
        s.ok_act(jianwai, "dispatcher", dispatch("CY-CGW")).await;
        let everything = vec![jianwai, city_centre, piles, adverts, accepted, old];
        assert_eq!(s.list_ids("admin", &[]).await, everything, "[{engine}] newest first");

        let cases = |v: &[i64]| v.to_vec();
        let checks: Vec<(Query, Vec<i64>)> = vec![
            (vec![("status", "dispatched".into())], cases(&[jianwai, city_centre, old])),
            (vec![("status", "accepted".into())], cases(&[accepted])),
            (vec![("status", "registered".into())], cases(&[piles])),
            (vec![("status", "called_back".into())], cases(&[])),
            (vec![("channel", "grid".into())], cases(&[piles])),
            (vec![("channel", "inspection".into())], cases(&[jianwai])),
            (vec![("channel", "hotline".into())], cases(&[city_centre, adverts, accepted, old])),
            (vec![("category", "S0102".into())], cases(&[city_centre, accepted, old])),
            (vec![("category", "S0201".into())], cases(&[jianwai, adverts])),
            // A group code is accepted but matches exactly: cases are filed under leaves only.
            (vec![("category", "S01".into())], cases(&[])),
            (vec![("region", CHAOYANG.into())], cases(&[jianwai, piles, adverts, accepted, old])),
            (vec![("region", WANGJING.into())], cases(&[piles, adverts, accepted, old])),
            (vec![("region", JIANWAI.into())], cases(&[jianwai])),
            (vec![("region", DONGHUAMEN.into())], cases(&[city_centre])),
            (vec![("region", "110101000000".into())], cases(&[city_centre])),
            (vec![("region", "110000000000".into())], everything.clone()),
            (vec![("unit", "CY-WJ".into())], cases(&[accepted, old])),
            (vec![("unit", "CY-CGW".into())], cases(&[jianwai])),
            (vec![("q", "暴露垃圾".into())], cases(&[city_centre, accepted, old])),
            (vec![("q", "abc".into())], cases(&[adverts])),
            (vec![("q", "  SOHO ".into())], cases(&[jianwai, adverts])),
            (vec![("q", "50%".into())], cases(&[piles])),
            (vec![("q", "%".into())], cases(&[piles])),
            (vec![("q", "不存在的内容".into())], cases(&[])),
            (vec![("from", split.to_string())], cases(&[jianwai, city_centre])),
            (vec![("to", split.to_string())], cases(&[piles, adverts, accepted, old])),
            (vec![("from", beijing_date(Timestamp::now() - SignedDuration::from_hours(24)))], cases(&[jianwai, city_centre, piles, adverts, accepted])),
            (vec![("to", beijing_date(Timestamp::now() - SignedDuration::from_hours(24 * 19)))], cases(&[old])),
            (
                vec![
                    ("from", beijing_date(Timestamp::now() - SignedDuration::from_hours(24 * 21))),
                    ("to", beijing_date(Timestamp::now() - SignedDuration::from_hours(24 * 19))),
                ],
                cases(&[old]),
            ),
            (vec![("overdue", "true".into())], cases(&[old])),
            (vec![("overdue", "1".into())], cases(&[old])),
            (vec![("overdue", "false".into())], cases(&[jianwai, city_centre, piles, adverts, accepted])),
            (vec![("region", CHAOYANG.into()), ("status", "dispatched".into())], cases(&[jianwai, old])),
            (vec![("category", "S0102".into()), ("unit", "CY-WJ".into()), ("overdue", "false".into())], cases(&[accepted])),
        ];
        let oldest_first = |ids: &[i64]| ids.iter().rev().copied().collect::<Vec<i64>>();
        for (query, expected) in &checks {
            let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
            assert_eq!(&s.list_ids("admin", &query).await, expected, "[{engine}] admin lists {query:?}");
            // The export reads its filters with the list's own parser: the same cases, oldest first.
            assert_eq!(s.export_ids("admin", &query).await, oldest_first(expected), "[{engine}] admin exports {query:?}");
        }
        // Filters apply inside what the user may see, in the list and in the export alike.
        let scoped: [(&str, &[(&str, &str)], Vec<i64>); 6] = [
            ("grid", &[("overdue", "true")], vec![old]),
            ("grid", &[("region", "110101000000")], vec![]),
            ("dhm", &[("category", "S0102")], vec![city_centre]),
            ("wj", &[], vec![accepted, old]),
            ("wj", &[("unit", "DC-DHM")], vec![]),
            ("cgw", &[("q", "SOHO")], vec![jianwai]),
        ];
        for (user, query, expected) in scoped {
            assert_eq!(s.list_ids(user, query).await, expected, "[{engine}] {user} lists {query:?}");
            assert_eq!(s.export_ids(user, query).await, oldest_first(&expected), "[{engine}] {user} exports {query:?}: only what it may see");
        }

        // Pages: newest first, `total` counts every match.
        for (page, size, expected) in [
            ("1", "2", vec![jianwai, city_centre]),
            ("2", "2", vec![piles, adverts]),
            ("3", "2", vec![accepted, old]),
            ("4", "2", vec![]),
            ("2", "4", vec![accepted, old]),
        ] {
            let list = s.list("admin", &[("page", page), ("page_size", size)]).await;
            assert_eq!(ids(&list), expected, "[{engine}] page {page} of {size}");
            assert_eq!((&list["total"], &list["page"], &list["page_size"]), (&json!(6), &json!(page.parse::<u32>().unwrap()), &json!(size.parse::<u32>().unwrap())), "[{engine}]");
        }
        let list = s.list("admin", &[]).await;
        assert_eq!((&list["page"], &list["page_size"]), (&json!(1), &json!(20)), "[{engine}] the default page");

        // The overdue case shows it, the others do not.
        let c = s.case(old, "admin").await;
        assert_eq!(c["overdue"], true, "[{engine}] {c}");
        assert!(c["time_left_seconds"].as_i64().expect("time left") < 0, "[{engine}] {c}");
        assert_eq!(s.case(accepted, "admin").await["overdue"], false, "[{engine}]");

        for (query, field) in [
            (("status", "lost"), "status"),
            (("channel", "fax"), "channel"),
            (("category", "9999"), "category"),
            (("region", "999"), "region"),
            (("unit", "NOPE"), "unit"),
            (("from", "yesterday"), "from"),
            (("to", "2024-13-01"), "to"),
            (("page", "0"), "page"),
            (("page", "x"), "page"),
            (("page_size", "201"), "page_size"),
            (("page_size", "0"), "page_size"),
            (("overdue", "yes"), "overdue"),
        ] {
            let answer = s.list_raw("admin", &[query]).await;
            s.invalid(&format!("list {query:?}"), &answer, field);
            // The export refuses the same filters the same way, before writing a byte of CSV.
            let (status, content_type, bytes) = s.export_raw("admin", &[query]).await;
            let body: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("[{engine}] export {query:?}: not JSON ({e}), {content_type}"));
            assert_eq!((status.as_u16(), &body["error"]["field"]), (422, &json!(field)), "[{engine}] export {query:?}: {body}");
        }
        s.stop().await;
    }
}

#[tokio::test]
async fn the_export_has_chinese_headers_and_labels_by_default_and_the_columns_names_and_values_in_english() {
    use gridline_app::export::header;
    use gridline_core::message::Lang;
    let (_dir, databases) = engines().await;
    for (engine, url) in databases {
        let s = Server::start(engine, &url).await;
        let accepted = dispatched_case(&s, "HL-E1", json!({}), "CY-WJ").await;
        s.ok_act(accepted, "wj", json!({"action": "accept"})).await;
        let other = s.file("operator", hotline("HL-E2", json!({"region": DONGHUAMEN, "description": "东华门大街暴露垃圾"}))).await;

        // Chinese by default: 编号, 状态 …, the statuses and channels as people read them, 是/否.
        let (zh_header, rows) = s.export_csv("wj", &[]).await;
        assert_eq!(zh_header, header(Lang::Zh), "[{engine}]");
        assert_eq!(rows.len(), 1, "[{engine}] the unit's one case, not {other}: {rows:?}");
        let cell = |name: &str| rows[0][zh_header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"))].clone();
        assert_eq!((cell("编号"), cell("渠道"), cell("状态"), cell("是否超期")), (accepted.to_string(), "12345热线".into(), "已签收".into(), "否".into()), "[{engine}]");
        assert_eq!((cell("承办单位"), cell("工单号")), ("望京街道办事处".into(), "HL-E1".into()), "[{engine}]");
        let received = cell("受理时间");
        assert!(received.len() == 19 && received.as_bytes()[10] == b' ', "[{engine}] a Beijing date and time: {received}");
        assert_eq!(s.export_csv("wj", &[("lang", "zh")]).await.1, rows, "[{engine}] lang=zh is the default");

        // lang=en: the columns' names and the API's values, as scripts have read them.
        let (en_header, en_rows) = s.export_csv("wj", &[("lang", "en")]).await;
        assert_eq!(en_header, header(Lang::En), "[{engine}]");
        let en = |name: &str| en_rows[0][en_header.iter().position(|h| h == name).unwrap()].clone();
        assert_eq!((en("channel"), en("status"), en("overdue")), ("hotline".into(), "accepted".into(), "false".into()), "[{engine}]");
        assert!(en("received_at").ends_with("+08:00") && en("received_at")[..19].replace('T', " ") == received, "[{engine}] {}", en("received_at"));

        // The workbook: the same Chinese header on a sheet named 案件, labels as text.
        let (status, content_type, bytes) = s.export_raw("admin", &[("format", "xlsx"), ("status", "received")]).await;
        assert_eq!((status, content_type.as_str()), (StatusCode::OK, gridline_app::export::XLSX_CONTENT_TYPE), "[{engine}]");
        let mut workbook: calamine::Xlsx<_> = calamine::Reader::new(std::io::Cursor::new(bytes)).expect("a workbook");
        assert_eq!(calamine::Reader::sheet_names(&workbook), ["案件"], "[{engine}]");
        let sheet = calamine::Reader::worksheet_range_at(&mut workbook, 0).expect("a sheet").expect("readable");
        let sheet: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(ToString::to_string).collect()).collect();
        assert_eq!(sheet[0], header(Lang::Zh), "[{engine}]");
        assert_eq!(sheet.len(), 2, "[{engine}] the header and the one received case: {sheet:?}");
        assert_eq!((sheet[1][0].as_str(), sheet[1][3].as_str(), sheet[1][4].as_str()), (other.to_string().as_str(), "已受理", "否"), "[{engine}]");
        let (status, _, bytes) = s.export_raw("admin", &[("format", "xlsx"), ("lang", "en")]).await;
        assert_eq!(status, StatusCode::OK, "[{engine}]");
        let mut workbook: calamine::Xlsx<_> = calamine::Reader::new(std::io::Cursor::new(bytes)).expect("a workbook");
        assert_eq!(calamine::Reader::sheet_names(&workbook), ["cases"], "[{engine}]");
        let sheet = calamine::Reader::worksheet_range_at(&mut workbook, 0).expect("a sheet").expect("readable");
        let first: Vec<String> = sheet.rows().next().expect("a header").iter().map(ToString::to_string).collect();
        assert_eq!(first, header(Lang::En), "[{engine}]");

        // A language or format it does not know, or either given twice, is refused before anything is written.
        for (query, field) in [
            (vec![("lang", "fr")], "lang"),
            (vec![("lang", "zh"), ("lang", "en")], "lang"),
            (vec![("format", "pdf")], "format"),
            (vec![("format", "csv"), ("format", "xlsx")], "format"),
            (vec![("nonsense", "1")], ""),
        ] {
            let (status, content_type, bytes) = s.export_raw("admin", &query).await;
            assert!(content_type.starts_with("application/json"), "[{engine}] {query:?}: {content_type}");
            let body: Value = serde_json::from_slice(&bytes).expect("a JSON refusal");
            if field.is_empty() {
                assert_eq!(status, StatusCode::BAD_REQUEST, "[{engine}] {query:?}: {body}");
            } else {
                assert_eq!((status, &body["error"]["field"]), (StatusCode::UNPROCESSABLE_ENTITY, &json!(field)), "[{engine}] {query:?}: {body}");
            }
        }
        s.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// 8. Concurrency

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_on_one_case_lose_no_update_and_never_apply_a_step_twice() {
    let (_dir, databases) = engines().await;
    for (engine, url) in databases {
        let s = Server::start(engine, &url).await;
        // The same call filed ten times at once: one case.
        let body = hotline("HL-RACE", json!({}));
        let filings = (0..10).map(|_| s.post("/api/v1/cases", "operator", &body));
        let answers = futures_join_all(filings).await;
        let created = answers.iter().filter(|(status, _)| *status == StatusCode::CREATED).count();
        assert_eq!(created, 1, "[{engine}] exactly one filing creates: {answers:?}");
        assert!(answers.iter().all(|(status, _)| status.is_success()), "[{engine}] {answers:?}");
        let id = answers[0].1["id"].as_i64().expect("an id");
        assert!(answers.iter().all(|(_, c)| c["id"] == id), "[{engine}] one id for all: {answers:?}");
        assert_eq!(s.list("admin", &[]).await["total"], 1, "[{engine}]");

        s.ok_act(id, "dispatcher", register()).await;
        s.ok_act(id, "dispatcher", dispatch("CY-WJ")).await;
        // Ten accepts at once: one wins, the others see the accepted case.
        let accepts = (0..10).map(|_| s.act(id, "wj", json!({"action": "accept"})));
        let answers = futures_join_all(accepts).await;
        let won = answers.iter().filter(|(status, _)| *status == StatusCode::OK).count();
        assert_eq!(won, 1, "[{engine}] exactly one accept wins: {answers:?}");
        for (status, body) in answers.iter().filter(|(status, _)| *status != StatusCode::OK) {
            let message = s.refused("a losing accept", &(*status, body.clone()), 409, "conflict");
            assert!(
                message.starts_with(&format!("case {id} is accepted: accept is not allowed")),
                "[{engine}] {message}"
            );
        }
        // Ten supervisions at once: each one that is answered 200 is recorded, none twice.
        let supervisions = (0..10).map(|n| s.act(id, "supervisor", json!({"action": "supervise", "note": format!("督办{n}")})));
        let answers = futures_join_all(supervisions).await;
        let ok = answers.iter().filter(|(status, _)| *status == StatusCode::OK).count();
        // Actions on one case take turns in the server: every supervision is recorded.
        assert_eq!(ok, 10, "[{engine}] {answers:?}");
        let c = s.case(id, "admin").await;
        assert_eq!(c["supervision_count"], ok, "[{engine}] {c}");
        let events = c["events"].as_array().expect("events");
        assert_eq!(events.len(), 4 + ok, "[{engine}] one event per answered step");
        assert_eq!(c["version"], events.len(), "[{engine}]");
        let mut notes: Vec<&str> = events[4..].iter().map(|e| e["note"].as_str().expect("a note")).collect();
        notes.sort_unstable();
        notes.dedup();
        assert_eq!(notes.len(), ok, "[{engine}] no supervision recorded twice");
        s.stop().await;
    }
}

/// Runs the futures concurrently on this task and collects their outputs in order.
async fn futures_join_all<F: std::future::Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut set = Vec::new();
    for future in futures {
        set.push(Box::pin(future));
    }
    let mut outputs: Vec<Option<F::Output>> = set.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in set.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending { std::task::Poll::Pending } else { std::task::Poll::Ready(()) }
    })
    .await;
    outputs.into_iter().map(|o| o.expect("finished")).collect()
}

// ---------------------------------------------------------------------------------------------
// 9. The overdue flag of a case and the list's overdue filter

#[tokio::test]
async fn the_overdue_flag_of_every_case_agrees_with_the_overdue_filter_of_the_list() {
    let (_dir, databases) = engines().await;
    for (engine, url) in databases {
        let s = Server::start(engine, &url).await;
        let steps = |last: &[(&'static str, Value)]| {
            let mut all = vec![("dispatcher", register()), ("dispatcher", dispatch("CY-WJ"))];
            all.extend_from_slice(last);
            all
        };
        // Dispatched three weeks ago and never touched: overdue in every view.
        let late = s.backdated_case(20, hotline("HL-LATE", json!({})), &steps(&[])).await;
        // Handled forty minutes after it was received, three weeks ago: on time, waiting to be verified.
        let handled_on_time = s
            .backdated_case(20, hotline("HL-ONTIME", json!({})), &steps(&[("wj", json!({"action": "accept"})), ("wj", json!({"action": "handle", "feedback": "已清运"}))]))
            .await;
        // Past its deadline, then suspended today.
        let suspended_late = s.backdated_case(20, hotline("HL-SUSP", json!({})), &steps(&[("wj", json!({"action": "accept"}))])).await;
        s.ok_act(suspended_late, "dispatcher", json!({"action": "suspend", "reason": "等待产权单位确认"})).await;
        let fresh = dispatched_case(&s, "HL-FRESH", json!({}), "CY-WJ").await;

        let listed_overdue = s.list_ids("admin", &[("overdue", "true")]).await;
        let listed_on_time = s.list_ids("admin", &[("overdue", "false")]).await;
        let mut disagreements = Vec::new();
        for id in [late, handled_on_time, suspended_late, fresh] {
            let c = s.case(id, "admin").await;
            let flag = c["overdue"].as_bool().expect("an overdue flag");
            let (in_overdue, in_on_time) = (listed_overdue.contains(&id), listed_on_time.contains(&id));
            if (flag, !flag) != (in_overdue, in_on_time) {
                disagreements.push(format!(
                    "case {id} ({}, suspended {}): JSON overdue={flag} time_left_seconds={}, but listed under overdue=true: {in_overdue}, overdue=false: {in_on_time}",
                    c["status"], c["suspended"], c["time_left_seconds"]
                ));
            }
        }
        let c = s.case(handled_on_time, "admin").await;
        if c["overdue"] == true || !c["time_left_seconds"].is_null() {
            disagreements.push(format!(
                "case {handled_on_time} was handled on time and now waits for verification, yet shows overdue={} time_left_seconds={} deadline={}",
                c["overdue"], c["time_left_seconds"], c["deadline"]
            ));
        }
        assert!(disagreements.is_empty(), "[{engine}]\n{}", disagreements.join("\n"));
        s.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// 10. Found by this suite once: kept so they stay fixed

#[tokio::test]
async fn filing_an_external_id_that_is_already_used_does_not_reveal_a_case_the_user_may_not_see() {
    let (_dir, databases) = engines().await;
    for (engine, url) in databases {
        let s = Server::start(engine, &url).await;
        let body = json!({"channel": "grid", "external_id": "GRID-0001", "category": "S0111", "region": WANGJING,
                          "description": "望京西路12号楼下堆物堆料", "address": "望京西路12号", "reporter": {"name": "网格员老王"}});
        let theirs = s.file("grid", body).await;
        let hidden = s.get(&format!("/api/v1/cases/{theirs}"), "grid_dhm").await;
        s.refused("the other street's grid worker reads the case", &hidden, 404, "not_found");
        // The same external id from a grid worker of another street, with made-up content.
        let probe = json!({"channel": "grid", "external_id": "GRID-0001", "region": DONGHUAMEN, "description": "随便写点什么"});
        let (status, answer) = s.post("/api/v1/cases", "grid_dhm", &probe).await;
        assert!(
            !(status.is_success() && answer["id"] == theirs),
            "[{engine}] {status}: a user who gets 404 for case {theirs} reads it through its external id: {answer}"
        );
        s.stop().await;
    }
}

#[tokio::test]
async fn a_known_path_with_the_wrong_method_answers_405_in_the_api_error_format() {
    let (_dir, databases) = engines().await;
    for (engine, url) in databases {
        let s = Server::start(engine, &url).await;
        let token = s.token("admin").await;
        for (method, path) in [(Method::PUT, "/api/v1/cases"), (Method::DELETE, "/api/v1/cases/1"), (Method::GET, "/api/v1/cases/1/actions")] {
            let answer = s.send(s.http(method.clone(), path).bearer_auth(&token)).await;
            s.refused(&format!("{method} {path}"), &answer, 405, "method_not_allowed");
        }
        s.stop().await;
    }
}

#[tokio::test]
async fn an_uncategorised_hotline_case_gets_a_suggestion_and_a_near_copy_is_offered_for_merging() {
    let (_dir, databases) = engines().await;
    for (engine, url) in databases {
        let s = Server::start(engine, &url).await;
        // Without a model the catalogue's words suggest; they never file on their own.
        let (status, c) = s
            .post("/api/v1/cases", "operator", &hotline("HL-S1", json!({"category": null, "description": "阜通东大街6号门口暴露垃圾，两天没人清运"})))
            .await;
        assert_eq!(status, StatusCode::CREATED, "[{engine}] {c}");
        assert_eq!(c["category"], Value::Null, "[{engine}] {c}");
        assert_eq!(c["suggestion"]["label"], "S0102", "[{engine}] {c}");
        assert_eq!(c["suggestion"]["source"], "keywords", "[{engine}] {c}");
        assert_eq!(c["suggestion"]["auto_filed"], false, "[{engine}] {c}");
        let first = c["id"].as_i64().expect("id");
        let shown = s.get(&format!("/api/v1/cases/{first}"), "dispatcher").await;
        assert_eq!(shown.1["suggestion"]["label"], "S0102", "[{engine}] the suggestion is kept: {}", shown.1);

        let second = s.file("operator", hotline("HL-S2", json!({"description": "阜通东大街6号门口暴露垃圾，两天没人清运了"}))).await;
        let other = s.file("operator", hotline("HL-S3", json!({"description": "望京小学门口红绿灯坏了，早上很危险"}))).await;
        let (status, d) = s.get(&format!("/api/v1/cases/{second}/duplicates"), "dispatcher").await;
        assert_eq!(status, StatusCode::OK, "[{engine}] {d}");
        let found: Vec<i64> = d["suggestions"].as_array().expect("a list").iter().map(|x| x["case"].as_i64().unwrap()).collect();
        assert_eq!(found, vec![first], "[{engine}] {d}");
        assert!(d["suggestions"][0]["score"].as_f64().unwrap() >= 0.6, "[{engine}] {d}");
        // Once merged, the copy is no longer offered.
        s.ok_act(first, "dispatcher", json!({"action": "merge", "into": other})).await;
        let (_, d) = s.get(&format!("/api/v1/cases/{second}/duplicates"), "dispatcher").await;
        assert_eq!(d["suggestions"], json!([]), "[{engine}] {d}");
        s.refused("duplicates of a non-number", &s.get("/api/v1/cases/abc/duplicates", "dispatcher").await, 400, "bad_request");
        s.refused("duplicates of a missing case", &s.get("/api/v1/cases/999999/duplicates", "dispatcher").await, 404, "not_found");

        let (status, k) = s.post("/api/v1/classify", "operator", &json!({"text": "小区门口暴露垃圾没人管"})).await;
        assert_eq!(status, StatusCode::OK, "[{engine}] {k}");
        assert_eq!((k["label"].as_str(), k["name"].as_str()), (Some("S0102"), Some("暴露垃圾")), "[{engine}] {k}");
        for (what, body) in [
            ("empty text", json!({"text": "  "})),
            ("English text", json!({"text": "rubbish by the gate"})),
            ("over-long text", json!({"text": "垃".repeat(5001)})),
        ] {
            s.invalid(what, &s.post("/api/v1/classify", "operator", &body).await, "text");
        }
        s.refused("an unknown field", &s.post("/api/v1/classify", "operator", &json!({"txt": "垃圾"})).await, 422, "invalid");
        s.stop().await;
    }
}

#[tokio::test]
async fn registration_dispatches_by_the_rules_and_explains_the_route() {
    let (_dir, databases) = engines().await;
    for (engine, url) in databases {
        let s = Server::start(engine, &url).await;
        // 前门: the catalogue's default (S01 → street office) finds exactly one unit: dispatched at once.
        let rubbish = s.file("operator", hotline("HL-R1", json!({"region": QIANMEN, "description": "前门大街暴露垃圾"}))).await;
        let c = s.ok_act(rubbish, "dispatcher", json!({"action": "register"})).await;
        assert_eq!((c["status"].as_str(), c["unit"].as_str()), (Some("dispatched"), Some("DC-QM")), "[{engine}] {c}");
        let events = c["events"].as_array().expect("events");
        let dispatch = events.last().expect("a dispatch event");
        assert_eq!(dispatch["action"], "dispatch", "[{engine}] {dispatch}");
        assert_eq!(dispatch["data"]["rule"], "catalogue:S01", "[{engine}] {dispatch}");
        assert!(dispatch["note"].as_str().unwrap().contains("前门街道办事处"), "[{engine}] the reason is the note: {dispatch}");
        assert_eq!(dispatch["actor"]["username"], "dispatcher", "[{engine}] the registering dispatcher is on record");
        // An explicit rule: street vendors in 前门 go to the district's enforcement bureau.
        let vendors = s.file("operator", hotline("HL-R2", json!({"region": QIANMEN, "category": "S0501", "description": "前门游商"}))).await;
        let c = s.ok_act(vendors, "dispatcher", json!({"action": "register"})).await;
        assert_eq!(c["unit"], "DC-ZF", "[{engine}] {c}");
        let (status, route) = s.get(&format!("/api/v1/cases/{vendors}/route"), "dispatcher").await;
        assert_eq!(status, StatusCode::OK, "[{engine}] {route}");
        assert_eq!((route["certain"].as_bool(), route["rule"]["id"].as_str()), (Some(true), Some("R-qianmen-vendors")), "[{engine}]");
        assert!(route["reason"].as_str().unwrap().contains("东城区城市管理综合行政执法局"), "[{engine}] {route}");
        assert_eq!(route["matched"][1]["id"], "catalogue:S05", "[{engine}] the default is shown beneath: {route}");
        // 东华门's office handles no declared type: the case waits for the dispatcher, who is told why.
        let waiting = s.file("operator", hotline("HL-R3", json!({"region": DONGHUAMEN, "description": "东华门暴露垃圾"}))).await;
        let c = s.ok_act(waiting, "dispatcher", json!({"action": "register"})).await;
        assert_eq!(c["status"], "registered", "[{engine}] {c}");
        let (_, route) = s.get(&format!("/api/v1/cases/{waiting}/route"), "dispatcher").await;
        assert_eq!(route["certain"], false, "[{engine}] {route}");
        assert!(route["reason"].as_str().unwrap().contains("转派单员"), "[{engine}] {route}");
        s.ok_act(waiting, "dispatcher", json!({"action": "dispatch", "unit": "DC-DHM"})).await;
        // A client cannot pretend a rule chose the unit.
        let answer = s.act(waiting, "dispatcher", json!({"action": "dispatch", "unit": "DC-DHM", "rule": "R-x"})).await;
        assert_eq!(answer.0.as_u16(), 422, "[{engine}] {:?}", answer.1);
        // Routing a hypothetical case; a case without a category cannot be routed.
        let (status, route) = s.post("/api/v1/route", "operator", &json!({"category": "S0301", "region": QIANMEN, "at": "2026-07-15T15:30:00Z"})).await;
        assert_eq!((status, route["rule"]["id"].as_str()), (StatusCode::OK, Some("R-noise-night")), "[{engine}] 23:30 in Beijing: {route}");
        s.invalid("route of an unknown category", &s.post("/api/v1/route", "operator", &json!({"category": "ZZ"})).await, "category");
        let uncategorised = s.file("operator", hotline("HL-R4", json!({"category": null}))).await;
        s.refused("route without a category", &s.get(&format!("/api/v1/cases/{uncategorised}/route"), "dispatcher").await, 409, "conflict");
        s.refused("route of a case out of sight", &s.get(&format!("/api/v1/cases/{rubbish}/route"), "wj").await, 404, "not_found");
        // A source code from the hotline's scheme files the case under the crosswalk's entry and is kept.
        let source = json!({"scheme": "hotline", "code": "城乡建设/城市建设和市政管理/冬季采暖"});
        let (status, c) = s.post("/api/v1/cases", "operator", &hotline("HL-R5", json!({"category": null, "source": source}))).await;
        assert_eq!(status, StatusCode::CREATED, "[{engine}] {c}");
        assert_eq!((c["category"].as_str(), c["source"]["scheme"].as_str()), (Some("R0301"), Some("hotline")), "[{engine}] 冬季采暖 is 供暖不热: {c}");
        let unmapped = json!({"scheme": "hotline", "code": "no/such/code"});
        let (_, c) = s.post("/api/v1/cases", "operator", &hotline("HL-R6", json!({"category": null, "source": unmapped}))).await;
        assert_eq!((c["category"].is_null(), c["source"]["code"].as_str()), (true, Some("no/such/code")), "[{engine}] unmapped: kept, uncategorised");
        s.stop().await;
    }
}

#[tokio::test]
async fn the_catalogue_is_searched_exported_and_replaced_only_by_whole_valid_files() {
    let (_dir, databases) = engines().await;
    for (engine, url) in databases {
        let s = Server::start(engine, &url).await;
        let (status, found) = s.get("/api/v1/catalogue?q=%E5%B0%8F%E5%B9%BF%E5%91%8A&leaf=true", "operator").await;
        assert_eq!(status, StatusCode::OK, "[{engine}] {found}");
        assert_eq!(found["items"][0]["code"], "S0201", "[{engine}] 小广告 finds 非法小广告 first: {found}");
        let (_, entry) = s.get("/api/v1/catalogue/S0201", "operator").await;
        assert!(entry["register_condition"].is_string() && entry["close_condition"].is_string(), "[{engine}] {entry}");
        assert_eq!(entry["effective_unit_type"], "street_office", "[{engine}] {entry}");
        s.refused("an unknown entry", &s.get("/api/v1/catalogue/ZZ99", "operator").await, 404, "not_found");
        s.invalid("an unknown subtree", &s.get("/api/v1/catalogue?within=ZZ", "operator").await, "within");

        // Export the three files and import them back unchanged: nothing changes but the revision.
        let mut files = serde_json::Map::new();
        for (key, name) in [("catalogue", "catalogue.toml"), ("routing", "routing.toml"), ("crosswalk", "crosswalk.csv")] {
            let response = s.http(Method::GET, &format!("/api/v1/catalogue/files/{name}")).bearer_auth(s.token("operator").await).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "[{engine}] {name}");
            files.insert(key.into(), Value::String(response.text().await.unwrap()));
        }
        let files = Value::Object(files);
        let (status, same) = s.post("/api/v1/catalogue/import", "admin", &files).await;
        assert_eq!(status, StatusCode::OK, "[{engine}] {same}");
        assert_eq!(same["changes"]["added"], json!([]), "[{engine}] {same}");
        assert_eq!(same["changes"]["changed"], json!([]), "[{engine}] {same}");
        assert_eq!(same["changes"]["removed"], json!([]), "[{engine}] {same}");
        let revision = same["revision"].as_i64().unwrap();

        // A dry run reports the change and applies nothing; the real import bumps one version.
        let catalogue = files["catalogue"].as_str().unwrap();
        let renamed = json!({"catalogue": catalogue.replace("name = \"暴露垃圾\"", "name = \"暴露垃圾（含满溢）\""), "note": "rename"});
        let (status, dry) = s.post("/api/v1/catalogue/import?dry_run=true", "admin", &renamed).await;
        assert_eq!((status, dry["changes"]["changed"].clone(), dry["revision"].clone()), (StatusCode::OK, json!(["S0102"]), Value::Null), "[{engine}] {dry}");
        assert_eq!(s.get("/api/v1/catalogue/S0102", "operator").await.1["name"], "暴露垃圾", "[{engine}] a dry run changes nothing");
        let filed_before = s.file("operator", hotline("HL-V1", json!({}))).await;
        let (status, applied) = s.post("/api/v1/catalogue/import", "admin", &renamed).await;
        assert_eq!((status, applied["revision"].as_i64()), (StatusCode::OK, Some(revision + 1)), "[{engine}] {applied}");
        let (_, now) = s.get("/api/v1/catalogue/S0102", "operator").await;
        assert_eq!((now["name"].as_str(), now["version"].as_u64()), (Some("暴露垃圾（含满溢）"), Some(2)), "[{engine}] {now}");
        let (_, then) = s.get("/api/v1/catalogue/S0102?version=1", "operator").await;
        assert_eq!((then["name"].as_str(), then["in_force"].as_bool()), (Some("暴露垃圾"), Some(false)), "[{engine}] {then}");
        assert_eq!(s.case(filed_before, "operator").await["category_version"], 1, "[{engine}] history is not rewritten");
        let filed_after = s.file("operator", hotline("HL-V2", json!({}))).await;
        assert_eq!(s.case(filed_after, "operator").await["category_version"], 2, "[{engine}]");

        // Broken files are refused whole with every problem and its line; nothing changes.
        let broken = [
            ("duplicate code", json!({"catalogue": format!("{catalogue}\n[[entry]]\ncode = \"S0102\"\nparent = \"S01\"\nname = \"重复\"\n")}), "appears twice"),
            ("unknown parent", json!({"catalogue": format!("{catalogue}\n[[entry]]\ncode = \"S9901\"\nparent = \"S99\"\nname = \"孤儿\"\n")}), "unknown parent S99"),
            ("cycle", json!({"catalogue": format!("{catalogue}\n[[entry]]\ncode = \"X1\"\nparent = \"X2\"\nname = \"甲\"\n[[entry]]\ncode = \"X2\"\nparent = \"X1\"\nname = \"乙\"\n")}), "cycle"),
            ("unknown unit type", json!({"routing": format!("{}\n[[rule]]\nid = \"R-x\"\nentries = [\"S01\"]\nunit_type = \"plumbers\"\n", files["routing"].as_str().unwrap())}), "unknown unit type plumbers"),
            ("unknown unit", json!({"routing": format!("{}\n[[rule]]\nid = \"R-y\"\nentries = [\"S01\"]\nregions = [\"{QIANMEN}\"]\nunit = \"NOBODY\"\n", files["routing"].as_str().unwrap())}), "unknown unit NOBODY"),
            ("crosswalk to a group", json!({"crosswalk": "scheme,source_code,source_name,entry\nhotline,a,甲,S01\n"}), "a group"),
            ("not TOML", json!({"catalogue": "[[entry]\ncode = "}), "catalogue.toml"),
        ];
        for (what, body, expected) in broken {
            let answer = s.post("/api/v1/catalogue/import", "admin", &body).await;
            s.refused(what, &answer, 422, "invalid_files");
            let problems = answer.1["error"]["problems"].as_array().unwrap_or_else(|| panic!("[{engine}] {what}: {}", answer.1));
            assert!(problems.iter().any(|p| p["message"].as_str().unwrap().contains(expected) || p["file"].as_str() == Some(expected)), "[{engine}] {what}: {problems:?}");
            assert!(problems.iter().all(|p| p["file"].is_string()), "[{engine}] {what}");
            if what != "not TOML" && what != "unknown unit" {
                assert!(problems.iter().any(|p| p["line"].is_u64()), "[{engine}] {what} has a line: {problems:?}");
            }
        }
        let (_, unchanged) = s.post("/api/v1/catalogue/import?dry_run=true", "admin", &json!({"note": "probe", "crosswalk": files["crosswalk"]})).await;
        assert_eq!(unchanged["changes"]["changed"], json!([]), "[{engine}] the refused files changed nothing: {unchanged}");
        s.refused("not an administrator", &s.post("/api/v1/catalogue/import", "dispatcher", &files).await, 403, "forbidden");
        s.invalid("nothing to import", &s.post("/api/v1/catalogue/import", "admin", &json!({"note": "x"})).await, "catalogue");
        let huge = json!({"catalogue": "#".repeat(9 * 1024 * 1024)});
        s.refused("an oversized import", &s.post("/api/v1/catalogue/import", "admin", &huge).await, 413, "payload_too_large");

        // The crosswalk says which hotline codes have no entry.
        let (_, unmapped) = s.get("/api/v1/crosswalk?scheme=hotline&unmapped=true", "operator").await;
        assert!(unmapped["total"].as_u64().unwrap() > 0, "[{engine}] {unmapped}");
        assert!(unmapped["items"].as_array().unwrap().iter().all(|r| r["entry"].is_null()), "[{engine}]");
        s.invalid("an unknown scheme", &s.get("/api/v1/crosswalk?scheme=nyc", "operator").await, "scheme");
        let (_, types) = s.get("/api/v1/unit-types", "operator").await;
        assert!(types["items"].as_array().unwrap().iter().any(|t| t["code"] == "street_office"), "[{engine}]");
        s.stop().await;
    }
}

/// Two servers on one database (or a server and the CLI): a unit added and a catalogue imported
/// by one are in force on the other once it re-reads them, without a restart.
#[tokio::test]
async fn a_server_takes_up_units_and_catalogues_changed_by_another_process_when_it_refreshes() {
    let (_dir, engines) = engines().await;
    for (engine, url) in engines {
        let store = Store::open(&url).await.expect("open");
        let regions = std::sync::Arc::new(gridline_geo::beijing());
        let one = gridline_app::App::new(store.clone(), regions.clone(), &Default::default()).await.expect("first server");
        let other = gridline_app::App::new(store.clone(), regions, &Default::default()).await.expect("second server");
        let unit = units().remove(0);
        store.people().put_unit(&unit, Timestamp::now()).await.expect("unit added as `gridline unit add` does");
        assert!(other.unit(&unit.code).is_none(), "{engine}: not re-read yet");
        other.refresh().await.expect("refresh");
        assert_eq!(other.unit(&unit.code).map(|u| u.name), Some(unit.name.clone()), "{engine}");

        let catalogue = one.reference().files().catalogue.replace("name = \"暴露垃圾\"", "name = \"暴露垃圾（含散落垃圾）\"");
        let replacements = gridline_core::reference::ReplacementFiles { catalogue: Some(catalogue), ..Default::default() };
        let applied = one.apply_reference(replacements, "admin", None, false).await.expect("imported on the first server");
        let revision = applied.revision.expect("a new revision");
        assert!(other.reference_revision() < revision, "{engine}");
        other.refresh().await.expect("refresh");
        assert_eq!(other.reference_revision(), revision, "{engine}");
        let entry = other.reference().catalogue.get("S0102").map(|e| e.name.clone());
        assert_eq!(entry.as_deref(), Some("暴露垃圾（含散落垃圾）"), "{engine}");
        other.refresh().await.expect("a refresh with nothing new changes nothing");
        assert_eq!(other.reference_revision(), revision, "{engine}");
        store.close().await;
    }
}

/// The evaluation over HTTP: the office registers points and creates a round drawn from a seed;
/// the evaluator sees only their round, answers a point's checklist (a clause of another point
/// type refused, a failure filed as a case, the same answers again idempotent, a changed answer a
/// conflict); the scores and the district's health report show it.
#[tokio::test]
async fn an_evaluation_round_runs_over_http_from_points_to_scores_and_the_health_report() {
    let (_dir, databases) = engines().await;
    for (engine, url) in databases {
        let s = Server::start(engine, &url).await;
        let (lat, lon) = gridline_geo::beijing().get(WANGJING).and_then(|r| r.label_point).expect("望京 has a label point");
        let point = |code: &str, point_type: &str, dlat: f64| {
            json!({"code": code, "name": format!("{code}测试点位"), "point_type": point_type, "location": {"kind": "point", "lat": lat + dlat, "lon": lon}, "unit": "CY-WJ"})
        };
        let (status, alley) = s.post("/api/v1/evaluation/points", "dispatcher", &point("WJ-A1", "back_alley", 0.0)).await;
        assert_eq!(status, StatusCode::CREATED, "[{engine}] {alley}");
        assert_eq!(alley["region"], WANGJING, "[{engine}]");
        let (status, _) = s.post("/api/v1/evaluation/points", "dispatcher", &point("WJ-R1", "main_road", 0.0005)).await;
        assert_eq!(status, StatusCode::CREATED, "[{engine}]");
        let (status, err) = s.post("/api/v1/evaluation/points", "dispatcher", &point("WJ-A1", "back_alley", 0.0)).await;
        assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("conflict")), "[{engine}] {err}");
        let (status, err) = s.post("/api/v1/evaluation/points", "dispatcher", &point("WJ-X", "moon_base", 0.0)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{engine}] {err}");
        let (status, _) = s.post("/api/v1/evaluation/points", "inspector", &point("WJ-A2", "back_alley", 0.0)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "[{engine}]");
        let (status, list) = s.get("/api/v1/evaluation/points?region=110105000000&type=back_alley", "dispatcher").await;
        assert_eq!((status, list["items"].as_array().map(Vec::len)), (StatusCode::OK, Some(1)), "[{engine}] {list}");

        let now = Timestamp::now();
        let round = json!({
            "name": "第1周实地考察", "starts": beijing_date(now), "deadline": (now + SignedDuration::from_hours(72)).to_string(),
            "plan": {"level": "street", "per_type": {"back_alley": 1, "main_road": 1}, "regions": [WANGJING]},
            "evaluators": [s.users["inspector"].id], "seed": "20261206",
        });
        let (status, created) = s.post("/api/v1/evaluation/rounds", "dispatcher", &round).await;
        assert_eq!(status, StatusCode::CREATED, "[{engine}] {created}");
        assert_eq!((created["points"].as_i64(), created["seed"].as_str()), (Some(2), Some("20261206")), "[{engine}]");
        let id = created["id"].as_i64().unwrap();
        let mut bad = round.clone();
        bad["evaluators"] = json!([s.users["grid"].id]);
        let (status, err) = s.post("/api/v1/evaluation/rounds", "dispatcher", &bad).await;
        assert_eq!((status, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("evaluators")), "[{engine}] {err}");

        let (status, rounds) = s.get("/api/v1/evaluation/rounds", "inspector").await;
        assert_eq!((status, rounds["items"].as_array().map(Vec::len)), (StatusCode::OK, Some(1)), "[{engine}]");
        let (status, _) = s.get("/api/v1/evaluation/rounds", "grid").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "[{engine}]");
        let (status, points) = s.get(&format!("/api/v1/evaluation/rounds/{id}/points"), "inspector").await;
        assert_eq!((status, points["items"].as_array().map(Vec::len)), (StatusCode::OK, Some(2)), "[{engine}] {points}");
        let alley_id = alley["id"].as_i64().unwrap();
        let answers_path = format!("/api/v1/evaluation/rounds/{id}/points/{alley_id}/answers");

        let (status, err) = s.post(&answers_path, "inspector", &json!({"answers": [{"clause": "1.1.1", "outcome": "pass"}]})).await;
        assert_eq!((status, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("clause")), "[{engine}] {err}");
        let answers = json!({"answers": [
            {"clause": "1.2.1", "outcome": "fail", "count": 1, "note": "巷口新搭彩钢房", "position": {"lat": lat, "lon": lon}},
            {"clause": "1.2.2", "outcome": "pass"},
        ]});
        let (status, result) = s.post(&answers_path, "inspector", &answers).await;
        assert_eq!(status, StatusCode::OK, "[{engine}] {result}");
        let failed = result["clauses"].as_array().unwrap().iter().find(|c| c["code"] == "1.2.1").unwrap().clone();
        assert_eq!(failed["rectification"], "open", "[{engine}]");
        let case_id = failed["answer"]["case_id"].as_i64().expect("a case for the failure");
        let (status, case) = s.get(&format!("/api/v1/cases/{case_id}"), "dispatcher").await;
        assert_eq!((status, case["channel"].as_str(), case["category"].as_str()), (StatusCode::OK, Some("inspection"), Some("W0501")), "[{engine}] {case}");
        let (status, again) = s.post(&answers_path, "inspector", &answers).await;
        assert_eq!((status, &again["clauses"]), (StatusCode::OK, &result["clauses"]), "[{engine}]: the same answers again change nothing");
        let (status, _) = s.post(&answers_path, "inspector", &json!({"answers": [{"clause": "1.2.2", "outcome": "fail"}]})).await;
        assert_eq!(status, StatusCode::CONFLICT, "[{engine}]");
        let (status, _) = s.post(&answers_path, "grid", &answers).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "[{engine}]");

        let period = Month::of(now).to_string();
        let (status, scores) = s.get(&format!("/api/v1/evaluation/scores?period={period}&level=district"), "supervisor").await;
        assert_eq!(status, StatusCode::OK, "[{engine}] {scores}");
        let first = &scores["items"][0];
        assert_eq!((first["code"].as_str(), first["rank"].as_i64()), (Some(CHAOYANG), Some(1)), "[{engine}] {first}");
        // 1.5 points lost of 2.5: 40 on field checks.
        assert!((first["field_check"].as_f64().unwrap() - 40.0).abs() < 1e-9, "[{engine}] {first}");
        let (status, _) = s.get(&format!("/api/v1/evaluation/scores?period={period}&level=city"), "supervisor").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{engine}]");
        let (status, _) = s.get("/api/v1/evaluation/scores", "supervisor").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{engine}]");

        // The score explained: the one answer that lost points, in the street and in its district.
        for region in [WANGJING, CHAOYANG] {
            let (status, findings) = s.get(&format!("/api/v1/evaluation/findings?region={region}&period={period}"), "supervisor").await;
            assert_eq!(status, StatusCode::OK, "[{engine}] {findings}");
            assert_eq!((findings["lost"].as_f64(), findings["possible"].as_f64()), (Some(1.5), Some(2.5)), "[{engine}] {findings}");
            let items = findings["items"].as_array().unwrap();
            assert_eq!(items.len(), 1, "[{engine}] {findings}");
            assert_eq!((items[0]["clause"].as_str(), items[0]["case_id"].as_i64(), items[0]["rectification"].as_str()), (Some("1.2.1"), Some(case_id), Some("open")), "[{engine}]");
            assert_eq!((items[0]["point_code"].as_str(), items[0]["note"].as_str(), items[0]["region_name"].as_str()), (Some("WJ-A1"), Some("巷口新搭彩钢房"), Some("望京街道")), "[{engine}]");
        }
        for bad in [format!("region=110000000000&period={period}"), format!("region={WANGJING}"), format!("period={period}")] {
            let (status, _) = s.get(&format!("/api/v1/evaluation/findings?{bad}"), "supervisor").await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{engine}] {bad}");
        }

        let (status, report) = s.get(&format!("/api/v1/evaluation/health-report?region={CHAOYANG}&period={period}"), "supervisor").await;
        assert_eq!(status, StatusCode::OK, "[{engine}] {report}");
        assert_eq!(report["lost_most"][0]["code"], "1.2.1", "[{engine}]");
        assert_eq!(report["open_rectifications"].as_array().map(Vec::len), Some(1), "[{engine}]");
        let (status, _) = s.get(&format!("/api/v1/evaluation/health-report?region={WANGJING}&period={period}"), "supervisor").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{engine}]");

        let (status, system) = s.get("/api/v1/evaluation/indicators", "inspector").await;
        assert_eq!((status, system["system"]["total"].as_f64()), (StatusCode::OK, Some(100.0)), "[{engine}]");
        let broken = gridline_core::evaluation::system::BUILTIN_INDICATORS.replacen("points = 2.0", "points = 3.0", 1);
        let (status, err) = s.post("/api/v1/evaluation/indicators", "admin", &json!({"document": broken})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{engine}] {err}");
        assert!(err["error"]["problems"][0]["message"].as_str().unwrap().contains("add up to 9 points, not its 8"), "[{engine}] {err}");
        let (status, _) = s.post("/api/v1/evaluation/indicators", "inspector", &json!({"document": gridline_core::evaluation::system::BUILTIN_INDICATORS})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "[{engine}]");
        let (status, imported) = s.post("/api/v1/evaluation/indicators", "admin", &json!({"document": gridline_core::evaluation::system::BUILTIN_INDICATORS})).await;
        assert_eq!((status, imported["revision"].as_i64()), (StatusCode::CREATED, Some(2)), "[{engine}] {imported}");
        s.stop().await;
    }
}

/// The project ledger over HTTP: a member unit proposes and reports on its own projects and sees
/// only them; only the office accepts, checks and closes; the board counts by class and status;
/// bad input is named.
#[tokio::test]
async fn the_ledger_over_http_keeps_each_member_unit_to_its_own_projects_and_the_office_to_its_steps() {
    use gridline_core::ledger::{KeyTask, LedgerYear, MemberUnit, UnitTier};
    let (_dir, databases) = engines().await;
    for (engine, url) in databases {
        let s = Server::start(engine, &url).await;
        for unit in ["BJ-JTW", "CY-CGW"] {
            let member = MemberUnit { unit: unit.parse().unwrap(), tier: UnitTier::Municipal, contact_name: "联络员".into(), contact_phone: "010-1".into() };
            s.store.ledger().put_member(&member).await.unwrap();
        }
        s.store.ledger().put_year(&LedgerYear::new(2026, None, None).unwrap()).await.unwrap();
        s.store.ledger().put_key_task(&KeyTask { year: 2026, code: "T1".into(), title: "文明交通".into() }).await.unwrap();
        let draft = |title: &str, class: &str, due: &str| {
            json!({"class": class, "key_task": "T1", "title": title, "goals": "目标", "measures": "措施",
                   "milestones": [{"title": "方案", "due": due}], "responsible": "张三", "evidence": "材料"})
        };
        let (status, own) = s.post("/api/v1/ledger/projects", "member", &json!({"year": 2026, "draft": draft("文明交通宣传月", "文明宣传", "2026-03-31")})).await;
        assert_eq!(status, StatusCode::CREATED, "[{engine}] {own}");
        assert_eq!((own["project"]["unit"].as_str(), own["project"]["status"].as_str()), (Some("BJ-JTW"), Some("proposed")), "[{engine}]");
        assert_eq!(own["project"]["unit_name"], "北京市交通委员会");
        let own_id = own["project"]["id"].as_i64().unwrap();
        let (status, other) =
            s.post("/api/v1/ledger/projects", "admin", &json!({"year": 2026, "unit": "CY-CGW", "draft": draft("背街小巷整治", "文明治理", "2026-05-31")})).await;
        assert_eq!(status, StatusCode::CREATED, "[{engine}] {other}");
        let other_id = other["project"]["id"].as_i64().unwrap();
        let (status, late) = s.post("/api/v1/ledger/projects", "member", &json!({"year": 2026, "draft": draft("跨年", "文明宣传", "2027-01-10")})).await;
        assert_eq!((status, late["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("milestones")), "[{engine}] {late}");
        let (status, _) = s.post("/api/v1/ledger/projects", "member", &json!({"year": 2026, "unit": "CY-CGW", "draft": draft("冒名", "文明宣传", "2026-03-31")})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "[{engine}]");

        let (status, mine) = s.get("/api/v1/ledger/2026", "member").await;
        assert_eq!(status, StatusCode::OK, "[{engine}] {mine}");
        let items = mine["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "[{engine}] a member unit sees only its own");
        for field in ["unit", "class", "title", "status"] {
            assert!(items[0][field].is_string(), "[{engine}] {field}: {}", items[0]);
        }
        let (_, all) = s.get("/api/v1/ledger/2026", "supervisor").await;
        assert_eq!(all["items"].as_array().unwrap().len(), 2, "[{engine}]");
        let (_, governance) = s.get("/api/v1/ledger/2026?class=%E6%96%87%E6%98%8E%E6%B2%BB%E7%90%86", "supervisor").await;
        assert_eq!(ids(&governance), [other_id], "[{engine}] by class");
        let (_, by_unit) = s.get("/api/v1/ledger/2026?unit=BJ-JTW&status=proposed", "supervisor").await;
        assert_eq!(ids(&by_unit), [own_id], "[{engine}] by unit and status");
        assert_eq!(s.get("/api/v1/ledger/2026?status=done", "supervisor").await.0, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(s.get("/api/v1/ledger/2026?unit=CY-CGW", "member").await.0, StatusCode::FORBIDDEN, "[{engine}]");
        assert_eq!(s.get(&format!("/api/v1/ledger/projects/{other_id}"), "member").await.0, StatusCode::NOT_FOUND, "[{engine}]");
        assert_eq!(s.get("/api/v1/ledger/2026", "operator").await.0, StatusCode::FORBIDDEN);
        assert_eq!(s.get("/api/v1/ledger/2019", "supervisor").await.0, StatusCode::NOT_FOUND);
        assert_eq!(s.get("/api/v1/ledger/twenty", "supervisor").await.0, StatusCode::BAD_REQUEST);

        let action = |id: i64| format!("/api/v1/ledger/projects/{id}/actions");
        assert_eq!(s.post(&action(own_id), "member", &json!({"action": "accept"})).await.0, StatusCode::FORBIDDEN, "[{engine}] not its own acceptance");
        let (status, accepted) = s.post(&action(own_id), "supervisor", &json!({"action": "accept", "note": "同意立项"})).await;
        assert_eq!((status, accepted["project"]["status"].as_str()), (StatusCode::OK, Some("accepted")), "[{engine}] {accepted}");
        assert_eq!(accepted["project"]["actions"], json!(["check", "close"]), "[{engine}] what the office may do next");
        let report = json!({"action": "report", "text": "开展宣传活动 12 场", "figures": [{"label": "活动", "value": 12, "unit": "场"}], "milestones_done": [0]});
        let (status, reported) = s.post(&action(own_id), "member", &report).await;
        assert_eq!((status, reported["project"]["status"].as_str()), (StatusCode::OK, Some("in_progress")), "[{engine}] {reported}");
        assert_eq!(reported["history"].as_array().unwrap().iter().map(|e| e["change"]["action"].as_str().unwrap()).collect::<Vec<_>>(), [
            "propose", "accept", "report"
        ]);
        assert_eq!(s.post(&action(own_id), "member", &json!({"action": "close", "outcome": "completed", "rating": "excellent", "comment": "自评"})).await.0,
            StatusCode::FORBIDDEN, "[{engine}] a member unit cannot rate its own project");
        assert_eq!(s.post(&action(own_id), "supervisor", &json!({"action": "accept"})).await.0, StatusCode::CONFLICT, "[{engine}]");
        assert_eq!(s.post(&action(own_id), "supervisor", &json!({"action": "fly"})).await.0, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, checked) =
            s.post(&action(own_id), "supervisor", &json!({"action": "check", "assessment": "按计划推进", "comment": "扩大覆盖面", "light": "green"})).await;
        assert_eq!((status, checked["project"]["check"]["light"].as_str()), (StatusCode::OK, Some("green")), "[{engine}] {checked}");

        assert_eq!(s.get("/api/v1/ledger/2026/summary", "member").await.0, StatusCode::FORBIDDEN);
        let (status, board) = s.get("/api/v1/ledger/2026/summary", "supervisor").await;
        assert_eq!(status, StatusCode::OK, "[{engine}] {board}");
        assert_eq!((board["units"].as_i64(), board["projects"].as_i64()), (Some(2), Some(2)));
        let count = |class: &str| board["by_class"].as_array().unwrap().iter().find(|c| c["class"] == class).unwrap()["projects"].as_i64();
        assert_eq!((count("文明宣传"), count("文明治理"), count("制度建设")), (Some(1), Some(1), Some(0)), "[{engine}] {board}");
        assert_eq!(board["by_status"], json!([{"status": "proposed", "count": 1}, {"status": "checked", "count": 1}]), "[{engine}]");
        let (status, report) = s.get("/api/v1/ledger/2026/report", "supervisor").await;
        assert_eq!(status, StatusCode::OK, "[{engine}] {report}");
        assert!(report["headline"].as_str().unwrap().starts_with("2026 年台账共有 2 个成员单位报送 2 个工作项目"), "[{engine}] {report}");
        let (_, index) = s.get("/api/v1/ledger", "member").await;
        assert_eq!((index["office"].as_bool(), index["members"].as_array().map(Vec::len)), (Some(false), Some(1)), "[{engine}] {index}");

        // Reminders: a member unit's are its own projects' only (the domain's tests fix the dates).
        let (status, reminders) = s.get("/api/v1/ledger/2026/reminders", "member").await;
        assert_eq!(status, StatusCode::OK, "[{engine}] {reminders}");
        assert!(reminders.as_array().unwrap().iter().all(|r| r["project_id"] == own_id), "[{engine}] {reminders}");
        assert_eq!(s.get("/api/v1/ledger/2026/reminders", "operator").await.0, StatusCode::FORBIDDEN);

        // The office's spreadsheet over HTTP: a file with a bad row writes nothing; a good one imports.
        let import = async |user: &str, query: &str, content_type: &str, body: Vec<u8>| {
            let token = s.token(user).await;
            let request = s.http(Method::POST, &format!("/api/v1/ledger/2026/import{query}")).bearer_auth(token).header("content-type", content_type).body(body);
            s.send(request).await
        };
        let header = "单位,类别,重点任务,项目名称,工作目标,主要措施,节点安排,责任人,佐证材料\n";
        let good = "CY-CGW,制度建设,T1,门前三包责任制,落实门前三包,签订责任书,2026-04-30 签订责任书,李四,责任书\n";
        let bad = format!("{header}{good}不存在的单位,文明宣传,T1,无名项目,目标,措施,2026-05-31 启动,王五,照片\n");
        let (status, refused) = import("supervisor", "?file=2026.csv", "text/csv", bad.into_bytes()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{engine}] {refused}");
        assert_eq!(refused["error"]["problems"][0]["line"], 3, "[{engine}] the bad row is named: {refused}");
        let utf8 = format!("{header}{good}");
        let (gbk, _, _) = encoding_rs::GB18030.encode(&utf8);
        let (status, refused) = import("supervisor", "", "text/csv", gbk.to_vec()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{engine}] a GBK file named as such: {refused}");
        assert!(refused["error"]["problems"][0]["message"].as_str().unwrap().contains("GB18030"), "[{engine}] {refused}");
        assert_eq!(import("supervisor", "", "application/json", b"{}".to_vec()).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(import("member", "", "text/csv", format!("{header}{good}").into_bytes()).await.0, StatusCode::FORBIDDEN);
        let (_, before) = s.get("/api/v1/ledger/2026", "supervisor").await;
        assert_eq!(before["items"].as_array().unwrap().len(), 2, "[{engine}] nothing of the refused files was written");
        let (status, imported) = import("supervisor", "?encoding=gb18030&accept=true", "text/csv", gbk.to_vec()).await;
        assert_eq!((status, imported["projects"].as_i64()), (StatusCode::OK, Some(1)), "[{engine}] {imported}");
        let (_, after) = s.get("/api/v1/ledger/2026?status=accepted", "supervisor").await;
        assert_eq!(after["items"][0]["title"], "门前三包责任制", "[{engine}] {after}");

        // Closing the year waits for every project to be archived; a member unit may not close it.
        assert_eq!(s.post("/api/v1/ledger/2026/close", "member", &json!(null)).await.0, StatusCode::FORBIDDEN);
        let (status, open) = s.post("/api/v1/ledger/2026/close", "supervisor", &json!(null)).await;
        assert_eq!(status, StatusCode::CONFLICT, "[{engine}] {open}");
        s.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// Trust (issue 25): what a hostile or unlucky day finds.

#[tokio::test]
async fn a_sign_out_on_one_server_is_refused_by_another_server_on_the_same_database_within_a_second() {
    let (_dir, databases) = engines().await;
    for (engine, url) in databases {
        let a = Server::start(engine, &url).await;
        let store = Store::open(&url).await.unwrap_or_else(|e| panic!("[{engine}] open {url} again: {e}"));
        let b = Server::launch(engine, url.clone(), store, a.users.clone()).await;
        let token = a.token("wj").await;
        let me = async |s: &Server| s.send(s.http(Method::GET, "/api/v1/me").bearer_auth(&token)).await;
        assert_eq!(me(&a).await.0, StatusCode::OK, "[{engine}] A knows the session");
        assert_eq!(me(&b).await.0, StatusCode::OK, "[{engine}] B reads the session from the database");
        let (status, _) = a.send(a.http(Method::DELETE, "/api/v1/session").bearer_auth(&token)).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "[{engine}] sign out on A");
        assert_eq!(me(&a).await.0, StatusCode::UNAUTHORIZED, "[{engine}] A refuses at once");
        let signed_out = std::time::Instant::now();
        loop {
            let (status, _) = me(&b).await;
            if status == StatusCode::UNAUTHORIZED {
                break;
            }
            assert_eq!(status, StatusCode::OK, "[{engine}]");
            assert!(signed_out.elapsed() < Duration::from_secs(1), "[{engine}] B still takes the token a second after the sign-out");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        b.stop().await;
        a.stop().await;
    }
}

#[tokio::test]
async fn supervision_orders_and_the_board_show_a_unit_only_orders_on_its_own_cases_and_itself() {
    let (_dir, databases) = engines().await;
    for (engine, url) in databases {
        let s = Server::start(engine, &url).await;
        let wangjing_case = dispatched_case(&s, "HL-ORD1", json!({}), "CY-WJ").await;
        let deadline = (Timestamp::now() + SignedDuration::from_hours(48)).to_string();
        for (kind, target) in [("case", wangjing_case.to_string()), ("unit", "CY-WJ".to_owned()), ("place", "阜通东大街".to_owned())] {
            let order = json!({"target_kind": kind, "target": target, "level": "key", "note": "督查员的批注：反复出现", "deadline": deadline});
            let (status, body) = s.post("/api/v1/supervision/orders", "supervisor", &order).await;
            assert_eq!(status, StatusCode::CREATED, "[{engine}] {body}");
        }
        let targets = |list: &Value| -> Vec<String> {
            list["items"].as_array().expect("items").iter().map(|o| format!("{}:{}", o["target_kind"].as_str().unwrap(), o["target"].as_str().unwrap())).collect()
        };
        let case_target = format!("case:{wangjing_case}");
        for (user, expected) in [
            ("supervisor", vec!["place:阜通东大街", "unit:CY-WJ", case_target.as_str()]),
            ("wj", vec!["unit:CY-WJ", case_target.as_str()]),
            ("grid", vec![case_target.as_str()]),
            ("dispatcher", vec!["place:阜通东大街", "unit:CY-WJ", case_target.as_str()]),
            ("dhm", vec![]),
            ("grid_dhm", vec![]),
            ("member", vec![]),
        ] {
            let (status, list) = s.get("/api/v1/supervision/orders", user).await;
            assert_eq!(status, StatusCode::OK, "[{engine}] {user}: {list}");
            assert_eq!(targets(&list), expected, "[{engine}] the orders {user} sees");
            let (status, board) = s.get("/api/v1/supervision/board", user).await;
            assert_eq!(status, StatusCode::OK, "[{engine}] {user}: {board}");
            assert_eq!(board["open_orders"], expected.len(), "[{engine}] the board of {user}: {board}");
        }
        s.stop().await;
    }
}

#[tokio::test]
async fn failed_sign_ins_are_audited_and_lock_the_account_and_the_address_until_an_administrator_lifts_them() {
    let (_dir, databases) = engines().await;
    for (engine, url) in databases {
        let s = Server::start(engine, &url).await;
        let admin = s.token("admin").await;
        let operator = s.token("operator").await;
        let as_admin = |method: Method, path: &str| s.http(method, path).bearer_auth(&admin);

        // Five wrong passwords lock the account: the right one is refused after them.
        for _ in 0..5 {
            let answer = s.sign_in("wj", "wrong-password").await;
            s.refused("a wrong password", &answer, 401, "unauthorized");
        }
        let request = s.http(Method::POST, "/api/v1/session").json(&json!({"username": "wj", "password": PASSWORD})).build().unwrap();
        let locked = s.http.execute(request).await.expect("an answer");
        assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS, "[{engine}] the right password straight after");
        let retry_after: i64 = locked.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=15 * 60).contains(&retry_after), "[{engine}] Retry-After {retry_after}");
        let body: Value = locked.json().await.unwrap();
        assert_eq!(body["error"]["code"], "too_many_requests", "[{engine}] {body}");
        // Other accounts from elsewhere are not held up by it.
        assert_eq!(s.sign_in("dhm", PASSWORD).await.0, StatusCode::CREATED, "[{engine}]");

        // The audit log has every failure and the lockout; only administrators read it.
        let (status, audit) = s.send(as_admin(Method::GET, "/api/v1/audit")).await;
        assert_eq!(status, StatusCode::OK, "[{engine}] {audit}");
        let kinds: Vec<(&str, &str)> = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["kind"].as_str().unwrap(), e["username"].as_str().unwrap_or("")))
            .collect();
        assert_eq!(kinds.iter().filter(|k| **k == ("sign_in_failed", "wj")).count(), 5, "[{engine}] {kinds:?}");
        assert_eq!(kinds[0], ("sign_in_locked", "wj"), "[{engine}] {kinds:?}");
        assert_eq!(audit["items"][1]["address"], "127.0.0.1", "[{engine}] the address is recorded");
        let (status, _) = s.send(s.http(Method::GET, "/api/v1/audit").bearer_auth(&operator)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "[{engine}]");
        let (status, locks) = s.send(as_admin(Method::GET, "/api/v1/sign-in-locks")).await;
        assert_eq!(status, StatusCode::OK, "[{engine}]");
        assert_eq!(locks["items"][0]["subject"], "account:wj", "[{engine}] {locks}");

        // An administrator lifts the lockout; it is audited, and wj signs in again.
        let (status, _) = s.send(s.http(Method::DELETE, "/api/v1/sign-in-locks/account:wj").bearer_auth(&operator)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "[{engine}]");
        let (status, _) = s.send(as_admin(Method::DELETE, "/api/v1/sign-in-locks/account:wj")).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "[{engine}]");
        let (status, _) = s.send(as_admin(Method::DELETE, "/api/v1/sign-in-locks/account:wj")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "[{engine}] nothing left to lift");
        let answer = s.send(as_admin(Method::DELETE, "/api/v1/sign-in-locks/wj")).await;
        s.invalid("a subject without its kind", &answer, "subject");
        assert_eq!(s.sign_in("wj", PASSWORD).await.0, StatusCode::CREATED, "[{engine}] after the lifting");
        let (_, audit) = s.send(as_admin(Method::GET, "/api/v1/audit?limit=1")).await;
        assert_eq!((&audit["items"][0]["kind"], &audit["items"][0]["actor"]), (&json!("lock_lifted"), &json!("admin")), "[{engine}] {audit}");

        // Twenty failures from one address lock the address, whichever accounts they tried.
        for n in 0..15 {
            s.refused("guessing names", &s.sign_in(&format!("nobody{n}"), "x").await, 401, "unauthorized");
        }
        let answer = s.sign_in("operator", PASSWORD).await;
        s.refused("a good user behind a locked address", &answer, 429, "too_many_requests");
        let (status, _) = s.send(as_admin(Method::DELETE, "/api/v1/sign-in-locks/address:127.0.0.1")).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "[{engine}]");
        assert_eq!(s.sign_in("operator", PASSWORD).await.0, StatusCode::CREATED, "[{engine}]");

        // An empty username is counted and listed like any other (the fuzzer found a 500 here).
        for _ in 0..5 {
            s.refused("no username", &s.sign_in("", "x").await, 401, "unauthorized");
        }
        let (status, locks) = s.send(as_admin(Method::GET, "/api/v1/sign-in-locks")).await;
        assert_eq!((status, &locks["items"][0]["subject"]), (StatusCode::OK, &json!("account:")), "[{engine}] {locks}");
        let (status, _) = s.send(as_admin(Method::DELETE, "/api/v1/sign-in-locks/account:")).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "[{engine}]");

        // Twelve wrong passwords at once: each attempt is counted before its password is
        // checked, so exactly five are checked (401) and the rest refused unchecked (429);
        // the lockout is audited once.
        let answers = futures_join_all((0..12).map(|_| s.sign_in("dhm", "wrong-password"))).await;
        let statuses: Vec<u16> = answers.iter().map(|(status, _)| status.as_u16()).collect();
        assert_eq!(statuses.iter().filter(|status| **status == 401).count(), 5, "[{engine}] {statuses:?}");
        assert_eq!(statuses.iter().filter(|status| **status == 429).count(), 7, "[{engine}] {statuses:?}");
        let (_, audit) = s.send(as_admin(Method::GET, "/api/v1/audit?limit=50")).await;
        let dhm = |kind: &str| audit["items"].as_array().unwrap().iter().filter(|e| e["kind"] == kind && e["username"] == "dhm").count();
        assert_eq!((dhm("sign_in_failed"), dhm("sign_in_locked")), (5, 1), "[{engine}] {audit}");
        s.stop().await;
    }
}

#[tokio::test]
async fn a_nul_or_text_that_is_not_utf8_is_refused_with_422_naming_the_field_on_every_engine() {
    let (_dir, databases) = engines().await;
    for (engine, url) in databases {
        let s = Server::start(engine, &url).await;
        for (body, field) in [
            (hotline("HL-NUL1", json!({"description": "a\u{0}b"})), "description"),
            (hotline("HL-NUL2", json!({"reporter": {"name": "张\u{0}", "phone": PHONE}})), "reporter.name"),
            (hotline("HL-NUL3", json!({"photos": ["a.jpg", "b\u{0}.jpg"]})), "photos[1]"),
            (hotline("HL-NUL4", json!({"address": "\u{0}"})), "address"),
        ] {
            let answer = s.post("/api/v1/cases", "operator", &body).await;
            s.invalid(&format!("{body}"), &answer, field);
        }
        let case = dispatched_case(&s, "HL-NUL5", json!({}), "CY-WJ").await;
        let answer = s.act(case, "wj", json!({"action": "accept", "note": "签\u{0}收"})).await;
        s.invalid("a NUL in a note", &answer, "note");
        let token = s.token("admin").await;
        for (query, field) in [("q=%00", "q"), ("q=%E6%9C%9B%00", "q"), ("status=%FF", "status"), ("q=%C3%28", "q")] {
            let answer = s.send(s.http(Method::GET, &format!("/api/v1/cases?{query}")).bearer_auth(&token)).await;
            s.invalid(query, &answer, field);
        }
        // Text that merely spells the escape is text.
        let id = s.file("operator", hotline("HL-NUL6", json!({"description": "写着 \\u0000 的标牌"}))).await;
        assert_eq!(s.case(id, "operator").await["description"], "写着 \\u0000 的标牌", "[{engine}]");
        assert_eq!(s.list("admin", &[("q", "望京")]).await["total"], 1, "[{engine}] a good query is answered");
        s.stop().await;
    }
}

#[tokio::test]
async fn photos_are_http_urls_or_the_platforms_own_paths_and_other_schemes_are_refused() {
    let (_dir, databases) = engines().await;
    for (engine, url) in databases {
        let s = Server::start(engine, &url).await;
        for photo in ["javascript:alert(document.cookie)", "JAVASCRIPT:alert(1)", "java\tscript:alert(1)", "data:text/html,<script>", "//evil.example/a.jpg", "vbscript:x"] {
            let answer = s.post("/api/v1/cases", "operator", &hotline("HL-PH1", json!({"photos": [photo]}))).await;
            s.invalid(photo, &answer, "photos");
        }
        let id = s.file("operator", hotline("HL-PH2", json!({"photos": ["https://img.example.cn/1.jpg", "/media/2.jpg"]}))).await;
        assert_eq!(s.case(id, "operator").await["photos"], json!(["https://img.example.cn/1.jpg", "/media/2.jpg"]), "[{engine}]");
        let case = dispatched_case(&s, "HL-PH3", json!({}), "CY-WJ").await;
        s.ok_act(case, "wj", json!({"action": "accept"})).await;
        let answer = s.act(case, "wj", json!({"action": "handle", "feedback": "已清运", "photos": ["javascript:alert(1)"]})).await;
        s.invalid("a handling photo", &answer, "photos");
        s.ok_act(case, "wj", json!({"action": "handle", "feedback": "已清运", "photos": ["https://img.example.cn/after.jpg"]})).await;
        s.stop().await;
    }
}

#[tokio::test]
async fn every_answer_says_no_store_and_nosniff() {
    let (_dir, databases) = engines().await;
    for (engine, url) in databases {
        let s = Server::start(engine, &url).await;
        let token = s.token("admin").await;
        let requests = [
            s.http(Method::POST, "/api/v1/session").json(&json!({"username": "admin", "password": PASSWORD})),
            s.http(Method::POST, "/api/v1/session").json(&json!({"username": "admin", "password": "wrong"})),
            s.http(Method::GET, "/api/v1/me").bearer_auth(&token),
            s.http(Method::GET, "/api/v1/me"),
            s.http(Method::GET, "/api/v1/cases/99999").bearer_auth(&token),
            s.http(Method::GET, "/api/v1/nothing-here"),
            s.http(Method::GET, "/api/v1/openapi.json"),
            s.http(Method::GET, "/open311/v2/discovery.json"),
            s.http(Method::GET, "/healthz"),
            s.http(Method::GET, "/login"),
        ];
        for request in requests {
            let request = request.build().unwrap();
            let what = format!("{} {}", request.method(), request.url().path());
            let answer = s.http.execute(request).await.expect("an answer");
            assert_eq!(answer.headers().get("cache-control").map(|v| v.to_str().unwrap()), Some("no-store"), "[{engine}] {what}");
            assert_eq!(answer.headers().get("x-content-type-options").map(|v| v.to_str().unwrap()), Some("nosniff"), "[{engine}] {what}");
        }
        let asset = s.http.execute(s.http(Method::GET, "/assets/app.css").build().unwrap()).await.unwrap();
        assert_eq!(asset.headers()["cache-control"], "public, max-age=3600", "[{engine}] the assets keep their caching");
        assert_eq!(asset.headers()["x-content-type-options"], "nosniff", "[{engine}]");
        s.stop().await;
    }
}

#[tokio::test]
async fn readyz_asks_the_database_and_metrics_count_requests_by_route_for_administrators() {
    let (_dir, databases) = engines().await;
    for (engine, url) in databases {
        let s = Server::start(engine, &url).await;
        let id = s.file("operator", hotline("HL-MET1", json!({}))).await;
        s.case(id, "operator").await;
        s.case(id, "admin").await;
        let (status, ready) = s.send(s.http(Method::GET, "/readyz")).await;
        assert_eq!((status, &ready["status"]), (StatusCode::OK, &json!("ready")), "[{engine}]");

        let metrics = |user: Option<&str>| {
            let s = &s;
            let user = user.map(str::to_owned);
            async move {
                let mut request = s.http(Method::GET, "/metrics");
                if let Some(user) = user {
                    request = request.bearer_auth(s.token(&user).await);
                }
                let answer = s.http.execute(request.build().unwrap()).await.expect("an answer");
                (answer.status(), answer.text().await.expect("text"))
            }
        };
        assert_eq!(metrics(None).await.0, StatusCode::UNAUTHORIZED, "[{engine}]");
        assert_eq!(metrics(Some("operator")).await.0, StatusCode::FORBIDDEN, "[{engine}]");
        let (status, text) = metrics(Some("admin")).await;
        assert_eq!(status, StatusCode::OK, "[{engine}] {text}");
        for line in [
            r#"gridline_http_requests_total{route="/api/v1/cases/{id}",method="GET",status="200"} 2"#,
            r#"gridline_http_requests_total{route="/api/v1/cases",method="POST",status="201"} 1"#,
            r#"gridline_http_request_duration_seconds_bucket{route="/api/v1/cases/{id}",le="+Inf"} 2"#,
            r#"gridline_http_request_duration_seconds_count{route="/api/v1/cases/{id}"} 2"#,
            r#"gridline_cases{status="received"} 1"#,
            "gridline_writer_queue_depth 0",
            "# TYPE gridline_http_request_duration_seconds histogram",
        ] {
            assert!(text.lines().any(|l| l == line), "[{engine}] no {line:?} in\n{text}");
        }

        // A database that does not answer makes the server not ready.
        s.store.clone().close().await;
        let answer = s.send(s.http(Method::GET, "/readyz")).await;
        s.refused("readyz without a database", &answer, 503, "unavailable");
        s.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// The to-do inbox (待办) and notifications

/// The inbox of `user`, accepted.
async fn inbox(s: &Server, user: &str) -> Value {
    let (status, body) = s.get("/api/v1/inbox", user).await;
    assert_eq!(status, StatusCode::OK, "[{}] {user}'s inbox: {body}", s.engine);
    body
}

/// The item ids of an inbox that name `case` (by case id) or `order` (by order id).
fn inbox_ids(inbox: &Value, case: Option<i64>, order: Option<i64>) -> Vec<String> {
    inbox["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| (case.is_some() && i["case_id"].as_i64() == case) || (order.is_some() && i["order_id"].as_i64() == order))
        .map(|i| i["id"].as_str().expect("an id").to_owned())
        .collect()
}

#[tokio::test]
async fn a_unit_sees_its_cases_and_orders_in_its_inbox_answers_an_order_and_other_units_see_none_of_it() {
    let (_dir, databases) = engines().await;
    for (engine, url) in databases {
        let s = Server::start(engine, &url).await;
        // Signed out: 401 with the error body, for reading and for marking.
        let answer = s.send(s.http(Method::GET, "/api/v1/inbox")).await;
        s.refused("the inbox signed out", &answer, 401, "unauthorized");
        let answer = s.send(s.http(Method::POST, "/api/v1/inbox/read").json(&json!({"all": true}))).await;
        s.refused("marking read signed out", &answer, 401, "unauthorized");

        let case = dispatched_case(&s, "HL-INBOX1", json!({}), "CY-WJ").await;
        let deadline = (Timestamp::now() + SignedDuration::from_hours(72)).to_string();
        let order = json!({"target_kind": "unit", "target": "CY-WJ", "level": "key", "note": "阜通东大街暴露垃圾反复出现，请三日内整改并答复", "deadline": deadline});
        let (status, raised) = s.post("/api/v1/supervision/orders", "supervisor", &order).await;
        assert_eq!(status, StatusCode::CREATED, "[{engine}] {raised}");
        let order_id = raised["id"].as_i64().expect("an order id");

        // The unit sees the case assigned to it and the order, both unread.
        let before = inbox(&s, "wj").await;
        let assigned = inbox_ids(&before, Some(case), None);
        assert!(assigned.iter().any(|id| id.starts_with(&format!("assigned:{case}:"))), "[{engine}] the assigned case: {before}");
        assert_eq!(inbox_ids(&before, None, Some(order_id)), vec![format!("order:{order_id}")], "[{engine}] the order: {before}");
        let item = before["items"].as_array().unwrap().iter().find(|i| i["order_id"] == order_id).unwrap();
        assert_eq!((&item["kind"], &item["title"], &item["level"], &item["unread"]), (&json!("order"), &order["note"], &json!("key"), &json!(true)), "[{engine}]");
        let unread = before["unread"].as_u64().expect("unread");
        assert!(unread >= 2, "[{engine}] {before}");
        assert_eq!(before["unread_by_kind"]["assigned"], 1, "[{engine}] {before}");

        // Another unit, a member unit and a grid worker see none of it.
        for other in ["cgw", "dhm", "member", "grid"] {
            let theirs = inbox(&s, other).await;
            assert!(inbox_ids(&theirs, Some(case), Some(order_id)).is_empty(), "[{engine}] {other} sees the unit's items: {theirs}");
        }

        // Reading the assigned case lowers the count by one.
        let (status, after) = s.post("/api/v1/inbox/read", "wj", &json!({"items": [assigned[0]]})).await;
        assert_eq!(status, StatusCode::OK, "[{engine}] {after}");
        assert_eq!(after["unread"].as_u64(), Some(unread - 1), "[{engine}] {after}");
        let read = after["items"].as_array().unwrap().iter().find(|i| i["id"] == assigned[0].as_str()).unwrap();
        assert_eq!(read["unread"], false, "[{engine}]");
        assert_eq!(inbox(&s, "wj").await["unread"].as_u64(), Some(unread - 1), "[{engine}] the reading is kept");

        // The unit answers the order: it leaves the unit's inbox and the supervisor sees the reply.
        let (status, replied) = s.post(&format!("/api/v1/supervision/orders/{order_id}/reply"), "wj", &json!({"reply": "已清运并设置围挡，专人每日巡查"})).await;
        assert_eq!(status, StatusCode::OK, "[{engine}] {replied}");
        let now = inbox(&s, "wj").await;
        assert!(inbox_ids(&now, None, Some(order_id)).is_empty(), "[{engine}] the answered order stays in the inbox: {now}");
        assert_eq!(now["unread"].as_u64(), Some(unread - 2), "[{engine}] {now}");
        let supervisor = inbox(&s, "supervisor").await;
        let reply = supervisor["items"].as_array().unwrap().iter().find(|i| i["order_id"] == order_id).expect("the reply in the supervisor's inbox");
        assert_eq!((&reply["kind"], &reply["note"]), (&json!("order_replied"), &json!("已清运并设置围挡，专人每日巡查")), "[{engine}]");

        // Sent back for rework after a failed verification: a new item for the unit.
        s.ok_act(case, "wj", json!({"action": "accept"})).await;
        s.ok_act(case, "wj", json!({"action": "handle", "feedback": "已清运"})).await;
        s.ok_act(case, "dispatcher", json!({"action": "verify", "passed": false, "note": "现场仍有垃圾"})).await;
        let rework = inbox(&s, "wj").await;
        let item = rework["items"].as_array().unwrap().iter().find(|i| i["kind"] == "rework").unwrap_or_else(|| panic!("[{engine}] no rework: {rework}"));
        assert_eq!((&item["case_id"], &item["note"], &item["unread"]), (&json!(case), &json!("现场仍有垃圾"), &json!(true)), "[{engine}]");

        // A returned case waits in the dispatcher's inbox.
        let returned = dispatched_case(&s, "HL-INBOX2", json!({}), "CY-CGW").await;
        s.ok_act(returned, "cgw", json!({"action": "return", "reason": "属街道职责"})).await;
        let dispatcher = inbox(&s, "dispatcher").await;
        assert_eq!(inbox_ids(&dispatcher, Some(returned), None), vec![format!("returned:{returned}:1")], "[{engine}] {dispatcher}");

        // Bad input: the JSON error with a code (the class) and the precise reason, naming `items`.
        let refused = |what: &str, answer: (StatusCode, Value), reason: &str| {
            s.invalid(what, &answer, "items");
            assert_eq!(answer.1["error"]["reason"], reason, "[{engine}] {what}: {}", answer.1);
        };
        refused("an unknown item", s.post("/api/v1/inbox/read", "wj", &json!({"items": ["order:999999"]})).await, "inbox_item_unknown");
        refused("another unit's item", s.post("/api/v1/inbox/read", "cgw", &json!({"items": [assigned[0]]})).await, "inbox_item_unknown");
        refused("no items", s.post("/api/v1/inbox/read", "wj", &json!({"items": []})).await, "required");
        refused("an empty object", s.post("/api/v1/inbox/read", "wj", &json!({})).await, "required");
        let too_many: Vec<String> = (0..201).map(|n| format!("order:{n}")).collect();
        refused("201 items", s.post("/api/v1/inbox/read", "wj", &json!({"items": too_many})).await, "inbox_too_many");
        s.invalid("items and all", &s.post("/api/v1/inbox/read", "wj", &json!({"items": [assigned[0]], "all": true})).await, "all");
        let token = s.token("wj").await;
        let raw = |body: String| s.http(Method::POST, "/api/v1/inbox/read").bearer_auth(&token).header("content-type", "application/json").body(body);
        s.refused("an empty body", &s.send(raw(String::new())).await, 400, "malformed_json");
        let huge = json!({"items": vec!["x".repeat(1000); 70]}).to_string();
        assert!(huge.len() > 64 * 1024);
        s.refused("a body over 64 KiB", &s.send(raw(huge)).await, 413, "payload_too_large");

        // Everything read.
        let (status, all) = s.post("/api/v1/inbox/read", "wj", &json!({"all": true})).await;
        assert_eq!(status, StatusCode::OK, "[{engine}] {all}");
        assert_eq!((all["unread"].as_u64(), all["total"].as_u64().map(|n| n > 0)), (Some(0), Some(true)), "[{engine}] {all}");
        s.stop().await;
    }
}

#[tokio::test]
async fn the_webhook_sender_posts_a_notice_when_a_case_is_assigned_and_an_order_issued() {
    use axum::routing::post;
    use gridline_app::notify::{Notice, Webhook};

    // A local receiver standing in for an SMS gateway's adapter.
    let (sent, mut received) = tokio::sync::mpsc::unbounded_channel::<Value>();
    let hook = axum::Router::new().route(
        "/hook",
        post(move |axum::Json(body): axum::Json<Value>| {
            let sent = sent.clone();
            async move {
                let _ = sent.send(body);
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, hook).await });
    let next = async |received: &mut tokio::sync::mpsc::UnboundedReceiver<Value>| {
        tokio::time::timeout(Duration::from_secs(10), received.recv()).await.expect("a notice within 10 s").expect("a notice")
    };

    let (_dir, databases) = engines().await;
    let (engine, db) = databases.into_iter().next().expect("SQLite");
    let s = Server::start(engine, &db).await;
    let case = s.file("operator", hotline("HL-HOOK", json!({}))).await;
    s.ok_act(case, "dispatcher", register()).await;
    // The application acting on the same store, with the webhook as its notifier.
    let app = gridline_app::App::new(s.store.clone(), std::sync::Arc::new(gridline_geo::beijing()), &gridline_app::TextOptions::default()).await.expect("an app");
    app.set_notifier(std::sync::Arc::new(Webhook::new(&url).expect("a webhook")));
    let command: Command = serde_json::from_value(dispatch("CY-WJ")).unwrap();
    app.act(gridline_core::ids::CaseId::new(case).unwrap(), &s.actor("dispatcher"), &command).await.expect("dispatched");
    let notice = next(&mut received).await;
    assert_eq!((&notice["kind"], &notice["unit"], &notice["case_id"]), (&json!("assigned"), &json!("CY-WJ"), &json!(case)), "{notice}");
    assert_eq!(notice["title"], "望京街道阜通东大街6号门口暴露垃圾", "{notice}");
    assert!(notice["deadline"].is_string() && notice["at"].is_string(), "{notice}");

    // A case dispatched twenty days ago on a one-working-day limit, late whatever the hour and
    // the holidays (three days back, a Monday morning run found a Friday case still 20 working
    // minutes short of its deadline): the sweep's first overdue reminder is a notice too (the
    // server's own sweeper, a minute apart, has not seen the case yet).
    let late = s.backdated_case(20, hotline("HL-HOOK-LATE", json!({})), &[("dispatcher", register()), ("dispatcher", dispatch("CY-WJ"))]).await;
    let swept = app.sweep(Timestamp::now()).await.expect("a sweep");
    assert!(swept.reminders >= 1, "{swept:?}");
    let notice = next(&mut received).await;
    assert_eq!((&notice["kind"], &notice["unit"], &notice["case_id"]), (&json!("overdue"), &json!("CY-WJ"), &json!(late)), "{notice}");
    assert_eq!(app.sweep(Timestamp::now()).await.expect("a sweep").reminders, 0, "a reminder is sent once");

    // An order's notice, posted and answered.
    let order = gridline_core::supervision::Order {
        id: 7,
        target_kind: gridline_core::supervision::TargetKind::Unit,
        target: "CY-WJ".into(),
        level: gridline_core::case::SupervisionLevel::Urgent,
        note: "请立即整改".into(),
        deadline: Timestamp::now() + SignedDuration::from_hours(24),
        raised_by: 1,
        raised_at: Timestamp::now(),
        reply: None,
        replied_by: None,
        replied_at: None,
    };
    Webhook::new(&url).unwrap().post(&Notice::of_order(&order, Some("CY-WJ".parse().unwrap()))).await.expect("posted");
    let notice = next(&mut received).await;
    assert_eq!((&notice["kind"], &notice["order_id"], &notice["level"], &notice["unit"]), (&json!("order"), &json!(7), &json!("urgent"), &json!("CY-WJ")), "{notice}");
    // A receiver that refuses is an error for the caller of `post` (and a logged warning for `send`).
    let refused = Webhook::new(&format!("{url}-missing")).unwrap().post(&Notice::of_order(&order, None)).await;
    assert!(refused.is_err_and(|e| e.contains("404")), "a 404 is not delivered");
    assert!(Webhook::new("https://sms.example/hook").is_err(), "this build posts over plain HTTP only");
    s.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Administration: users, units, passwords and the audit log

#[tokio::test]
async fn an_administrator_manages_users_and_units_over_http_and_every_change_is_audited() {
    let (_dir, databases) = engines().await;
    for (engine, url) in databases {
        let s = Server::start(engine, &url).await;
        let admin_id = s.users["admin"].id;
        let users_now = async || s.store.people().users().await.expect("users").len();
        let before = users_now().await;

        // An administrator adds a grid worker of 望京; the new user signs in and sees their area.
        let new = json!({"username": "wang.wu", "display_name": "网格员王五", "role": "grid_worker", "unit": "CY-WJ", "password": "Qingnian-2026"});
        let (status, created) = s.post("/api/v1/users", "admin", &new).await;
        assert_eq!(status, StatusCode::CREATED, "[{engine}] {created}");
        assert_eq!((&created["role"], &created["unit_name"], &created["disabled"]), (&json!("grid_worker"), &json!("望京街道办事处"), &json!(false)), "[{engine}] {created}");
        assert_eq!(created["regions"][0]["name"], "望京街道", "[{engine}] the user's area is their unit's: {created}");
        let id = created["id"].as_i64().expect("an id");
        let (status, session) = s.sign_in("wang.wu", "Qingnian-2026").await;
        assert_eq!(status, StatusCode::CREATED, "[{engine}] {session}");
        let token = session["token"].as_str().unwrap().to_owned();
        let me = async |token: &str| s.send(s.http(Method::GET, "/api/v1/me").bearer_auth(token)).await.0;
        assert_eq!(me(&token).await, StatusCode::OK, "[{engine}]");

        // Listed and found by the filters.
        let (_, found) = s.get("/api/v1/users?q=%E7%8E%8B%E4%BA%94&role=grid_worker&unit=CY-WJ", "admin").await;
        assert_eq!(found["items"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect::<Vec<_>>(), ["wang.wu"], "[{engine}] {found}");
        let (_, disabled) = s.get("/api/v1/users?disabled=true", "admin").await;
        assert!(disabled["items"].as_array().unwrap().is_empty(), "[{engine}] {disabled}");

        // Bad input: each refused with its code, nothing written.
        let with = |field: &str, value: Value| {
            let mut body = with_username(new.clone(), "zhao.liu");
            body[field] = value;
            body
        };
        let cases: [(&str, Value, u16, &str, &str); 8] = [
            ("an empty username", with("username", json!("")), 422, "invalid", "bad_username"),
            ("a username with a space", with("username", json!("wang wu")), 422, "invalid", "bad_username"),
            ("a duplicate username", with("username", json!("grid")), 409, "conflict", "username_taken"),
            ("an unknown role", with("role", json!("boss")), 422, "invalid", "unknown_value"),
            ("an unknown unit", with("unit", json!("NO-SUCH")), 422, "invalid", "unknown_unit"),
            ("a grid worker without a unit", with("unit", Value::Null), 422, "invalid", "unit_required"),
            ("a weak password", with("password", json!("1234567")), 422, "invalid", "weak_password"),
            ("an unknown field", with("superuser", json!(true)), 422, "invalid", "invalid"),
        ];
        for (what, body, status, code, reason) in cases {
            let answer = s.post("/api/v1/users", "admin", &body).await;
            s.refused(what, &answer, status, code);
            assert_eq!(answer.1["error"]["reason"], reason, "[{engine}] {what}: {}", answer.1);
        }
        // The Chinese text of a refusal, for the Chinese page.
        let answer = s.send(s.http(Method::POST, "/api/v1/users").bearer_auth(s.token("admin").await).header("accept-language", "zh-CN")
            .json(&with("password", json!("short")))).await;
        assert_eq!(answer.1["error"]["message"], "密码至少要 8 个字符", "[{engine}] {}", answer.1);
        let huge = with("password", json!("x".repeat(70 * 1024)));
        let (status, body) = s.post("/api/v1/users", "admin", &huge).await;
        assert_eq!((status, &body["error"]["code"]), (StatusCode::PAYLOAD_TOO_LARGE, &json!("payload_too_large")), "[{engine}] {body}");
        assert_eq!(users_now().await, before + 1, "[{engine}] no refused user was written");

        // A user who is not an administrator gets 403 on every administration call.
        for (method, path, body) in [
            (Method::GET, "/api/v1/users".to_owned(), None),
            (Method::POST, "/api/v1/users".to_owned(), Some(with_username(new.clone(), "zhao.liu"))),
            (Method::POST, format!("/api/v1/users/{id}/disable"), None),
            (Method::POST, format!("/api/v1/users/{id}/password"), Some(json!({"password": "Another-2026"}))),
            (Method::PATCH, format!("/api/v1/users/{id}"), Some(json!({"role": "admin"}))),
            (Method::POST, "/api/v1/units".to_owned(), Some(json!({"code": "X-1", "name": "某单位", "kind": "department", "regions": [CHAOYANG]}))),
            (Method::GET, "/api/v1/audit/export".to_owned(), None),
        ] {
            let request = s.http(method.clone(), &path).bearer_auth(s.token("dispatcher").await);
            let request = match body { Some(body) => request.json(&body), None => request };
            let answer = s.send(request).await;
            s.refused(&format!("{method} {path} as a dispatcher"), &answer, 403, "forbidden");
        }
        assert_eq!(users_now().await, before + 1, "[{engine}]");

        // Role and unit change; an administrator cannot demote or disable themself.
        let (status, changed) = s.send(s.http(Method::PATCH, &format!("/api/v1/users/{id}")).bearer_auth(s.token("admin").await)
            .json(&json!({"role": "handling_unit", "unit": "DC-DHM"}))).await;
        assert_eq!((status, &changed["unit_name"]), (StatusCode::OK, &json!("东华门街道办事处")), "[{engine}] {changed}");
        let own = s.send(s.http(Method::PATCH, &format!("/api/v1/users/{admin_id}")).bearer_auth(s.token("admin").await).json(&json!({"role": "supervisor"}))).await;
        s.refused("demoting oneself", &own, 409, "conflict");
        let own = s.post(&format!("/api/v1/users/{admin_id}/disable"), "admin", &json!(null)).await;
        s.refused("disabling oneself", &own, 409, "conflict");
        let own = s.post(&format!("/api/v1/users/{admin_id}/password"), "admin", &json!({"password": "Taken-over-2026"})).await;
        s.refused("resetting one's own password", &own, 409, "conflict");
        let missing = s.post("/api/v1/users/999999/disable", "admin", &json!(null)).await;
        s.refused("an unknown user", &missing, 404, "not_found");

        // Disabled: the session ends at once, and the right password is refused.
        let (status, off) = s.post(&format!("/api/v1/users/{id}/disable"), "admin", &json!(null)).await;
        assert_eq!((status, &off["disabled"]), (StatusCode::OK, &json!(true)), "[{engine}] {off}");
        assert_eq!(me(&token).await, StatusCode::UNAUTHORIZED, "[{engine}] the disabled user's session ended");
        let refused = s.sign_in("wang.wu", "Qingnian-2026").await;
        s.refused("a disabled user signing in", &refused, 401, "unauthorized");
        assert_eq!(refused.1["error"]["reason"], "account_disabled", "[{engine}] {}", refused.1);
        let (status, _) = s.post(&format!("/api/v1/users/{id}/enable"), "admin", &json!(null)).await;
        assert_eq!(status, StatusCode::OK, "[{engine}]");

        // Reset: the old password no longer signs in, the new one does.
        let weak = s.post(&format!("/api/v1/users/{id}/password"), "admin", &json!({"password": "short"})).await;
        s.refused("a weak reset password", &weak, 422, "invalid");
        let (status, _) = s.post(&format!("/api/v1/users/{id}/password"), "admin", &json!({"password": "Reset-by-admin-1"})).await;
        assert_eq!(status, StatusCode::OK, "[{engine}]");
        s.refused("the old password after a reset", &s.sign_in("wang.wu", "Qingnian-2026").await, 401, "unauthorized");
        let (status, first) = s.sign_in("wang.wu", "Reset-by-admin-1").await;
        assert_eq!(status, StatusCode::CREATED, "[{engine}] {first}");
        let first = first["token"].as_str().unwrap().to_owned();
        let (_, second) = s.sign_in("wang.wu", "Reset-by-admin-1").await;
        let second = second["token"].as_str().unwrap().to_owned();

        // The user changes their own password: a wrong old one is refused and changes nothing;
        // the right one ends their other session and keeps this one.
        let own_change = |token: &str, old: &str, new: &str| s.http(Method::POST, "/api/v1/me/password").bearer_auth(token.to_owned()).json(&json!({"old_password": old, "new_password": new}));
        let wrong = s.send(own_change(&first, "not-my-password", "Mine-own-2026")).await;
        s.invalid("a wrong old password", &wrong, "old_password");
        assert_eq!(wrong.1["error"]["reason"], "wrong_old_password", "[{engine}] {}", wrong.1);
        let weak = s.send(own_change(&first, "Reset-by-admin-1", "short")).await;
        s.invalid("a weak new password", &weak, "new_password");
        assert_eq!(s.sign_in("wang.wu", "Reset-by-admin-1").await.0, StatusCode::CREATED, "[{engine}] unchanged");
        let (status, _) = s.send(own_change(&first, "Reset-by-admin-1", "Mine-own-2026")).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "[{engine}]");
        assert_eq!(me(&first).await, StatusCode::OK, "[{engine}] the session of the change stays");
        assert_eq!(me(&second).await, StatusCode::UNAUTHORIZED, "[{engine}] the other session ended");
        assert_eq!(s.sign_in("wang.wu", "Mine-own-2026").await.0, StatusCode::CREATED, "[{engine}]");

        // Units: a new one and its coverage; bad ones refused, nothing written.
        let unit = json!({"code": "CY-JXQ", "name": "酒仙桥街道办事处", "kind": "street_office", "regions": ["110105011000"], "types": ["street_office"]});
        let (status, saved) = s.post("/api/v1/units", "admin", &unit).await;
        assert_eq!(status, StatusCode::CREATED, "[{engine}] {saved}");
        assert_eq!(saved["regions"][0]["name"], "酒仙桥街道", "[{engine}] {saved}");
        let units_before = s.store.people().units().await.unwrap().len();
        let bad_unit = |field: &str, value: Value| {
            let mut body = unit.clone();
            body["code"] = json!("CY-NEW");
            body[field] = value;
            body
        };
        for (what, body, status, reason) in [
            ("a taken code", unit.clone(), 409, "unit_code_taken"),
            ("an unknown region", bad_unit("regions", json!(["119999999999"])), 422, "unknown_region"),
            ("no region", bad_unit("regions", json!([])), 422, "required"),
            ("an unknown kind", bad_unit("kind", json!("club")), 422, "unknown_value"),
            ("an unknown unit type", bad_unit("types", json!(["plumbers"])), 422, "unknown_unit_type"),
            ("an empty name", bad_unit("name", json!("  ")), 422, "required"),
        ] {
            let answer = s.post("/api/v1/units", "admin", &body).await;
            assert_eq!((answer.0.as_u16(), &answer.1["error"]["reason"]), (status, &json!(reason)), "[{engine}] {what}: {}", answer.1);
        }
        assert_eq!(s.store.people().units().await.unwrap().len(), units_before, "[{engine}] no refused unit was written");
        let coverage = json!({"name": "酒仙桥街道办事处", "kind": "street_office", "regions": ["110105011000", WANGJING], "types": ["street_office"]});
        let (status, edited) = s.send(s.http(Method::PUT, "/api/v1/units/CY-JXQ").bearer_auth(s.token("admin").await).json(&coverage)).await;
        assert_eq!((status, edited["regions"].as_array().map(Vec::len)), (StatusCode::OK, Some(2)), "[{engine}] {edited}");
        let (_, listed) = s.get("/api/v1/units", "dispatcher").await;
        assert!(listed["items"].as_array().unwrap().iter().any(|u| u["code"] == "CY-JXQ" && u["regions"].as_array().unwrap().len() == 2), "[{engine}] the server knows the coverage at once");
        let missing = s.send(s.http(Method::PUT, "/api/v1/units/NO-SUCH").bearer_auth(s.token("admin").await).json(&coverage)).await;
        s.refused("editing an unknown unit", &missing, 404, "not_found");

        // The audit log: every action, who did it, to whom; filters; the export in Chinese.
        let (status, log) = s.get("/api/v1/audit?actor=admin&limit=100", "admin").await;
        assert_eq!(status, StatusCode::OK, "[{engine}] {log}");
        let kinds: Vec<(&str, &str)> = log["items"].as_array().unwrap().iter()
            .map(|e| (e["kind"].as_str().unwrap(), e["username"].as_str().or(e["subject"].as_str()).unwrap_or(""))).collect();
        for expected in [("user_created", "wang.wu"), ("user_changed", "wang.wu"), ("user_disabled", "wang.wu"), ("user_enabled", "wang.wu"),
            ("password_reset", "wang.wu"), ("unit_created", "CY-JXQ"), ("unit_changed", "CY-JXQ")] {
            assert_eq!(kinds.iter().filter(|k| **k == expected).count(), 1, "[{engine}] {expected:?} in {kinds:?}");
        }
        assert!(kinds.iter().all(|(kind, _)| *kind != "password_changed"), "[{engine}] the user's own change is theirs, not admin's");
        let (_, own) = s.get("/api/v1/audit?actor=wang.wu&kind=password_changed", "admin").await;
        assert_eq!(own["items"].as_array().unwrap().len(), 2, "[{engine}] the refused and the done change: {own}");
        let (_, refused) = s.get("/api/v1/audit?kind=sign_in_refused&subject=wang.wu", "admin").await;
        assert_eq!(refused["items"].as_array().unwrap().len(), 1, "[{engine}] {refused}");
        let (_, unit_log) = s.get("/api/v1/audit?subject=CY-JXQ", "admin").await;
        assert_eq!(unit_log["items"][0]["subject_name"], "酒仙桥街道办事处", "[{engine}] {unit_log}");
        assert!(unit_log["items"][0]["detail"].as_str().unwrap().contains("望京街道"), "[{engine}] the detail names the regions: {unit_log}");
        let today = beijing_date(Timestamp::now());
        let (_, dated) = s.get(&format!("/api/v1/audit?from={today}&to={today}&kind=user_created"), "admin").await;
        assert_eq!(dated["items"].as_array().unwrap().len(), 1, "[{engine}] {dated}");
        let (_, none) = s.get("/api/v1/audit?to=2020-01-01", "admin").await;
        assert!(none["items"].as_array().unwrap().is_empty(), "[{engine}] {none}");
        let bad = s.get("/api/v1/audit?from=yesterday", "admin").await;
        s.invalid("a date that is not one", &bad, "from");

        let answer = s.http(Method::GET, "/api/v1/audit/export?subject=wang.wu").bearer_auth(s.token("admin").await).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "[{engine}]");
        assert!(answer.headers()["content-type"].to_str().unwrap().starts_with("text/csv"), "[{engine}]");
        let csv = answer.text().await.unwrap();
        let mut lines = csv.trim_start_matches('\u{feff}').lines();
        assert_eq!(lines.next(), Some("编号,时间,操作,操作人,对象账号,对象单位,来源地址,详情"), "[{engine}] {csv}");
        assert!(csv.contains(",新建用户,admin,wang.wu,") && csv.contains(",停用用户,admin,wang.wu,") && csv.contains(",重置密码,admin,wang.wu,"), "[{engine}] {csv}");

        // A session left open cannot guess the password faster than the sign-in page: wrong old
        // passwords count as failed sign-ins of the account, and lock it (sign-in included).
        for n in 1..=5 {
            let wrong = s.send(own_change(&first, &format!("guess-{n}"), "Mine-own-2027")).await;
            s.invalid("a guessed old password", &wrong, "old_password");
        }
        let locked = s.send(own_change(&first, "Mine-own-2026", "Mine-own-2027")).await;
        s.refused("the right old password after five wrong ones", &locked, 429, "too_many_requests");
        s.refused("signing in after them", &s.sign_in("wang.wu", "Mine-own-2026").await, 429, "too_many_requests");
        let (_, locks) = s.get("/api/v1/sign-in-locks", "admin").await;
        assert!(locks["items"].as_array().unwrap().iter().any(|l| l["subject"] == "account:wang.wu"), "[{engine}] {locks}");
        s.stop().await;
    }
}

/// `body` with another username.
fn with_username(mut body: Value, username: &str) -> Value {
    body["username"] = json!(username);
    body
}
