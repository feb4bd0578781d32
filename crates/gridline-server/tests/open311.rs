//! Open311 GeoReport v2, the case export and the OpenAPI document over HTTP: the real server on a free port, on every
//! engine of `fresh_databases`. The Python client library test (`open311_client.rs`) checks the
//! same server against a client we did not write and the specification's JSON schemas.

use gridline_core::actor::Role;
use gridline_core::case::Channel;
use gridline_core::unit::{Unit, UnitKind};
use gridline_app::passwords::hash_password;
use gridline_server::Application;
use gridline_store::testing::fresh_databases;
use gridline_store::{NewUser, Store};
use jiff::Timestamp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const KEY: &str = "test-key-0123456789abcdef";
const WANGJING: &str = "110105026000";

struct Server {
    engine: &'static str,
    base: String,
    http: reqwest::Client,
    store: Store,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Server {
    async fn start(engine: &'static str, url: &str) -> Server {
        let store = Store::open(url).await.unwrap_or_else(|e| panic!("[{engine}] open: {e}"));
        let now = Timestamp::now();
        let user = |name: &str, role| NewUser {
            username: name.into(),
            display_name: name.into(),
            role,
            unit: None,
            password_hash: "!".into(),
        };
        store
            .api_keys().create("citizen-app", &hex::encode(Sha256::digest(KEY)), Channel::Public, &user("apikey.citizen-app", Role::HotlineOperator), now)
            .await
            .unwrap_or_else(|e| panic!("[{engine}] key: {e}"));
        store
            .api_keys().create("old-app", &hex::encode(Sha256::digest("revoked-key")), Channel::Public, &user("apikey.old-app", Role::HotlineOperator), now)
            .await
            .unwrap_or_else(|e| panic!("[{engine}] key: {e}"));
        assert!(store.api_keys().revoke("old-app", now).await.unwrap());
        assert!(!store.api_keys().revoke("old-app", now).await.unwrap(), "[{engine}] revoking twice");
        let duplicate = store
            .api_keys().create("citizen-app", "other-hash", Channel::Public, &user("apikey.other", Role::HotlineOperator), now)
            .await;
        assert!(duplicate.is_err(), "[{engine}] a second key of the same name");
        assert!(store.people().user_by_name("apikey.other").await.unwrap().is_none(), "[{engine}] a refused key leaves no user behind");
        store
            .people().put_unit(&Unit { code: "CY-WJ".parse().unwrap(), name: "望京街道办事处".into(), kind: UnitKind::StreetOffice, regions: vec![WANGJING.into()], types: Vec::new() }, now)
            .await
            .unwrap();
        let mut dispatcher = user("dispatcher", Role::Dispatcher);
        dispatcher.password_hash = hash_password("Dispatcher-2026!").unwrap();
        store.people().create_user(&dispatcher, now).await.unwrap();
        let app = Application::build(store.clone(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.run_until(async move {
            let _ = stopped.await;
        }));
        Server { engine, base, http: reqwest::Client::new(), store, stop: Some(stop) }
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let response = self.http.get(format!("{}{path}", self.base)).send().await.expect("a response");
        (response.status(), response.text().await.expect("a body"))
    }

    async fn get_json(&self, path: &str) -> (StatusCode, Value) {
        let (status, text) = self.get(path).await;
        (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("[{}] {path}: not JSON ({e}): {text}", self.engine)))
    }

    async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
        let response = self.http.post(format!("{}{path}", self.base)).form(form).send().await.expect("a response");
        (response.status(), response.text().await.expect("a body"))
    }

    async fn post_json(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let (status, text) = self.post_form(path, form).await;
        (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("[{}] {path}: not JSON ({e}): {text}", self.engine)))
    }

    /// An Open311 error: the status and the one `{code, description}` of the list.
    fn refused(&self, what: &str, answer: &(StatusCode, Value), status: u16) -> String {
        assert_eq!(answer.0.as_u16(), status, "[{}] {what}: {}", self.engine, answer.1);
        let errors = answer.1.as_array().unwrap_or_else(|| panic!("[{}] {what}: errors are a list: {}", self.engine, answer.1));
        assert_eq!(errors.len(), 1, "[{}] {what}", self.engine);
        assert_eq!(errors[0]["code"], status, "[{}] {what}", self.engine);
        errors[0]["description"].as_str().expect("a description").to_owned()
    }

    async fn file(&self, extra: &[(&str, &str)]) -> (String, String) {
        let mut form = vec![("api_key", KEY), ("service_code", "S0102"), ("description", "望京街道阜通东大街6号门口暴露垃圾")];
        form.extend_from_slice(extra);
        let (status, body) = self.post_json("/open311/v2/requests.json", &form).await;
        assert_eq!(status, StatusCode::OK, "[{}] file {extra:?}: {body}", self.engine);
        let id = body[0]["service_request_id"].as_str().expect("an id").to_owned();
        let token = body[0]["token"].as_str().expect("a token").to_owned();
        (id, token)
    }

    async fn sign_in(&self) -> String {
        let body = json!({"username": "dispatcher", "password": "Dispatcher-2026!"});
        let answer: Value = self.http.post(format!("{}/api/v1/session", self.base)).json(&body).send().await.unwrap().json().await.unwrap();
        answer["token"].as_str().expect("a token").to_owned()
    }

    async fn act(&self, token: &str, id: &str, action: Value) {
        let response = self
            .http
            .post(format!("{}/api/v1/cases/{id}/actions", self.base))
            .bearer_auth(token)
            .json(&action)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "[{}] {action}: {}", self.engine, response.text().await.unwrap());
    }
}

#[tokio::test]
async fn open311_files_and_reads_requests_in_json_and_xml_and_refuses_bad_ones_in_the_spec_error_format() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in fresh_databases(dir.path()).await {
        let s = Server::start(engine, &url).await;

        // Discovery and services.
        let (status, discovery) = s.get_json("/open311/v2/discovery.json").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(discovery["endpoints"][0]["specification"], "http://wiki.open311.org/GeoReport_v2");
        let jurisdiction = discovery["jurisdiction_id"].as_str().expect("a jurisdiction").to_owned();
        let (status, services) = s.get_json("/open311/v2/services.json").await;
        assert_eq!(status, StatusCode::OK);
        let services = services.as_array().expect("a list").clone();
        let leaves = gridline_core::catalogue::Catalogue::builtin().leaves().count();
        assert_eq!(services.len(), leaves, "[{engine}] one service per fileable entry");
        let rubbish = services.iter().find(|s| s["service_code"] == "S0102").expect("S0102 is a service");
        assert_eq!(rubbish["service_name"], "暴露垃圾");
        assert_eq!(rubbish["group"], "事件");
        assert_eq!(rubbish["type"], "realtime");
        let (status, xml) = s.get("/open311/v2/services.xml").await;
        assert_eq!(status, StatusCode::OK);
        assert!(xml.contains("<services><service>") && xml.contains("<service_code>S0102</service_code>"), "{xml}");
        let (status, definition) = s.get_json("/open311/v2/services/S0102.json").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(definition["service_code"], "S0102");
        assert!(definition["attributes"].is_array());
        s.refused("a group is no service", &s.get_json("/open311/v2/services/S01.json").await, 404);
        s.refused("unknown service", &s.get_json("/open311/v2/services/ZZ.json").await, 404);
        let (status, xml) = s.get("/open311/v2/services/ZZ.xml").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(xml.contains("<errors><error><code>404</code><description>"), "{xml}");
        s.refused("no format", &s.get_json("/open311/v2/services").await, 404);
        s.refused("other format", &s.get_json("/open311/v2/services.html").await, 404);
        s.refused("wrong jurisdiction", &s.get_json("/open311/v2/services.json?jurisdiction_id=nyc.gov").await, 404);
        let (status, _) = s.get(&format!("/open311/v2/services.json?jurisdiction_id={jurisdiction}")).await;
        assert_eq!(status, StatusCode::OK);

        // Filing.
        let (wangjing, token) = s.file(&[("address_string", "朝阳区望京阜通东大街6号"), ("first_name", "先生"), ("last_name", "张"), ("phone", "13812345678")]).await;
        let (by_point, _) = s.file(&[("lat", "39.99"), ("long", "116.47"), ("media_url", "https://example.org/photo.jpg")]).await;
        let (by_id, _) = s.file(&[("address_id", WANGJING)]).await;
        assert_ne!(wangjing, by_point);
        let form = |extra: &[(&'static str, &'static str)]| {
            let mut form = vec![("api_key", KEY), ("service_code", "S0102"), ("lat", "39.99"), ("long", "116.47")];
            form.extend_from_slice(extra);
            form
        };
        let path = "/open311/v2/requests.json";
        s.refused("no key", &s.post_json(path, &[("service_code", "S0102"), ("lat", "39.99"), ("long", "116.47")]).await, 403);
        s.refused("wrong key", &s.post_json(path, &[("api_key", "nope"), ("service_code", "S0102"), ("lat", "1"), ("long", "1")]).await, 403);
        s.refused("revoked key", &s.post_json(path, &[("api_key", "revoked-key"), ("service_code", "S0102"), ("lat", "1"), ("long", "1")]).await, 403);
        let message = s.refused("no service", &s.post_json(path, &[("api_key", KEY), ("lat", "1"), ("long", "1")]).await, 400);
        assert!(message.contains("service_code"), "{message}");
        let unknown = vec![("api_key", KEY), ("service_code", "ZZ"), ("lat", "39.99"), ("long", "116.47")];
        assert!(s.refused("unknown service", &s.post_json(path, &unknown).await, 400).contains("\"ZZ\""));
        let message = s.refused("no location", &s.post_json(path, &[("api_key", KEY), ("service_code", "S0102")]).await, 400);
        assert!(message.contains("location"), "{message}");
        s.refused("half a point", &s.post_json(path, &[("api_key", KEY), ("service_code", "S0102"), ("lat", "39.9")]).await, 400);
        s.refused("not a number", &s.post_json(path, &[("api_key", KEY), ("service_code", "S0102"), ("lat", "north"), ("long", "1")]).await, 400);
        s.refused("off the globe", &s.post_json(path, &[("api_key", KEY), ("service_code", "S0102"), ("lat", "95"), ("long", "1")]).await, 400);
        s.refused("unknown address_id", &s.post_json(path, &[("api_key", KEY), ("service_code", "S0102"), ("address_id", "999")]).await, 400);
        s.refused("a script as media", &s.post_json(path, &form(&[("media_url", "javascript:alert(1)")])).await, 400);
        let long = "长".repeat(4001);
        let long_form = vec![("api_key", KEY), ("service_code", "S0102"), ("lat", "39.99"), ("long", "116.47"), ("description", long.as_str())];
        s.refused("too long", &s.post_json(path, &long_form).await, 400);
        s.refused("unknown attribute", &s.post_json(path, &form(&[("attribute[colour]", "red")])).await, 400);
        s.refused("wrong jurisdiction", &s.post_json(path, &form(&[("jurisdiction_id", "nyc.gov")])).await, 404);
        s.refused("bad phone", &s.post_json(path, &form(&[("phone", "call me")])).await, 400);
        let as_json = s.http.post(format!("{}{path}", s.base)).json(&json!({"api_key": KEY})).send().await.unwrap();
        assert_eq!(as_json.status(), StatusCode::BAD_REQUEST, "[{engine}] a JSON body is not a form");
        let huge = "x".repeat(100 * 1024);
        let (status, _) = s.post_form(path, &[("api_key", KEY), ("description", huge.as_str())]).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "[{engine}] oversized");
        let (status, xml) = s.post_form("/open311/v2/requests.xml", &form(&[])).await;
        assert_eq!(status, StatusCode::OK);
        assert!(xml.contains("<service_requests><request>") && xml.contains("<service_request_id>"), "{xml}");
        let (status, xml) = s.post_form("/open311/v2/requests.xml", &[("service_code", "S0102")]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(xml.contains("<errors><error><code>403</code>"), "{xml}");
        s.refused("posting to services", &s.post_json("/open311/v2/services.json", &form(&[])).await, 405);
        let count_before = s.store.cases().count().await.unwrap();

        // Reading one request, and the case behind it.
        let (status, one) = s.get_json(&format!("/open311/v2/requests/{wangjing}.json")).await;
        assert_eq!(status, StatusCode::OK, "{one}");
        let request = &one[0];
        assert_eq!(request["service_request_id"], wangjing.as_str());
        assert_eq!(request["status"], "open");
        assert_eq!(request["service_code"], "S0102");
        assert_eq!(request["address_id"], WANGJING, "[{engine}] the address was located in 望京");
        assert_eq!(request["expected_datetime"], Value::Null, "[{engine}] no deadline before dispatch");
        assert!(request.get("phone").is_none() && !one.to_string().contains("13812345678"), "[{engine}] no reporter details: {one}");
        let case = s.store.cases().get(wangjing.parse().unwrap()).await.unwrap().expect("the case");
        assert_eq!(case.intake.channel, Channel::Public);
        assert_eq!(case.intake.reporter.as_ref().and_then(|r| r.name.as_deref()), Some("张先生"));
        assert_eq!(case.intake.external_id.as_deref(), Some(token.as_str()));
        let (_, point) = s.get_json(&format!("/open311/v2/requests/{by_point}.json")).await;
        assert_eq!(point[0]["lat"], 39.99);
        assert_eq!(point[0]["media_url"], "https://example.org/photo.jpg");
        s.refused("unknown request", &s.get_json("/open311/v2/requests/999999.json").await, 404);
        s.refused("not an id", &s.get_json("/open311/v2/requests/abc.json").await, 404);

        // The workflow shows through: dispatch sets the agency and the expected time.
        let bearer = s.sign_in().await;
        s.act(&bearer, &by_id, json!({"action": "register", "category": "S0102", "region": WANGJING})).await;
        s.act(&bearer, &by_id, json!({"action": "dispatch", "unit": "CY-WJ"})).await;
        let (_, dispatched) = s.get_json(&format!("/open311/v2/requests/{by_id}.json?extensions=true")).await;
        let request = &dispatched[0];
        assert_eq!(request["agency_responsible"], "望京街道办事处", "{request}");
        assert!(request["status_notes"].as_str().unwrap().contains("望京街道办事处"));
        let expected: Timestamp = request["expected_datetime"].as_str().expect("a deadline").parse().unwrap();
        assert!(expected > Timestamp::now());
        assert_eq!(request["extended_attributes"]["detailed_status"], "ACTION_SCHEDULED");
        assert_eq!(request["extended_attributes"]["gridline_status"], "dispatched");
        s.act(&bearer, &wangjing, json!({"action": "reject", "reason": "重复反映"})).await;

        // The request list with its filters.
        let (status, all) = s.get_json("/open311/v2/requests.json").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(all.as_array().unwrap().len() as i64, count_before, "[{engine}] every request of the last 90 days");
        let (_, closed) = s.get_json("/open311/v2/requests.json?status=closed").await;
        let closed_ids: Vec<&str> = closed.as_array().unwrap().iter().map(|r| r["service_request_id"].as_str().unwrap()).collect();
        assert_eq!(closed_ids, [wangjing.as_str()]);
        assert!(closed[0]["status_notes"].as_str().unwrap().contains("重复反映"));
        let (_, two) = s.get_json(&format!("/open311/v2/requests.json?service_request_id={wangjing},{by_id}")).await;
        assert_eq!(two.as_array().unwrap().len(), 2);
        let (_, page) = s.get_json("/open311/v2/requests.json?page=2&page_size=1").await;
        assert_eq!(page.as_array().unwrap().len(), 1);
        let (_, none) = s.get_json("/open311/v2/requests.json?service_code=S0103").await;
        assert_eq!(none, json!([]));
        let (_, old) = s.get_json("/open311/v2/requests.json?start_date=2020-01-01T00:00:00Z&end_date=2020-02-01T00:00:00Z").await;
        assert_eq!(old, json!([]));
        s.refused("bad status", &s.get_json("/open311/v2/requests.json?status=pending").await, 400);
        s.refused("bad date", &s.get_json("/open311/v2/requests.json?start_date=yesterday").await, 400);
        s.refused("too long a span", &s.get_json("/open311/v2/requests.json?start_date=2020-01-01&end_date=2021-01-01").await, 400);
        s.refused("bad id", &s.get_json("/open311/v2/requests.json?service_request_id=1,x").await, 400);
        s.refused("bad page size", &s.get_json("/open311/v2/requests.json?page_size=5000").await, 400);
        s.refused("bad extensions", &s.get_json("/open311/v2/requests.json?extensions=maybe").await, 400);
        let (status, xml) = s.get(&format!("/open311/v2/requests.xml?service_request_id={wangjing}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(xml.contains(&format!("<service_request_id>{wangjing}</service_request_id>")) && xml.contains("<status>closed</status>"), "{xml}");

        // Tokens.
        let (status, resolved) = s.get_json(&format!("/open311/v2/tokens/{token}.json")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(resolved, json!([{"service_request_id": wangjing, "token": token}]));
        s.refused("unknown token", &s.get_json("/open311/v2/tokens/o311-ffff.json").await, 404);
        s.refused("another channel's ticket", &s.get_json("/open311/v2/tokens/12345-20261122-00001.json").await, 404);

        // Updates (mySociety): every step, with the status it left.
        let (status, updates) = s.get_json("/open311/v2/servicerequestupdates.json").await;
        assert_eq!(status, StatusCode::OK);
        let of = |id: &str| -> Vec<String> {
            updates.as_array().unwrap().iter().filter(|u| u["service_request_id"] == id).map(|u| u["status"].as_str().unwrap().to_owned()).collect()
        };
        assert_eq!(of(&by_id), ["OPEN", "INVESTIGATING", "ACTION_SCHEDULED"]);
        assert_eq!(of(&wangjing), ["OPEN", "NO_FURTHER_ACTION"]);
        let (status, xml) = s.get("/open311/v2/servicerequestupdates.xml").await;
        assert_eq!(status, StatusCode::OK);
        assert!(xml.contains("<service_request_updates><request_update>") && xml.contains("<update_id>"), "{xml}");

        // The case export of the API, with the list's filters; `lang=en` for the columns' names
        // and the API's values (Chinese headers and labels are the default: see e2e.rs).
        let export = |query: &'static str| s.http.get(format!("{}/api/v1/cases/export{query}", s.base)).bearer_auth(&bearer).send();
        let response = export("?status=dispatched&lang=en").await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let text = response.text().await.unwrap();
        let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
        assert_eq!(header, gridline_app::export::header(gridline_core::message::Lang::En));
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 1, "[{engine}] {text}");
        let cell = |name: &str| rows[0][header.iter().position(|h| h == name).unwrap()].to_owned();
        assert_eq!(cell("id"), by_id);
        assert_eq!(cell("unit_name"), "望京街道办事处");
        assert_eq!(cell("overdue"), "false");
        assert!(!cell("dispatched_at").is_empty() && !cell("registered_at").is_empty() && cell("closed_at").is_empty());
        // The same as a workbook: the same columns, numbers as numbers, times as date cells.
        let response = export("?status=dispatched&format=xlsx&lang=en").await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], gridline_app::export::XLSX_CONTENT_TYPE);
        let disposition = response.headers()["content-disposition"].to_str().unwrap().to_owned();
        assert!(disposition.starts_with("attachment; filename=\"cases-") && disposition.ends_with(".xlsx\""), "{disposition}");
        let bytes = response.bytes().await.unwrap();
        let mut workbook: calamine::Xlsx<_> = calamine::Reader::new(std::io::Cursor::new(bytes.to_vec())).expect("a workbook");
        let sheet = calamine::Reader::worksheet_range_at(&mut workbook, 0).expect("a sheet").unwrap();
        let xlsx_rows: Vec<&[calamine::Data]> = sheet.rows().collect();
        let xlsx_header: Vec<String> = xlsx_rows[0].iter().map(ToString::to_string).collect();
        assert_eq!(xlsx_header, gridline_app::export::header(gridline_core::message::Lang::En));
        assert_eq!(xlsx_rows.len(), 2, "[{engine}] the header and the one dispatched case");
        let xcell = |name: &str| &xlsx_rows[1][header.iter().position(|h| h == name).unwrap()];
        assert_eq!(xcell("id"), &calamine::Data::Float(by_id.parse::<f64>().unwrap()));
        assert_eq!(xcell("unit_name").to_string(), "望京街道办事处");
        assert_eq!(xcell("overdue"), &calamine::Data::Bool(false));
        let calamine::Data::DateTime(dispatched) = xcell("dispatched_at") else { panic!("a date cell: {:?}", xcell("dispatched_at")) };
        let (y, mo, d, h, mi, sec, _) = dispatched.to_ymd_hms_milli();
        assert_eq!(format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{sec:02}"), cell("dispatched_at")[..19], "Beijing time, as in the CSV");
        assert_eq!(xcell("closed_at"), &calamine::Data::Empty);
        let all = export("").await.unwrap().text().await.unwrap();
        assert_eq!(csv::Reader::from_reader(all.as_bytes()).records().count() as i64, count_before);
        for (query, field) in [("?format=xml", "format"), ("?page=2", "page"), ("?status=lost", "status")] {
            let response = export(query).await.unwrap();
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "[{engine}] {query}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"]["field"], field, "[{engine}] {query}: {body}");
        }
        let anonymous = s.http.get(format!("{}/api/v1/cases/export", s.base)).send().await.unwrap();
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
        let _ = s.stop.map(|stop| stop.send(()));
    }
}

#[tokio::test]
async fn the_openapi_document_describes_every_api_route_and_every_described_route_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite://{}?mode=rwc", dir.path().join("gridline.db").display())).await.unwrap();
    let app = Application::build(store, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::new();
    let doc: Value = http.get(format!("{base}/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{doc}");
    let paths = doc["paths"].as_object().expect("paths");
    // Every route served under /api/v1, with its methods.
    let expected = [
        ("/api/v1/session", &["post", "delete"][..]),
        ("/api/v1/me", &["get"]),
        ("/api/v1/me/password", &["post"]),
        ("/api/v1/sign-in-locks", &["get"]),
        ("/api/v1/sign-in-locks/{subject}", &["delete"]),
        ("/api/v1/audit", &["get"]),
        ("/api/v1/audit/export", &["get"]),
        ("/api/v1/users", &["get", "post"]),
        ("/api/v1/users/{id}", &["patch"]),
        ("/api/v1/users/{id}/disable", &["post"]),
        ("/api/v1/users/{id}/enable", &["post"]),
        ("/api/v1/users/{id}/password", &["post"]),
        ("/api/v1/cases", &["get", "post"]),
        ("/api/v1/cases/export", &["get"]),
        ("/api/v1/cases/{id}", &["get"]),
        ("/api/v1/cases/{id}/actions", &["post"]),
        ("/api/v1/cases/{id}/attachments", &["get", "post"]),
        ("/api/v1/attachments/{id}", &["get"]),
        ("/api/v1/cases/{id}/route", &["get"]),
        ("/api/v1/cases/{id}/duplicates", &["get"]),
        ("/api/v1/cases/{id}/links", &["get", "post"]),
        ("/api/v1/units", &["get", "post"]),
        ("/api/v1/units/{code}", &["put"]),
        ("/api/v1/regions", &["get"]),
        ("/api/v1/dashboard", &["get"]),
        ("/api/v1/dashboard/map", &["get"]),
        ("/api/v1/catalogue", &["get"]),
        ("/api/v1/catalogue/{code}", &["get"]),
        ("/api/v1/catalogue/files/{file}", &["get"]),
        ("/api/v1/catalogue/import", &["post"]),
        ("/api/v1/crosswalk", &["get"]),
        ("/api/v1/unit-types", &["get"]),
        ("/api/v1/routing-rules", &["get"]),
        ("/api/v1/route", &["post"]),
        ("/api/v1/geo/locate", &["get"]),
        ("/api/v1/geo/geocode", &["get"]),
        ("/api/v1/geo/addresses", &["post"]),
        ("/api/v1/geo/districts.geojson", &["get"]),
        ("/api/v1/geo/streets.geojson", &["get"]),
        ("/api/v1/classify", &["post"]),
        ("/api/v1/rankings", &["get"]),
        ("/api/v1/rates", &["get"]),
        ("/api/v1/hotspots", &["get"]),
        ("/api/v1/hotspots/places", &["get"]),
        ("/api/v1/campaigns", &["get", "post"]),
        ("/api/v1/campaigns/{id}", &["get"]),
        ("/api/v1/supervision/orders", &["get", "post"]),
        ("/api/v1/supervision/orders/{id}/reply", &["post"]),
        ("/api/v1/supervision/board", &["get"]),
        ("/api/v1/supervision/reminders", &["get"]),
        ("/api/v1/supervision/listings", &["get", "post"]),
        ("/api/v1/supervision/listings/{id}/checks", &["post"]),
        ("/api/v1/supervision/watches", &["get", "post"]),
        ("/api/v1/supervision/watches/{id}/stop", &["post"]),
        ("/api/v1/evaluation/indicators", &["get", "post"]),
        ("/api/v1/evaluation/points", &["get", "post"]),
        ("/api/v1/evaluation/rounds", &["get", "post"]),
        ("/api/v1/evaluation/rounds/{id}/points", &["get"]),
        ("/api/v1/evaluation/rounds/{id}/points/{point}", &["get"]),
        ("/api/v1/evaluation/rounds/{id}/points/{point}/answers", &["post"]),
        ("/api/v1/evaluation/scores", &["get"]),
        ("/api/v1/evaluation/health-report", &["get"]),
        ("/api/v1/evaluation/notice", &["get"]),
        ("/api/v1/evaluation/comments", &["put"]),
        ("/api/v1/questionnaires", &["get", "post"]),
        ("/api/v1/questionnaires/satisfaction", &["get"]),
        ("/api/v1/questionnaires/{id}", &["get"]),
        ("/api/v1/questionnaires/{id}/form", &["put"]),
        ("/api/v1/questionnaires/{id}/status", &["post"]),
        ("/api/v1/questionnaires/{id}/links", &["get"]),
        ("/api/v1/questionnaires/{id}/responses", &["post"]),
        ("/api/v1/public/questionnaires/{token}", &["get"]),
        ("/api/v1/public/questionnaires/{token}/responses", &["post"]),
        ("/api/v1/evaluation/reviews", &["get", "post"]),
        ("/api/v1/evaluation/reviews/{id}", &["get"]),
        ("/api/v1/evaluation/reviews/{id}/reminders", &["get"]),
        ("/api/v1/evaluation/reviews/{id}/submissions", &["post"]),
        ("/api/v1/evaluation/reviews/{id}/submissions/{submission}/files", &["post"]),
        ("/api/v1/evaluation/reviews/{id}/submissions/{submission}/score", &["put"]),
        ("/api/v1/evaluation/reviews/{id}/submissions/{submission}/settlement", &["put"]),
        ("/api/v1/ledger", &["get"]),
        ("/api/v1/ledger/{year}", &["get"]),
        ("/api/v1/ledger/{year}/summary", &["get"]),
        ("/api/v1/ledger/{year}/report", &["get"]),
        ("/api/v1/ledger/{year}/reminders", &["get"]),
        ("/api/v1/ledger/{year}/import", &["post"]),
        ("/api/v1/ledger/{year}/close", &["post"]),
        ("/api/v1/ledger/projects", &["post"]),
        ("/api/v1/ledger/projects/{id}", &["get"]),
        ("/api/v1/ledger/projects/{id}/actions", &["post"]),
        ("/api/v1/documents", &["get", "post"]),
        ("/api/v1/documents/preview", &["post"]),
        ("/api/v1/documents/{id}", &["get"]),
        ("/api/v1/documents/{id}/file", &["get"]),
        ("/api/v1/alleys", &["get"]),
        ("/api/v1/alleys/standard", &["get"]),
        ("/api/v1/alleys/ranking", &["get"]),
        ("/api/v1/alleys/patrol-board", &["get"]),
        ("/api/v1/alleys/mine", &["get"]),
        ("/api/v1/alleys/{id}", &["get"]),
        ("/api/v1/alleys/{id}/patrols", &["post"]),
        ("/api/v1/alleys/{id}/checks", &["post"]),
        ("/api/v1/evaluation/findings", &["get"]),
        ("/api/v1/evaluation/points/import", &["post"]),
        ("/api/v1/evaluation/rounds/{id}/points/{point}/photos", &["post"]),
        ("/api/v1/inbox", &["get"]),
        ("/api/v1/inbox/read", &["post"]),
    ];
    for (path, methods) in expected {
        let described: Vec<&str> = paths.get(path).and_then(Value::as_object).map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
        for method in methods {
            assert!(described.contains(method), "{method} {path} is described (described: {described:?})");
        }
    }
    assert_eq!(paths.len(), expected.len(), "a described path is missing from this list: {:?}", paths.keys().collect::<Vec<_>>());
    let parameter_names = |operation: &Value| -> Vec<String> {
        operation["parameters"].as_array().map(|ps| ps.iter().map(|p| p["name"].as_str().unwrap().to_owned()).collect()).unwrap_or_default()
    };
    let names = parameter_names(&doc["paths"]["/api/v1/cases"]["get"]);
    assert!(names.iter().any(|n| n == "overdue") && names.iter().any(|n| n == "page_size"), "{names:?}");
    let rankings = &doc["paths"]["/api/v1/rankings"]["get"];
    let names = parameter_names(rankings);
    assert!(names.iter().any(|n| n == "period") && names.iter().any(|n| n == "level"), "{names:?}");
    let period = rankings["parameters"].as_array().unwrap().iter().find(|p| p["name"] == "period").unwrap();
    assert_eq!(period["required"], json!(true), "the ranking needs a period: {period}");
    let names = parameter_names(&doc["paths"]["/api/v1/catalogue/{code}"]["get"]);
    assert!(names.iter().any(|n| n == "code") && names.iter().any(|n| n == "version"), "{names:?}");
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    // The public list of listings needs no sign-in, and says so; creating a listing does need it.
    let listings = &doc["paths"]["/api/v1/supervision/listings"];
    assert!(listings["get"]["security"].as_array().is_none_or(Vec::is_empty), "{}", listings["get"]);
    assert!(listings["get"]["responses"].get("401").is_none(), "{}", listings["get"]);
    assert!(listings["post"]["security"][0]["bearer"].is_array(), "{}", listings["post"]);
    assert!(listings["post"]["responses"]["401"].is_object(), "{}", listings["post"]);
    // Every described operation is served, and its security is true: without a session an
    // operation that claims the bearer token is refused for that (401), a public one is not.
    for (path, operations) in paths {
        for (method, operation) in operations.as_object().unwrap() {
            let needs_session = operation["security"].as_array().is_some_and(|s| !s.is_empty());
            let path = path.replace("{id}", "1").replace("{point}", "1").replace("{submission}", "1").replace("{code}", "S0102").replace("{file}", "catalogue.toml").replace("{subject}", "account:wj").replace("{year}", "2026").replace("{token}", "no-such-link");
            assert!(!path.contains('{'), "{path}: a path parameter without a value to try");
            let url = format!("{base}{path}");
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response = http.request(method.clone(), &url).header("content-type", "application/json").body("{}").send().await.unwrap();
            let status = response.status();
            // A public questionnaire link that does not exist is the handler's own 404.
            let unknown_link = path.contains("no-such-link") && status == StatusCode::NOT_FOUND;
            assert!(unknown_link || (status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED), "{method} {path}: {status}");
            assert_eq!(status == StatusCode::UNAUTHORIZED, needs_session, "{method} {path} without a session: {status}");
        }
    }
    let page = http.get(format!("{base}/api/v1/docs/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().to_lowercase().contains("swagger"));
}

#[tokio::test]
async fn open311_refuses_bad_bytes_nul_points_outside_the_city_and_endless_fields_in_the_spec_error_format() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in fresh_databases(dir.path()).await {
        let s = Server::start(engine, &url).await;
        let post_raw = |body: Vec<u8>| {
            let s = &s;
            async move {
                let response = s
                    .http
                    .post(format!("{}/open311/v2/requests.json", s.base))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body)
                    .send()
                    .await
                    .expect("a response");
                let status = response.status();
                let text = response.text().await.expect("a body");
                (status, serde_json::from_str::<Value>(&text).unwrap_or_else(|e| panic!("[{engine}] not JSON ({e}): {text}")))
            }
        };
        let form = |extra: &str| format!("api_key={KEY}&service_code=S0102&{extra}").into_bytes();

        // Bytes that are not UTF-8 were stored as U+FFFD; a NUL gave 500 on PostgreSQL.
        let mut not_utf8 = form("lat=39.99&long=116.47&description=");
        not_utf8.extend_from_slice(b"%FF%FE%E6%9C");
        let description = s.refused("invalid UTF-8", &post_raw(not_utf8).await, 422);
        assert!(description.contains("description") && description.contains("UTF-8"), "[{engine}] {description}");
        let description = s.refused("a NUL", &post_raw(form("lat=39.99&long=116.47&description=a%00b")).await, 422);
        assert!(description.contains("description") && description.contains("NUL"), "[{engine}] {description}");
        let (status, _) = s.get("/open311/v2/requests.json?service_code=%00").await;
        assert_eq!(status.as_u16(), 422, "[{engine}] a NUL in the query");

        // Points outside the city (here the Gulf of Guinea) file no case without a region.
        for point in ["lat=-0&long=-0", "lat=0&long=0", "lat=31.23&long=121.47"] {
            let description = s.refused(point, &post_raw(form(&format!("{point}&description=x"))).await, 400);
            assert!(description.contains("outside the city"), "[{engine}] {point}: {description}");
        }

        // Unknown fields are ignored, but not thousands of them.
        let many: String = (0..200).map(|i| format!("extra{i}=x")).collect::<Vec<_>>().join("&");
        let description = s.refused("200 unknown fields", &post_raw(form(&format!("lat=39.99&long=116.47&description=x&{many}"))).await, 400);
        assert!(description.contains("fields"), "[{engine}] {description}");
        let (status, _) = s.get(&format!("/open311/v2/requests.json?{many}")).await;
        assert_eq!(status.as_u16(), 400, "[{engine}] 200 fields in the query");
        let (status, _) = s.get("/open311/v2/requests.json?extra1=x&extra2=y").await;
        assert_eq!(status.as_u16(), 200, "[{engine}] a few unknown fields are still ignored");

        assert_eq!(s.store.cases().count().await.unwrap(), 0, "[{engine}] nothing filed");
        let _ = s.stop.map(|stop| stop.send(()));
    }
}
