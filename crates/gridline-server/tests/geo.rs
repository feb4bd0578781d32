//! `/api/v1/geo/…` and the case intake's placement, over HTTP on every test engine.

use gridline_core::actor::Role;
use gridline_core::unit::{Unit, UnitKind};
use gridline_geo::{Crs, LatLon};
use gridline_app::passwords::hash_password;
use gridline_server::Application;
use gridline_store::testing::fresh_databases;
use gridline_store::{NewUser, Store};
use jiff::Timestamp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const PASSWORD: &str = "Wangjing-2024!";
const WANGJING: &str = "110105026000";
/// A point in 望京 (WGS-84), near 望京SOHO.
const IN_WANGJING: LatLon = LatLon { lat: 39.9967, lon: 116.4707 };

struct Client {
    base: String,
    http: reqwest::Client,
    tokens: std::collections::HashMap<&'static str, String>,
    engine: &'static str,
}

impl Client {
    async fn start(engine: &'static str, url: &str) -> (Client, tokio::sync::oneshot::Sender<()>) {
        let store = Store::open(url).await.unwrap();
        let now = Timestamp::now();
        let unit = Unit { code: "CY-WJ".parse().unwrap(), name: "望京街道办事处".into(), kind: UnitKind::StreetOffice, regions: vec![WANGJING.into()], types: vec![] };
        store.people().put_unit(&unit, now).await.unwrap();
        let hash = hash_password(PASSWORD).unwrap();
        let users = [("operator", Role::HotlineOperator, None), ("grid", Role::GridWorker, Some("CY-WJ")), ("dispatcher", Role::Dispatcher, None)];
        for (username, role, unit) in users {
            let user = NewUser { username: username.into(), display_name: username.into(), role, unit: unit.map(|c| c.parse().unwrap()), password_hash: hash.clone() };
            store.people().create_user(&user, now).await.unwrap();
        }
        let app = Application::build(store, "127.0.0.1:0".parse().unwrap()).await.unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.run_until(async move {
            let _ = stopped.await;
        }));
        let http = reqwest::Client::new();
        let mut tokens = std::collections::HashMap::new();
        for (username, _, _) in users {
            let answer: Value = http
                .post(format!("{base}/api/v1/session"))
                .json(&json!({"username": username, "password": PASSWORD}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            tokens.insert(username, answer["token"].as_str().unwrap().to_owned());
        }
        (Client { base, http, tokens, engine }, stop)
    }

    async fn call(&self, method: Method, path: &str, user: Option<&str>, body: Option<&Value>) -> (StatusCode, Value, String) {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(user) = user {
            request = request.bearer_auth(&self.tokens[user]);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("[{}] {path}: not JSON ({e}): {text}", self.engine)), content_type)
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let (status, body, _) = self.call(Method::GET, path, Some("operator"), None).await;
        (status, body)
    }

    async fn geocode(&self, address: &str) -> Value {
        let request = self.http.get(format!("{}/api/v1/geo/geocode", self.base)).query(&[("address", address)]);
        let response = request.bearer_auth(&self.tokens["operator"]).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "[{}] {address}", self.engine);
        response.json().await.unwrap()
    }

    fn refused(&self, what: &str, answer: &(StatusCode, Value), status: u16, field: Option<&str>) {
        assert_eq!(answer.0.as_u16(), status, "[{}] {what}: {}", self.engine, answer.1);
        assert!(answer.1["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "[{}] {what}: {}", self.engine, answer.1);
        if let Some(field) = field {
            assert_eq!(answer.1["error"]["field"], field, "[{}] {what}: {}", self.engine, answer.1);
        }
    }

    async fn file(&self, user: &str, body: Value) -> Value {
        let (status, case, _) = self.call(Method::POST, "/api/v1/cases", Some(user), Some(&body)).await;
        assert_eq!(status, StatusCode::CREATED, "[{}] {body}: {case}", self.engine);
        case
    }
}

#[tokio::test]
async fn geo_endpoints_answer_and_refuse_precisely_and_the_intake_places_new_cases() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in fresh_databases(dir.path()).await {
        let (c, stop) = Client::start(engine, &url).await;

        // Locate, in each coordinate system, and outside Beijing.
        let (status, here) = c.get(&format!("/api/v1/geo/locate?lat={}&lon={}", IN_WANGJING.lat, IN_WANGJING.lon)).await;
        assert_eq!(status, StatusCode::OK, "[{engine}] {here}");
        assert_eq!((here["district"]["name"].as_str(), here["street"]["code"].as_str()), (Some("朝阳区"), Some(WANGJING)), "[{engine}] {here}");
        for crs in [Crs::Gcj02, Crs::Bd09] {
            let p = crs.from_wgs84(IN_WANGJING);
            let (_, there) = c.get(&format!("/api/v1/geo/locate?lat={}&lon={}&crs={}", p.lat, p.lon, crs.as_str())).await;
            assert_eq!(there["street"]["code"], WANGJING, "[{engine}] {crs:?}: {there}");
        }
        let (status, shanghai) = c.get("/api/v1/geo/locate?lat=31.23&lon=121.47").await;
        assert_eq!((status, &shanghai["inside"], &shanghai["street"]), (StatusCode::OK, &json!(false), &Value::Null), "[{engine}]");
        for (query, field) in [("lat=abc&lon=116.4", "lat"), ("lat=95&lon=116.4", "lat"), ("lat=39.9", "lon"), ("lat=39.9&lon=NaN", "lon"), ("lat=39.9&lon=116.4&crs=mercator", "crs")] {
            c.refused(query, &c.get(&format!("/api/v1/geo/locate?{query}")).await, 422, Some(field));
        }
        c.refused("unknown parameter", &c.get("/api/v1/geo/locate?lat=39.9&lon=116.4&zoom=3").await, 400, None);
        let (status, body, _) = c.call(Method::GET, "/api/v1/geo/locate?lat=39.9&lon=116.4", None, None).await;
        c.refused("no token", &(status, body), 401, None);

        // Geocode.
        let answer = c.geocode("朝阳区望京街道阜通东大街6号").await;
        assert_eq!(answer["street"]["code"], WANGJING, "[{engine}] {answer}");
        assert!(answer["confidence"].as_f64().unwrap() > 0.8 && answer["candidates"].is_array(), "[{engine}] {answer}");
        let long = "路".repeat(301);
        for (query, field) in [("address=", "address"), ("", "address"), (&*format!("address={long}"), "address"), ("address=x&threshold=2", "threshold")] {
            c.refused(query, &c.get(&format!("/api/v1/geo/geocode?{query}")).await, 422, Some(field));
        }

        // Boundaries for the web map.
        for (file, features, max_bytes) in [("districts", 16, 300_000), ("streets", 343, 1_000_000)] {
            let response = c.http.get(format!("{}/api/v1/geo/{file}.geojson", c.base)).bearer_auth(&c.tokens["operator"]).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(response.headers()["content-type"], "application/geo+json");
            let text = response.text().await.unwrap();
            assert!(text.len() < max_bytes, "[{engine}] {file}: {} bytes", text.len());
            let doc: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(doc["features"].as_array().unwrap().len(), features, "[{engine}] {file}");
        }

        // The intake: an address alone places the case when it names the street; a road named
        // after a street places it in the district only; a GPS point places it in its street.
        let by_address = c.file("operator", json!({"channel": "hotline", "description": "门口暴露垃圾", "address": "朝阳区望京街道阜通东大街6号"})).await;
        assert_eq!(by_address["region"], WANGJING, "[{engine}] {by_address}");
        let by_road = c.file("operator", json!({"channel": "hotline", "description": "路面破损", "address": "海淀区羊坊店路11号"})).await;
        assert_eq!(by_road["region"], "110108000000", "[{engine}] {by_road}");
        let unknown = c.file("operator", json!({"channel": "hotline", "description": "噪音扰民", "address": "小区门口"})).await;
        assert_eq!(unknown["region"], Value::Null, "[{engine}] {unknown}");
        let given = c.file("operator", json!({"channel": "hotline", "description": "井盖缺失", "region": "110101001000", "address": "朝阳区望京街道"})).await;
        assert_eq!(given["region"], "110101001000", "[{engine}] a region given is kept: {given}");
        // A grid worker's GPS case teaches the gazetteer its address (a road per engine: what one
        // engine's server learned stays in this process's gazetteer).
        let road = if engine == "sqlite" { "广顺北大街" } else { "宏昌路" };
        let before = c.geocode(&format!("{road}33号")).await;
        assert_eq!(before["street"], Value::Null, "[{engine}] {road} is not a region name: {before}");
        let gps = c
            .file("grid", json!({"channel": "grid", "description": "共享单车乱停放", "address": format!("朝阳区{road}33号"),
                                  "location": {"lat": IN_WANGJING.lat, "lon": IN_WANGJING.lon}}))
            .await;
        assert_eq!(gps["region"], WANGJING, "[{engine}] {gps}");
        let after = c.geocode(&format!("{road}8号")).await;
        assert_eq!(after["street"]["code"], WANGJING, "[{engine}] learned: {after}");
        let far = c.file("grid", json!({"channel": "grid", "description": "外地", "location": {"lat": 31.23, "lon": 121.47}})).await;
        assert_eq!(far["region"], Value::Null, "[{engine}] {far}");

        // Teaching the gazetteer directly.
        let lesson = json!({"address": "朝阳区望京东园四区", "lat": IN_WANGJING.lat, "lon": IN_WANGJING.lon});
        let (status, taught, _) = c.call(Method::POST, "/api/v1/geo/addresses", Some("dispatcher"), Some(&lesson)).await;
        assert_eq!((status, &taught["learned"], &taught["street"]["code"]), (StatusCode::OK, &json!(true), &json!(WANGJING)), "[{engine}] {taught}");
        let (status, body, _) = c.call(Method::POST, "/api/v1/geo/addresses", Some("operator"), Some(&lesson)).await;
        c.refused("an operator teaches", &(status, body), 403, None);
        for (body, field) in [
            (json!({"address": "上海", "lat": 31.23, "lon": 121.47}), Some("lat")),
            (json!({"address": " ", "lat": IN_WANGJING.lat, "lon": IN_WANGJING.lon}), Some("address")),
            (json!({"address": "x", "lat": 91.0, "lon": 116.4}), Some("lat")),
            (json!({"address": "x", "lat": 39.9, "lon": 116.4, "crs": "utm"}), Some("crs")),
            (json!({"address": "x", "lat": 39.9, "lon": 116.4, "note": 1}), None),
        ] {
            let (status, answer, _) = c.call(Method::POST, "/api/v1/geo/addresses", Some("dispatcher"), Some(&body)).await;
            c.refused(&body.to_string(), &(status, answer), 422, field);
        }
        let _ = stop.send(());
    }
}
