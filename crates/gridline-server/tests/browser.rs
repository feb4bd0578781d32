//! Browser tests: Debian's Chromium, driven through chromedriver (W3C WebDriver over HTTP),
//! against the real server on a free port. Each role signs in and does its part of one case's
//! closed loop from its own page — the operator files it from the form, the dispatcher
//! dispatches it, the unit accepts and handles it, the grid worker verifies it, the operator
//! records the call-back — and a wrong role is turned away. Screenshots of the main pages go to
//! `target/screenshots/`, and to `docs/screenshots/` when `GRIDLINE_UPDATE_SCREENSHOTS=1`.
//!
//! In CI (`CI` set) a missing Chromium fails the test; elsewhere it is skipped with a message.
//! The WebDriver calls are a handful of JSON requests, made with reqwest rather than a client
//! crate: the few this test needs do not justify another dependency tree.

mod web_support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use reqwest::Method;
use serde_json::{Value, json};
use web_support::{CHAOYANG, DONGHUAMEN, TestServer, WANGJING};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long a page may take to show what a step waits for.
const PATIENCE: Duration = Duration::from_secs(20);

/// chromedriver, killed when dropped.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One browser session.
struct Browser {
    http: reqwest::Client,
    session: String,
    base: String,
    shots: Vec<PathBuf>,
}

impl Browser {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut request = self.http.request(method.clone(), &url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request.send().await.expect("chromedriver answers").json().await.expect("WebDriver JSON");
        if let Some(error) = answer["value"]["error"].as_str() {
            panic!("WebDriver {method} {path}: {error}: {}", answer["value"]["message"]);
        }
        answer["value"].clone()
    }

    async fn goto(&self, url: &str) {
        self.call(Method::POST, "/url", Some(json!({"url": url}))).await;
    }

    /// Runs `script` (its `arguments` are `args`) in the page and returns what it returns.
    async fn run(&self, script: &str, args: Value) -> Value {
        self.call(Method::POST, "/execute/sync", Some(json!({"script": script, "args": args}))).await
    }

    /// Waits until `script` returns something truthy, and returns it.
    async fn until(&self, what: &str, script: &str, args: Value) -> Value {
        let start = Instant::now();
        loop {
            let value = self.run(script, args.clone()).await;
            if !(value.is_null() || value == json!(false) || value == json!("") || value == json!(0)) {
                return value;
            }
            if start.elapsed() > PATIENCE {
                let text = self.run("return document.body.innerText.slice(0, 2000)", json!([])).await;
                panic!("waited {PATIENCE:?} for {what}; the page shows:\n{}", text.as_str().unwrap_or_default());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the page has drawn `view`.
    async fn ready(&self, view: &str) {
        self.until(&format!("the {view} page"), "return document.querySelector(`main[data-ready='${arguments[0]}']`) !== null", json!([view]))
            .await;
    }

    /// The element matching `css`, once it is there.
    async fn find(&self, css: &str) -> String {
        self.until(&format!("an element {css}"), "return document.querySelector(arguments[0]) !== null", json!([css])).await;
        let element = self.call(Method::POST, "/element", Some(json!({"using": "css selector", "value": css}))).await;
        // The W3C element reference is the one value of the object, whatever its key.
        element.as_object().and_then(|o| o.values().next()).and_then(Value::as_str).expect("an element reference").to_owned()
    }

    async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.call(Method::POST, &format!("/element/{element}/click"), Some(json!({}))).await;
    }

    async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.call(Method::POST, &format!("/element/{element}/value"), Some(json!({"text": text}))).await;
    }

    /// Chooses `value` in the select `css` as a user would (the page hears the change).
    async fn choose(&self, css: &str, value: &str) {
        self.find(css).await;
        self.until(
            &format!("option {value} in {css}"),
            "return document.querySelector(`${arguments[0]} option[value='${arguments[1]}']`) !== null",
            json!([css, value]),
        )
        .await;
        self.run(
            "const s = document.querySelector(arguments[0]); s.value = arguments[1]; s.dispatchEvent(new Event('change', {bubbles: true}));",
            json!([css, value]),
        )
        .await;
    }

    async fn text(&self, css: &str) -> String {
        self.find(css).await;
        self.run("return document.querySelector(arguments[0]).innerText", json!([css])).await.as_str().unwrap_or_default().to_owned()
    }

    async fn sign_in(&mut self, server: &TestServer, user: &str, view: &str) {
        self.goto(&server.url("/login")).await;
        self.ready("login").await;
        self.type_into("#username", user).await;
        self.type_into("#password", web_support::PASSWORD).await;
        self.click("#login-form button[type=submit]").await;
        self.ready(view).await;
    }

    async fn sign_out(&self) {
        self.click("#sign-out").await;
        self.ready("login").await;
    }

    async fn window(&self, width: u32, height: u32) {
        self.call(Method::POST, "/window/rect", Some(json!({"width": width, "height": height}))).await;
    }

    /// Saves a screenshot of the page as `name`.png; waits a moment so that charts have drawn.
    async fn screenshot(&mut self, name: &str) {
        tokio::time::sleep(Duration::from_millis(600)).await;
        let data = self.call(Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD.decode(data.as_str().expect("base64 PNG")).expect("PNG bytes");
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot directory");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, &png).expect("write the screenshot");
        self.shots.push(path);
    }

    /// Copies the screenshots taken to `docs/screenshots/` when `GRIDLINE_UPDATE_SCREENSHOTS` is set.
    fn publish_screenshots(&self) {
        if std::env::var_os("GRIDLINE_UPDATE_SCREENSHOTS").is_some() {
            let docs = workspace_root().join("docs/screenshots");
            std::fs::create_dir_all(&docs).expect("docs/screenshots");
            for shot in &self.shots {
                std::fs::copy(shot, docs.join(shot.file_name().expect("a name"))).expect("copy a screenshot");
            }
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn screenshot_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace_root().join("target"), PathBuf::from).join("screenshots")
}

/// Where the browser of `profile` saves downloads.
fn downloads_of(profile: &Path) -> PathBuf {
    profile.with_file_name("downloads")
}

/// Waits for the one finished download in `dir` (Chromium writes `*.crdownload` until done) and
/// returns its name and bytes.
async fn downloaded(dir: &Path) -> (String, Vec<u8>) {
    let start = Instant::now();
    loop {
        let names: Vec<String> = std::fs::read_dir(dir)
            .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        // Chromium writes a download under a hidden temporary name (`.org.chromium.Chromium.…`)
        // or `….crdownload`, then renames it: only the final name is the finished file.
        if let [name] = names.as_slice()
            && !name.starts_with('.')
            && !name.ends_with(".crdownload")
            && let Ok(bytes) = std::fs::read(dir.join(name))
            && !bytes.is_empty()
        {
            return (name.clone(), bytes);
        }
        assert!(start.elapsed() < PATIENCE, "no download in {} after {PATIENCE:?}: {names:?}", dir.display());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Empties the downloads directory before the next one.
fn clear_downloads(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("the downloads directory");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("address").port()
}

/// Starts chromedriver and a headless Chromium session; `None` (skip) outside CI when either is
/// missing.
async fn launch(profile: &Path) -> Option<(Driver, Browser)> {
    if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{CHROMIUM} and {CHROMEDRIVER} are needed in CI (.ci/run installs the chromium and chromium-driver packages)"
        );
        eprintln!("browser tests skipped: install Debian's chromium and chromium-driver to run them");
        return None;
    }
    let port = free_port();
    let driver = Driver(
        Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let start = Instant::now();
    while http.get(format!("{base}/status")).send().await.is_err() {
        assert!(start.elapsed() < PATIENCE, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let capabilities = json!({"capabilities": {"alwaysMatch": {
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "prefs": {"download.default_directory": downloads_of(profile).display().to_string(), "download.prompt_for_download": false},
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-dev-shm-usage", format!("--user-data-dir={}", profile.display()),
                     "--window-size=1366,768", "--lang=zh-CN"],
        },
    }}});
    let answer: Value = http.post(format!("{base}/session")).json(&capabilities).send().await.expect("new session").json().await.expect("JSON");
    let session = answer["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no browser session: {answer}")).to_owned();
    Some((driver, Browser { http, session, base, shots: Vec::new() }))
}

#[tokio::test]
async fn every_role_does_its_part_of_the_closed_loop_in_the_browser_and_a_wrong_role_is_turned_away() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some((_driver, mut b)) = launch(&dir.path().join("chromium-profile")).await else { return };
    let s = TestServer::start(&format!("sqlite://{}?mode=rwc", dir.path().join("gridline.db").display())).await;
    let admin = s.token("admin").await;
    // A few cases for the queues and the dashboard to show.
    let operator_token = s.token("operator").await;
    for (category, region, text) in [
        ("S0102", WANGJING, "望京西园三区楼下垃圾桶满溢"),
        ("S0102", DONGHUAMEN, "东华门大街路边垃圾堆放"),
        ("S0102", WANGJING, "阜安西路人行道积存垃圾"),
    ] {
        s.file(&operator_token, category, region, text).await;
    }

    // Hotline operator: files the ticket from the form.
    b.sign_in(&s, "operator", "operator").await;
    // The page loaded the shared modules and the operator's, not another role's (docs/web.md, Structure).
    let modules = b
        .run("return performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => p.startsWith('/assets/js-')).map((p) => p.split('/').pop()).sort()", json!([]))
        .await;
    let modules: Vec<&str> = modules.as_array().expect("a list").iter().filter_map(Value::as_str).collect();
    assert!(["main.js", "router.js", "dom.js", "operator.js"].iter().all(|m| modules.contains(m)), "{modules:?}");
    assert!(!modules.iter().any(|m| ["ledger.js", "admin.js", "dispatcher.js", "documents.js"].contains(m)), "{modules:?}");
    b.type_into("#caller_name", "张先生").await;
    b.type_into("#caller_phone", "13812345678").await;
    b.type_into("#description", "望京街道阜通东大街6号门口暴露垃圾，两天没人清运").await;
    b.choose("#category", "S0102").await;
    b.choose("#new-district", "110105000000").await;
    b.choose("#new-street", WANGJING).await;
    b.type_into("#address", "阜通东大街6号").await;
    // The caller's earlier cases appear once the phone number is complete.
    b.run("document.querySelector('#caller_phone').dispatchEvent(new Event('change'))", json!([])).await;
    b.until("the caller's history", "return document.querySelectorAll('#caller-history tr[data-case]').length", json!([])).await;
    b.screenshot("operator").await;
    b.click("#file-case").await;
    let filed = b.text("#new-case-result a").await;
    let id: i64 = filed.trim_start_matches('#').parse().unwrap_or_else(|_| panic!("a case link, not {filed:?}"));
    let (_, case) = s.api(Method::GET, &format!("/api/v1/cases/{id}"), &admin, None).await;
    assert_eq!(case["status"], "received");
    assert_eq!(case["region"], WANGJING);
    assert_eq!(case["reporter"]["phone"], "13812345678");
    // A wrong role is turned away from another role's page, by the server.
    b.goto(&s.url("/dispatcher")).await;
    b.ready("forbidden").await;
    b.sign_out().await;

    // Dispatcher: the queue suggests the street office; one click registers and dispatches.
    b.sign_in(&s, "dispatcher", "dispatcher").await;
    let row = format!("tr[data-case='{id}']");
    b.find(&row).await;
    b.until("the suggested unit", "return document.querySelector(arguments[0]).value", json!([format!("#unit-{id}")])).await;
    assert_eq!(b.run("return document.querySelector(arguments[0]).value", json!([format!("#unit-{id}")])).await, "CY-WJ");
    // The units covering the case's street come first, the other units after them.
    let groups = b
        .run("return [...document.querySelectorAll(arguments[0])].map((g) => [g.label, [...g.querySelectorAll('option')].map((o) => o.value)])", json!([format!("#unit-{id} optgroup")]))
        .await;
    assert_eq!(groups[0][0], "负责本区域的单位", "{groups}");
    assert!(groups[0][1].as_array().expect("options").iter().any(|v| v == "CY-WJ"), "{groups}");
    assert!(!groups[1][1].as_array().expect("options").iter().any(|v| v == "CY-WJ"), "{groups}");
    b.screenshot("dispatcher").await;
    b.click(&format!("button[data-dispatch='{id}']")).await;
    b.until("the row to leave the queue", "return document.querySelector(arguments[0]) === null", json!([row])).await;
    let (_, case) = s.api(Method::GET, &format!("/api/v1/cases/{id}"), &admin, None).await;
    assert_eq!((case["status"].as_str(), case["unit"].as_str()), (Some("dispatched"), Some("CY-WJ")));
    b.sign_out().await;

    // Handling unit: accepts, then reports it handled.
    b.sign_in(&s, "wj", "unit").await;
    b.click(&format!("button[data-accept='{id}']")).await;
    b.find(&format!("form[data-handle='{id}']")).await;
    b.screenshot("unit").await;
    b.type_into(&format!("#feedback-{id}"), "已安排保洁清运，现场已清理干净").await;
    b.click(&format!("form[data-handle='{id}'] button[type=submit]")).await;
    b.until("the handled case to leave the queue", "return document.querySelector(arguments[0]) === null && document.querySelector('main[data-ready]')", json!([row])).await;
    let (_, case) = s.api(Method::GET, &format!("/api/v1/cases/{id}"), &admin, None).await;
    assert_eq!(case["status"], "handled");
    // The unit may not open the dispatcher's page either.
    b.goto(&s.url("/dispatcher")).await;
    b.ready("forbidden").await;
    b.sign_out().await;

    // Grid worker: verifies the fix on site.
    b.sign_in(&s, "grid", "grid").await;
    b.find(&format!("{row} button[data-verify='pass']")).await;
    b.screenshot("grid").await;
    b.click(&format!("{row} button[data-verify='pass']")).await;
    b.until("the verified case to leave the queue", "return document.querySelector(arguments[0]) === null", json!([row])).await;
    let (_, case) = s.api(Method::GET, &format!("/api/v1/cases/{id}"), &admin, None).await;
    assert_eq!(case["status"], "closed");
    // On a phone screen the report form is still there and usable.
    b.window(390, 844).await;
    b.goto(&s.url("/grid")).await;
    b.ready("grid").await;
    b.find("#report-form #report-case").await;
    b.screenshot("grid-phone").await;
    b.window(1366, 768).await;
    b.sign_out().await;

    // Operator: records the call-back.
    b.sign_in(&s, "operator", "operator").await;
    let callback = format!("form[data-callback='{id}']");
    b.choose(&format!("#satisfaction-{id}"), "satisfied").await;
    b.click(&format!("{callback} button[type=submit]")).await;
    b.until("the called-back case to leave the queue", "return document.querySelector(arguments[0]) === null", json!([callback])).await;
    let (_, case) = s.api(Method::GET, &format!("/api/v1/cases/{id}"), &admin, None).await;
    assert_eq!(case["status"], "called_back");
    assert_eq!(case["callback"]["satisfaction"], "satisfied");

    // The case page: the whole timeline, the clock, no further actions.
    b.goto(&s.url(&format!("/cases/{id}"))).await;
    b.ready("case").await;
    let steps = b.run("return document.querySelectorAll('#timeline li').length", json!([])).await;
    assert_eq!(steps, 7, "receive, register, dispatch, accept, handle, verify, call-back");
    let timeline = b.text("#timeline").await;
    for word in ["受理", "立案", "派遣", "签收", "办结反馈", "核查", "回访"] {
        assert!(timeline.contains(word), "the timeline names {word}: {timeline}");
    }
    assert!(b.text("#sla-clock").await.contains("时限"));
    b.screenshot("case").await;
    // English, remembered across pages.
    b.click("#lang-toggle").await;
    b.until("English", "return document.documentElement.lang === 'en'", json!([])).await;
    b.goto(&s.url("/operator")).await;
    b.ready("operator").await;
    assert!(b.text("h1").await.contains("Hotline desk"));
    b.click("#lang-toggle").await;
    b.until("Chinese", "return document.documentElement.lang === 'zh-CN'", json!([])).await;
    b.sign_out().await;

    // Supervisor: the board with the overdue list, the month's ranking and frequent problems;
    // lists a place (挂牌督办) and checks it, declares a campaign and puts a place on watch, all
    // from the page; may not open the operator's form.
    b.sign_in(&s, "supervisor", "supervisor").await;
    b.find("#kpis").await;
    b.find("#ranking").await;
    b.until("this month's frequent problems", "return document.querySelector('#hot-problems')?.textContent.includes('S0102') === true", json!([])).await;
    b.run("document.querySelector('#ranking').scrollIntoView()", json!([])).await;
    b.screenshot("supervisor").await;
    // The forms sit in closed <details>; a redraw after each submit closes them again.
    let open_forms = async || b.run("document.querySelectorAll('main details').forEach((d) => { d.open = true; })", json!([])).await;
    open_forms().await;
    let set_value = "const e = document.querySelector(arguments[0]); e.value = arguments[1]; e.dispatchEvent(new Event('input', {bubbles: true}));";
    let beijing = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap());
    let tomorrow = beijing.date().tomorrow().unwrap().to_string();
    b.choose("#listing-kind", "place").await;
    b.type_into("#listing-target", "阜通东大街6号").await;
    b.type_into("#listing-name", "阜通东大街6号门前").await;
    b.type_into("#listing-reason", "暴露垃圾反复出现").await;
    b.run(set_value, json!(["#listing-deadline", tomorrow])).await;
    b.click("#new-listing button[type=submit]").await;
    b.until("the listing on the list", "return document.querySelectorAll('#listings tbody tr').length === 1", json!([])).await;
    open_forms().await;
    b.type_into("form[data-check] input[id^='check-note']", "仍有堆物").await;
    b.click("form[data-check] button[type=submit]").await;
    b.until("the failed check counted", "return document.querySelector('#listings tbody tr td:nth-child(5)')?.textContent === '1'", json!([])).await;
    let (_, public) = s.api(Method::GET, "/api/v1/supervision/listings?open=true", &admin, None).await;
    assert_eq!(public["items"][0]["checks"][0]["passed"], false, "{public}");
    open_forms().await;
    let month = beijing.strftime("%Y-%m").to_string();
    b.type_into("#campaign-theme", "暴露垃圾专项整治").await;
    b.type_into("#campaign-entries", "S01").await;
    b.run(set_value, json!(["#campaign-first", month])).await;
    b.run(set_value, json!(["#campaign-last", month])).await;
    b.click("#new-campaign button[type=submit]").await;
    b.until("the campaign with its effect", "return document.querySelector('#campaigns tbody tr')?.textContent.includes('暴露垃圾专项整治') === true", json!([])).await;
    open_forms().await;
    b.choose("#watch-district", "110105000000").await;
    b.choose("#watch-street", WANGJING).await;
    b.type_into("#watch-place", "望京SOHO北侧").await;
    b.choose("#watch-category", "S0102").await;
    b.click("#new-watch button[type=submit]").await;
    b.until("the watch on the list", "return document.querySelectorAll('#watches tbody tr').length === 1", json!([])).await;
    let (_, watches) = s.api(Method::GET, "/api/v1/supervision/watches?active=true", &admin, None).await;
    assert_eq!((watches["items"][0]["place"].as_str(), watches["items"][0]["region"].as_str()), (Some("望京SOHO北侧"), Some(WANGJING)), "{watches}");
    // A refusal is shown, not swallowed: a listing whose deadline has passed.
    open_forms().await;
    b.type_into("#listing-target", "东华门大街").await;
    b.type_into("#listing-name", "东华门大街").await;
    b.type_into("#listing-reason", "占道经营").await;
    b.run(set_value, json!(["#listing-deadline", "2020-01-01"])).await;
    b.click("#new-listing button[type=submit]").await;
    b.until("the refusal", "return document.querySelector('#new-listing-result [role=alert]') !== null", json!([])).await;
    assert!(b.text("#listings").await.contains(&format!("{tomorrow} 17:00")), "deadlines read in Beijing time");
    b.screenshot("supervision-lists").await;
    b.goto(&s.url("/operator")).await;
    b.ready("forbidden").await;
    b.sign_out().await;

    // A citizen, not signed in, reads the public list from the sign-in page's link.
    b.goto(&s.url("/login")).await;
    b.ready("login").await;
    b.click("a[href='/public/listings']").await;
    b.ready("public_listings").await;
    let public = b.text("#public-listings").await;
    assert!(public.contains("阜通东大街6号门前") && public.contains("不合格 · 仍有堆物"), "{public}");
    assert!(!public.contains("东华门大街"), "the refused listing is not there: {public}");

    // Administrator: the dashboard, drilled down city → district → street → cases.
    b.sign_in(&s, "admin", "dashboard").await;
    let received = b.text("[data-kpi='today_intake'] strong").await;
    assert_eq!(received, "4", "three seeded cases and the one filed from the form");
    b.screenshot("dashboard").await;
    b.click("a[data-region='110105000000']").await;
    b.until("朝阳区's streets", "return document.querySelector(`a[data-region='${arguments[0]}']`)", json!([WANGJING])).await;
    b.click(&format!("a[data-region='{WANGJING}']")).await;
    b.until("the street's cases", "return document.querySelectorAll('main tr[data-case]').length === 3", json!([])).await;
    b.goto(&s.url("/admin")).await;
    b.ready("admin").await;
    assert!(b.text("main").await.contains("望京街道办事处"));
    b.screenshot("admin").await;

    b.call(Method::DELETE, "", None).await;
    b.publish_screenshots();
    s.stop().await;
}

/// The evaluation in the browser: the evaluator answers a point's checklist on a 375-px phone,
/// with the network down (the answers are kept in the browser) and then back (they are sent);
/// the failed clause becomes a case; the office sees the district ranking and its health report.
#[tokio::test]
async fn the_evaluator_answers_a_checklist_on_a_phone_through_a_network_drop_and_the_office_sees_the_ranking() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some((_driver, mut b)) = launch(&dir.path().join("chromium-profile")).await else { return };
    let s = TestServer::start(&format!("sqlite://{}?mode=rwc", dir.path().join("gridline.db").display())).await;
    let office = s.token("dispatcher").await;
    let (lat, lon) = gridline_geo::beijing().get(WANGJING).and_then(|r| r.label_point).expect("望京 has a label point");
    let (status, point) = s
        .api(Method::POST, "/api/v1/evaluation/points", &office, Some(json!({"code": "WJ-A1", "name": "望京东一巷", "point_type": "back_alley",
            "location": {"kind": "line", "points": [{"lat": lat, "lon": lon - 0.0007}, {"lat": lat, "lon": lon + 0.0007}]}})))
        .await;
    assert_eq!(status, 201, "{point}");
    let inspector = s.token("inspector").await;
    let (_, me) = s.api(Method::GET, "/api/v1/me", &inspector, None).await;
    let now = jiff::Timestamp::now();
    let today = now.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).date().to_string();
    let (status, round) = s
        .api(Method::POST, "/api/v1/evaluation/rounds", &office, Some(json!({"name": "第1周实地考察", "starts": today,
            "deadline": (now + jiff::SignedDuration::from_hours(48)).to_string(),
            "plan": {"level": "street", "per_type": {"back_alley": 1}}, "evaluators": [me["id"]], "seed": "1"})))
        .await;
    assert_eq!(status, 201, "{round}");
    let (round, point) = (round["id"].as_i64().unwrap(), point["id"].as_i64().unwrap());

    b.window(375, 812).await;
    b.sign_in(&s, "inspector", "grid").await;
    b.goto(&s.url("/field")).await;
    b.ready("field").await;
    b.click("#ev-rounds a").await;
    b.find("#ev-points a").await;
    b.click("#ev-points a").await;
    b.find("#ev-checklist").await;
    b.click("li[data-clause='1.2.1'] input[value='fail']").await;
    b.type_into("li[data-clause='1.2.1'] input.count", "2").await;
    b.type_into("li[data-clause='1.2.1'] input.note", "巷口彩钢房").await;
    b.click("li[data-clause='1.2.2'] input[value='pass']").await;
    // The network drops: the submission is kept in the browser, nothing reaches the server.
    b.run("window.realFetch = window.fetch; window.fetch = () => Promise.reject(new TypeError('offline'));", json!([])).await;
    b.click("#ev-send").await;
    b.until("the offline notice", "return document.querySelector('#ev-status').innerText.includes('网络中断')", json!([])).await;
    let kept = b.run("return localStorage.getItem('gridline.evaluation.pending')", json!([])).await;
    assert!(kept.as_str().unwrap_or_default().contains("1.2.1"), "{kept}");
    let path = format!("/api/v1/evaluation/rounds/{round}/points/{point}");
    let (_, before) = s.api(Method::GET, &path, &inspector, None).await;
    assert!(before["clauses"].as_array().unwrap().iter().all(|c| c["answer"].is_null()), "{before}");
    b.screenshot("field-phone").await;
    // Back online: the kept answers are sent, and the page shows the case filed.
    b.run("window.fetch = window.realFetch; window.dispatchEvent(new Event('online'));", json!([])).await;
    b.until("the case of the failure", "return document.querySelector(\"li[data-clause='1.2.1'] a[href^='/cases/']\")", json!([])).await;
    assert_eq!(b.run("return localStorage.getItem('gridline.evaluation.pending')", json!([])).await, "{}");
    let (_, after) = s.api(Method::GET, &path, &inspector, None).await;
    let failed = after["clauses"].as_array().unwrap().iter().find(|c| c["code"] == "1.2.1").unwrap().clone();
    assert_eq!((failed["answer"]["count"].as_i64(), failed["rectification"].as_str()), (Some(2), Some("open")), "{failed}");
    b.window(1366, 768).await;
    b.sign_out().await;

    // The office: the district ranking, and 朝阳's health report from its row.
    b.sign_in(&s, "supervisor", "supervisor").await;
    b.goto(&s.url("/evaluation")).await;
    b.ready("evaluation").await;
    b.click(&format!("#ev-scores a[href*='report={CHAOYANG}']")).await;
    b.until("the health report", "return document.querySelector('#ev-lost') && document.querySelector('#ev-lost').innerText.includes('1.2.1')", json!([])).await;
    b.screenshot("evaluation").await;
    s.stop().await;
}

#[tokio::test]
async fn the_pages_tell_errors_in_chinese_and_an_unknown_path_is_a_chinese_page() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some((_driver, b)) = launch(&dir.path().join("chromium-profile")).await else { return };
    let s = TestServer::start(&format!("sqlite://{}?mode=rwc", dir.path().join("gridline.db").display())).await;
    b.goto(&s.url("/login")).await;
    b.ready("login").await;
    b.type_into("#username", "operator").await;
    b.type_into("#password", "not the password").await;
    b.click("#login-form button[type=submit]").await;
    b.until("the refusal", "return document.querySelector('.notice.error')?.innerText", json!([])).await;
    let refusal = b.text(".notice.error").await;
    assert!(refusal.contains("用户名或密码错误") && !refusal.contains("wrong"), "{refusal}");

    b.goto(&s.url("/no/such/page")).await;
    b.ready("missing").await;
    assert!(b.text("main h1").await.contains("没有这个页面"));
    let icon = b.run("return document.querySelector('link[rel=icon]').href", json!([])).await;
    assert!(icon.as_str().is_some_and(|href| href.ends_with("/assets/favicon.svg")), "{icon}");

    // Each action form labels its note by its action, not every one as 核查意见.
    let operator = s.token("operator").await;
    let id = s.file(&operator, "S0102", WANGJING, "望京西园三区楼下垃圾桶满溢").await;
    let mut b = b;
    b.sign_in(&s, "dispatcher", "dispatcher").await;
    b.goto(&s.url(&format!("/cases/{id}"))).await;
    b.ready("case").await;
    b.find("#case-actions form").await;
    let labels = b.run("return [...document.querySelectorAll('#case-actions form')].flatMap((f) => { \
        const note = f.querySelector('[id$=\"-note\"]'); \
        return note ? [[f.dataset.action, document.querySelector(`label[for=\"${note.id}\"]`).innerText]] : []; })", json!([])).await;
    let labels = labels.as_array().expect("pairs").clone();
    assert!(!labels.is_empty(), "no action with a note");
    for pair in labels {
        let (action, label) = (pair[0].as_str().unwrap_or_default(), pair[1].as_str().unwrap_or_default());
        assert!(action == "verify" || label != "核查意见", "{action}'s note is labelled {label}");
        assert!(!label.is_empty() && !label.contains("note."), "{action}: {label:?}");
    }
    // The city's table of districts says 区, not 所在街道.
    b.sign_out().await;
    b.sign_in(&s, "admin", "dashboard").await;
    assert_eq!(b.text("#region-table th").await, "区");
    s.stop().await;
}

/// Photos from the camera input through a case's life, on a phone (390 px) and a desktop
/// (1366 px): the grid worker reports a problem with a photo, the unit proves its fix with one,
/// the grid worker verifies with one; the case page shows the three thumbnails, each loaded by
/// the page's cookie; signed out, the photo is not served.
#[tokio::test]
async fn a_photo_goes_from_intake_to_verification_and_a_signed_out_visitor_cannot_fetch_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some((_driver, mut b)) = launch(&dir.path().join("chromium-profile")).await else { return };
    let s = TestServer::start(&format!("sqlite://{}?mode=rwc", dir.path().join("gridline.db").display())).await;
    let admin = s.token("admin").await;
    let photo = dir.path().join("IMG_2001.jpg");
    std::fs::write(&photo, web_support::phone_photo(640, 480)).expect("a photo on disk");
    let photo = photo.display().to_string();

    // The grid worker's phone: the report form with a photo from the camera input.
    b.window(390, 844).await;
    b.sign_in(&s, "grid", "grid").await;
    let accept = b.run("return document.querySelector('#photos').getAttribute('accept') + ' ' + document.querySelector('#photos').getAttribute('capture')", json!([])).await;
    assert_eq!(accept, "image/* environment");
    b.type_into("#description", "望京西园三区楼下垃圾桶满溢，周边散落垃圾").await;
    // The category by a word typed into its search box: only the entries holding it stay, and
    // one left is picked.
    b.type_into("#category-filter", "占道").await;
    let shown = b.run("return [...document.querySelectorAll('#category option')].filter((o) => o.value && !o.hidden).map((o) => o.textContent).join('|')", json!([])).await;
    let shown = shown.as_str().unwrap_or_default().to_owned();
    assert!(!shown.is_empty() && shown.split('|').all(|o| o.contains("占道")), "the filter keeps only 占道 entries: {shown}");
    b.run("const f = document.querySelector('#category-filter'); f.value = 'S0102'; f.dispatchEvent(new Event('input')); return null", json!([])).await;
    assert_eq!(b.run("return document.querySelector('#category').value", json!([])).await, "S0102", "one entry left is picked");
    b.choose("#category", "S0102").await;
    b.choose("#report-district", "110105000000").await;
    b.choose("#report-street", WANGJING).await;
    b.type_into("#photos", &photo).await;
    b.screenshot("grid-photo-phone").await;
    b.click("#report-case").await;
    let filed = b.text("#report-result a").await;
    let id: i64 = filed.trim_start_matches('#').parse().unwrap_or_else(|_| panic!("a case link, not {filed:?}"));
    b.until("the photo uploaded", "return document.querySelector('#report-result').innerText.includes('张照片已上传')", json!([])).await;
    let (_, attached) = s.api(Method::GET, &format!("/api/v1/cases/{id}/attachments"), &admin, None).await;
    assert_eq!(attached["items"][0]["stage"], "intake", "{attached}");
    b.sign_out().await;

    // The unit, on its phone: accepts, then reports the fix with a photo.
    let dispatcher = s.token("dispatcher").await;
    s.register_and_dispatch(&dispatcher, id, "CY-WJ").await;
    b.sign_in(&s, "wj", "unit").await;
    b.click(&format!("button[data-accept='{id}']")).await;
    b.find(&format!("form[data-handle='{id}']")).await;
    b.type_into(&format!("#feedback-{id}"), "已清运，现场已清理干净").await;
    b.type_into(&format!("#feedback-photos-{id}"), &photo).await;
    b.run("document.querySelector(arguments[0]).scrollIntoView()", json!([format!("form[data-handle='{id}']")])).await;
    b.screenshot("unit-photo-phone").await;
    b.click(&format!("form[data-handle='{id}'] button[type=submit]")).await;
    b.until("the handled case to leave the queue", "return document.querySelector(arguments[0]) === null && document.querySelector('main[data-ready]')", json!([format!("form[data-handle='{id}']")])).await;
    b.sign_out().await;

    // The grid worker at the desk verifies with a photo of the fixed street.
    b.window(1366, 768).await;
    b.sign_in(&s, "grid", "grid").await;
    let row = format!("tr[data-case='{id}']");
    b.type_into(&format!("#verify-photos-{id}"), &photo).await;
    b.click(&format!("{row} button[data-verify='pass']")).await;
    // The case stays under 辖区近期上报: only its row of the queue, with the buttons, goes.
    b.until("the verified case to leave the queue", "return document.querySelector(arguments[0]) === null", json!([format!("{row} button[data-verify]")])).await;
    let (_, case) = s.api(Method::GET, &format!("/api/v1/cases/{id}"), &admin, None).await;
    assert_eq!(case["status"], "closed");
    let (_, attached) = s.api(Method::GET, &format!("/api/v1/cases/{id}/attachments"), &admin, None).await;
    let stages: Vec<&str> = attached["items"].as_array().unwrap().iter().map(|a| a["stage"].as_str().unwrap()).collect();
    assert_eq!(stages, ["intake", "handling", "verification"]);

    // The case page: three thumbnails under their stages, each loaded (by the page's cookie).
    b.goto(&s.url(&format!("/cases/{id}"))).await;
    b.ready("case").await;
    b.until("three loaded thumbnails", "return [...document.querySelectorAll('#attachments img')].filter((i) => i.complete && i.naturalWidth > 0).length === 3", json!([])).await;
    let captions = b.text("#attachments").await;
    for stage in ["受理时", "处置后", "核查时"] {
        assert!(captions.contains(stage), "{captions}");
    }
    b.run("document.querySelector('#attachments').scrollIntoView()", json!([])).await;
    b.screenshot("case-photos").await;
    b.window(390, 844).await;
    b.goto(&s.url(&format!("/cases/{id}"))).await;
    b.ready("case").await;
    b.until("the thumbnails on a phone", "return [...document.querySelectorAll('#attachments img')].filter((i) => i.complete && i.naturalWidth > 0).length === 3", json!([])).await;
    let overflow = b.run("return document.documentElement.scrollWidth - window.innerWidth", json!([])).await;
    assert!(overflow.as_i64().unwrap_or(0) <= 0, "the case page scrolls sideways on a phone by {overflow} px");
    b.run("document.querySelector('#attachments').scrollIntoView()", json!([])).await;
    b.screenshot("case-photos-phone").await;
    let file = attached["items"][0]["url"].as_str().unwrap().to_owned();
    b.sign_out().await;

    // Signed out: the photo's address answers the missing page, not the photo; so does the API.
    b.goto(&s.url(&file)).await;
    b.ready("missing").await;
    let answer = s.http.get(s.url(&file)).send().await.unwrap();
    assert_eq!(answer.status(), 404);
    assert!(!answer.headers()["content-type"].to_str().unwrap().starts_with("image/"));
    let api = s.http.get(s.url(&format!("/api/v1/attachments/{}", attached["items"][0]["id"]))).send().await.unwrap();
    assert_eq!(api.status(), 401);
    b.publish_screenshots();
    b.window(1366, 768).await;
    s.stop().await;
}

/// The case search at a desk (1366 px) and on a phone (390 px): the dispatcher reaches it from
/// the navigation, searches by street and text, exports the same filters as CSV and XLSX (the
/// files hold the rows found, under Chinese headers) and opens a case from its row; a unit finds
/// and exports only its own cases; a filter the API refuses is told in Chinese and nothing is
/// downloaded.
#[tokio::test]
async fn a_search_shows_the_filtered_cases_and_exports_the_same_ones_with_chinese_headers() {
    let dir = tempfile::tempdir().expect("temp dir");
    let profile = dir.path().join("chromium-profile");
    let Some((_driver, mut b)) = launch(&profile).await else { return };
    let downloads = downloads_of(&profile);
    let s = TestServer::start(&format!("sqlite://{}?mode=rwc", dir.path().join("gridline.db").display())).await;
    let operator = s.token("operator").await;
    let dispatcher = s.token("dispatcher").await;
    let bins = s.file(&operator, "S0102", WANGJING, "望京西园三区楼下垃圾桶满溢").await;
    let pavement = s.file(&operator, "S0102", WANGJING, "阜通东大街人行道积存垃圾").await;
    s.file(&operator, "S0201", WANGJING, "望京SOHO附近非法小广告").await;
    s.file(&operator, "S0102", DONGHUAMEN, "东华门大街路边垃圾堆放").await;
    s.register_and_dispatch(&dispatcher, pavement, "CY-WJ").await;
    let rows = "return [...document.querySelectorAll('#search-results tr[data-case]')].map((r) => Number(r.dataset.case))";

    // The dispatcher: from the navigation, every case at first; then 望京街道 and 垃圾.
    b.sign_in(&s, "dispatcher", "dispatcher").await;
    b.click("header nav a[href='/search']").await;
    b.ready("search").await;
    b.until("every case", "return document.querySelectorAll('#search-results tr[data-case]').length === 4", json!([])).await;
    b.choose("#search-district", CHAOYANG).await;
    b.choose("#search-street", WANGJING).await;
    b.type_into("#search-q", "垃圾").await;
    b.click("#search-submit").await;
    b.until("the filtered rows", "return location.search.includes('q=') && document.querySelectorAll('#search-results tr[data-case]').length === 2", json!([])).await;
    assert_eq!(b.run(rows, json!([])).await, json!([pavement, bins]), "newest first");
    assert!(b.text("#search-found h2").await.contains("共 2 件"));
    assert!(b.text("#search-results").await.contains("已派遣"), "statuses as people read them");
    b.screenshot("search").await;

    // 导出 CSV: the same two cases, oldest first, under Chinese headers, readable by Excel.
    clear_downloads(&downloads);
    b.click("#export-csv").await;
    let (name, csv) = downloaded(&downloads).await;
    assert!(name.starts_with("案件查询-") && name.ends_with(".csv"), "{name}");
    let text = csv.strip_prefix("\u{feff}".as_bytes()).expect("a byte-order mark for Excel");
    let mut reader = csv::Reader::from_reader(text);
    let header: Vec<String> = reader.headers().expect("a header").iter().map(str::to_owned).collect();
    assert_eq!(&header[..4], ["编号", "渠道", "工单号", "状态"]);
    let found: Vec<Vec<String>> = reader.records().map(|r| r.expect("a row").iter().map(str::to_owned).collect()).collect();
    let column = |name: &str| header.iter().position(|h| h == name).expect(name);
    let exported: Vec<(String, String)> = found.iter().map(|r| (r[column("编号")].clone(), r[column("状态")].clone())).collect();
    assert_eq!(exported, [(bins.to_string(), "已受理".to_owned()), (pavement.to_string(), "已派遣".to_owned())]);
    assert!(found.iter().all(|r| r[column("渠道")] == "12345热线" && r[column("所在区域")] == "望京街道"), "{found:?}");
    b.until("the export done", "return document.querySelector('#search-message').innerText.includes('已导出')", json!([])).await;
    // 导出 Excel: the same rows in a workbook.
    clear_downloads(&downloads);
    b.click("#export-xlsx").await;
    let (name, xlsx) = downloaded(&downloads).await;
    assert!(name.ends_with(".xlsx"), "{name}");
    let mut workbook: calamine::Xlsx<_> = calamine::Reader::new(std::io::Cursor::new(xlsx)).expect("a workbook");
    let sheet = calamine::Reader::worksheet_range_at(&mut workbook, 0).expect("a sheet").expect("readable");
    let sheet: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(ToString::to_string).collect()).collect();
    assert_eq!(sheet[0], header, "the CSV's headers");
    assert_eq!(sheet[1..].iter().map(|r| r[0].clone()).collect::<Vec<_>>(), [bins.to_string(), pavement.to_string()]);
    // A row opens its case.
    b.click(&format!("#search-results tr[data-case='{pavement}'] a")).await;
    b.ready("case").await;

    // A filter the API refuses: told in Chinese, the form still there; an export of it downloads nothing.
    b.goto(&s.url("/search?status=lost")).await;
    b.ready("search").await;
    let refused = b.text("#search-refused").await;
    assert!(refused.contains("“状态”没有“lost”这一项"), "{refused}");
    assert!(!refused.replace("lost", "").chars().any(|c| c.is_ascii_alphabetic()), "English in {refused:?}");
    clear_downloads(&downloads);
    b.run("const s = document.querySelector('#search-unit'); s.append(new Option('NOPE', 'NOPE')); s.value = 'NOPE';", json!([])).await;
    b.click("#export-csv").await;
    b.until("the export refused", "return document.querySelector('#search-message [role=alert]')", json!([])).await;
    let message = b.text("#search-message").await;
    assert!(message.contains("没有代码为“NOPE”的单位"), "{message}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(std::fs::read_dir(&downloads).expect("downloads").count(), 0, "nothing downloaded");

    // On a phone: the results as cards, nothing wider than the screen, the export at hand.
    b.window(390, 844).await;
    b.goto(&s.url(&format!("/search?region={WANGJING}&q=%E5%9E%83%E5%9C%BE"))).await;
    b.ready("search").await;
    b.until("the rows on a phone", "return document.querySelectorAll('#search-results tr[data-case]').length === 2", json!([])).await;
    let overflow = b.run("return document.documentElement.scrollWidth - window.innerWidth", json!([])).await;
    assert!(overflow.as_i64().unwrap_or(0) <= 0, "the search page scrolls sideways on a phone by {overflow} px");
    assert_eq!(b.run("return document.querySelector('#search-street').value", json!([])).await, WANGJING, "the form shows the filters in force");
    b.find("#export-csv").await;
    b.run("document.querySelector('#search-found').scrollIntoView()", json!([])).await;
    b.screenshot("search-phone").await;
    b.window(1366, 768).await;
    b.sign_out().await;

    // A unit: only its own case, listed and exported; no unit filter to pick others with.
    b.sign_in(&s, "wj", "unit").await;
    b.click("header nav a[href='/search']").await;
    b.ready("search").await;
    b.until("the unit's case", "return document.querySelectorAll('#search-results tr[data-case]').length === 1", json!([])).await;
    assert_eq!(b.run(rows, json!([])).await, json!([pavement]));
    assert_eq!(b.run("return document.querySelector('#search-unit')", json!([])).await, Value::Null);
    clear_downloads(&downloads);
    b.click("#export-csv").await;
    let (_, csv) = downloaded(&downloads).await;
    let text = String::from_utf8(csv).expect("UTF-8");
    assert_eq!(text.lines().count(), 2, "the header and the unit's one case: {text}");
    assert!(text.lines().nth(1).is_some_and(|row| row.starts_with(&format!("{pavement},"))), "{text}");

    b.call(Method::DELETE, "", None).await;
    b.publish_screenshots();
    s.stop().await;
}

/// Material review in the browser: a street office submits its materials on a phone (375 px),
/// the inspector scores them, and the office settles the joint review on the mean.
#[tokio::test]
async fn a_unit_submits_materials_on_a_phone_a_reviewer_scores_and_the_office_settles() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some((_driver, mut b)) = launch(&dir.path().join("chromium-profile")).await else { return };
    let s = TestServer::start(&format!("sqlite://{}?mode=rwc", dir.path().join("gridline.db").display())).await;
    let office = s.token("supervisor").await;
    let inspector = s.token("inspector").await;
    let (_, me) = s.api(Method::GET, "/api/v1/me", &inspector, None).await;
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).date();
    let half = format!("{}-H{}", today.year(), if today.month() <= 6 { 1 } else { 2 });
    let (status, window) = s
        .api(Method::POST, "/api/v1/evaluation/reviews", &office, Some(json!({"half": half, "level": "street", "opens": today.to_string(),
            "closes": today.checked_add(jiff::Span::new().days(5)).unwrap().to_string(), "reviewers": [me["id"]]})))
        .await;
    assert_eq!(status, 201, "{window}");
    let page = format!("/reviews?window={}", window["id"]);

    b.window(375, 812).await;
    b.sign_in(&s, "wj", "unit").await;
    b.goto(&s.url(&page)).await;
    b.ready("reviews").await;
    let form = format!("li[data-region='{WANGJING}'][data-clause='5.2.1']");
    b.type_into(&format!("{form} textarea"), "望京街道2026年创建工作方案、责任分工及周调度台账").await;
    b.screenshot("reviews-unit-phone").await;
    let wide = b.run("return document.documentElement.scrollWidth", json!([])).await;
    assert!(wide.as_i64().is_some_and(|w| w <= 375), "the page is wider than the phone: {wide}");
    b.click(&format!("{form} button[type=submit]")).await;
    b.find("#mr-submissions li[data-submission]").await;
    b.sign_out().await;

    b.window(1366, 768).await;
    b.sign_in(&s, "inspector", "grid").await;
    b.goto(&s.url(&page)).await;
    b.ready("reviews").await;
    b.type_into(".mr-score", "1.5").await;
    b.type_into(".mr-comment", "方案齐全，台账缺一个月").await;
    b.click(".mr-score-form button[type=submit]").await;
    b.until("the reviewer's score", "return document.querySelector('.mr-joint') && document.querySelector('.mr-joint').innerText.includes('1.50')", json!([])).await;
    b.sign_out().await;

    b.sign_in(&s, "supervisor", "supervisor").await;
    b.goto(&s.url(&page)).await;
    b.ready("reviews").await;
    b.click(".mr-settle-mean").await;
    b.until("the settlement", "return document.querySelector('.mr-joint') && document.querySelector('.mr-joint').innerText.includes('已认定')", json!([])).await;
    b.screenshot("reviews").await;
    let (_, after) = s.api(Method::GET, &format!("/api/v1/evaluation/reviews/{}", window["id"]), &office, None).await;
    assert_eq!(after["submissions"][0]["settlement"]["rule"], "mean", "{after}");
    s.stop().await;
}

/// The steward's daily patrol on a phone (375 px) with a photo from the camera, through a network
/// drop: the patrol is kept in the browser (its photo in IndexedDB), nothing reaches the server;
/// back online it is sent, and the problem's case has the photo.
#[tokio::test]
async fn a_steward_patrols_an_alley_on_a_phone_with_a_photo_through_a_network_drop() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some((_driver, mut b)) = launch(&dir.path().join("chromium-profile")).await else { return };
    let s = TestServer::start(&format!("sqlite://{}?mode=rwc", dir.path().join("gridline.db").display())).await;
    let alley = s.alley_with_steward("WJ-P02", "望京西园胡同", "grid").await;
    let admin = s.token("admin").await;
    let photo = dir.path().join("IMG_3001.jpg");
    std::fs::write(&photo, web_support::phone_photo(640, 480)).expect("a photo on disk");

    b.window(375, 812).await;
    b.sign_in(&s, "grid", "grid").await;
    b.goto(&s.url(&format!("/patrol?alley={alley}"))).await;
    b.ready("patrol").await;
    let accept = b.run("return document.querySelector('#patrol-photos').getAttribute('accept') + ' ' + document.querySelector('#patrol-photos').getAttribute('capture')", json!([])).await;
    assert_eq!(accept, "image/* environment");
    b.click("#p-N03").await;
    b.type_into("#patrol-photos", &photo.display().to_string()).await;
    b.until("the photo's preview", "return [...document.querySelectorAll('#patrol-previews img')].filter((i) => i.complete && i.naturalWidth > 0).length", json!([])).await;
    let overflow = b.run("return document.documentElement.scrollWidth - window.innerWidth", json!([])).await;
    assert!(overflow.as_i64().unwrap_or(0) <= 0, "the patrol page scrolls sideways on a phone by {overflow} px");
    // The network drops: the patrol and its photo are kept in the browser, nothing is filed.
    b.run("window.realFetch = window.fetch; window.fetch = () => Promise.reject(new TypeError('offline'));", json!([])).await;
    b.click("#patrol-send").await;
    b.until("the offline notice", "return document.querySelector('#patrol-status').innerText.includes('网络中断')", json!([])).await;
    let kept = b.run("return localStorage.getItem('gridline.alleys.pending')", json!([])).await;
    assert!(kept.as_str().unwrap_or_default().contains("N03"), "{kept}");
    assert!(s.store.alleys().patrols_of(alley, 10).await.unwrap().is_empty(), "nothing reached the server");
    b.run("document.querySelector('#patrol-send').scrollIntoView()", json!([])).await;
    b.screenshot("patrol-photo-phone").await;
    // Back online: the kept patrol goes with its photo, and its case has it.
    b.run("window.fetch = window.realFetch; window.dispatchEvent(new Event('online'));", json!([])).await;
    b.until("the kept patrol sent", "return localStorage.getItem('gridline.alleys.pending') === '{}'", json!([])).await;
    let patrols = s.store.alleys().patrols_of(alley, 10).await.unwrap();
    assert_eq!(patrols.len(), 1, "{patrols:?}");
    let case = patrols[0].problems[0].case_id.expect("the problem's case");
    let (_, attached) = s.api(Method::GET, &format!("/api/v1/cases/{case}/attachments"), &admin, None).await;
    let items = attached["items"].as_array().expect("items");
    assert_eq!((items.len(), items[0]["stage"].as_str(), items[0]["name"].as_str()), (1, Some("intake"), Some("IMG_3001.jpg")), "{attached}");
    let left = b.run("return new Promise((done) => { const o = indexedDB.open('gridline.alleys.photos', 1); o.onsuccess = () => { const r = o.result.transaction('photos').objectStore('photos').count(); r.onsuccess = () => done(r.result); }; })", json!([])).await;
    assert_eq!(left, 0, "the photos kept for the patrol are let go once it is sent");
    b.publish_screenshots();
    b.window(1366, 768).await;
    s.stop().await;
}

/// The grid worker's phone (390 px): the category found by its pinyin initials, then a report
/// with a photo made while the network is down (Chromium's own network emulation, not a stub):
/// kept in the browser, nothing filed; back online it is filed once with its photo. Sent again
/// as if its answer had been lost, it files nothing new (the external id made on the phone).
#[tokio::test]
async fn a_grid_workers_report_finds_its_category_by_pinyin_and_survives_a_network_drop() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some((_driver, mut b)) = launch(&dir.path().join("chromium-profile")).await else { return };
    let s = TestServer::start(&format!("sqlite://{}?mode=rwc", dir.path().join("gridline.db").display())).await;
    let admin = s.token("admin").await;
    let photo = dir.path().join("IMG_4001.jpg");
    std::fs::write(&photo, web_support::phone_photo(640, 480)).expect("a photo on disk");
    let shown = "return [...document.querySelectorAll('#category option')].filter((o) => o.value && !o.hidden).map((o) => o.textContent)";
    let search = "const f = document.querySelector('#category-filter'); f.value = arguments[0]; f.dispatchEvent(new Event('input')); return null";

    b.window(390, 844).await;
    b.sign_in(&s, "grid", "grid").await;
    // Pinyin initials: 垃圾转运站 alone; a polyphone answers to either reading (行道树: xíng, háng);
    // the full pinyin too.
    b.type_into("#category-filter", "ljzyz").await;
    let left = b.run(shown, json!([])).await;
    assert!(left.as_array().is_some_and(|l| l.len() == 1 && l[0].as_str().unwrap().ends_with("垃圾转运站")), "{left}");
    let picked = b.run("return document.querySelector('#category').selectedOptions[0].textContent", json!([])).await;
    assert!(picked.as_str().unwrap_or_default().ends_with("垃圾转运站"), "one entry left is picked: {picked}");
    for typed in ["xds", "hds", "xingdaoshu"] {
        b.run(search, json!([typed])).await;
        let left = b.run(shown, json!([])).await;
        assert!(left.as_array().is_some_and(|l| !l.is_empty() && l.iter().all(|o| o.as_str().unwrap().contains("行道树"))), "{typed}: {left}");
    }
    b.run(search, json!(["ljzyz"])).await;
    let code = b.run("return document.querySelector('#category').value", json!([])).await;
    b.type_into("#description", "望京西园三区垃圾转运站门口污水横流").await;
    b.choose("#report-district", "110105000000").await;
    b.choose("#report-street", WANGJING).await;
    b.type_into("#photos", &photo.display().to_string()).await;
    let before = s.api(Method::GET, "/api/v1/cases?channel=grid", &admin, None).await.1["total"].as_i64().unwrap();

    // The network drops (Chromium's emulation: fetch fails as on a phone out of coverage).
    let offline = |off: bool| json!({"network_conditions": {"offline": off, "latency": 0, "download_throughput": -1, "upload_throughput": -1}});
    b.call(Method::POST, "/chromium/network_conditions", Some(offline(true))).await;
    b.click("#report-case").await;
    b.until("the offline notice", "return document.querySelector('#report-result').innerText.includes('网络中断')", json!([])).await;
    let kept = b.run("return localStorage.getItem('gridline.reports.pending')", json!([])).await;
    assert!(kept.as_str().unwrap_or_default().contains("垃圾转运站门口"), "{kept}");
    assert_eq!(s.api(Method::GET, "/api/v1/cases?channel=grid", &admin, None).await.1["total"].as_i64().unwrap(), before, "nothing reached the server");
    b.run("document.querySelector('#report-result').scrollIntoView({block: 'center'})", json!([])).await;
    b.screenshot("grid-offline-phone").await;

    // Back online: the browser's `online` event sends it, with its photo, and says so.
    b.call(Method::POST, "/chromium/network_conditions", Some(offline(false))).await;
    b.until("the kept report sent", "return localStorage.getItem('gridline.reports.pending') === '{}' && document.querySelector('#report-result')?.innerText.includes('已提交')", json!([])).await;
    let (_, page) = s.api(Method::GET, "/api/v1/cases?channel=grid", &admin, None).await;
    assert_eq!(page["total"].as_i64().unwrap(), before + 1, "filed once: {page}");
    let case = &page["items"][0];
    assert_eq!((&case["category"], case["description"].as_str()), (&code, Some("望京西园三区垃圾转运站门口污水横流")), "{case}");
    let id = case["id"].as_i64().unwrap();
    let (_, attached) = s.api(Method::GET, &format!("/api/v1/cases/{id}/attachments"), &admin, None).await;
    assert_eq!(attached["items"].as_array().map(Vec::len), Some(1), "{attached}");

    // The same report again, as if the server's answer had been lost: answered with its case,
    // nothing new filed.
    let external_id = case["external_id"].as_str().expect("the phone's external id").to_owned();
    b.run("localStorage.setItem('gridline.reports.pending', JSON.stringify({[arguments[0]]: {body: arguments[1]}})); return null",
        json!([external_id, {"channel": "grid", "external_id": external_id, "description": "望京西园三区垃圾转运站门口污水横流", "category": code}])).await;
    b.goto(&s.url("/grid")).await;
    b.ready("grid").await;
    b.until("the kept report sent again", "return localStorage.getItem('gridline.reports.pending') === '{}'", json!([])).await;
    assert_eq!(s.api(Method::GET, "/api/v1/cases?channel=grid", &admin, None).await.1["total"].as_i64().unwrap(), before + 1, "not filed twice");
    let left = b.run("return new Promise((done) => { const o = indexedDB.open('gridline.reports.photos', 1); o.onsuccess = () => { const r = o.result.transaction('photos').objectStore('photos').count(); r.onsuccess = () => done(r.result); }; })", json!([])).await;
    assert_eq!(left, 0, "the photos kept for the report are let go once it is sent");

    // Every page of the grid worker's and the unit's day fits the phone: nothing scrolls
    // sideways and no control is past the right edge (the unit's 签收 was, inside its table).
    let (operator, dispatcher) = (s.token("operator").await, s.token("dispatcher").await);
    let dispatched = s.file(&operator, "S0102", WANGJING, "望京西园三区楼下垃圾桶满溢，异味严重").await;
    s.register_and_dispatch(&dispatcher, dispatched, "CY-WJ").await;
    let fits = "const w = window.innerWidth; return [document.documentElement.scrollWidth - w, [...document.querySelectorAll('main button, main input, main select, main textarea, main a')].filter((e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > w + 1; }).map((e) => e.outerHTML.slice(0, 80))]";
    for (user, home, case) in [("grid", "grid", id), ("wj", "unit", dispatched)] {
        b.sign_out().await;
        b.sign_in(&s, user, home).await;
        for page in [format!("/{home}"), "/inbox".into(), "/search".into(), "/dashboard".into(), format!("/cases/{case}")] {
            b.goto(&s.url(&page)).await;
            b.until(&format!("{page} drawn"), "return document.querySelector('main[data-ready]') && !document.querySelector('main .loading')", json!([])).await;
            let [scroll, past] = <[Value; 2]>::try_from(b.run(fits, json!([])).await.as_array().cloned().unwrap_or_default()).expect("two figures");
            assert!(scroll.as_i64().unwrap_or(1) <= 0 && past.as_array().is_some_and(Vec::is_empty), "{user} {page} at 390 px: {scroll} px sideways, past the edge: {past}");
        }
    }
    b.goto(&s.url("/unit")).await;
    b.ready("unit").await;
    b.find(&format!("button[data-accept='{dispatched}']")).await;
    b.run("document.querySelector(arguments[0]).scrollIntoView({block: 'center'})", json!([format!("button[data-accept='{dispatched}']")])).await;
    b.screenshot("unit-accept-phone").await;
    b.publish_screenshots();
    b.window(1366, 768).await;
    s.stop().await;
}

#[tokio::test]
async fn a_unit_sees_the_badge_opens_its_inbox_and_answers_a_supervision_order_on_a_phone_and_a_laptop() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some((_driver, mut b)) = launch(&dir.path().join("chromium-profile")).await else { return };
    let s = TestServer::start(&format!("sqlite://{}?mode=rwc", dir.path().join("gridline.db").display())).await;
    let operator = s.token("operator").await;
    let dispatcher = s.token("dispatcher").await;
    let office = s.token("supervisor").await;
    let case = s.file(&operator, "S0102", WANGJING, "望京西园三区楼下垃圾桶满溢，异味严重").await;
    s.register_and_dispatch(&dispatcher, case, "CY-WJ").await;
    let deadline = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(72)).to_string();

    for (width, height, suffix) in [(390, 844, "-phone"), (1366, 768, "")] {
        let note = "阜通东大街沿线垃圾桶满溢反复出现，请三日内整改并书面答复整改措施";
        let (status, order) = s
            .api(Method::POST, "/api/v1/supervision/orders", &office, Some(json!({"target_kind": "unit", "target": "CY-WJ", "level": "key", "note": note, "deadline": deadline})))
            .await;
        assert_eq!(status, 201, "{order}");
        let order_id = order["id"].as_i64().expect("an order id");
        b.window(width, height).await;
        b.sign_in(&s, "wj", "unit").await;
        // The badge in the header carries the unread count.
        let count = b.until("the unread count in the badge", "const c = document.querySelector('#inbox-count'); return c && !c.hidden && c.innerText", json!([])).await;
        let before: i64 = count.as_str().unwrap_or_default().parse().unwrap_or_else(|_| panic!("a number, not {count}"));
        assert!(before >= 1, "{before}");
        assert!(b.text("#inbox-badge").await.starts_with("待办"));
        if width > 1000 {
            assert!(b.text("#unit-figures").await.contains("响应率"));
            assert!(b.text("main").await.contains("本单位办结记录"));
            b.screenshot("unit-figures").await;
        }
        b.click("#inbox-badge").await;
        b.ready("inbox").await;
        let form = format!("form[data-order='{order_id}']");
        b.find(&form).await;
        assert!(b.text(&format!("li[data-item='order:{order_id}']")).await.contains(note));
        let main = b.text("main").await;
        assert!(main.contains("我的待办") && main.contains("督办单") && main.contains("新派单"), "{main}");
        b.screenshot(&format!("inbox{suffix}")).await;
        let wide = b.run("return document.documentElement.scrollWidth", json!([])).await;
        assert!(wide.as_i64().is_some_and(|w| w <= i64::from(width)), "the inbox is wider than {width} px: {wide}");

        b.type_into(&format!("#order-reply-{order_id}"), "已组织环卫力量清运，增设垃圾桶两处，安排专人每日巡查").await;
        b.click(&format!("{form} button[type=submit]")).await;
        b.until("the answered order to leave the inbox", "return document.querySelector(arguments[0]) === null && document.querySelector(\"main[data-ready='inbox']\")", json!([form])).await;
        b.until(
            "the count to drop",
            "const c = document.querySelector('#inbox-count'); return (c.hidden ? 0 : Number(c.innerText)) === arguments[0]",
            json!([before - 1]),
        )
        .await;
        let (_, answered) = s.api(Method::GET, "/api/v1/supervision/orders", &office, None).await;
        let answered = answered["items"].as_array().unwrap().iter().find(|o| o["id"] == order_id).cloned().expect("the order");
        assert_eq!(answered["reply"], "已组织环卫力量清运，增设垃圾桶两处，安排专人每日巡查", "{answered}");
        // Everything read: the badge shows no number.
        if before > 1 {
            b.click("#inbox-all-read").await;
        }
        b.until("no unread count", "const c = document.querySelector('#inbox-count'); return c && c.hidden", json!([])).await;
        b.screenshot(&format!("inbox-read{suffix}")).await;
        b.sign_out().await;
    }

    // The supervisor finds the reply in their own inbox.
    b.sign_in(&s, "supervisor", "supervisor").await;
    b.click("#inbox-badge").await;
    b.ready("inbox").await;
    b.find("li[data-kind='order_replied']").await;
    assert!(b.text("li[data-kind='order_replied']").await.contains("督办已答复"));
    b.screenshot("inbox-supervisor").await;
    b.publish_screenshots();
    s.stop().await;
}

/// Administration in the browser, at 1366 px and on a 390-px phone: the administrator creates a
/// grid worker, disables them (confirming), sees units with their coverage by name, reads the
/// audit log filtered and exports it with Chinese headers; a wrong old password is refused in the
/// 修改密码 dialog.
#[tokio::test]
async fn an_administrator_creates_and_disables_a_user_and_reads_and_exports_the_audit_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    let profile = dir.path().join("chromium-profile");
    let Some((_driver, mut b)) = launch(&profile).await else { return };
    let downloads = downloads_of(&profile);
    let s = TestServer::start(&format!("sqlite://{}?mode=rwc", dir.path().join("gridline.db").display())).await;
    let no_overflow = async |b: &Browser, what: &str| {
        let overflow = b.run("return document.documentElement.scrollWidth - window.innerWidth", json!([])).await;
        assert!(overflow.as_i64().unwrap_or(0) <= 0, "{what} scrolls sideways by {overflow} px");
    };

    b.sign_in(&s, "admin", "dashboard").await;
    b.click("header nav a[href='/admin']").await;
    b.ready("admin").await;
    b.find("#user-table tr[data-user='grid']").await;
    // Names, not codes: the role and the unit in Chinese.
    let grid_row = b.text("#user-table tr[data-user='grid']").await;
    assert!(grid_row.contains("网格员") && grid_row.contains("望京街道办事处") && grid_row.contains("望京街道") && !grid_row.contains("grid_worker"), "{grid_row}");

    // A new grid worker of 望京.
    b.type_into("#new-username", "zhang.san").await;
    b.type_into("#new-display-name", "网格员张三").await;
    b.choose("#new-role", "grid_worker").await;
    b.choose("#new-unit", "CY-WJ").await;
    b.type_into("#new-password", "Zhangsan-2026").await;
    b.click("#new-user-submit").await;
    b.until("the new user's row", "return document.querySelector(\"#user-table tr[data-user='zhang.san']\")", json!([])).await;
    assert!(b.text("#admin-flash").await.contains("已创建用户：zhang.san"));
    let row = b.text("#user-table tr[data-user='zhang.san']").await;
    assert!(row.contains("网格员张三") && row.contains("望京街道办事处") && row.contains("正常"), "{row}");
    let (status, _) = s.api(Method::POST, "/api/v1/session", "", Some(json!({"username": "zhang.san", "password": "Zhangsan-2026"}))).await;
    assert_eq!(status, 201, "the new user signs in");
    // A refused one is told in Chinese, and the form keeps what was typed.
    b.type_into("#new-username", "grid").await;
    b.choose("#new-unit", "CY-WJ").await;
    b.type_into("#new-password", "short").await;
    b.click("#new-user-submit").await;
    b.until("the refusal", "return document.querySelector('#new-user-result [role=alert]')", json!([])).await;
    let refused = b.text("#new-user-result").await;
    assert!(refused.contains("密码至少要 8 个字符"), "{refused}");
    b.screenshot("admin-users").await;

    // Disable, after a confirmation; the user can no longer sign in.
    b.click("#user-table tr[data-user='zhang.san'] button[data-user-action='disable']").await;
    let question = b.text("#user-table tr[data-user='zhang.san'] .confirm").await;
    assert!(question.contains("确认停用用户“网格员张三（zhang.san）”"), "{question}");
    b.screenshot("admin-confirm-disable").await;
    b.click("#user-table tr[data-user='zhang.san'] button[data-confirm]").await;
    b.until("the row disabled", "return document.querySelector(\"#user-table tr[data-user='zhang.san']\")?.innerText.includes('已停用')", json!([])).await;
    let (status, refused) = s.api(Method::POST, "/api/v1/session", "", Some(json!({"username": "zhang.san", "password": "Zhangsan-2026"}))).await;
    assert_eq!((status, &refused["error"]["reason"]), (401, &json!("account_disabled")), "{refused}");

    // Units with their coverage by name; the edit form shows the regions as chips.
    b.click("#tab-units").await;
    b.ready("admin").await;
    let unit_row = b.text("#unit-table tr[data-unit='CY-WJ']").await;
    assert!(unit_row.contains("望京街道办事处") && unit_row.contains("街道办事处") && unit_row.contains("朝阳区望京街道"), "{unit_row}");
    b.click("#unit-table tr[data-unit='CY-WJ'] button[data-edit-unit]").await;
    b.find("#unit-CY-WJ-regions li[data-region]").await;
    b.run("document.querySelector('#unit-CY-WJ-form').scrollIntoView()", json!([])).await;
    b.screenshot("admin-units").await;

    // The audit log: both actions, by name; filtered to the disabling; exported in Chinese.
    b.click("#tab-audit").await;
    b.ready("admin").await;
    b.until("the audit rows", "return document.querySelectorAll('#audit-table tr[data-audit]').length >= 2", json!([])).await;
    let log = b.text("#audit-table").await;
    assert!(log.contains("新建用户") && log.contains("停用用户") && log.contains("管理员（admin）") && log.contains("网格员张三（zhang.san）"), "{log}");
    b.choose("#audit-kind", "user_disabled").await;
    b.click("#audit-submit").await;
    b.until("the filtered log", "return location.search.includes('kind=user_disabled') && document.querySelectorAll('#audit-table tr[data-audit]').length === 1", json!([])).await;
    b.screenshot("admin-audit").await;
    clear_downloads(&downloads);
    b.click("#audit-export").await;
    let (name, csv) = downloaded(&downloads).await;
    assert!(name.starts_with("审计日志-") && name.ends_with(".csv"), "{name}");
    let text = String::from_utf8(csv).expect("UTF-8");
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    assert_eq!(lines.next(), Some("编号,时间,操作,操作人,对象账号,对象单位,来源地址,详情"));
    let rows: Vec<&str> = lines.collect();
    assert!(rows.len() == 1 && rows[0].contains(",停用用户,admin,zhang.san,"), "the export has the filters of the page: {rows:?}");

    // 修改密码 from the header: a wrong old password is refused in Chinese.
    b.click("#change-password").await;
    b.type_into("#old-password", "not-my-password").await;
    b.type_into("#new-password-1", "Brand-new-2026").await;
    b.type_into("#new-password-2", "Brand-new-2026").await;
    b.click("#password-submit").await;
    b.until("the refusal", "return document.querySelector('#password-result [role=alert]')", json!([])).await;
    assert!(b.text("#password-result").await.contains("原密码不正确"));
    b.screenshot("change-password").await;
    b.click("#password-close").await;

    // On a phone: every tab fits the screen.
    b.window(390, 844).await;
    for (tab, ready, shot) in [("users", "#user-table", "admin-users-phone"), ("units", "#unit-table", "admin-units-phone"), ("audit", "#audit-table", "admin-audit-phone")] {
        b.goto(&s.url(&format!("/admin?tab={tab}"))).await;
        b.ready("admin").await;
        b.find(ready).await;
        no_overflow(&b, &format!("the {tab} tab on a phone")).await;
        b.screenshot(shot).await;
    }
    b.goto(&s.url("/admin?tab=users")).await;
    b.ready("admin").await;
    b.click("#user-table tr[data-user='zhang.san'] button[data-user-action='enable']").await;
    b.find("#user-table tr[data-user='zhang.san'] .confirm").await;
    b.run("document.querySelector(\"#user-table tr[data-user='zhang.san']\").scrollIntoView()", json!([])).await;
    b.screenshot("admin-confirm-phone").await;
    no_overflow(&b, "a confirmation on a phone").await;
    b.window(1366, 768).await;

    b.call(Method::DELETE, "", None).await;
    b.publish_screenshots();
    s.stop().await;
}

/// The maps of cases: the dashboard draws the open cases as points on the city's districts (and
/// as heat), a street's on its own boundary; the case page draws the case's place inside its
/// street's boundary, on a phone. Screenshots `map-points` (1366 px) and `map-case-phone` (390 px); the
/// docs' `dashboard-map.png` and `case-map-phone.png` are of the demo city's 100,000 cases (BENCHMARKS.md).
#[tokio::test]
async fn the_dashboard_map_draws_the_cases_as_points_and_heat_and_the_case_page_its_place_in_its_street() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some((_driver, mut b)) = launch(&dir.path().join("chromium-profile")).await else { return };
    let s = TestServer::start(&format!("sqlite://{}?mode=rwc", dir.path().join("gridline.db").display())).await;
    let operator = s.token("operator").await;
    let beijing = gridline_geo::beijing();
    let mut last = 0;
    for (street, n) in [(WANGJING, 30), (DONGHUAMEN, 12)] {
        let (lat, lon) = beijing.get(street).and_then(|r| r.label_point).expect("a label point");
        for i in 0..n {
            let (dlat, dlon) = (f64::from(i % 6) * 0.0011 - 0.003, f64::from(i / 6) * 0.0013 - 0.003);
            let body = json!({"channel": "hotline", "category": "S0102", "region": street, "description": format!("路边垃圾堆放 {i}"),
                              "location": {"lat": lat + dlat, "lon": lon + dlon}});
            let (status, case) = s.api(Method::POST, "/api/v1/cases", &operator, Some(body)).await;
            assert_eq!(status, 201, "{case}");
            last = case["id"].as_i64().expect("id");
        }
    }
    // What the page should draw: a point per cell of the API's answer.
    let admin = s.token("admin").await;
    let drawn = "const el = document.querySelector(arguments[0]); const c = el && window.echarts.getInstanceByDom(el); if (!c) return null; \
                 const series = c.getOption().series.filter((s) => s.type === arguments[1]); \
                 return series.length ? series.reduce((n, s) => n + s.data.length, 0) : null";
    let cells = |answer: &Value| answer["x"].as_array().expect("cells").len() as u64;

    b.sign_in(&s, "admin", "dashboard").await;
    let (_, city) = s.api(Method::GET, "/api/v1/dashboard/map", &admin, None).await;
    assert_eq!(city["placed"], 42, "{city}");
    let points = b.until("the city's case points", drawn, json!(["#region-map", "scatter"])).await;
    assert_eq!(points.as_u64(), Some(cells(&city)), "one point per cell");
    assert!(b.text("#map-count").await.contains("地图上 42 件"), "{}", b.text("#map-count").await);
    b.run("document.querySelector('#map-layer').scrollIntoView()", json!([])).await;
    b.screenshot("map-points").await;
    // Heat instead of points, chosen from the page.
    b.choose("#map-layer", "heat").await;
    let heat = b.until("the heat layer", drawn, json!(["#region-map", "heatmap"])).await;
    assert_eq!(heat.as_u64(), Some(cells(&city)));
    // A street's map: its boundary and its cases, each its own point on the finest grid.
    b.goto(&s.url(&format!("/dashboard?region={WANGJING}"))).await;
    let street = b.until("望京's case points", drawn, json!(["#region-map", "scatter"])).await;
    assert_eq!(street.as_u64(), Some(30));

    // The case page on a phone: the place inside the street's boundary.
    b.window(390, 844).await;
    b.goto(&s.url(&format!("/cases/{last}"))).await;
    b.until("the case's place", drawn, json!(["#case-map", "effectScatter"])).await;
    let street = b
        .run("const o = window.echarts.getInstanceByDom(document.querySelector('#case-map')).getOption(); return o.geo[0].regions.filter((r) => r.itemStyle?.borderWidth === 2).map((r) => r.name).join()", json!([]))
        .await;
    assert_eq!(street, "东华门街道", "the case's street is drawn out");
    b.run("document.querySelector('#case-map').scrollIntoView({block: 'center'})", json!([])).await;
    b.screenshot("map-case-phone").await;

    b.call(Method::DELETE, "", None).await;
    b.publish_screenshots();
    s.stop().await;
}
