//! The real server on a free port with a small city (units and one user per role) for the web UI
//! tests: `web.rs` speaks HTTP to the pages, `browser.rs` drives Chromium through them.
#![allow(dead_code)] // each test binary uses its own part of this module

use std::sync::OnceLock;

use gridline_core::actor::Role;
use gridline_core::unit::{Unit, UnitKind};
use gridline_app::passwords::hash_password;
use gridline_server::Application;
use gridline_store::{NewUser, Store};
use jiff::Timestamp;
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub const PASSWORD: &str = "Wangjing-2024!";
pub const WANGJING: &str = "110105026000";
pub const CHAOYANG: &str = "110105000000";
pub const DONGHUAMEN: &str = "110101001000";
pub const DONGCHENG: &str = "110101000000";

/// `(username, display name, role, unit)` of every seeded user.
pub const USERS: [(&str, &str, Role, Option<&str>); 9] = [
    ("operator", "话务员小李", Role::HotlineOperator, None),
    ("grid", "网格员老王", Role::GridWorker, Some("CY-WJ")),
    ("dispatcher", "派单员小张", Role::Dispatcher, None),
    ("wj", "望京街道承办人", Role::HandlingUnit, Some("CY-WJ")),
    ("dhm", "东华门街道承办人", Role::HandlingUnit, Some("DC-DHM")),
    ("supervisor", "文明办督查", Role::Supervisor, None),
    ("inspector", "测评员", Role::Inspector, None),
    ("member", "交通委联络员", Role::MemberUnit, Some("BJ-JTW")),
    ("admin", "管理员", Role::Admin, None),
];

fn units() -> Vec<Unit> {
    // The unit types are the routing file's, so that the rules find these units.
    let unit = |code: &str, name: &str, kind, region: &str, unit_type: &str| Unit {
        code: code.parse().unwrap(),
        name: name.into(),
        kind,
        regions: vec![region.into()],
        types: vec![unit_type.into()],
    };
    vec![
        unit("CY-WJ", "望京街道办事处", UnitKind::StreetOffice, WANGJING, "street_office"),
        unit("CY-CGW", "朝阳区城市管理委员会", UnitKind::Department, CHAOYANG, "district_city_management"),
        unit("DC-DHM", "东华门街道办事处", UnitKind::StreetOffice, DONGHUAMEN, "street_office"),
        unit("BJ-JTW", "北京市交通委员会", UnitKind::MemberUnit, "110000000000", "transport"),
    ]
}

pub struct TestServer {
    pub base: String,
    pub http: reqwest::Client,
    pub store: Store,
    stop: Option<oneshot::Sender<()>>,
}

impl TestServer {
    pub async fn start(db_url: &str) -> TestServer {
        let store = Store::open(db_url).await.unwrap_or_else(|e| panic!("open {db_url}: {e}"));
        let now = Timestamp::now();
        for unit in units() {
            store.people().put_unit(&unit, now).await.expect("seed a unit");
        }
        static HASH: OnceLock<String> = OnceLock::new();
        let hash = HASH.get_or_init(|| hash_password(PASSWORD).expect("hash")).clone();
        for (username, display_name, role, unit) in USERS {
            let user = NewUser {
                username: username.into(),
                display_name: display_name.into(),
                role,
                unit: unit.map(|c| c.parse().unwrap()),
                password_hash: hash.clone(),
            };
            store.people().create_user(&user, now).await.expect("seed a user");
        }
        let app = Application::build(store.clone(), "127.0.0.1:0".parse().expect("address")).await.expect("build the server");
        let base = format!("http://127.0.0.1:{}", app.port());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(app.run_until(async move {
            let _ = stopped.await;
        }));
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        TestServer { base, http, store, stop: Some(stop) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A bearer token for `user`.
    pub async fn token(&self, user: &str) -> String {
        let answer = self
            .http
            .post(self.url("/api/v1/session"))
            .json(&json!({"username": user, "password": PASSWORD}))
            .send()
            .await
            .expect("sign in");
        assert_eq!(answer.status(), 201, "sign in as {user}");
        answer.json::<Value>().await.expect("session JSON")["token"].as_str().expect("token").to_owned()
    }

    pub async fn api(&self, method: reqwest::Method, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer = request.send().await.expect("request");
        let status = answer.status().as_u16();
        let text = answer.text().await.expect("body");
        (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) })
    }

    /// Files a hotline case as the operator and returns its id.
    pub async fn file(&self, token: &str, category: &str, region: &str, description: &str) -> i64 {
        let body = json!({"channel": "hotline", "category": category, "region": region, "description": description,
                          "reporter": {"name": "张先生", "phone": "13812345678"}});
        let (status, case) = self.api(reqwest::Method::POST, "/api/v1/cases", token, Some(body)).await;
        assert_eq!(status, 201, "{case}");
        case["id"].as_i64().expect("id")
    }

    pub async fn act(&self, token: &str, id: i64, action: Value) -> Value {
        let (status, case) = self.api(reqwest::Method::POST, &format!("/api/v1/cases/{id}/actions"), token, Some(action.clone())).await;
        assert_eq!(status, 200, "{action} on {id}: {case}");
        case
    }

    /// Registers a case and dispatches it to `unit`, unless the routing rules already did.
    pub async fn register_and_dispatch(&self, token: &str, id: i64, unit: &str) {
        let registered = self.act(token, id, json!({"action": "register"})).await;
        if registered["status"] != "dispatched" {
            self.act(token, id, json!({"action": "dispatch", "unit": unit})).await;
        }
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.store.clone().close().await;
    }
}
