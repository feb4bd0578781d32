//! The `gridline` binary as an operator uses it: units and users from the command line, the
//! demo city, and the server. Every test runs the real binary in its own temporary data
//! directory; servers are started on a free local port and killed when the test ends, even
//! when an assertion fails.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const GRIDLINE: &str = env!("CARGO_BIN_EXE_gridline");
/// How long a server may take to start: the demo city (a year of alley patrols among it) takes a
/// minute or more in a debug build on a busy 2-core machine before it serves.
const READY_TIMEOUT: Duration = Duration::from_secs(300);

/// The binary with an environment that cannot point it elsewhere (a developer's
/// `GRIDLINE_DATABASE` would silently win over `--data-dir`), and plain, short error output.
fn gridline() -> Command {
    let mut command = Command::new(GRIDLINE);
    for var in ["GRIDLINE_DATA_DIR", "GRIDLINE_DATABASE", "GRIDLINE_ADDR", "GRIDLINE_TRUSTED_PROXIES", "GRIDLINE_TLS_CERT", "GRIDLINE_TLS_KEY", "RUST_BACKTRACE", "RUST_LIB_BACKTRACE", "RUST_LOG"] {
        command.env_remove(var);
    }
    command.env("NO_COLOR", "1");
    command
}

/// Runs `gridline ARGS` to the end with `stdin` as its standard input.
fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = gridline()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the gridline binary starts");
    let mut input = child.stdin.take().expect("stdin");
    // The command may refuse before reading its input; a closed pipe is then expected.
    let _ = input.write_all(stdin.as_bytes());
    drop(input);
    child.wait_with_output().expect("gridline finishes")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[track_caller]
fn assert_succeeded(output: &Output) -> String {
    assert!(output.status.success(), "gridline failed ({}):\n{}", output.status, stderr(output));
    stdout(output)
}

/// The command failed, said why on standard error with every `expected` fragment, and did not
/// panic.
#[track_caller]
fn assert_refused(output: &Output, expected: &[&str]) -> String {
    let message = stderr(output);
    assert!(!output.status.success(), "gridline should have refused; it printed:\n{}{message}", stdout(output));
    for fragment in expected {
        assert!(message.contains(fragment), "the message should mention {fragment:?}:\n{message}");
    }
    assert!(!message.contains("panicked"), "a refusal is not a panic:\n{message}");
    message
}

/// A temporary data directory and the commands run against it.
struct DataDir(tempfile::TempDir);

impl DataDir {
    fn new() -> DataDir {
        DataDir(tempfile::tempdir().expect("a temporary directory"))
    }

    fn path(&self) -> &Path {
        self.0.path()
    }

    fn arg(&self) -> &str {
        self.path().to_str().expect("a UTF-8 temporary path")
    }

    /// `gridline ARGS --data-dir DIR` with `stdin` as standard input.
    fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut args = args.to_vec();
        args.extend(["--data-dir", self.arg()]);
        run(&args, stdin)
    }

    #[track_caller]
    fn add_unit(&self, code: &str, name: &str) {
        let output = self.run(
            &["unit", "add", code, "--name", name, "--kind", "street_office", "--region", "110105026000", "--type", "street_office"],
            "",
        );
        assert!(assert_succeeded(&output).contains(&format!("saved unit {code}")));
    }

    /// `gridline user add USERNAME --password-stdin EXTRA…` with `password` on standard input.
    fn add_user(&self, username: &str, password: &str, extra: &[&str]) -> Output {
        let mut args = vec!["user", "add", username, "--password-stdin"];
        args.extend(extra);
        self.run(&args, password)
    }

    /// The rows of `gridline user list`, one `Vec` of tab-separated fields per user.
    #[track_caller]
    fn users(&self) -> Vec<Vec<String>> {
        rows(&assert_succeeded(&self.run(&["user", "list"], "")))
    }

    #[track_caller]
    fn usernames(&self) -> Vec<String> {
        self.users().into_iter().map(|row| row[1].clone()).collect()
    }

    #[track_caller]
    fn units(&self) -> Vec<Vec<String>> {
        rows(&assert_succeeded(&self.run(&["unit", "list"], "")))
    }
}

fn rows(text: &str) -> Vec<Vec<String>> {
    text.lines().filter(|l| !l.is_empty()).map(|l| l.split('\t').map(str::to_owned).collect()).collect()
}

/// A local address nobody listens on (bound, then released).
fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port")
}

/// A `gridline serve` or `gridline demo` process, killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    fn start(args: &[&str], addr: SocketAddr) -> Server {
        Server::start_with_env(args, addr, &[])
    }

    /// [`Server::start`] with `env` added to the server's environment.
    fn start_with_env(args: &[&str], addr: SocketAddr, env: &[(&str, &str)]) -> Server {
        let mut child = gridline()
            .args(args)
            .envs(env.iter().copied())
            .args(["--addr", &addr.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the gridline binary starts");
        // Drain both pipes so that a chatty server never blocks on a full pipe.
        let stdout = collect(child.stdout.take().expect("stdout"));
        let stderr = collect(child.stderr.take().expect("stderr"));
        Server { child, addr, stdout, stderr }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn stdout(&self) -> String {
        self.stdout.lock().expect("stdout").clone()
    }

    fn stderr(&self) -> String {
        self.stderr.lock().expect("stderr").clone()
    }

    /// Waits until `GET /healthz` answers 200 and the server has announced itself on stdout.
    async fn ready(&mut self, http: &reqwest::Client) {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("the server's status") {
                panic!("gridline exited ({status}) before serving:\n{}{}", self.stdout(), self.stderr());
            }
            let healthy = match http.get(self.url("/healthz")).send().await {
                Ok(response) => response.status() == reqwest::StatusCode::OK,
                Err(_) => false,
            };
            if healthy && self.stdout().contains("gridline listening on") {
                return;
            }
            assert!(Instant::now() < deadline, "gridline did not serve within {READY_TIMEOUT:?}:\n{}{}", self.stdout(), self.stderr());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn collect(mut pipe: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&text);
    std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(n) = pipe.read(&mut buffer) {
            if n == 0 {
                break;
            }
            sink.lock().expect("pipe text").push_str(&String::from_utf8_lossy(&buffer[..n]));
        }
    });
    text
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(20)).build().expect("an HTTP client")
}

/// Signs in and returns the bearer token.
async fn sign_in(http: &reqwest::Client, server: &Server, username: &str, password: &str) -> String {
    let response = http
        .post(server.url("/api/v1/session"))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .expect("POST /api/v1/session");
    let status = response.status();
    let body: Value = response.json().await.expect("a JSON session");
    assert_eq!(status, reqwest::StatusCode::CREATED, "signing in as {username}: {body}");
    body["token"].as_str().expect("a token").to_owned()
}

async fn get(http: &reqwest::Client, server: &Server, path: &str, token: &str) -> Value {
    let response = http.get(server.url(path)).bearer_auth(token).send().await.expect("GET");
    let status = response.status();
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(status, reqwest::StatusCode::OK, "GET {path}: {body}");
    body
}

async fn case_total(http: &reqwest::Client, server: &Server, token: &str) -> u64 {
    get(http, server, "/api/v1/cases?page_size=1", token).await["total"].as_u64().expect("a total")
}

/// The cases the demo's evaluation filed for its findings.
async fn channel_total(http: &reqwest::Client, server: &Server, token: &str, channel: &str) -> u64 {
    get(http, server, &format!("/api/v1/cases?page_size=1&channel={channel}"), token).await["total"].as_u64().expect("a total")
}

/// The password the demo printed for `username`, from its table
/// `  USERNAME   PASSWORD   ROLE`.
fn demo_password(table: &str, username: &str) -> String {
    table
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .find(|fields| fields.len() == 3 && fields[0] == username)
        .map(|fields| fields[1].to_owned())
        .unwrap_or_else(|| panic!("the demo printed no password for {username}:\n{table}"))
}

const DEMO_USERS: [(&str, &str); 8] = [
    ("admin", "admin"),
    ("operator", "hotline_operator"),
    ("grid", "grid_worker"),
    ("dispatcher", "dispatcher"),
    ("handler", "handling_unit"),
    ("supervisor", "supervisor"),
    ("inspector", "inspector"),
    ("member", "member_unit"),
];

// ---------------------------------------------------------------------------------------------
// Units and users
// ---------------------------------------------------------------------------------------------

#[test]
fn a_unit_and_a_user_of_it_are_added_and_listed() {
    let dir = DataDir::new();
    dir.add_unit("WJ-JD", "望京街道办事处");
    let added = dir.add_user("wang.wei", "correct horse battery\n", &["--role", "handling_unit", "--unit", "WJ-JD"]);
    let said = assert_succeeded(&added);
    assert!(said.contains("added user wang.wei") && said.contains("handling_unit"), "{said}");

    let units = dir.units();
    assert_eq!(units, [["WJ-JD", "望京街道办事处", "street_office", "110105026000", "street_office"]]);
    let users = dir.users();
    assert_eq!(users.len(), 1, "{users:?}");
    assert_eq!(users[0][1..], ["wang.wei", "handling_unit", "WJ-JD"]);

    // A role without a unit needs no --unit, and Chinese letters make a username.
    assert_succeeded(&dir.add_user("王伟", "another password", &["--role", "dispatcher", "--display-name", "市级派单员"]));
    assert_eq!(dir.usernames(), ["wang.wei", "王伟"]);
}

#[test]
fn a_user_is_disabled_enabled_changed_and_given_a_new_password_from_the_command_line() {
    let dir = DataDir::new();
    dir.add_unit("WJ-JD", "望京街道办事处");
    assert_succeeded(&dir.add_user("wang.wei", "correct horse battery\n", &["--role", "handling_unit", "--unit", "WJ-JD"]));
    assert!(assert_succeeded(&dir.run(&["user", "disable", "wang.wei"], "")).contains("disabled user wang.wei"));
    assert_eq!(dir.users()[0][1..], ["wang.wei", "handling_unit", "WJ-JD", "disabled"]);
    assert_succeeded(&dir.run(&["user", "enable", "wang.wei"], ""));
    assert_eq!(dir.users()[0][1..], ["wang.wei", "handling_unit", "WJ-JD"]);
    // The same rules as the API's: a unit role needs its unit.
    assert_refused(&dir.run(&["user", "change", "wang.wei", "--no-unit"], ""), &["works for a unit"]);
    let changed = assert_succeeded(&dir.run(&["user", "change", "wang.wei", "--role", "dispatcher", "--no-unit"], ""));
    assert!(changed.contains("role dispatcher, unit none"), "{changed}");
    assert_refused(&dir.run(&["user", "reset-password", "wang.wei", "--password-stdin"], "short\n"), &["at least 8 characters"]);
    assert!(assert_succeeded(&dir.run(&["user", "reset-password", "wang.wei", "--password-stdin"], "a new long password\n")).contains("reset the password"));
    assert_refused(&dir.run(&["user", "disable", "nobody"], ""), &["no user \"nobody\""]);
}

#[test]
fn adding_a_unit_again_updates_it() {
    let dir = DataDir::new();
    dir.add_unit("WJ-JD", "望京街道");
    dir.add_unit("WJ-JD", "望京街道办事处");
    assert_eq!(dir.units(), [["WJ-JD", "望京街道办事处", "street_office", "110105026000", "street_office"]]);
}

#[test]
fn an_unknown_role_is_refused_with_the_list_of_roles() {
    let dir = DataDir::new();
    let output = dir.add_user("boss", "long enough password", &["--role", "boss"]);
    assert_refused(&output, &["unknown role \"boss\"", "hotline_operator", "grid_worker", "dispatcher", "handling_unit", "supervisor", "inspector", "member_unit", "admin"]);
    assert!(dir.users().is_empty());
}

#[test]
fn a_unit_role_without_a_unit_is_refused() {
    let dir = DataDir::new();
    for role in ["handling_unit", "grid_worker", "member_unit"] {
        let output = dir.add_user("worker", "long enough password", &["--role", role]);
        assert_refused(&output, &[role, "--unit"]);
    }
    assert!(dir.users().is_empty());
}

#[test]
fn an_unknown_unit_is_refused() {
    let dir = DataDir::new();
    dir.add_unit("WJ-JD", "望京街道办事处");
    let output = dir.add_user("worker", "long enough password", &["--role", "handling_unit", "--unit", "NO-SUCH-UNIT"]);
    assert_refused(&output, &["unknown unit \"NO-SUCH-UNIT\"", "gridline unit add"]);
    assert!(dir.users().is_empty());
}

#[test]
fn a_password_shorter_than_eight_characters_is_refused() {
    let dir = DataDir::new();
    // Seven characters, and the newline that ends the line is not one of them.
    let output = dir.add_user("shorty", "1234567\n", &["--role", "admin"]);
    assert_refused(&output, &["at least 8 characters"]);
    // Eight characters counted as characters, not bytes: 7 Chinese characters are 21 bytes.
    let output = dir.add_user("shorty", "七个汉字的密码\r\n", &["--role", "admin"]);
    assert_refused(&output, &["at least 8 characters"]);
    assert!(dir.users().is_empty());
}

#[test]
fn an_empty_password_is_refused() {
    let dir = DataDir::new();
    for password in ["", "\n", "\r\n"] {
        let output = dir.add_user("nobody", password, &["--role", "admin"]);
        assert_refused(&output, &["password"]);
    }
    assert!(dir.users().is_empty());
}

#[test]
fn the_password_is_never_taken_from_the_command_line() {
    let dir = DataDir::new();
    // Without --password-stdin the command does not run at all.
    let output = dir.run(&["user", "add", "admin", "--role", "admin"], "long enough password");
    assert_refused(&output, &["--password-stdin"]);
    let output = dir.run(&["user", "add", "admin", "--role", "admin", "--password", "long enough password"], "");
    assert_refused(&output, &["--password"]);
    assert!(dir.users().is_empty());
}

#[test]
fn a_duplicate_username_is_refused_and_the_first_user_is_kept() {
    let dir = DataDir::new();
    assert_succeeded(&dir.add_user("li.na", "first password", &["--role", "supervisor"]));
    let before = dir.users();
    let output = dir.add_user("li.na", "second password", &["--role", "admin"]);
    assert_refused(&output, &["li.na", "already exists"]);
    assert_eq!(dir.users(), before, "the first li.na is unchanged");
}

#[test]
fn hostile_usernames_are_refused() {
    let dir = DataDir::new();
    let too_long = "a".repeat(65);
    for username in ["a;DROP TABLE users", "bob smith", "o'brien", "\"quoted\"", "admin\"--", "tab\there", "new\nline", "<script>", "", too_long.as_str()] {
        let output = dir.add_user(username, "long enough password", &["--role", "admin"]);
        assert_refused(&output, &["a username is 1–64 letters"]);
    }
    assert!(dir.users().is_empty());
    // 64 is still fine.
    assert_succeeded(&dir.add_user(&"a".repeat(64), "long enough password", &["--role", "admin"]));
    assert_eq!(dir.users().len(), 1);
}

#[test]
fn an_unknown_unit_kind_is_refused_with_the_list_of_kinds() {
    let dir = DataDir::new();
    let output = dir.run(&["unit", "add", "X", "--name", "某单位", "--kind", "ministry", "--region", "110105026000"], "");
    assert_refused(&output, &["unknown unit kind \"ministry\"", "department", "street_office", "member_unit", "public_service"]);
    assert!(dir.units().is_empty());
}

#[test]
fn an_unknown_region_is_refused_for_a_unit() {
    let dir = DataDir::new();
    // The second region is unknown: nothing is saved, not even with the first.
    let output = dir.run(&["unit", "add", "X", "--name", "某单位", "--kind", "department", "--region", "110105000000", "--region", "119999999999"], "");
    assert_refused(&output, &["unknown region \"119999999999\""]);
    let output = dir.run(&["unit", "add", "X", "--name", "某单位", "--kind", "department"], "");
    assert_refused(&output, &["--region"]);
    assert!(dir.units().is_empty());
}

#[test]
fn a_unit_without_a_name_is_refused() {
    let dir = DataDir::new();
    let output = dir.run(&["unit", "add", "X", "--name", "  ", "--kind", "department", "--region", "110105000000"], "");
    assert_refused(&output, &["a unit needs a code and a name"]);
    assert!(dir.units().is_empty());
}

#[test]
fn an_unsupported_database_url_is_named_in_the_refusal() {
    let dir = DataDir::new();
    let output = run(&["user", "add", "admin", "--role", "admin", "--password-stdin", "--database", "mysql://x"], "long enough password");
    assert_refused(&output, &["mysql://x", "unsupported database URL"]);
    let output = run(&["user", "list", "--database", "mysql://x"], "");
    assert_refused(&output, &["mysql://x", "unsupported database URL"]);
    let output = run(&["unit", "list", "--database", "mysql://x"], "");
    assert_refused(&output, &["mysql://x", "unsupported database URL"]);
    // Nothing went to the data directory instead.
    assert!(dir.users().is_empty());
}

#[test]
fn a_database_password_never_appears_in_a_refusal() {
    let output = run(&["user", "list", "--database", "mysql://grid:hunter2@db/gridline"], "");
    let message = assert_refused(&output, &["mysql://grid:***@db/gridline"]);
    assert!(!message.contains("hunter2"), "the password leaked:\n{message}");
}

// ---------------------------------------------------------------------------------------------
// The demo city
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_demo_city_is_created_once_and_its_passwords_are_kept() {
    let dir = DataDir::new();
    let http = http();
    let demo_args = ["demo", "--data-dir", dir.arg(), "--cases", "300"];

    let mut demo = Server::start(&demo_args, free_addr());
    demo.ready(&http).await;
    let table = demo.stdout();
    for (username, role) in DEMO_USERS {
        let password = demo_password(&table, username);
        assert!(password.len() >= 8, "{username}'s password {password:?} is too short");
        assert!(table.lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == [username, password.as_str(), role]), "{username} is not listed as {role}:\n{table}");
    }
    let password = demo_password(&table, "dispatcher");
    let stored = std::fs::read_to_string(dir.path().join("demo-credentials.txt")).expect("demo-credentials.txt");
    assert_eq!(demo_password(&stored, "dispatcher"), password, "the printed passwords are the stored ones");

    let token = sign_in(&http, &demo, "dispatcher", &password).await;
    // 300 cases of the history, the findings of the quarter's field checks (inspection channel,
    // where the history has some cases too) and of the last fortnight's alley patrols.
    let findings = case_total(&http, &demo, &token).await - 300;
    let patrol_findings = channel_total(&http, &demo, &token, "alley_patrol").await;
    assert!(patrol_findings > 0, "the demo's alley patrols filed no case");
    assert!(findings > patrol_findings, "the demo's field checks filed no case");
    assert!(channel_total(&http, &demo, &token, "inspection").await >= findings - patrol_findings);
    // The demo's cases went through the routing rules: find one the rules dispatched.
    let mut routed = None;
    for id in 1..=300 {
        let route = get(&http, &demo, &format!("/api/v1/cases/{id}/route"), &token).await;
        if route["certain"] == true {
            routed = Some((id, route));
            break;
        }
    }
    let (routed, route) = routed.expect("the rules are certain of some demo case");
    // The ledger: 2020 closed as bulletin 2178 counts it, the current year past its mid-year check.
    let supervisor = sign_in(&http, &demo, "supervisor", &demo_password(&table, "supervisor")).await;
    let report = get(&http, &demo, "/api/v1/ledger/2020/report", &supervisor).await;
    assert_eq!((report["units"].as_u64(), report["projects"].as_u64(), report["closed"].as_bool()), (Some(58), Some(114), Some(true)));
    let units_by_class: Vec<u64> = report["classes"].as_array().unwrap().iter().map(|c| c["units"].as_u64().unwrap()).collect();
    assert_eq!(units_by_class, [8, 37, 7, 12], "as the bulletin counts them");
    assert_eq!(report["outcomes"]["completed"].as_u64(), Some(114));
    assert!(report["classes"][0]["examples"].as_array().is_some_and(|e| !e.is_empty()), "{report}");
    assert_eq!(report["classes"][0]["lead"], "北京市人大常委会等 8 家单位围绕制度建设立项 11 个", "the bulletin's examples, in its order");
    let this_year = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).year();
    let board = get(&http, &demo, &format!("/api/v1/ledger/{this_year}/summary"), &supervisor).await;
    assert_eq!((board["units"].as_u64(), board["closed"].as_bool()), (Some(58), Some(false)), "{board}");
    let member = sign_in(&http, &demo, "member", &demo_password(&table, "member")).await;
    let own = get(&http, &demo, &format!("/api/v1/ledger/{this_year}"), &member).await;
    let units: Vec<&str> = own["items"].as_array().unwrap().iter().map(|p| p["unit"].as_str().unwrap()).collect();
    assert_eq!(units, ["BJ-SWJ", "BJ-SWJ"], "a member unit sees only its own projects");
    // The half-year's material review: 12 districts submitted both clauses and 2 one (26), the
    // other 4 are reminded; three reviewers scored each; disagreements settled by hand.
    let reviews = get(&http, &demo, "/api/v1/evaluation/reviews", &supervisor).await;
    let window = &reviews["items"][0];
    assert_eq!((window["submitted"].as_u64(), window["reviewed"].as_u64(), window["open"].as_bool()), (Some(26), Some(26), Some(true)), "{reviews}");
    let page = get(&http, &demo, &format!("/api/v1/evaluation/reviews/{}", window["id"]), &supervisor).await;
    let submissions = page["submissions"].as_array().unwrap();
    assert!(submissions.iter().all(|s| s["reviews"].as_array().map(Vec::len) == Some(3)), "{page}");
    assert!(submissions.iter().any(|s| s["joint"]["disagreement"] == true && s["settlement"]["rule"] == "hand"), "{page}");
    let reminders = get(&http, &demo, &format!("/api/v1/evaluation/reviews/{}/reminders", window["id"]), &supervisor).await;
    assert_eq!(reminders["items"].as_array().map(Vec::len), Some(4), "{reminders}");
    let month = jiff::Zoned::now().with_time_zone(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).strftime("%Y-%m").to_string();
    let scores = get(&http, &demo, &format!("/api/v1/evaluation/scores?period={month}"), &supervisor).await;
    let with_materials = scores["items"].as_array().unwrap().iter().filter(|r| r["material_review"].is_number()).count();
    assert_eq!(with_materials, 14, "the composite includes the material review where it was scored: {scores}");
    demo.kill();
    let explained: Value = serde_json::from_str(&assert_succeeded(&dir.run(&["route", "explain", &routed.to_string()], ""))).unwrap();
    assert_eq!(explained["rule"]["id"], route["rule"]["id"], "the command and the API agree: {explained}");
    assert_eq!(explained["unit"], route["unit"]);
    // The rollups kept live while the demo's histories were written equal a fold of its events,
    // and a rebuild keeps them so.
    for step in [&["rollups", "check"][..], &["rollups", "rebuild"], &["rollups", "check"]] {
        let said = assert_succeeded(&dir.run(step, ""));
        if step[1] == "check" {
            let counts: Vec<u64> = said.split(|c: char| !c.is_ascii_digit()).filter_map(|n| n.parse().ok()).collect();
            assert!(said.starts_with("the rollups agree with the events") && counts.len() == 3 && counts.iter().all(|n| *n > 0), "{said}");
        }
    }
    // The evaluation's commands: a quarter of weekly rounds, the district ranking, the indicator
    // system out to XLSX and back in as the next revision.
    let rounds = assert_succeeded(&dir.run(&["evaluation", "rounds"], ""));
    assert_eq!(rounds.lines().count(), 1 + 13, "{rounds}");
    let month = jiff::Zoned::now().with_time_zone(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).strftime("%Y-%m").to_string();
    let scores: Value = serde_json::from_str(&assert_succeeded(&dir.run(&["evaluation", "scores", "--period", &month, "--json"], ""))).unwrap();
    assert_eq!(scores["items"].as_array().map(Vec::len), Some(16), "{scores}");
    assert_eq!(scores["items"][0]["rank"], 1, "{scores}");
    let workbook = dir.path().join("indicators.xlsx");
    let said = assert_succeeded(&dir.run(&["evaluation", "indicators", "export", "--output", workbook.to_str().unwrap()], ""));
    assert!(said.contains("revision 1 of 2026"), "{said}");
    let said = assert_succeeded(&dir.run(&["evaluation", "indicators", "import", "--input", workbook.to_str().unwrap()], ""));
    assert!(said.contains("as revision 2 of 2026"), "{said}");
    assert_refused(&dir.run(&["evaluation", "scores", "--period", &month, "--level", "city"], ""), &["district or street"]);
    let users = dir.users();
    let units = dir.units();
    assert!(users.len() > DEMO_USERS.len() && units.len() > 40, "{} users, {} units", users.len(), units.len());

    // Again on the same directory: nothing new, the same passwords.
    let mut again = Server::start(&demo_args, free_addr());
    again.ready(&http).await;
    let table_again = again.stdout();
    for (username, _) in DEMO_USERS {
        assert_eq!(demo_password(&table_again, username), demo_password(&table, username), "{username}'s password changed");
    }
    let token = sign_in(&http, &again, "dispatcher", &password).await;
    assert_eq!(case_total(&http, &again, &token).await, 300 + findings, "the second start created cases");
    again.kill();
    assert_eq!(dir.users(), users, "the second start changed the users");
    assert_eq!(dir.units(), units, "the second start changed the units");
}

// ---------------------------------------------------------------------------------------------
// The project ledger
// ---------------------------------------------------------------------------------------------

const LEDGER_HEADERS: [&str; 10] = ["序号", "单位", "类别", "重点任务", "项目名称", "工作目标", "主要措施", "节点安排", "责任人", "佐证材料"];

fn ledger_xlsx(path: &Path, rows: &[[&str; 10]]) {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (r, row) in std::iter::once(&LEDGER_HEADERS).chain(rows).enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet.write(r as u32, c as u16, *cell).unwrap();
        }
    }
    workbook.save(path).unwrap();
}

#[test]
fn a_ledger_is_imported_from_the_offices_spreadsheet_and_a_bad_one_writes_nothing() {
    let dir = DataDir::new();
    for (code, name) in [("BJ-MZJ", "北京市民政局"), ("BJ-FL", "北京市妇女联合会")] {
        assert_succeeded(&dir.run(&["unit", "add", code, "--name", name, "--kind", "member_unit", "--region", "110000000000"], ""));
        assert_succeeded(&dir.run(&["ledger", "member", code, "--tier", "市级单位", "--contact", "王老师", "--phone", "010-1"], ""));
    }
    assert_refused(&dir.run(&["ledger", "member", "BJ-XX", "--tier", "municipal", "--contact", "a", "--phone", "1"], ""), &["unknown unit"]);
    assert_succeeded(&dir.run(&["ledger", "year", "--year", "2026", "--task", "T1=贯彻落实《北京市文明行为促进条例》"], ""));
    let good = ["1", "北京市民政局", "文明宣传", "T1", "社区邻里节", "带动社区开展邻里活动", "发动社区", "2026-03-31 方案\n2026-11-30 总结", "张三", "照片"];
    let bad = dir.path().join("bad.xlsx");
    ledger_xlsx(&bad, &[
        good,
        ["2", "北京市不存在局", "文明宣传", "T1", "甲", "目标", "措施", "2026-03-31 方案", "张三", "照片"],
        ["3", "北京市妇女联合会", "文明出行", "T1", "乙", "目标", "措施", "2026-03-31 方案", "张三", "照片"],
        ["4", "北京市妇女联合会", "文明治理", "T1", "丙", "目标", "措施", "2025-12-31 方案", "张三", "照片"],
        ["5", "北京市民政局", "文明宣传", "T1", "社区邻里节", "目标", "措施", "2026-03-31 方案", "张三", "照片"],
    ]);
    let refused = assert_refused(&dir.run(&["ledger", "import", bad.to_str().unwrap(), "--year", "2026"], ""), &[
        "nothing was written",
        "bad.xlsx line 3: 单位",
        "bad.xlsx line 4: 类别",
        "bad.xlsx line 5: 节点安排",
        "bad.xlsx line 6: 项目名称",
    ]);
    assert!(!refused.contains("line 2"), "the good row is not blamed: {refused}");
    let summary = |dir: &DataDir| -> Value { serde_json::from_str(&assert_succeeded(&dir.run(&["ledger", "summary", "--year", "2026", "--json"], ""))).unwrap() };
    assert_eq!(summary(&dir)["projects"], 0, "nothing of the bad file was written");

    let text = format!("{}\n{}\n", LEDGER_HEADERS.join(","), good.join(",").replace('\n', " "));
    let (gbk, _, _) = encoding_rs::GB18030.encode(&text);
    let csv = dir.path().join("ledger.csv");
    std::fs::write(&csv, &gbk).unwrap();
    assert_refused(&dir.run(&["ledger", "import", csv.to_str().unwrap(), "--year", "2026"], ""), &["line 1", "GB18030", "--encoding gb18030", "Nothing was written"]);
    assert_eq!(summary(&dir)["projects"], 0);

    let fine = dir.path().join("ledger.xlsx");
    ledger_xlsx(&fine, &[good, ["2", "北京市妇女联合会", "文明治理", "T1", "垃圾分类“家”行动", "目标", "措施", "2026年3月31日 方案", "李四", "照片"]]);
    let said = assert_succeeded(&dir.run(&["ledger", "import", fine.to_str().unwrap(), "--year", "2026", "--accept"], ""));
    assert!(said.contains("imported 2 project(s) of 2 unit(s)"), "{said}");
    let board = summary(&dir);
    assert_eq!((board["projects"].as_u64(), board["by_status"][0]["status"].as_str()), (Some(2), Some("accepted")), "{board}");
    let table = assert_succeeded(&dir.run(&["ledger", "summary", "--year", "2026"], ""));
    assert!(table.contains("文明宣传\t1 家单位\t1 个项目"), "{table}");

    let out = dir.path().join("export.xlsx");
    assert_succeeded(&dir.run(&["ledger", "export", "--year", "2026", "--out", out.to_str().unwrap()], ""));
    use calamine::Reader;
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook(&out).unwrap();
    let sheet = workbook.sheet_names()[0].clone();
    let range = workbook.worksheet_range(&sheet).unwrap();
    let exported: Vec<Vec<String>> = range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    assert_eq!(&exported[0][..10], LEDGER_HEADERS, "the import's columns first");
    assert_eq!((exported.len(), exported[2][4].as_str(), exported[2][10].as_str()), (3, "社区邻里节", "已立项"), "by unit code: 妇联 first");

    // A year closes only once every project is archived.
    assert_refused(&dir.run(&["ledger", "close", "--year", "2026"], ""), &["2 project(s) of 2026 are not archived yet"]);
    assert!(!summary(&dir)["closed"].as_bool().unwrap());
}

#[test]
fn a_data_directory_with_users_but_no_finished_demo_is_not_taken_for_one() {
    let dir = DataDir::new();
    // Users but no credentials file: an interrupted demo, or not a demo at all.
    assert_succeeded(&dir.add_user("admin", "long enough password", &["--role", "admin"]));
    let output = run(&["demo", "--data-dir", dir.arg(), "--addr", &free_addr().to_string(), "--cases", "10"], "");
    assert_refused(&output, &["holds data but no finished demo", "remove it or choose another --data-dir"]);
    assert_eq!(dir.usernames(), ["admin"], "nothing was created");
}

// ---------------------------------------------------------------------------------------------
// Serving
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn serve_answers_health_checks_and_signs_in_users_added_from_the_command_line() {
    let dir = DataDir::new();
    dir.add_unit("WJ-JD", "望京街道办事处");
    assert_succeeded(&dir.add_user("wang.wei", "correct horse battery\n", &["--role", "handling_unit", "--unit", "WJ-JD"]));
    let http = http();
    let mut server = Server::start(&["serve", "--data-dir", dir.arg()], free_addr());
    server.ready(&http).await;
    assert!(server.stdout().contains(&format!("gridline listening on http://{}", server.addr)), "{}", server.stdout());

    let health: Value = http.get(server.url("/healthz")).send().await.expect("GET /healthz").json().await.expect("JSON");
    assert_eq!(health, json!({ "status": "ok" }));

    // The password as typed, without the newline that ended it.
    let token = sign_in(&http, &server, "wang.wei", "correct horse battery").await;
    let me = get(&http, &server, "/api/v1/me", &token).await;
    assert_eq!((me["username"].as_str(), me["role"].as_str(), me["unit"].as_str()), (Some("wang.wei"), Some("handling_unit"), Some("WJ-JD")), "{me}");
    let refused = http
        .post(server.url("/api/v1/session"))
        .json(&json!({ "username": "wang.wei", "password": "correct horse battery\n" }))
        .send()
        .await
        .expect("POST /api/v1/session");
    assert_eq!(refused.status(), reqwest::StatusCode::UNAUTHORIZED);
}

/// Sign-in throttling behind a reverse proxy (`GRIDLINE_TRUSTED_PROXIES`): the address a trusted
/// proxy forwards for is the one locked out, so the other clients behind the proxy still sign in;
/// a server that does not trust the proxy ignores the header.
#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_the_one_locked_out() {
    let dir = DataDir::new();
    assert_succeeded(&dir.add_user("admin", "correct horse battery", &["--role", "admin"]));
    let http = http();
    let attempt = |server: &Server, username: &str, password: &str, forwarded_for: &str| {
        http.post(server.url("/api/v1/session"))
            .header("x-forwarded-for", forwarded_for)
            .json(&json!({ "username": username, "password": password }))
            .send()
    };
    {
        let mut server = Server::start_with_env(&["serve", "--data-dir", dir.arg()], free_addr(), &[("GRIDLINE_TRUSTED_PROXIES", "127.0.0.0/8")]);
        server.ready(&http).await;
        // The proxy ended HTTPS (X-Forwarded-Proto): the page's session cookie is Secure.
        for (proto, secure) in [("https", true), ("http", false)] {
            let answer = http.post(server.url("/web/session")).header("x-forwarded-proto", proto)
                .json(&json!({ "username": "admin", "password": "correct horse battery" })).send().await.expect("POST /web/session");
            let cookie = answer.headers()["set-cookie"].to_str().expect("text").to_owned();
            assert_eq!(cookie.contains("; Secure"), secure, "{proto}: {cookie}");
        }
        // 20 failures from one client, on 20 accounts (so that no account lock is reached), a
        // forged address written by the client itself on the left.
        for n in 0..20 {
            let response = attempt(&server, &format!("nobody-{n}"), "wrong password", "10.9.9.9, 198.51.100.7").await.expect("POST /api/v1/session");
            assert_eq!(response.status(), reqwest::StatusCode::UNAUTHORIZED);
        }
        let locked = attempt(&server, "admin", "correct horse battery", "198.51.100.7").await.expect("POST /api/v1/session");
        assert_eq!(locked.status(), reqwest::StatusCode::TOO_MANY_REQUESTS);
        let other = attempt(&server, "admin", "correct horse battery", "198.51.100.8").await.expect("POST /api/v1/session");
        assert_eq!(other.status(), reqwest::StatusCode::CREATED);
    }
    let locks = rows(&assert_succeeded(&dir.run(&["user", "locks"], "")));
    assert_eq!(locks.iter().map(|l| l[0].as_str()).collect::<Vec<_>>(), ["address:198.51.100.7"], "{locks:?}");

    // Not trusted: the header is ignored and the connection's address counts.
    let mut server = Server::start(&["serve", "--data-dir", dir.arg()], free_addr());
    server.ready(&http).await;
    let answer = http.post(server.url("/web/session")).header("x-forwarded-proto", "https")
        .json(&json!({ "username": "admin", "password": "correct horse battery" })).send().await.expect("POST /web/session");
    assert!(!answer.headers()["set-cookie"].to_str().expect("text").contains("Secure"), "X-Forwarded-Proto from anyone but a trusted proxy is ignored");
    let response = attempt(&server, "nobody", "wrong password", "198.51.100.9").await.expect("POST /api/v1/session");
    assert_eq!(response.status(), reqwest::StatusCode::UNAUTHORIZED);
    drop(server);
    let store = gridline_store::Store::open_data_dir(dir.path()).await.expect("the data directory");
    let failed = store.security().audit_log(1).await.expect("the audit log");
    store.close().await;
    assert_eq!((failed[0].kind.as_str(), failed[0].address.as_deref()), ("sign_in_failed", Some("127.0.0.1")), "{failed:?}");

    // A list the server cannot read stops it with the entry named.
    let mut server = Server::start_with_env(&["serve", "--data-dir", dir.arg()], free_addr(), &[("GRIDLINE_TRUSTED_PROXIES", "proxy.example")]);
    let status = server.child.wait().expect("the server exits");
    assert!(!status.success());
    let deadline = Instant::now() + Duration::from_secs(5);
    while !server.stderr().contains("proxy.example") && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(server.stderr().contains("proxy.example"), "{}", server.stderr());
}

#[test]
fn serve_refuses_an_address_that_is_not_one() {
    let dir = DataDir::new();
    let output = dir.run(&["serve", "--addr", "not-an-address"], "");
    assert_refused(&output, &["invalid value 'not-an-address'", "--addr"]);
    let output = dir.run(&["demo", "--addr", "127.0.0.1:99999"], "");
    assert_refused(&output, &["invalid value '127.0.0.1:99999'", "--addr"]);
}

#[test]
fn serve_and_demo_stop_at_once_naming_a_certificate_file_they_cannot_use() {
    let dir = DataDir::new();
    let missing = dir.path().join("missing.pem");
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate").expect("write");
    let (missing, garbage) = (missing.to_str().expect("UTF-8"), garbage.to_str().expect("UTF-8"));
    let output = dir.run(&["serve", "--tls-cert", missing, "--tls-key", garbage], "");
    assert_refused(&output, &["cannot read the TLS certificate", "missing.pem"]);
    let output = gridline().args(["demo", "--data-dir", dir.arg()]).env("GRIDLINE_TLS_CERT", garbage).env("GRIDLINE_TLS_KEY", garbage).output().expect("gridline runs");
    assert_refused(&output, &["garbage.pem is not a PEM file", "BEGIN CERTIFICATE"]);
    assert!(!dir.path().join("demo-credentials.txt").exists(), "no demo city is made before the certificate is read");
    // One without the other is a usage error.
    let output = dir.run(&["serve", "--tls-cert", garbage], "");
    assert_refused(&output, &["--tls-key"]);
}

#[test]
fn serve_says_when_its_address_is_taken() {
    let dir = DataDir::new();
    let taken = TcpListener::bind("127.0.0.1:0").expect("a port");
    let addr = taken.local_addr().expect("its address").to_string();
    let output = dir.run(&["serve", "--addr", &addr], "");
    assert_refused(&output, &[&format!("listening on {addr}")]);
}

#[tokio::test]
async fn serve_stops_cleanly_on_sigterm() {
    let dir = DataDir::new();
    let mut server = Server::start(&["serve", "--data-dir", dir.arg()], free_addr());
    server.ready(&http()).await;
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill -TERM").success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = server.child.try_wait().expect("the server's status") {
            break status;
        }
        assert!(Instant::now() < deadline, "gridline did not stop within 10 s of SIGTERM:\n{}", server.stderr());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "gridline exited with {status} on SIGTERM:\n{}", server.stderr());
}

// ---------------------------------------------------------------------------------------------
// The catalogue, routing rules and crosswalk from the command line.

#[test]
fn the_catalogue_exports_imports_back_unchanged_and_an_edit_bumps_one_version() {
    let dir = DataDir::new();
    let export = dir.path().join("export");
    let said = assert_succeeded(&dir.run(&["catalogue", "export", "--dir", export.to_str().unwrap()], ""));
    assert!(said.contains("catalogue.toml") && said.contains("routing.toml") && said.contains("crosswalk.csv"), "{said}");
    let file = |name: &str| export.join(name).to_str().unwrap().to_owned();
    let args = |extra: &[&str]| {
        let mut args = vec!["catalogue", "import"];
        args.extend_from_slice(extra);
        args.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()
    };
    let (catalogue, routing, crosswalk) = (file("catalogue.toml"), file("routing.toml"), file("crosswalk.csv"));
    let same = args(&["--catalogue", &catalogue, "--routing", &routing, "--crosswalk", &crosswalk]);
    let said = assert_succeeded(&dir.run(&same.iter().map(String::as_str).collect::<Vec<_>>(), ""));
    assert!(said.contains("applied as revision 2") && said.contains("added 0, changed 0, removed 0"), "{said}");

    // An edited name: the dry run reports it and changes nothing; the import applies it.
    let text = std::fs::read_to_string(&catalogue).unwrap().replace("name = \"非法小广告\"", "name = \"非法小广告（含喷涂）\"");
    std::fs::write(&catalogue, text).unwrap();
    let said = assert_succeeded(&dir.run(&["catalogue", "validate", "--catalogue", &catalogue], ""));
    assert!(said.contains("dry run") && said.contains("changed: S0201"), "{said}");
    let listed = assert_succeeded(&dir.run(&["catalogue", "list", "--q", "S0201"], ""));
    assert!(listed.starts_with("S0201\t非法小广告\t"), "unchanged by the dry run: {listed}");
    let said = assert_succeeded(&dir.run(&["catalogue", "import", "--catalogue", &catalogue, "--note", "喷涂"], ""));
    assert!(said.contains("applied as revision 3") && said.contains("changed: S0201"), "{said}");
    let listed = assert_succeeded(&dir.run(&["catalogue", "list", "--q", "小广告", "--leaf"], ""));
    assert!(listed.starts_with("S0201\t非法小广告（含喷涂）\t"), "{listed}");
}

#[test]
fn a_broken_catalogue_file_is_refused_whole_with_file_and_line() {
    let dir = DataDir::new();
    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, "[[entry]]\ncode = \"A\"\nname = \"甲\"\nunit_type = \"plumbers\"\ntime_limit = { amount = 1, unit = \"hours\" }\n[[entry]]\ncode = \"A\"\nname = \"乙\"\nparent = \"Z\"\n").unwrap();
    let refused = assert_refused(&dir.run(&["catalogue", "import", "--catalogue", broken.to_str().unwrap()], ""), &[
        "nothing changed",
        "catalogue.toml line 6: code A appears twice (first on line 1)",
        "catalogue.toml line 6: entry A names unknown parent Z",
    ]);
    assert!(!refused.contains("panicked"), "{refused}");
    std::fs::write(&broken, [0xff, 0xfe, b'a']).unwrap();
    assert_refused(&dir.run(&["catalogue", "validate", "--catalogue", broken.to_str().unwrap()], ""), &["not UTF-8"]);
    assert_refused(&dir.run(&["catalogue", "import"], ""), &["give at least one of"]);
    assert_refused(&dir.run(&["catalogue", "unmapped", "--scheme", "nyc"], ""), &["unknown scheme \"nyc\"", "hotline"]);
    let unmapped = assert_succeeded(&dir.run(&["catalogue", "unmapped", "--scheme", "hotline"], ""));
    assert!(rows(&unmapped).iter().all(|r| r[0] == "hotline" && r.len() == 3) && !unmapped.is_empty(), "{unmapped}");
    assert_refused(&dir.run(&["unit", "add", "X", "--name", "x", "--kind", "department", "--region", "110105026000", "--type", "plumbers"], ""), &["unknown unit type \"plumbers\"", "street_office"]);
}

#[test]
fn route_explain_of_a_missing_case_says_so() {
    let dir = DataDir::new();
    assert_refused(&dir.run(&["route", "explain", "1"], ""), &["no case 1"]);
}

/// Labelled messages for the text commands: three classes, six messages each.
const LABELLED: &str = "主题,详情,类别
拖欠工资,公司拖欠工资三个月不发,劳动
社保,单位不给缴纳社保养老保险,劳动
辞退补偿,辞退员工不给经济补偿金,劳动
工伤认定,工伤认定迟迟没有结果,劳动
加班费,加班不给加班费还克扣工资,劳动
劳动合同,老板不签劳动合同拖欠工资,劳动
垃圾清运,小区门口垃圾堆积没人清运,环境
噪音扰民,工地夜间施工噪音扰民,环境
污水直排,河道污水直排水质发黑,环境
油烟扰民,餐馆油烟直排楼上居民受不了,环境
垃圾桶,路边垃圾桶满了好几天没人清理,环境
粉尘污染,搅拌站粉尘污染噪音严重,环境
司机违规,公交车司机开车打电话不安全,交通
红绿灯,路口红绿灯坏了车辆乱行,交通
出租车,出租车拒载还绕路多收费,交通
公交线路,公交线路取消后居民出行不便,交通
驾校,驾校收费后迟迟不安排考试,交通
停车难,小区周边停车难乱停车堵路,交通
";

#[test]
fn a_model_is_trained_scored_and_used_and_bad_text_files_and_models_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    std::fs::write(path("labelled.csv"), LABELLED).unwrap();
    let model = path("m.model");
    assert_succeeded(&run(
        &["model", "train", "--input", &path("labelled.csv"), "--text-col", "主题,详情", "--label-col", "类别", "--output", &model, "--bits", "14"],
        "",
    ));
    let report = assert_succeeded(&run(&["model", "eval", "--model", &model, "--input", &path("labelled.csv"), "--text-col", "主题,详情", "--label-col", "类别", "--json"], ""));
    let report: Value = serde_json::from_str(report.trim()).expect("eval --json prints JSON");
    assert!(report["macro_f1"].as_f64().unwrap() > 0.9, "the training set is learnt: {report}");

    // classify: one JSON line per row, in order; a row it cannot read gets an error line.
    std::fs::write(path("new.csv"), "主题,详情\n欠薪,老板拖欠工资不发也不交社保\n,\n英文,my salary is late\n").unwrap();
    let lines = assert_succeeded(&run(&["classify", "--model", &model, "--input", &path("new.csv"), "--text-col", "主题,详情"], ""));
    let lines: Vec<Value> = lines.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["label"], "劳动");
    assert_eq!(lines[0]["top"].as_array().unwrap().len(), 3);
    assert!(lines[1]["error"]["message"].as_str().unwrap().contains("empty"), "{}", lines[1]);
    assert!(lines[2]["error"]["message"].as_str().unwrap().contains("not Chinese"), "{}", lines[2]);

    // A missing column names the file's columns.
    assert_refused(&run(&["classify", "--model", &model, "--input", &path("new.csv"), "--text-col", "内容"], ""), &["内容", "主题"]);
    // A GBK file is not taken for UTF-8.
    let gbk: &[u8] = b"\xd6\xf7\xcc\xe2,\xcf\xea\xc7\xe9\n\xc7\xb7\xd0\xbd,\xc0\xcf\xb0\xe5\n";
    std::fs::write(path("gbk.csv"), gbk).unwrap();
    assert_refused(&run(&["classify", "--model", &model, "--input", &path("gbk.csv"), "--text-col", "主题"], ""), &["UTF-8", "GB18030"]);
    // A truncated model and a model of another format version.
    let bytes = std::fs::read(&model).unwrap();
    std::fs::write(path("cut.model"), &bytes[..bytes.len() / 2]).unwrap();
    assert_refused(&run(&["classify", "--model", &path("cut.model"), "--input", &path("new.csv"), "--text-col", "主题,详情"], ""), &["truncated"]);
    let mut old = bytes.clone();
    old[8..12].copy_from_slice(&1u32.to_le_bytes());
    std::fs::write(path("old.model"), old).unwrap();
    assert_refused(&run(&["classify", "--model", &path("old.model"), "--input", &path("new.csv"), "--text-col", "主题,详情"], ""), &["version 1", "retrain"]);
}

#[test]
fn messages_labelled_from_their_replies_are_counted_and_the_labelled_ones_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    std::fs::write(path("labelled.csv"), LABELLED).unwrap();
    std::fs::write(path("departments.csv"), "部门,类别\n人社局,劳动\n环保局,环境\n交通局,交通\n公安局,政法\n文旅局,\n").unwrap();
    std::fs::write(
        path("replies.csv"),
        "留言编号,主题,详情,答复意见
1,欠薪,包工头拖欠农民工工资,经县人社局调查，已责令支付
2,排污,化工厂夜里偷排废水,市环保局已立案查处
3,拖欠工资,公司拖欠工资三个月不发,经县人社局调查
4,景区收费,景区乱收费,县文旅局回复
5,路灯,路灯坏了,您好，留言已收悉
6,偷车,电动车被偷,市公安局已立案
",
    )
    .unwrap();
    let common = ["--input", &path("labelled.csv"), "--text-col", "主题,详情", "--label-col", "类别", "--bits", "14"];
    let distant = ["--unlabelled", &path("replies.csv"), "--distant", &path("replies.csv"), "--departments", &path("departments.csv")];
    let model = path("m.model");
    let output = run(&[&["model", "train", "--output", &model][..], &common, &distant].concat(), "");
    let said = assert_succeeded(&output);
    let told = String::from_utf8_lossy(&output.stderr);
    // Row 3 is a labelled message (same subject); 4 names a department of two labels; 5 none;
    // 6 a label the labelled file does not have, so the model leaves it out.
    assert!(told.contains("3 messages labelled from their reply; 1 name no department, 1 departments of several labels, 1 are labelled messages"), "{told}");
    assert!(said.contains("2 from replies") && said.contains("distant weight"), "{said}");
    let cv = assert_succeeded(&run(&[&["model", "cv", "--folds", "3", "--distant-weight", "0.3"][..], &common, &distant].concat(), ""));
    assert!(cv.contains("distant weight per fold: [0.3, 0.3, 0.3]"), "{cv}");
    // Repeated on other folds: a line per repetition (the pooled report once) and their mean.
    let repeated = assert_succeeded(&run(&[&["model", "cv", "--folds", "3", "--repeats", "2", "--seed", "7"][..], &common].concat(), ""));
    assert!(repeated.contains("(seed 7)") && repeated.contains("(seed 8)"), "{repeated}");
    assert_eq!(repeated.matches("pooled over all folds").count(), 1, "{repeated}");
    assert!(repeated.contains("2 × 3-fold CV (seeds 7..8): macro-F1 per repetition"), "{repeated}");
    assert_refused(&run(&[&["model", "cv", "--repeats", "0"][..], &common].concat(), ""), &["--repeats"]);
    assert_refused(&run(&[&["model", "cv", "--distant-weight", "2"][..], &common, &distant].concat(), ""), &["--distant-weight"]);
    assert_refused(&run(&[&["model", "cv", "--departments", &path("departments.csv")][..], &common].concat(), ""), &["--distant"]);
    assert_refused(&run(&[&["model", "cv", "--distant-weight", "0.2"][..], &common].concat(), ""), &["--distant"]);
}

#[test]
fn an_operator_lists_sign_in_lockouts_and_lifts_one() {
    let dir = DataDir::new();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        let store = gridline_store::Store::open_data_dir(dir.path()).await.expect("the data directory");
        let wj = gridline_store::SignInSubject::Account("wj".into());
        let now = jiff::Timestamp::now();
        store.security().count_failures(&[wj.clone()], now, now).await.expect("a failure");
        store.security().lock(&wj, now + jiff::SignedDuration::from_mins(15), now).await.expect("a lockout");
        store.close().await;
    });
    let locks = rows(&assert_succeeded(&dir.run(&["user", "locks"], "")));
    assert_eq!(locks.len(), 1, "{locks:?}");
    assert_eq!(&locks[0][..2], ["account:wj", "1 failures"], "{locks:?}");
    assert_succeeded(&dir.run(&["user", "unlock", "account:wj"], ""));
    assert!(rows(&assert_succeeded(&dir.run(&["user", "locks"], ""))).is_empty());
    assert_refused(&dir.run(&["user", "unlock", "account:wj"], ""), &["no failed sign-ins"]);
    assert_refused(&dir.run(&["user", "unlock", "wj"], ""), &["account:NAME or address:IP"]);
    let lifted = runtime.block_on(async {
        let store = gridline_store::Store::open_data_dir(dir.path()).await.expect("the data directory");
        let log = store.security().audit_log(1).await.expect("the audit log");
        store.close().await;
        log
    });
    assert_eq!(lifted[0].kind, "lock_lifted");
    assert!(lifted[0].actor.as_deref().is_some_and(|a| a.starts_with("cli")), "{lifted:?}");
}

#[test]
fn a_backup_is_checksummed_and_restored_into_an_empty_data_directory_and_a_damaged_one_is_refused() {
    let dir = DataDir::new();
    dir.add_unit("CY-WJ", "望京街道办事处");
    assert_succeeded(&dir.add_user("wangjing", "long-enough-1", &["--role", "handling_unit", "--unit", "CY-WJ"]));
    let out = tempfile::tempdir().expect("a temporary directory");
    let file = out.path().join("gridline-backup.db");
    let file_arg = file.to_str().expect("UTF-8");
    assert_succeeded(&dir.run(&["backup", "--output", file_arg], ""));
    let checksum = std::fs::read_to_string(out.path().join("gridline-backup.db.sha256")).expect("the checksum file");
    assert!(checksum.ends_with("  gridline-backup.db\n") && checksum.len() == 64 + "  gridline-backup.db\n".len(), "{checksum:?}");
    assert_refused(&dir.run(&["backup", "--output", file_arg], ""), &["exists"]);

    let restored = DataDir::new();
    assert_succeeded(&run(&["restore", "--input", file_arg, "--data-dir", restored.arg()], ""));
    assert_eq!(restored.usernames(), dir.usernames());
    assert_refused(&run(&["restore", "--input", file_arg, "--data-dir", restored.arg()], ""), &["exists"]);

    let mut bytes = std::fs::read(&file).expect("the backup");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&file, bytes).expect("damage the backup");
    let empty = DataDir::new();
    assert_refused(&run(&["restore", "--input", file_arg, "--data-dir", empty.arg()], ""), &["does not match its checksum"]);
}
