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
    /// The attachments' directory (PostgreSQL has none beside its database).
    _files: tempfile::TempDir,
}

impl TestServer {
    pub async fn start(db_url: &str) -> TestServer {
        TestServer::start_with(db_url, None).await
    }

    /// The server speaking HTTPS with `tls`, at `https://localhost:PORT`, and a client that
    /// trusts `root` (the PEM certificate the server's chain ends in).
    pub async fn start_tls(db_url: &str, tls: gridline_server::Tls, root: &str) -> TestServer {
        TestServer::start_with(db_url, Some((tls, root))).await
    }

    async fn start_with(db_url: &str, tls: Option<(gridline_server::Tls, &str)>) -> TestServer {
        let files = tempfile::tempdir().expect("a files directory");
        let store = Store::open(db_url).await.unwrap_or_else(|e| panic!("open {db_url}: {e}")).with_files_dir(files.path());
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
        let mut app = Application::build(store.clone(), "127.0.0.1:0".parse().expect("address")).await.expect("build the server");
        let mut http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
        let base = match tls {
            None => format!("http://127.0.0.1:{}", app.port()),
            Some((tls, root)) => {
                app = app.with_tls(tls);
                let root = reqwest::Certificate::from_pem(root.as_bytes()).expect("a PEM certificate");
                http = http.use_rustls_tls().tls_built_in_root_certs(false).add_root_certificate(root).resolve("localhost", ([127, 0, 0, 1], 0).into());
                format!("https://localhost:{}", app.port())
            }
        };
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(app.run_until(async move {
            let _ = stopped.await;
        }));
        let http = http.build().expect("client");
        TestServer { base, http, store, stop: Some(stop), _files: files }
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

    /// Uploads `(part, file name, bytes)` to a case at `stage` as a multipart form; the status
    /// and the answer.
    pub async fn upload(&self, token: &str, id: i64, stage: Option<&str>, files: &[(&str, &str, &[u8])]) -> (u16, Value) {
        let (content_type, body) = multipart(stage, files);
        let answer = self
            .http
            .post(self.url(&format!("/api/v1/cases/{id}/attachments")))
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .expect("upload");
        let status = answer.status().as_u16();
        (status, answer.json().await.unwrap_or(Value::Null))
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

    /// Registers an alley in 望京 (a line of about 170 m east of its label point) and makes
    /// `steward` its 小巷管家; returns its id.
    pub async fn alley_with_steward(&self, code: &str, name: &str, steward: &str) -> i64 {
        let regions = std::sync::Arc::new(gridline_geo::beijing());
        let (lat, lon) = regions.get(WANGJING).and_then(|r| r.label_point).expect("望京 has a label point");
        let app = gridline_app::App::new(self.store.clone(), regions.clone(), &Default::default()).await.expect("the application");
        let office = self.store.people().user_by_name("dispatcher").await.unwrap().expect("the dispatcher").actor();
        let steward = self.store.people().user_by_name(steward).await.unwrap().expect("the steward").actor();
        let alley = gridline_core::alley::NewAlley {
            code: code.into(),
            name: name.into(),
            line: vec![gridline_core::case::GeoPoint { lat, lon }, gridline_core::case::GeoPoint { lat, lon: lon + 0.002 }],
            community: None,
            grade: gridline_core::alley::Grade::Fine,
            unit: None,
            four: Default::default(),
            title_named_in: None,
        };
        let alley = app.import_alleys(&office, vec![(2, Ok(alley))], Timestamp::now()).await.expect("register the alley")[0].point.id;
        app.assign_stewards(&office, &[(alley, steward.user_id)]).await.expect("assign the steward");
        alley
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.store.clone().close().await;
    }
}

/// A `multipart/form-data` body with a `stage` field and file parts: the content type and bytes.
pub fn multipart(stage: Option<&str>, files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "gridline-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    if let Some(stage) = stage {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"stage\"\r\n\r\n{stage}\r\n").as_bytes());
    }
    for (part, name, bytes) in files {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{part}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A JPEG of `width` × `height` (a gradient, so that it is not uniform) carrying an EXIF block
/// that says "rotate 90° clockwise to show" (orientation 6) and a GPS position (39.9 N), as a
/// phone's camera writes.
pub fn phone_photo(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90).encode_image(&image).expect("encode");
    // TIFF, big-endian: IFD0 with Orientation = 6 and a GPS IFD pointer; the GPS IFD with
    // GPSLatitudeRef = "N" and GPSLatitude = 39/1, 54/1, 0/1.
    let mut tiff: Vec<u8> = b"MM\0\x2a\0\0\0\x08".to_vec();
    let entry = |tag: u16, kind: u16, count: u32, value: u32| [tag.to_be_bytes().as_slice(), &kind.to_be_bytes(), &count.to_be_bytes(), &value.to_be_bytes()].concat();
    let gps_ifd = 8 + 2 + 2 * 12 + 4;
    tiff.extend(2u16.to_be_bytes());
    tiff.extend(entry(0x0112, 3, 1, 6 << 16));
    tiff.extend(entry(0x8825, 4, 1, gps_ifd));
    tiff.extend(0u32.to_be_bytes());
    let rationals = gps_ifd + 2 + 2 * 12 + 4;
    tiff.extend(2u16.to_be_bytes());
    tiff.extend(entry(0x0001, 2, 2, u32::from_be_bytes(*b"N\0\0\0")));
    tiff.extend(entry(0x0002, 5, 3, rationals));
    tiff.extend(0u32.to_be_bytes());
    for (n, d) in [(39u32, 1u32), (54, 1), (0, 1)] {
        tiff.extend(n.to_be_bytes());
        tiff.extend(d.to_be_bytes());
    }
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff);
    let length = u16::try_from(app1.len() + 2).expect("a small EXIF block");
    let mut out = jpeg[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(length.to_be_bytes());
    out.extend(app1);
    out.extend(&jpeg[2..]);
    out
}
