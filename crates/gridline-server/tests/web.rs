//! The web pages over HTTP on every engine: sign-in with the page cookie, server-side role checks
//! of every page, the embedded assets, and the dashboard's figures and its refusals.

mod web_support;

use gridline_store::testing::fresh_databases;
use reqwest::Method;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};
use web_support::{CHAOYANG, DONGCHENG, DONGHUAMEN, PASSWORD, TestServer, WANGJING};

/// Signs in through the page endpoint and returns the cookie pair and the answer.
async fn web_sign_in(s: &TestServer, user: &str) -> (String, Value) {
    let answer = s.http.post(s.url("/web/session")).json(&json!({"username": user, "password": PASSWORD})).send().await.expect("sign in");
    assert_eq!(answer.status(), 201);
    let cookie = answer.headers().get(SET_COOKIE).expect("a session cookie").to_str().expect("text").to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"), "{cookie}");
    let pair = cookie.split(';').next().expect("name=value").to_owned();
    (pair, answer.json().await.expect("JSON"))
}

async fn page(s: &TestServer, path: &str, cookie: Option<&str>) -> (u16, String, String) {
    let mut request = s.http.get(s.url(path));
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    let answer = request.send().await.expect("page");
    let status = answer.status().as_u16();
    let location = answer.headers().get(LOCATION).map(|l| l.to_str().expect("text").to_owned()).unwrap_or_default();
    (status, location, answer.text().await.expect("body"))
}

#[tokio::test]
async fn pages_are_served_only_to_the_roles_they_belong_to_and_the_cookie_never_opens_the_api() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (engine, url) in fresh_databases(dir.path()).await {
        let s = TestServer::start(&url).await;

        // Nobody signed in: the sign-in page, and every other page sends there, remembering where.
        let (status, _, body) = page(&s, "/login", None).await;
        assert_eq!(status, 200, "[{engine}]");
        assert!(body.contains(r#"data-view="login""#) && body.contains("/main.js") && !body.contains("gridline-token"));
        assert_eq!(page(&s, "/dispatcher", None).await.1, "/login?next=/dispatcher", "[{engine}]");
        assert_eq!(page(&s, "/cases/7", None).await.1, "/login?next=/cases/7");
        assert_eq!(page(&s, "/", None).await.1, "/login");
        // A forged or stale cookie is nobody.
        assert_eq!(page(&s, "/unit", Some("gridline_session=0123abcd")).await.0, 303);

        // Wrong passwords get the API's 401.
        let wrong = s.http.post(s.url("/web/session")).json(&json!({"username": "wj", "password": "nope"})).send().await.expect("post");
        assert_eq!(wrong.status(), 401);
        assert!(wrong.headers().get(SET_COOKIE).is_none());
        let wrong: Value = wrong.json().await.expect("JSON");
        assert_eq!(wrong["error"]["code"], "unauthorized");
        let malformed = s.http.post(s.url("/web/session")).header(CONTENT_TYPE, "application/json").body("{").send().await.expect("post");
        assert_eq!(malformed.status(), 400);

        // Each role reaches its own workbench and not the others'.
        let homes = [
            ("operator", "/operator"),
            ("grid", "/grid"),
            ("inspector", "/grid"),
            ("dispatcher", "/dispatcher"),
            ("wj", "/unit"),
            ("member", "/unit"),
            ("supervisor", "/supervisor"),
            ("admin", "/dashboard"),
        ];
        let pages = ["/operator", "/grid", "/dispatcher", "/unit", "/supervisor", "/admin"];
        for (user, home) in homes {
            let (cookie, session) = web_sign_in(&s, user).await;
            assert_eq!(session["home"], home, "[{engine}] {user}");
            assert_eq!(page(&s, "/", Some(&cookie)).await.1, home, "[{engine}] {user}");
            for path in pages {
                let (status, _, body) = page(&s, path, Some(&cookie)).await;
                let own = path == home || user == "admin";
                assert_eq!(status, if own { 200 } else { 403 }, "[{engine}] {user} opening {path}");
                assert_eq!(body.contains("data-view=\"forbidden\""), !own, "[{engine}] {user} {path}");
            }
            let (status, _, body) = page(&s, "/dashboard", Some(&cookie)).await;
            assert_eq!(status, 200, "[{engine}] {user} dashboard");
            // The page carries the session token for its script, and the user.
            let token = cookie.trim_start_matches("gridline_session=");
            assert!(body.contains(&format!(r#"<meta name="gridline-token" content="{token}">"#)), "[{engine}] {user}");
            assert_eq!(page(&s, "/cases/1", Some(&cookie)).await.0, 200);
            assert_eq!(page(&s, "/cases/x1", Some(&cookie)).await.0, 404);
            assert_eq!(page(&s, "/cases/-3", Some(&cookie)).await.0, 404);
        }

        // The cookie alone opens no API call: a cross-site request cannot act with it.
        let (cookie, session) = web_sign_in(&s, "dispatcher").await;
        let me = s.http.get(s.url("/api/v1/me")).header(COOKIE, &cookie).send().await.expect("me");
        assert_eq!(me.status(), 401, "[{engine}]");
        let token = session["token"].as_str().expect("token").to_owned();
        assert_eq!(s.api(Method::GET, "/api/v1/me", &token, None).await.0, 200);

        // Signing out ends the session for the pages and for the API.
        let out = s.http.post(s.url("/logout")).header(COOKIE, &cookie).send().await.expect("logout");
        assert_eq!(out.status(), 303);
        assert!(out.headers().get(SET_COOKIE).expect("cleared").to_str().expect("text").contains("Max-Age=0"));
        assert_eq!(page(&s, "/dispatcher", Some(&cookie)).await.0, 303, "[{engine}]");
        assert_eq!(s.api(Method::GET, "/api/v1/me", &token, None).await.0, 401, "[{engine}]");
        // Signing out twice, or without a session, is harmless.
        assert_eq!(s.http.post(s.url("/logout")).send().await.expect("logout").status(), 303);
        s.stop().await;
    }
}

#[tokio::test]
async fn the_assets_are_embedded_and_unknown_ones_are_a_json_404() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("gridline.db").display());
    let s = TestServer::start(&url).await;
    for (name, kind, min_len) in [("app.css", "text/css", 1_000), ("echarts.min.js", "text/javascript", 500_000)] {
        let answer = s.http.get(s.url(&format!("/assets/{name}"))).send().await.expect("asset");
        assert_eq!(answer.status(), 200, "{name}");
        assert!(answer.headers()[CONTENT_TYPE].to_str().expect("text").starts_with(kind), "{name}");
        assert!(answer.bytes().await.expect("bytes").len() > min_len, "{name}");
    }
    // The words come as a script named by its content (web/texts/*.json), kept for a year.
    let login = s.http.get(s.url("/login")).send().await.expect("login").text().await.expect("page");
    let texts = login.split('"').find(|part| part.starts_with("/assets/texts-") && part.ends_with(".js")).expect("the page loads its texts");
    // The modules come under one folder named by their content (`/assets/js-HASH/`), kept for a
    // year; the entry module imports the others by relative names inside the same folder.
    let main = login.split('"').find(|part| part.starts_with("/assets/js-") && part.ends_with("/main.js")).expect("the page loads its entry module");
    assert!(login.contains(&format!(r#"<script type="module" src="{main}">"#)), "the entry is a module script");
    assert!(login.find(texts) < login.find(main), "the texts come before the modules that read them");
    let answer = s.http.get(s.url(main)).send().await.expect("main.js");
    assert_eq!(answer.status(), 200);
    assert!(answer.headers()[CONTENT_TYPE].to_str().expect("text").starts_with("text/javascript"));
    assert!(answer.headers()[CACHE_CONTROL].to_str().expect("text").contains("immutable"));
    assert!(answer.text().await.expect("module").contains("from './router.js'"));
    let folder = main.trim_end_matches("main.js");
    for name in ["router.js", "dom.js", "case.js", "admin.js"] {
        let answer = s.http.get(s.url(&format!("{folder}{name}"))).send().await.expect("module");
        assert_eq!(answer.status(), 200, "{name}");
        assert!(answer.text().await.expect("module").len() > 1_000, "{name}");
    }
    // Another release's folder, a module that is not there, a path out of the folder: none.
    for path in ["/assets/js-0000000000000000/main.js".to_owned(), format!("{folder}nope.js"), format!("{folder}..%2Fapp.css"), "/assets/app.js".to_owned()] {
        let answer = s.http.get(s.url(&path)).send().await.expect("module");
        assert_eq!(answer.status(), 404, "{path}");
    }
    let answer = s.http.get(s.url(texts)).send().await.expect("texts");
    assert_eq!(answer.status(), 200);
    assert!(answer.headers()[CACHE_CONTROL].to_str().expect("text").contains("immutable"));
    let words = answer.text().await.expect("texts");
    assert!(words.contains(r#""signin":"登录""#) && words.contains(r#""signin":"Sign in""#), "{}", &words[..200]);
    for name in ["nope.js", "texts-0000000000000000.js", "..%2Fapp.js", "%2e%2e%2fCargo.toml"] {
        let answer = s.http.get(s.url(&format!("/assets/{name}"))).send().await.expect("asset");
        assert_eq!(answer.status(), 404, "{name}");
        let body: Value = answer.json().await.expect("JSON error");
        assert_eq!(body["error"]["code"], "not_found");
    }
    s.stop().await;
}

#[tokio::test]
async fn the_dashboard_counts_intake_open_rates_categories_and_regions_of_its_scope() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (engine, url) in fresh_databases(dir.path()).await {
        let s = TestServer::start(&url).await;
        let operator = s.token("operator").await;
        let dispatcher = s.token("dispatcher").await;
        let wj = s.token("wj").await;
        let grid = s.token("grid").await;
        let first = s.file(&operator, "S0102", WANGJING, "阜通东大街暴露垃圾").await;
        let second = s.file(&operator, "S0102", WANGJING, "望京西园三区垃圾桶满溢").await;
        s.file(&operator, "S0102", DONGHUAMEN, "东华门大街垃圾堆放").await;
        // Walk the first case round the whole loop, and dispatch the second.
        s.register_and_dispatch(&dispatcher, first, "CY-WJ").await;
        for (token, action) in [
            (&wj, json!({"action": "accept"})),
            (&wj, json!({"action": "handle", "feedback": "已清运"})),
            (&grid, json!({"action": "verify", "passed": true})),
            (&operator, json!({"action": "callback", "resolved": true, "satisfaction": "basically_satisfied"})),
        ] {
            s.act(token, first, action).await;
        }
        s.register_and_dispatch(&dispatcher, second, "CY-WJ").await;

        let (status, city) = s.api(Method::GET, "/api/v1/dashboard", &dispatcher, None).await;
        assert_eq!(status, 200, "[{engine}] {city}");
        assert_eq!(city["scope"]["level"], "city");
        assert_eq!(city["total"], 3);
        assert_eq!(city["today"]["received"], 3);
        assert_eq!(city["today"]["closed"], 1);
        assert_eq!(city["open"], 2, "[{engine}] the called-back case is no longer open");
        assert_eq!(city["overdue"], 0);
        assert_eq!(city["rates"]["response"], json!({"numerator": 1, "denominator": 2, "rate": 0.5}), "[{engine}]");
        assert_eq!(city["rates"]["resolution"], json!({"numerator": 1, "denominator": 1, "rate": 1.0}));
        assert_eq!(city["rates"]["satisfaction"], json!({"numerator": 1, "denominator": 1, "rate": 1.0}));
        let trend = city["trend"].as_array().expect("trend");
        assert_eq!(trend.len(), 30);
        assert_eq!(trend.last().expect("today")["received"], 3);
        assert_eq!(trend.iter().map(|d| d["received"].as_u64().expect("count")).sum::<u64>(), 3);
        assert_eq!(city["by_category"][0]["count"], 2, "[{engine}] registered cases: 东华门's is filed, not yet registered");
        let regions = city["by_region"].as_array().expect("regions");
        assert_eq!(regions.len(), 16, "[{engine}] Beijing's 16 districts, with or without cases");
        let district = |code: &str| regions.iter().find(|r| r["code"] == code).cloned().expect("district");
        assert_eq!(district(CHAOYANG)["total"], 2);
        assert_eq!(district(CHAOYANG)["open"], 1);
        assert_eq!(district(DONGCHENG)["total"], 1);

        // Drill-down: a district lists its streets; a street has nothing below it.
        let (_, chaoyang) = s.api(Method::GET, &format!("/api/v1/dashboard?region={CHAOYANG}&days=7"), &dispatcher, None).await;
        assert_eq!(chaoyang["scope"]["name"], "朝阳区");
        assert_eq!(chaoyang["total"], 2);
        assert_eq!(chaoyang["trend"].as_array().expect("trend").len(), 7);
        let streets = chaoyang["by_region"].as_array().expect("streets");
        assert!(streets.len() > 20 && streets.iter().all(|r| r["code"].as_str().expect("code").starts_with("110105")));
        assert_eq!(streets.iter().find(|r| r["code"] == WANGJING).expect("望京")["total"], 2);
        let (_, wangjing) = s.api(Method::GET, &format!("/api/v1/dashboard?region={WANGJING}"), &dispatcher, None).await;
        assert_eq!(wangjing["scope"]["parent"], CHAOYANG);
        assert_eq!(wangjing["by_region"], json!([]));

        // The figures are the scope's for every user: a unit sees the city's, as a dispatcher does.
        let (_, unit_view) = s.api(Method::GET, "/api/v1/dashboard", &wj, None).await;
        assert_eq!((unit_view["total"].as_u64(), unit_view["open"].as_u64()), (Some(3), Some(2)), "[{engine}] {unit_view}");

        // Refusals, in the API's error format.
        for (query, status, field) in [
            ("?region=999", 422, Some("region")),
            ("?region=110105026001", 422, Some("region")),
            ("?days=0", 422, Some("days")),
            ("?days=367", 422, Some("days")),
            ("?days=abc", 422, Some("days")),
            ("?colour=red", 400, None),
        ] {
            let (got, body) = s.api(Method::GET, &format!("/api/v1/dashboard{query}"), &dispatcher, None).await;
            assert_eq!(got, status, "[{engine}] {query}: {body}");
            assert_eq!(body["error"]["field"].as_str(), field, "[{engine}] {query}");
        }
        assert_eq!(s.http.get(s.url("/api/v1/dashboard")).send().await.expect("get").status(), 401);
        s.stop().await;
    }
}

/// The dashboard map (`GET /api/v1/dashboard/map`): the scope's cases in the cells of a grid, only
/// those the user may open — a unit its own, a grid worker its street's — counted, not drawn,
/// when they have no place; its refusals.
#[tokio::test]
async fn the_dashboard_map_counts_in_cells_the_cases_of_its_scope_that_the_user_may_see() {
    let dir = tempfile::tempdir().expect("temp dir");
    let beijing = gridline_geo::beijing();
    let at = |code: &str| beijing.get(code).and_then(|r| r.label_point).expect("a label point");
    for (engine, url) in fresh_databases(dir.path()).await {
        let s = TestServer::start(&url).await;
        let operator = s.token("operator").await;
        let dispatcher = s.token("dispatcher").await;
        let file = async |region: &str, place: Option<(f64, f64)>| {
            let mut body = json!({"channel": "hotline", "category": "S0102", "region": region, "description": "路边垃圾堆放"});
            if let Some((lat, lon)) = place {
                body["location"] = json!({"lat": lat, "lon": lon});
            }
            let (status, case) = s.api(Method::POST, "/api/v1/cases", &operator, Some(body)).await;
            assert_eq!(status, 201, "[{engine}] {case}");
            case["id"].as_i64().expect("id")
        };
        let (wj_lat, wj_lon) = at(WANGJING);
        file(WANGJING, Some((wj_lat, wj_lon))).await;
        file(WANGJING, Some((wj_lat + 0.002, wj_lon + 0.002))).await;
        let dhm_case = file(DONGHUAMEN, Some(at(DONGHUAMEN))).await;
        file(DONGHUAMEN, None).await;
        let map = async |token: &str, query: &str| {
            let (status, body) = s.api(Method::GET, &format!("/api/v1/dashboard/map{query}"), token, None).await;
            assert_eq!(status, 200, "[{engine}] {query}: {body}");
            body
        };
        let sum = |m: &Value, column: &str| m[column].as_array().expect("a column").iter().map(|n| n.as_u64().expect("a count")).sum::<u64>();

        let city = map(&dispatcher, "").await;
        assert_eq!((city["placed"].as_u64(), city["unplaced"].as_u64(), city["precision"].as_u64()), (Some(3), Some(1), Some(3)), "[{engine}] {city}");
        assert_eq!((city["cases"].as_str(), city["region"].as_str()), (Some("open"), None));
        assert_eq!(sum(&city, "count"), 3);
        let cells = city["x"].as_array().expect("x").len();
        assert!(cells == 3 && city["y"].as_array().expect("y").len() == cells && city["overdue"].as_array().expect("overdue").len() == cells, "[{engine}] {city}");
        // A cell's corner is its cases' place rounded down on the grid.
        let i = city["x"].as_array().expect("x").iter().position(|x| x.as_i64() == Some((wj_lon * 1000.0).floor() as i64)).expect("望京's cell");
        assert_eq!(city["y"][i].as_i64(), Some((wj_lat * 1000.0).floor() as i64));
        let chaoyang = map(&dispatcher, &format!("?region={CHAOYANG}")).await;
        assert_eq!((chaoyang["placed"].as_u64(), chaoyang["precision"].as_u64(), chaoyang["region"].as_str()), (Some(2), Some(4), Some(CHAOYANG)), "[{engine}]");
        assert_eq!(map(&dispatcher, &format!("?region={WANGJING}&precision=2")).await["count"], json!([2]), "[{engine}] one cell of 1 km");

        // Who sees what: the grid worker of 望京 its street's cases, wherever it looks; a unit
        // only the cases dispatched to it.
        let grid = s.token("grid").await;
        assert_eq!(map(&grid, "").await["placed"], 2, "[{engine}]");
        assert_eq!(map(&grid, &format!("?region={DONGCHENG}")).await["placed"], 0, "[{engine}]");
        let dhm = s.token("dhm").await;
        let wj = s.token("wj").await;
        assert_eq!(map(&dhm, "").await["placed"], 0, "[{engine}]");
        s.register_and_dispatch(&dispatcher, dhm_case, "DC-DHM").await;
        let own = map(&dhm, "").await;
        assert_eq!((own["placed"].as_u64(), own["unplaced"].as_u64()), (Some(1), Some(0)), "[{engine}] {own}");
        assert_eq!(map(&wj, "").await["placed"], 0, "[{engine}] 望京's unit sees no case of 东华门");

        // Overdue: none yet; received this month: every case; in another month: none.
        assert_eq!(map(&dispatcher, "?cases=overdue").await["placed"], 0, "[{engine}]");
        let received = map(&dispatcher, "?cases=received").await;
        assert_eq!((received["placed"].as_u64(), received["period"].is_string()), (Some(3), true), "[{engine}] {received}");
        assert_eq!(map(&dispatcher, "?cases=received&period=2020-01").await["placed"], 0, "[{engine}]");

        for (query, status, field) in [
            ("?region=999", 422, Some("region")),
            ("?region=110105026001", 422, Some("region")),
            ("?cases=closed", 422, Some("cases")),
            ("?precision=9", 422, Some("precision")),
            ("?period=2026-01", 422, Some("period")),
            ("?cases=received&period=2026-13", 422, Some("period")),
            ("?zoom=3", 400, None),
        ] {
            let (got, body) = s.api(Method::GET, &format!("/api/v1/dashboard/map{query}"), &dispatcher, None).await;
            assert_eq!(got, status, "[{engine}] {query}: {body}");
            assert_eq!(body["error"]["field"].as_str(), field, "[{engine}] {query}: {body}");
        }
        assert_eq!(s.http.get(s.url("/api/v1/dashboard/map")).send().await.expect("get").status(), 401);
        s.stop().await;
    }
}

/// Whether a message is free of English: no Latin letters outside the quoted parameters (codes,
/// ids, what the user typed) and the names of formats and units (gridline_core::message).
fn chinese_only(message: &str, params: &Value) -> bool {
    let mut rest = message.to_owned();
    if let Some(params) = params.as_object() {
        // Only the values with letters: a number's digits may be part of a word such as UTF-8.
        // The longest first: a column is also named in the list of columns.
        let mut values: Vec<&str> = params.values().filter_map(Value::as_str).filter(|v| v.chars().any(|c| c.is_ascii_alphabetic())).collect();
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        for value in values {
            rest = rest.replace(value, "");
        }
    }
    !gridline_core::message::has_english(&rest) && rest.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// An office's points with a problem in every row but the first (each problem of the points'
/// import that a row can have).
const POINTS_WITH_PROBLEMS: &str = "编码,名称,类型,纬度,经度,线路,责任单位\n\
    P1,望京西路,主次干道,39.99,116.47,,\n\
    P2,望京东路,不是类型,39.99,116.47,,\n\
    P3,阜通西大街,主次干道,北纬四十,116.47,,\n\
    P4,广顺北大街,主次干道,,,39.99 116.47,\n\
    P5,湖光中街,主次干道,,,,\n\
    P6,利泽西街,主次干道,39.99,116.47,\"39.99,116.47;39.98,116.48\",\n\
    P7,宏昌路,主次干道,39.99,116.47,,没有这个单位\n\
    P1,望京西路,主次干道,39.99,116.47,,\n";

#[tokio::test]
async fn every_error_the_pages_can_meet_is_told_in_chinese_with_a_stable_reason() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (engine, url) in fresh_databases(dir.path()).await {
        let s = TestServer::start(&url).await;
        let zh = |request: reqwest::RequestBuilder| request.header(reqwest::header::ACCEPT_LANGUAGE, "zh-CN,zh;q=0.9");
        let operator = s.token("operator").await;
        let dispatcher = s.token("dispatcher").await;
        let admin = s.token("admin").await;
        let supervisor = s.token("supervisor").await;
        let (_, me) = s.api(Method::GET, "/api/v1/me", &admin, None).await;
        let admin_id = me["id"].as_i64().expect("the admin's id");
        let id = s.file(&operator, "S0102", WANGJING, "望京西路垃圾满溢").await;
        let act = |token: &str, id: i64, body: Value| {
            zh(s.http.post(s.url(&format!("/api/v1/cases/{id}/actions"))).bearer_auth(token.to_owned()).json(&body))
        };
        let post = |path: &str, token: &str, body: Value| zh(s.http.post(s.url(path)).bearer_auth(token.to_owned()).json(&body));
        let upload = |stage: Option<&str>, files: &[(&str, &str, &[u8])]| {
            let (content_type, body) = web_support::multipart(stage, files);
            zh(s.http.post(s.url(&format!("/api/v1/cases/{id}/attachments"))).bearer_auth(operator.clone()))
                .header(CONTENT_TYPE, content_type)
                .body(body)
        };
        let new_user = |username: &str, role: &str, password: &str| json!({"username": username, "role": role, "password": password});
        let cases: Vec<(&str, reqwest::RequestBuilder, u16, &str, &str)> = vec![
            ("wrong password", zh(s.http.post(s.url("/web/session")).json(&json!({"username": "wj", "password": "nope"}))), 401, "wrong_credentials", "用户名或密码错误"),
            ("a stale token", zh(s.http.get(s.url("/api/v1/me")).bearer_auth("0123abcd")), 401, "session_expired", "登录已过期，请重新登录"),
            ("no token", zh(s.http.get(s.url("/api/v1/me"))), 401, "unauthorized", "请先登录"),
            ("a missing case", zh(s.http.get(s.url("/api/v1/cases/999999")).bearer_auth(&dispatcher)), 404, "case_not_found", "案件 999999 不存在或您无权查看"),
            ("an action on a missing case", act(&dispatcher, 999_999, json!({"action": "register"})), 404, "case_not_found", "案件 999999 不存在或您无权查看"),
            ("a rejection without a reason", act(&dispatcher, id, json!({"action": "reject", "reason": " "})), 422, "required", "请填写“理由”"),
            ("a dispatch to no unit", act(&dispatcher, id, json!({"action": "dispatch", "unit": ""})), 422, "invalid", ""),
            ("an unknown unit filter", zh(s.http.get(s.url("/api/v1/cases?unit=NOPE")).bearer_auth(&dispatcher)), 422, "unknown_unit", "没有代码为“NOPE”的单位"),
            ("a case without a description", zh(s.http.post(s.url("/api/v1/cases")).bearer_auth(&operator).json(&json!({"channel": "hotline", "category": "S0102", "region": WANGJING, "description": " "}))), 422, "required", "请填写“问题描述”"),
            ("the operator dispatches", act(&operator, id, json!({"action": "accept"})), 403, "forbidden", ""),
            ("an unknown region filter", zh(s.http.get(s.url("/api/v1/cases?region=999")).bearer_auth(&dispatcher)), 422, "unknown_region", "没有代码为“999”的区域"),
            // The search page's filters, on the list and on the export alike.
            ("an unknown status filter", zh(s.http.get(s.url("/api/v1/cases?status=lost")).bearer_auth(&dispatcher)), 422, "unknown_value", "“状态”没有“lost”这一项"),
            ("an unknown channel filter", zh(s.http.get(s.url("/api/v1/cases?channel=fax")).bearer_auth(&dispatcher)), 422, "unknown_value", "“渠道”没有“fax”这一项"),
            ("an unknown category filter", zh(s.http.get(s.url("/api/v1/cases?category=ZZ")).bearer_auth(&dispatcher)), 422, "unknown_category", "没有代码为“ZZ”的问题类别"),
            ("a date that is none", zh(s.http.get(s.url("/api/v1/cases?from=2024-13-45")).bearer_auth(&dispatcher)), 422, "bad_date", "“起始日期”应为日期，如 2024-10-08，而不是“2024-13-45”"),
            ("an overdue that is neither", zh(s.http.get(s.url("/api/v1/cases?overdue=maybe")).bearer_auth(&dispatcher)), 422, "invalid", "“是否超期”填写有误"),
            ("a search too long", zh(s.http.get(s.url(&format!("/api/v1/cases?q={}", "垃".repeat(101)))).bearer_auth(&dispatcher)), 422, "too_long", "“关键词”不能超过 100 个字"),
            ("an export with an unknown status", zh(s.http.get(s.url("/api/v1/cases/export?status=lost")).bearer_auth(&dispatcher)), 422, "unknown_value", "“状态”没有“lost”这一项"),
            ("an export with a bad date", zh(s.http.get(s.url("/api/v1/cases/export?format=xlsx&to=yesterday")).bearer_auth(&dispatcher)), 422, "bad_date", "“截止日期”应为日期，如 2024-10-08，而不是“yesterday”"),
            ("an export in an unknown format", zh(s.http.get(s.url("/api/v1/cases/export?format=pdf")).bearer_auth(&dispatcher)), 422, "invalid", "“格式”填写有误"),
            ("an export in an unknown language", zh(s.http.get(s.url("/api/v1/cases/export?lang=fr")).bearer_auth(&dispatcher)), 422, "invalid", "“语言”填写有误"),
            // The dashboard map's filters: the field named in Chinese, not by its query name.
            ("a map of unknown cases", zh(s.http.get(s.url("/api/v1/dashboard/map?cases=closed")).bearer_auth(&dispatcher)), 422, "unknown_value", "“案件范围”没有“closed”这一项"),
            ("a map of a bad precision", zh(s.http.get(s.url("/api/v1/dashboard/map?precision=9")).bearer_auth(&dispatcher)), 422, "invalid", "“网格精度”填写有误"),
            // A case's state, its photos.
            ("a call-back on a case not closed", act(&operator, id, json!({"action": "callback", "resolved": true, "satisfaction": "satisfied"})), 409, "conflict", ""),
            ("a photo that is no image", upload(Some("intake"), &[("photo", "a.jpg", b"not an image")]), 415, "photo_not_image", "照片必须是 JPEG、PNG 或 WebP 图片"),
            ("an empty file", upload(Some("intake"), &[("file", "a.pdf", b"")]), 422, "file_empty", "上传的文件是空的"),
            ("an unknown stage", upload(Some("lost"), &[("photo", "a.png", &web_support::phone_photo(8, 8))]), 422, "unknown_stage", ""),
            // The inbox, one's password, the administrator's page.
            ("an inbox item that is none", post("/api/v1/inbox/read", &dispatcher, json!({"items": ["no-such-item"]})), 422, "inbox_item_unknown", ""),
            ("a wrong old password", post("/api/v1/me/password", &supervisor, json!({"old_password": "not-it-at-all", "new_password": "Another-2026!"})), 422, "wrong_old_password", "原密码不正确"),
            ("a username with spaces", post("/api/v1/users", &admin, new_user("a b", "dispatcher", "Long-enough-1")), 422, "bad_username", ""),
            ("a short password", post("/api/v1/users", &admin, new_user("newone", "dispatcher", "short")), 422, "weak_password", "密码至少要 8 个字符"),
            ("a username taken", post("/api/v1/users", &admin, new_user("wj", "dispatcher", "Long-enough-1")), 409, "username_taken", "用户名“wj”已被使用"),
            ("a unit's user without a unit", post("/api/v1/users", &admin, new_user("newunit", "handling_unit", "Long-enough-1")), 422, "unit_required", ""),
            ("an unknown role", post("/api/v1/users", &admin, new_user("newrole", "king", "Long-enough-1")), 422, "unknown_value", "“角色”没有“king”这一项"),
            ("a user who is none", post("/api/v1/users/999999/disable", &admin, json!({})), 404, "user_not_found", "用户 999999 不存在"),
            ("one's own account disabled", post(&format!("/api/v1/users/{admin_id}/disable"), &admin, json!({})), 409, "own_account", ""),
            ("one's own password reset", post(&format!("/api/v1/users/{admin_id}/password"), &admin, json!({"password": "Long-enough-1"})), 409, "own_password", ""),
            // The offices' spreadsheets: refused as a whole, every problem told below (checked after).
            ("a points file with bad rows", zh(s.http.post(s.url("/api/v1/evaluation/points/import?file=points.csv")).bearer_auth(&supervisor))
                .header(CONTENT_TYPE, "text/csv").body(POINTS_WITH_PROBLEMS), 422, "invalid_files", "文件中有错误，请逐条修改后重新导入"),
            ("a points file without its columns", zh(s.http.post(s.url("/api/v1/evaluation/points/import?file=points.csv")).bearer_auth(&supervisor))
                .header(CONTENT_TYPE, "text/csv").body("编码,名称\nP1,x\n"), 422, "invalid_files", ""),
            ("a ledger in GBK", zh(s.http.post(s.url("/api/v1/ledger/2026/import?file=ledger.csv")).bearer_auth(&supervisor))
                .header(CONTENT_TYPE, "text/csv").body(encoding_rs::GB18030.encode("单位,类别\n北京,制度建设\n").0.into_owned()), 422, "invalid_files", ""),
        ];
        let mut problem_codes = std::collections::BTreeSet::new();
        for (what, request, status, reason, message) in cases {
            let answer = request.send().await.expect("request");
            assert_eq!(answer.status().as_u16(), status, "[{engine}] {what}");
            let body: Value = answer.json().await.expect("JSON");
            let error = &body["error"];
            assert_eq!(error["reason"], reason, "[{engine}] {what}: {body}");
            let text = error["message"].as_str().expect("message");
            if !message.is_empty() {
                assert_eq!(text, message, "[{engine}] {what}");
            }
            assert!(chinese_only(text, &error["params"]), "[{engine}] {what}: English in {text:?}");
            // A refused file's problems: each with its code and parameters, told in Chinese.
            for problem in error["problems"].as_array().into_iter().flatten() {
                let text = problem["message"].as_str().expect("a problem's message");
                assert!(chinese_only(text, &problem["params"]), "[{engine}] {what}: English in {problem}");
                problem_codes.insert(problem["code"].as_str().expect("a problem's code").to_owned());
            }
        }
        let expected = ["code_twice", "missing_column", "not_a_number", "not_lat_lon", "not_utf8", "point_no_location", "point_two_locations", "unknown_point_type", "unknown_unit_cell"];
        assert_eq!(problem_codes, expected.iter().map(|c| (*c).to_owned()).collect(), "[{engine}]");
        // English on request, and by default for API clients.
        let (status, body) = s.api(Method::GET, "/api/v1/cases/999999", &dispatcher, None).await;
        assert_eq!((status, body["error"]["message"].as_str()), (404, Some("case 999999 not found")), "[{engine}]");
        assert_eq!(body["error"]["params"]["id"], "999999");

        // A path that is no page answers the Chinese 404 page; the API's own paths answer JSON.
        let (status, _, html) = page(&s, "/no/such/page", None).await;
        assert_eq!(status, 404, "[{engine}]");
        assert!(html.contains(r#"data-view="missing""#) && html.contains(r#"lang="zh-CN""#), "[{engine}] {html}");
        let (status, _, json_body) = page(&s, "/api/v1/no-such-endpoint", None).await;
        assert_eq!(status, 404);
        assert!(json_body.starts_with('{'), "{json_body}");
        // The icon, drawn here.
        let icon = s.http.get(s.url("/favicon.ico")).send().await.expect("icon");
        assert_eq!(icon.status(), 200);
        assert_eq!(icon.headers()[CONTENT_TYPE], "image/svg+xml");
        assert!(icon.text().await.expect("svg").starts_with("<svg"));
        s.stop().await;
    }
}

/// An XLSX workbook of `(sheet, rows)`, base64-encoded as the API takes an XLSForm: a sheet's
/// rows one a line, its cells separated by `|`.
fn xlsform(sheets: &[(&str, &str)]) -> String {
    use base64::Engine as _;
    let mut book = rust_xlsxwriter::Workbook::new();
    for (name, rows) in sheets {
        let sheet = book.add_worksheet().set_name(*name).expect("a sheet name");
        for (r, row) in rows.lines().enumerate() {
            for (c, cell) in row.split('|').enumerate() {
                sheet.write_string(u32::try_from(r).expect("row"), u16::try_from(c).expect("column"), cell).expect("a cell");
            }
        }
    }
    base64::engine::general_purpose::STANDARD.encode(book.save_to_buffer().expect("XLSX"))
}

/// Every import the pages offer (reference files, the indicator system, a questionnaire's
/// XLSForm), sent broken: refused whole, each problem with its own stable code and a Chinese text
/// holding no English beyond its parameters (codes, column names, values from the file).
#[tokio::test]
async fn every_refused_import_tells_each_problem_by_its_code_in_chinese() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (engine, url) in fresh_databases(dir.path()).await {
        let s = TestServer::start(&url).await;
        let admin = s.token("admin").await;
        let supervisor = s.token("supervisor").await;
        let files = gridline_core::reference::ReferenceFiles::builtin();
        let (catalogue, routing) = (files.catalogue.as_str(), files.routing.as_str());
        let indicators = gridline_core::evaluation::system::BUILTIN_INDICATORS;
        let survey_header = "type|name|label|required|relevant|constraint";
        let choices = "list_name|name|label|score\nyn|yes|是|100\nyn|yes|是|100\nyn|no|否|200\nyn||空|";
        let import = "/api/v1/catalogue/import?dry_run=true";
        let cases: Vec<(&str, &str, &str, Value, &str)> = vec![
            ("a catalogue with bad entries", import, admin.as_str(), json!({"catalogue": format!(
                "{catalogue}\n[[entry]]\ncode = \"S0102\"\nparent = \"S01\"\nname = \"重复\"\n\
                 [[entry]]\ncode = \"S9901\"\nparent = \"S99\"\nname = \"孤儿\"\n\
                 [[entry]]\ncode = \"a b\"\nparent = \"S01\"\nname = \"空格\"\n\
                 [[entry]]\ncode = \"S0199\"\nparent = \"S01\"\nname = \" \"\n")}),
                "bad_code code_twice entry_no_name unknown_parent"),
            ("a catalogue in a cycle", import, admin.as_str(), json!({"catalogue": format!(
                "{catalogue}\n[[entry]]\ncode = \"X1\"\nparent = \"X2\"\nname = \"甲\"\n[[entry]]\ncode = \"X2\"\nparent = \"X1\"\nname = \"乙\"\n")}),
                "parent_cycle"),
            ("a catalogue that is not TOML", import, admin.as_str(), json!({"catalogue": "[[entry]\ncode = "}), "toml_syntax"),
            ("routing rules with bad rules", import, admin.as_str(), json!({"routing": format!(
                "{routing}\n[[rule]]\nid = \"R-x\"\nentries = [\"ZZ9\"]\nregions = [\"999\"]\nunit_type = \"plumbers\"\n\
                 [[rule]]\nid = \"R-x\"\nentries = [\"S01\"]\n")}),
                "rule_twice rule_unit_or_type rule_unknown_entry rule_unknown_region rule_unknown_unit_type"),
            ("a routing rule naming no unit", import, admin.as_str(), json!({"routing": format!(
                "{routing}\n[[rule]]\nid = \"R-y\"\nentries = [\"S01\"]\nregions = [\"{WANGJING}\"]\nunit = \"NOBODY\"\n")}),
                "rule_unknown_unit"),
            ("a crosswalk with bad rows", import, admin.as_str(),
                json!({"crosswalk": "scheme,source_code,source_name,entry\nhotline,a,甲,S01\nhotline,b,乙,ZZ9\nhotline,a,甲,\n,c,丙,\n"}),
                "cells_required maps_to_group maps_to_unknown source_code_twice"),
            ("a crosswalk with another header", import, admin.as_str(), json!({"crosswalk": "来源,代码\nhotline,a\n"}), "bad_header"),
            ("an indicator system that does not add up", "/api/v1/evaluation/indicators", admin.as_str(), json!({"document": indicators
                .replacen("year = 2026", "year = 1800", 1)
                .replacen("points = 2.0", "points = 3.0", 1)
                .replacen("floor = 0.0 }", "floor = 5.0 }", 1)
                .replacen("case_category = \"S0102\"", "case_category = \"S01\"", 1)}),
                "bad_year clause_floor field_check_bad_category points_do_not_add_up"),
            ("an indicator system that is not TOML", "/api/v1/evaluation/indicators", admin.as_str(), json!({"document": "year = "}), "toml_syntax"),
            ("an XLSForm with bad questions and choices", "/api/v1/questionnaires", supervisor.as_str(), json!({"code": "bad-form", "xlsform": xlsform(&[
                ("survey", format!("{survey_header}\n\
                    select_one yn|q1|问题一|maybe||\n\
                    select_one nolist|q2|问题二|||\n\
                    text|q1|问题三||${{later}}|\n\
                    integer|1bad||||. > 0\n\
                    begin repeat|r|重复|||\n\
                    geopoint|where|位置|||\n\
                    note|hello|您好|yes||\n\
                    begin group|grp|组|||").as_str()),
                ("choices", choices),
            ])}), "bad_question_name choice_no_name column_unsupported duplicate_choice group_not_ended not_yes_no number_out_of_range \
                  question_name_twice question_no_label relevant_not_before repeat_unsupported unknown_list unknown_question_type note_required"),
            ("an XLSForm without its columns", "/api/v1/questionnaires", supervisor.as_str(),
                json!({"code": "bad-columns", "xlsform": xlsform(&[("survey", "kind|name\ntext|q")])}), "missing_column"),
            ("an XLSForm without a survey", "/api/v1/questionnaires", supervisor.as_str(),
                json!({"code": "no-survey", "xlsform": xlsform(&[("choices", choices)])}), "sheet_missing"),
            ("an XLSForm without a question", "/api/v1/questionnaires", supervisor.as_str(),
                json!({"code": "no-question", "xlsform": xlsform(&[("survey", format!("{survey_header}\nstart|start||||\nend group|||||").as_str())])}), "group_end_unmatched no_question"),
        ];
        for (what, path, token, body, expected) in cases {
            let answer = s.http.post(s.url(path)).bearer_auth(token).header(reqwest::header::ACCEPT_LANGUAGE, "zh-CN,zh;q=0.9").json(&body).send().await.expect("request");
            assert_eq!(answer.status().as_u16(), 422, "[{engine}] {what}");
            let body: Value = answer.json().await.expect("JSON");
            let error = &body["error"];
            assert_eq!((error["code"].as_str(), error["reason"].as_str()), (Some("invalid_files"), Some("invalid_files")), "[{engine}] {what}: {body}");
            assert!(chinese_only(error["message"].as_str().expect("message"), &Value::Null), "[{engine}] {what}: {body}");
            let mut codes = std::collections::BTreeSet::new();
            for problem in error["problems"].as_array().expect("problems") {
                let text = problem["message"].as_str().expect("a problem's message");
                assert!(chinese_only(text, &problem["params"]), "[{engine}] {what}: English in {problem}");
                codes.insert(problem["code"].as_str().expect("a problem's code"));
            }
            assert_eq!(codes, expected.split_whitespace().collect(), "[{engine}] {what}: {body}");
        }
        // The same problems in English by default, with the detail the code's own text leaves out.
        let duplicate = format!("{catalogue}\n[[entry]]\ncode = \"S0102\"\nparent = \"S01\"\nname = \"重复\"\n");
        let (status, body) = s.api(Method::POST, import, &admin, Some(json!({"catalogue": duplicate}))).await;
        assert_eq!(status, 422, "[{engine}] {body}");
        let problem = &body["error"]["problems"][0];
        assert_eq!((problem["code"].as_str(), problem["params"]["code"].as_str()), (Some("code_twice"), Some("S0102")), "[{engine}] {body}");
        assert!(problem["message"].as_str().expect("message").starts_with("code S0102 appears twice (first on line "), "[{engine}] {body}");
        s.stop().await;
    }
}

/// The catalogue's search finds a name by its pinyin, as the pages' category box does: in full
/// (`laji`) or by the characters' initials (`ljzyz`).
#[tokio::test]
async fn the_catalogue_search_finds_names_by_their_pinyin() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (engine, url) = fresh_databases(dir.path()).await.into_iter().next().expect("an engine");
    let s = TestServer::start(&url).await;
    let operator = s.token("operator").await;
    let names = |body: &Value| -> Vec<String> {
        body["items"].as_array().expect("items").iter().map(|e| e["name"].as_str().expect("name").to_owned()).collect()
    };
    let (status, found) = s.api(Method::GET, "/api/v1/catalogue?q=ljzyz", &operator, None).await;
    assert_eq!(status, 200, "[{engine}] {found}");
    assert_eq!(names(&found).first().map(String::as_str), Some("垃圾转运站"), "[{engine}] {found}");
    let (_, found) = s.api(Method::GET, "/api/v1/catalogue?q=laji&leaf=true", &operator, None).await;
    let found = names(&found);
    for name in ["垃圾箱", "垃圾转运站", "垃圾分类桶站", "暴露垃圾", "积存垃圾渣土", "乱扔垃圾", "垃圾分类投放不规范"] {
        assert!(found.iter().any(|n| n == name), "[{engine}] laji finds {name}: {found:?}");
    }
    // Several words: all must match; a word that is no pinyin (Chinese) is searched as before.
    let (_, found) = s.api(Method::GET, "/api/v1/catalogue?q=laji%20zyz", &operator, None).await;
    assert_eq!(names(&found), vec!["垃圾转运站"], "[{engine}]");
    let (_, found) = s.api(Method::GET, "/api/v1/catalogue?q=%E5%9E%83%E5%9C%BE%E8%BD%AC%E8%BF%90", &operator, None).await;
    assert_eq!(names(&found).first().map(String::as_str), Some("垃圾转运站"), "[{engine}] {found}");
    // A code prefix still comes first.
    let (_, found) = s.api(Method::GET, "/api/v1/catalogue?q=s0102", &operator, None).await;
    assert_eq!(found["items"][0]["code"], "S0102", "[{engine}] {found}");
    s.stop().await;
}

#[tokio::test]
async fn after_sign_in_the_page_goes_only_to_paths_of_this_site_as_the_browser_reads_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (engine, url) in fresh_databases(dir.path()).await {
        let s = TestServer::start(&url).await;
        let home = |next: &'static str| {
            let s = &s;
            async move {
                let answer = s
                    .http
                    .post(s.url(&format!("/web/session?next={next}")))
                    .json(&json!({"username": "wj", "password": PASSWORD}))
                    .send()
                    .await
                    .expect("sign in");
                assert_eq!(answer.status(), 201, "[{engine}] {next}");
                let session: Value = answer.json().await.expect("JSON");
                session["home"].as_str().expect("home").to_owned()
            }
        };
        assert_eq!(home("%2Fcases%2F7").await, "/cases/7", "[{engine}]");
        assert_eq!(home("/dashboard%3Fregion%3D110105000000").await, "/dashboard?region=110105000000", "[{engine}]");
        for foreign in ["%2F%09%2Fevil.example%2F", "/%0A/evil.example", "/%0D%0A/evil.example", "%2F%2Fevil.example", "/%5Cevil.example",
            "https%3A%2F%2Fevil.example", "javascript:alert(1)", "%09//evil.example", "evil.example"]
        {
            assert_eq!(home(foreign).await, "/unit", "[{engine}] next={foreign} must not leave the site");
        }
    }
}

/// A self-signed certificate for `localhost` made now: (certificate PEM, key PEM).
fn self_signed() -> (String, String) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("a certificate");
    (made.cert.pem(), made.signing_key.serialize_pem())
}

#[tokio::test]
async fn https_is_served_with_the_certificate_given_and_the_session_cookie_is_secure() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key) = self_signed();
    let (cert_file, key_file) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_file, &cert).expect("write the certificate");
    std::fs::write(&key_file, &key).expect("write the key");
    for (engine, url) in fresh_databases(dir.path()).await {
        let tls = gridline_server::Tls::from_pem_files(&cert_file, &key_file).await.expect("the certificate loads");
        let s = TestServer::start_tls(&url, tls, &cert).await;
        assert!(s.base.starts_with("https://localhost:"), "{}", s.base);
        let (status, _, body) = page(&s, "/login", None).await;
        assert_eq!(status, 200, "[{engine}] the sign-in page over HTTPS");
        assert!(body.contains(r#"data-view="login""#), "[{engine}]");
        let answer = s.http.post(s.url("/web/session")).json(&json!({"username": "grid", "password": PASSWORD})).send().await.expect("sign in");
        assert_eq!(answer.status(), 201, "[{engine}]");
        let cookie = answer.headers().get(SET_COOKIE).expect("a session cookie").to_str().expect("text").to_owned();
        assert!(cookie.contains("; Secure") && cookie.contains("HttpOnly"), "[{engine}] {cookie}");
        let pair = cookie.split(';').next().expect("name=value").to_owned();
        assert_eq!(page(&s, "/grid", Some(&pair)).await.0, 200, "[{engine}] the cookie opens the page over HTTPS");
        // Plain HTTP to the same port is no conversation.
        let plain = reqwest::Client::new().get(format!("http://127.0.0.1:{}/login", s.base.rsplit(':').next().expect("port"))).send().await;
        assert!(plain.map_or(true, |a| !a.status().is_success()), "[{engine}] plain HTTP is not served");
    }
    // Over plain HTTP the cookie is not Secure (it would never come back).
    let plain_dir = tempfile::tempdir().expect("temp dir");
    let (_, url) = fresh_databases(plain_dir.path()).await.into_iter().next().expect("an engine");
    let s = TestServer::start(&url).await;
    let answer = s.http.post(s.url("/web/session")).json(&json!({"username": "grid", "password": PASSWORD})).send().await.expect("sign in");
    assert!(!answer.headers().get(SET_COOKIE).expect("a cookie").to_str().expect("text").contains("Secure"));
}

#[tokio::test]
async fn a_missing_or_wrong_certificate_file_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key) = self_signed();
    let (other_cert, _) = self_signed();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        path
    };
    let (cert_file, key_file, other_cert_file) = (write("cert.pem", &cert), write("key.pem", &key), write("other.pem", &other_cert));
    let missing = dir.path().join("missing.pem");
    let refusal = |result: std::io::Result<gridline_server::Tls>| match result {
        Ok(_) => panic!("a bad certificate was accepted"),
        Err(err) => err.to_string(),
    };
    let message = refusal(gridline_server::Tls::from_pem_files(&missing, &key_file).await);
    assert!(message.contains("cannot read the TLS certificate") && message.contains("missing.pem"), "{message}");
    // The key given as the certificate, and the certificate as the key.
    let message = refusal(gridline_server::Tls::from_pem_files(&key_file, &key_file).await);
    assert!(message.contains("key.pem is not a PEM file") && message.contains("BEGIN CERTIFICATE"), "{message}");
    let message = refusal(gridline_server::Tls::from_pem_files(&cert_file, &cert_file).await);
    assert!(message.contains("TLS key") && message.contains("cert.pem is not a PEM file"), "{message}");
    // Another certificate's key.
    let message = refusal(gridline_server::Tls::from_pem_files(&other_cert_file, &key_file).await);
    assert!(message.contains("other.pem") && message.contains("cannot be served"), "{message}");
}
