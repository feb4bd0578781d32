//! The documents' handlers end to end: the real server on a free port over the demo city (made by
//! `gridline_cli::demo`), spoken to over HTTP, on every engine of `fresh_databases`. Each kind is
//! previewed and issued; bad input — a template naming a field that does not exist, an article
//! with an empty title, a period or year with no data, a snapshot whose hash is not the one
//! previewed — gets a clear refusal and nothing is issued; downloads are checked against the
//! stored hashes, and a file altered behind gridline's back is refused. Every JSON answer is
//! checked against the OpenAPI document.

// The OpenAPI reader of the server's own end-to-end tests.
#[path = "../../gridline-server/tests/api_schema/mod.rs"]
mod api_schema;

use std::collections::HashMap;

use gridline_core::period::Month;
use gridline_server::Application;
use gridline_store::Store;
use gridline_store::testing::fresh_databases;
use jiff::Timestamp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const CHAOYANG: &str = "110105000000";

struct Server {
    engine: &'static str,
    base: String,
    http: reqwest::Client,
    passwords: HashMap<String, String>,
    tokens: HashMap<String, String>,
}

/// An answer: status, content type, the snapshot header, the body (JSON or bytes).
struct Answer {
    status: StatusCode,
    content_type: String,
    snapshot: Option<String>,
    json: Value,
    bytes: Vec<u8>,
}

impl Server {
    async fn token(&mut self, user: &str) -> String {
        if let Some(token) = self.tokens.get(user) {
            return token.clone();
        }
        let body = json!({"username": user, "password": self.passwords[user]});
        let answer = self.http.post(format!("{}/api/v1/session", self.base)).json(&body).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::CREATED, "[{}] sign in as {user}", self.engine);
        let token = answer.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
        self.tokens.insert(user.to_owned(), token.clone());
        token
    }

    /// Sends a request as `user`; a JSON answer is checked against the OpenAPI document.
    async fn send(&mut self, method: Method, path: &str, user: &str, body: Option<&Value>) -> Answer {
        let token = self.token(user).await;
        let mut request = self.http.request(method.clone(), format!("{}{path}", self.base)).bearer_auth(token).header("Accept-Language", "en");
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap_or_else(|e| panic!("[{}] {method} {path}: {e}", self.engine));
        let status = response.status();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let (content_type, snapshot) = (header("content-type").unwrap_or_default(), header("x-snapshot-sha256"));
        let bytes = response.bytes().await.unwrap().to_vec();
        let json = if content_type.contains("json") { serde_json::from_slice(&bytes).unwrap() } else { Value::Null };
        let problems = api_schema::check_answer(method.as_str(), path.split('?').next().unwrap(), status.as_u16(), &json);
        assert!(problems.is_empty(), "[{}] {method} {path}: the answer differs from the OpenAPI document:\n{}", self.engine, problems.join("\n"));
        Answer { status, content_type, snapshot, json, bytes }
    }

    async fn post(&mut self, path: &str, user: &str, body: &Value) -> Answer {
        self.send(Method::POST, path, user, Some(body)).await
    }

    async fn get(&mut self, path: &str, user: &str) -> Answer {
        self.send(Method::GET, path, user, None).await
    }

    /// A refusal with its status, code and (for 422) the field it names; its message.
    fn refused(&self, what: &str, answer: &Answer, status: u16, code: &str, field: Option<&str>) -> String {
        assert_eq!(answer.status.as_u16(), status, "[{}] {what}: {}", self.engine, answer.json);
        assert_eq!(answer.json["error"]["code"], code, "[{}] {what}: {}", self.engine, answer.json);
        if let Some(field) = field {
            assert_eq!(answer.json["error"]["field"], field, "[{}] {what}: {}", self.engine, answer.json);
        }
        answer.json["error"]["message"].as_str().unwrap_or_default().to_owned()
    }

    async fn issued(&mut self) -> usize {
        let list = self.get("/api/v1/documents?limit=500", "supervisor").await;
        assert_eq!(list.status, StatusCode::OK, "[{}] {}", self.engine, list.json);
        list.json["items"].as_array().unwrap().len()
    }
}

fn bulletin(title: &str) -> Value {
    json!({"kind": "bulletin", "articles": [{
        "section": "重要会议",
        "title": title,
        "body": "会议通报了上月三率排名情况。\n\n各区要对照问题清单逐项整改，限期销号。",
        "office": "综合协调处",
    }]})
}

/// The demo's sign-in table: `  username   password   role`.
fn passwords(table: &str) -> HashMap<String, String> {
    table.lines().skip(1).filter_map(|l| {
        let mut words = l.split_whitespace();
        Some((words.next()?.to_owned(), words.next()?.to_owned()))
    }).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_are_previewed_issued_listed_and_downloaded_over_http_and_bad_input_issues_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in fresh_databases(dir.path()).await {
        let store = Store::open(&url).await.unwrap();
        let data_dir = dir.path().join(engine);
        std::fs::create_dir_all(&data_dir).unwrap();
        let table = gridline_cli::demo::ensure(&store, &data_dir, 600).await.unwrap();
        let app = Application::build(store.clone(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(app.run_until(async move {
            let _ = stopped.await;
        }));
        let mut s = Server { engine, base, http: reqwest::Client::new(), passwords: passwords(&table), tokens: HashMap::new() };

        // Preview: the PDF and the DOCX, numbered as the next; the snapshot's hash in a header.
        let preview = s.post("/api/v1/documents/preview?format=pdf", "supervisor", &json!({"document": bulletin("全市创建工作调度会召开")})).await;
        assert_eq!(preview.status, StatusCode::OK, "[{engine}] {}", preview.json);
        assert_eq!(preview.content_type, "application/pdf", "[{engine}]");
        assert!(preview.bytes.starts_with(b"%PDF"), "[{engine}]");
        let sha = preview.snapshot.clone().expect("the preview's snapshot hash");
        assert_eq!(sha.len(), 64, "[{engine}] {sha}");
        let docx = s.post("/api/v1/documents/preview?format=docx", "supervisor", &json!({"document": bulletin("全市创建工作调度会召开")})).await;
        assert!(docx.bytes.starts_with(b"PK"), "[{engine}] a DOCX is a zip");
        assert_eq!(docx.snapshot.as_deref(), Some(sha.as_str()), "[{engine}] one snapshot, either format");
        let operator = s.post("/api/v1/documents/preview", "operator", &json!({"document": bulletin("标题")})).await;
        s.refused("an operator previews", &operator, 403, "forbidden", None);

        // Bad input: a clear refusal each, and nothing issued.
        let stale = s.post("/api/v1/documents", "supervisor", &json!({"document": bulletin("全市创建工作调度会召开"), "snapshot_sha256": "0".repeat(64)})).await;
        let message = s.refused("a snapshot that is not the one previewed", &stale, 409, "conflict", None);
        assert!(message.contains("nothing was issued") && message.contains(&"0".repeat(64)), "[{engine}] {message}");
        let mut template: Value = serde_json::to_value(gridline_report::Template::builtin(gridline_report::Kind::Bulletin)).unwrap();
        template["blocks"].as_array_mut().unwrap().push(json!({"block": "line", "text": "签发人：{signer}"}));
        let named = s.post("/api/v1/documents", "supervisor", &json!({"document": bulletin("标题"), "template": template.to_string()})).await;
        let message = s.refused("a template naming a field that does not exist", &named, 422, "invalid", Some("template"));
        assert!(message.contains("signer"), "[{engine}] {message}");
        let unreadable = s.post("/api/v1/documents", "supervisor", &json!({"document": bulletin("标题"), "template": "{\"name\": 1}"})).await;
        s.refused("a template that does not read", &unreadable, 422, "invalid", Some("template"));
        let untitled = s.post("/api/v1/documents", "supervisor", &json!({"document": bulletin("  ")})).await;
        let message = s.refused("an article with an empty title", &untitled, 422, "invalid", Some("articles"));
        assert!(message.contains("empty title"), "[{engine}] {message}");
        let unscored = s.post("/api/v1/documents", "supervisor", &json!({"document": {"kind": "health_report", "region": CHAOYANG, "period": "2001-01"}})).await;
        let message = s.refused("a period with no data", &unscored, 404, "not_found", None);
        assert!(message.contains("no data for 朝阳区2001 年 1 月"), "[{engine}] {message}");
        let no_ledger = s.post("/api/v1/documents", "supervisor", &json!({"document": {"kind": "ledger_report", "year": 1999}})).await;
        s.refused("a year without a ledger", &no_ledger, 404, "not_found", None);
        let street = s.post("/api/v1/documents", "supervisor", &json!({"document": {"kind": "health_report", "region": "110105026000", "period": "2024-01"}})).await;
        s.refused("a street's health report", &street, 422, "invalid", Some("region"));
        let now = Month::of(Timestamp::now());
        let this_quarter = format!("{}-Q{}", now.year(), (now.number() - 1) / 3 + 1);
        let open = s.post("/api/v1/documents", "supervisor", &json!({"document": {"kind": "alley_rollcall", "quarter": this_quarter}})).await;
        let message = s.refused("a quarter not over", &open, 422, "invalid", Some("quarter"));
        assert!(message.contains("is not over until") && message.contains("nothing was issued"), "[{engine}] {message}");
        let unscored = s.post("/api/v1/documents/preview", "supervisor", &json!({"document": {"kind": "alley_rollcall", "quarter": "2001-Q1", "region": CHAOYANG}})).await;
        let message = s.refused("a quarter with no alley scored", &unscored, 422, "invalid", Some("quarter"));
        assert!(message.contains("no alley of 朝阳区 has a monthly score in 2001-Q1"), "[{engine}] {message}");
        let unknown = s.post("/api/v1/documents", "supervisor", &json!({"document": {"kind": "ledger_report", "year": 2020, "colour": "red"}})).await;
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY, "[{engine}] an unknown field: {}", unknown.json);
        assert_eq!(s.issued().await, 0, "[{engine}] nothing issued");

        // Issuing exactly what was previewed.
        let issued = s.post("/api/v1/documents", "supervisor", &json!({"document": bulletin("全市创建工作调度会召开"), "snapshot_sha256": sha})).await;
        assert_eq!(issued.status, StatusCode::CREATED, "[{engine}] {}", issued.json);
        let doc = issued.json.clone();
        assert_eq!((doc["kind"].as_str(), doc["kind_label"].as_str(), doc["number"].as_i64()), (Some("bulletin"), Some("简报"), Some(1)), "[{engine}] {doc}");
        assert_eq!(doc["snapshot_sha256"], sha.as_str(), "[{engine}]");
        let id = doc["id"].as_i64().unwrap();

        // The other kinds from the demo city.
        let month = Month::of(Timestamp::now()).previous();
        let period = format!("{:04}-{:02}", month.year(), month.number());
        for (kind, document) in [
            ("health_report", json!({"kind": "health_report", "region": CHAOYANG, "period": period})),
            ("ledger_report", json!({"kind": "ledger_report", "year": 2020})),
            ("notice", json!({"kind": "notice", "period": period, "level": "district"})),
        ] {
            let preview = s.post("/api/v1/documents/preview?format=pdf", "supervisor", &json!({"document": document})).await;
            assert_eq!(preview.status, StatusCode::OK, "[{engine}] {kind}: {}", preview.json);
            let answer = s.post("/api/v1/documents", "supervisor", &json!({"document": document, "snapshot_sha256": preview.snapshot})).await;
            assert_eq!(answer.status, StatusCode::CREATED, "[{engine}] {kind}: {}", answer.json);
            assert_eq!(answer.json["kind"], kind, "[{engine}]");
        }

        // List, search, show.
        let all = s.get("/api/v1/documents", "supervisor").await;
        assert_eq!(all.json["items"].as_array().unwrap().len(), 4, "[{engine}] {}", all.json);
        let found = s.get(&format!("/api/v1/documents?kind=health_report&q={}", "朝阳区"), "supervisor").await;
        assert_eq!(found.json["items"].as_array().unwrap().len(), 1, "[{engine}] {}", found.json);
        assert!(found.json["items"][0]["title"].as_str().unwrap().starts_with("朝阳区"), "[{engine}] {}", found.json);
        let bad_kind = s.get("/api/v1/documents?kind=memo", "supervisor").await;
        let message = s.refused("an unknown kind", &bad_kind, 422, "invalid", Some("kind"));
        assert!(message.contains("health_report"), "[{engine}] the kinds are named: {message}");
        let shown = s.get(&format!("/api/v1/documents/{id}"), "supervisor").await;
        assert_eq!(shown.json["title"], doc["title"], "[{engine}]");
        let missing = s.get("/api/v1/documents/999999", "supervisor").await;
        s.refused("no such document", &missing, 404, "not_found", None);

        // Downloads match the stored hashes.
        for (format, field) in [("pdf", "pdf_sha256"), ("docx", "docx_sha256")] {
            let file = s.get(&format!("/api/v1/documents/{id}/file?format={format}"), "supervisor").await;
            assert_eq!(file.status, StatusCode::OK, "[{engine}] {format}");
            assert_eq!(hex::encode(Sha256::digest(&file.bytes)), doc[field].as_str().unwrap(), "[{engine}] {format}");
        }
        let bad_format = s.get(&format!("/api/v1/documents/{id}/file?format=odt"), "supervisor").await;
        s.refused("an unknown format", &bad_format, 422, "invalid", Some("format"));

        // A stored file altered behind gridline's back (its guard removed first) is refused.
        let drop = if engine == "sqlite" { "DROP TRIGGER documents_never_change" } else { "DROP TRIGGER documents_never_change ON documents" };
        gridline_store::testing::execute(&url, &[drop, &format!("UPDATE documents SET pdf = docx WHERE id = {id}")]).await;
        let altered = s.get(&format!("/api/v1/documents/{id}/file?format=pdf"), "supervisor").await;
        let message = s.refused("an altered file", &altered, 500, "integrity", None);
        assert!(message.contains("does not match"), "[{engine}] {message}");

        let _ = stop.send(());
        task.await.unwrap().unwrap();
        store.close().await;
    }
}
