//! Material review (材料审核) over HTTP on every engine: the office opens half-yearly windows,
//! street offices submit their materials (text, then files) for the material-review clauses, two
//! reviewers score side by side, the office settles a disagreement by hand and the settled score
//! feeds the scores, rankings and health report; reminders before the close; every refusal
//! (role, region, clause, score, text, a closed window, a second different submission) writes
//! nothing. Every answer is checked against the OpenAPI document.

mod api_schema;
mod web_support;

use gridline_store::testing::fresh_databases;
use jiff::{Span, Timestamp};
use reqwest::Method;
use serde_json::{Value, json};
use web_support::{CHAOYANG, DONGCHENG, DONGHUAMEN, TestServer, WANGJING, multipart};

/// A JSON call whose answer must be the one the OpenAPI document describes.
async fn call(s: &TestServer, method: Method, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let (status, answer) = s.api(method.clone(), path, token, body).await;
    let problems = api_schema::check_answer(method.as_str(), path.split('?').next().unwrap(), status, &answer);
    assert!(problems.is_empty(), "{method} {path}: the answer differs from the OpenAPI document:\n{}", problems.join("\n"));
    (status, answer)
}

async fn upload(s: &TestServer, token: &str, path: &str, stage: Option<&str>, files: &[(&str, &str, &[u8])]) -> (u16, Value) {
    let (content_type, body) = multipart(stage, files);
    let answer = s.http.post(s.url(path)).bearer_auth(token).header(reqwest::header::CONTENT_TYPE, content_type).body(body).send().await.expect("upload");
    let status = answer.status().as_u16();
    let body: Value = answer.json().await.unwrap_or(Value::Null);
    let problems = api_schema::check_answer("POST", path, status, &body);
    assert!(problems.is_empty(), "POST {path}: the answer differs from the OpenAPI document:\n{}", problems.join("\n"));
    (status, body)
}

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-9)
}

fn row<'a>(scores: &'a Value, code: &str) -> &'a Value {
    scores["items"].as_array().unwrap().iter().find(|r| r["code"] == code).unwrap_or_else(|| panic!("no row {code}"))
}

#[tokio::test]
async fn a_half_years_materials_are_submitted_reviewed_jointly_settled_and_scored() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (engine, url) in fresh_databases(dir.path()).await {
        let s = TestServer::start(&url).await;
        let office = s.token("supervisor").await;
        let inspector = s.token("inspector").await;
        let wj = s.token("wj").await;
        let dhm = s.token("dhm").await;
        let operator = s.token("operator").await;
        let (_, me) = call(&s, Method::GET, "/api/v1/me", &inspector, None).await;
        let (_, supervisor) = call(&s, Method::GET, "/api/v1/me", &office, None).await;
        let (inspector_id, supervisor_id) = (me["id"].as_i64().unwrap(), supervisor["id"].as_i64().unwrap());
        let now = Timestamp::now();
        let today = now.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).date();
        let half = format!("{}-H{}", today.year(), if today.month() <= 6 { 1 } else { 2 });
        let opens = today.checked_sub(Span::new().days(10)).unwrap();
        let closes = today.checked_add(Span::new().days(3)).unwrap();

        // Opening a window: the office only; a malformed one refused.
        let window = json!({"half": half, "level": "street", "opens": opens.to_string(), "closes": closes.to_string(), "reviewers": [inspector_id, supervisor_id]});
        let (status, _) = call(&s, Method::POST, "/api/v1/evaluation/reviews", &inspector, Some(window.clone())).await;
        assert_eq!(status, 403, "[{engine}] an inspector opens no window");
        let mut bad = window.clone();
        bad["closes"] = json!(opens.checked_sub(Span::new().days(1)).unwrap().to_string());
        let (status, err) = call(&s, Method::POST, "/api/v1/evaluation/reviews", &office, Some(bad)).await;
        assert_eq!((status, err["error"]["field"].as_str()), (422, Some("closes")), "[{engine}] {err}");
        let mut bad = window.clone();
        bad["half"] = json!("2026-H3");
        let (status, _) = call(&s, Method::POST, "/api/v1/evaluation/reviews", &office, Some(bad)).await;
        assert_eq!(status, 422, "[{engine}]");
        let (status, _) = s.api(Method::POST, "/api/v1/evaluation/reviews", &office, Some(json!({"half": half, "level": "street", "opens": opens.to_string(), "closes": closes.to_string(), "reviewers": [inspector_id, 9999]}))).await;
        assert_eq!(status, 422, "[{engine}] an unknown reviewer");
        let (status, created) = call(&s, Method::POST, "/api/v1/evaluation/reviews", &office, Some(window.clone())).await;
        assert_eq!(status, 201, "[{engine}] {created}");
        let id = created["id"].as_i64().unwrap();
        assert_eq!((created["half"].as_str(), created["name"].as_str().map(|n| n.contains("半年"))), (Some(half.as_str()), Some(true)), "[{engine}] {created}");
        let (status, _) = call(&s, Method::POST, "/api/v1/evaluation/reviews", &office, Some(window.clone())).await;
        assert_eq!(status, 409, "[{engine}] one window a half and level");

        // Reminders: three days to the close, every street has everything to submit.
        let (status, reminders) = call(&s, Method::GET, &format!("/api/v1/evaluation/reviews/{id}/reminders"), &office, None).await;
        assert_eq!(status, 200, "[{engine}] {reminders}");
        let wangjing = reminders["items"].as_array().unwrap().iter().find(|r| r["region"] == WANGJING).expect("望京 is reminded").clone();
        assert_eq!((wangjing["missing"].clone(), wangjing["days_left"].as_i64()), (json!(["5.2.1", "5.2.2"]), Some(3)), "[{engine}] {wangjing}");
        assert_eq!(wangjing["units"], json!(["望京街道办事处"]), "[{engine}]");
        let (_, none) = call(&s, Method::GET, &format!("/api/v1/evaluation/reviews/{id}/reminders?days=2"), &office, None).await;
        assert_eq!(none["items"], json!([]), "[{engine}] the close is three days away: nobody within two");
        let (status, _) = call(&s, Method::GET, &format!("/api/v1/evaluation/reviews/{id}/reminders?days=99"), &office, None).await;
        assert_eq!(status, 422, "[{engine}]");
        let (_, own) = call(&s, Method::GET, &format!("/api/v1/evaluation/reviews/{id}/reminders"), &wj, None).await;
        assert_eq!(own["items"].as_array().map(|r| r.iter().map(|r| r["region"].clone()).collect::<Vec<_>>()), Some(vec![json!(WANGJING)]), "[{engine}] a unit sees its own");

        // Submissions: refused without writing anything, then accepted.
        let submissions = format!("/api/v1/evaluation/reviews/{id}/submissions");
        let body = |region: &str, clause: &str, text: &str| Some(json!({"region": region, "clause": clause, "text": text}));
        let (status, _) = call(&s, Method::POST, &submissions, &dhm, body(WANGJING, "5.2.1", "别人的材料")).await;
        assert_eq!(status, 403, "[{engine}] a unit submits only for its own street");
        let (status, _) = call(&s, Method::POST, &submissions, &operator, body(WANGJING, "5.2.1", "材料")).await;
        assert_eq!(status, 403, "[{engine}] an operator takes no part");
        let (status, _) = call(&s, Method::POST, &submissions, &inspector, body(WANGJING, "5.2.1", "材料")).await;
        assert_eq!(status, 403, "[{engine}] a reviewer does not submit");
        let (status, err) = call(&s, Method::POST, &submissions, &wj, body(CHAOYANG, "5.2.1", "材料")).await;
        assert_eq!((status, err["error"]["field"].as_str()), (422, Some("region")), "[{engine}] a district in a street window: {err}");
        let (status, err) = call(&s, Method::POST, &submissions, &wj, body(WANGJING, "1.2.1", "材料")).await;
        assert_eq!((status, err["error"]["field"].as_str()), (422, Some("clause")), "[{engine}] a field-check clause: {err}");
        assert!(err["error"]["message"].as_str().unwrap().contains("实地考察"), "[{engine}] {err}");
        let (status, err) = call(&s, Method::POST, &submissions, &wj, body(WANGJING, "5.2.1", "   ")).await;
        assert_eq!((status, err["error"]["field"].as_str()), (422, Some("text")), "[{engine}] {err}");
        let (status, _) = call(&s, Method::POST, &submissions, &wj, body(WANGJING, "5.2.1", &"材".repeat(5001))).await;
        assert_eq!(status, 422, "[{engine}] an oversized text");
        let (_, page) = call(&s, Method::GET, &format!("/api/v1/evaluation/reviews/{id}"), &office, None).await;
        assert_eq!(page["submissions"], json!([]), "[{engine}] nothing was written");

        let (status, first) = call(&s, Method::POST, &submissions, &wj, body(WANGJING, "5.2.1", "望京街道创建工作方案及台账")).await;
        assert_eq!(status, 201, "[{engine}] {first}");
        let (status, again) = call(&s, Method::POST, &submissions, &wj, body(WANGJING, "5.2.1", "望京街道创建工作方案及台账")).await;
        assert_eq!((status, &again["id"]), (200, &first["id"]), "[{engine}] the same submission again is acknowledged");
        let (status, _) = call(&s, Method::POST, &submissions, &wj, body(WANGJING, "5.2.1", "另一份材料")).await;
        assert_eq!(status, 409, "[{engine}] a different text for a clause submitted");
        let (status, second) = call(&s, Method::POST, &submissions, &wj, body(WANGJING, "5.2.2", "志愿服务活动记录")).await;
        assert_eq!(status, 201, "[{engine}] {second}");
        let (status, dhm_first) = call(&s, Method::POST, &submissions, &dhm, body(DONGHUAMEN, "5.2.1", "东华门街道工作方案")).await;
        assert_eq!(status, 201, "[{engine}] {dhm_first}");
        let (first, second) = (first["id"].as_i64().unwrap(), second["id"].as_i64().unwrap());

        // Files of a submission: kept by the attachments service, once per content.
        let files = format!("{submissions}/{first}/files");
        let pdf: &[u8] = b"%PDF-1.4\n% 2026 work plan\n%%EOF\n";
        let (status, with) = upload(&s, &wj, &files, None, &[("file", "工作方案.pdf", pdf)]).await;
        assert_eq!(status, 201, "[{engine}] {with}");
        assert_eq!((with["files"][0]["media_type"].as_str(), with["files"][0]["name"].as_str()), (Some("pdf"), Some("工作方案.pdf")), "[{engine}] {with}");
        let (status, same) = upload(&s, &wj, &files, None, &[("file", "工作方案(1).pdf", pdf)]).await;
        assert_eq!((status, same["files"].as_array().map(Vec::len)), (201, Some(1)), "[{engine}] the same bytes are not added twice");
        let (status, _) = upload(&s, &wj, &files, None, &[("file", "run.exe", b"MZ\x90\0")]).await;
        assert_eq!(status, 415, "[{engine}]");
        let (status, _) = upload(&s, &wj, &files, Some("intake"), &[("file", "a.pdf", pdf)]).await;
        assert_eq!(status, 422, "[{engine}] a stage part");
        let (status, _) = upload(&s, &dhm, &files, None, &[("file", "b.pdf", b"%PDF-1.4\n%other\n")]).await;
        assert_eq!(status, 404, "[{engine}] another unit's submission");
        // The file is served to the office and the reviewers, not to another unit.
        let file = with["files"][0]["id"].as_i64().unwrap();
        for (token, expected) in [(&office, 200), (&inspector, 200), (&wj, 200), (&dhm, 404)] {
            let status = s.http.get(s.url(&format!("/api/v1/attachments/{file}"))).bearer_auth(token).send().await.unwrap().status().as_u16();
            assert_eq!(status, expected, "[{engine}] the submission's file");
        }

        // The joint review: two reviewers side by side.
        let score = |submission: i64| format!("{submissions}/{submission}/score");
        let (status, _) = call(&s, Method::PUT, &score(first), &wj, Some(json!({"score": 2.0, "comment": "自评"}))).await;
        assert_eq!(status, 403, "[{engine}] a unit does not score");
        let (status, err) = call(&s, Method::PUT, &score(first), &inspector, Some(json!({"score": 2.5, "comment": "超出分值"}))).await;
        assert_eq!((status, err["error"]["field"].as_str()), (422, Some("score")), "[{engine}] more than the clause's 2 points: {err}");
        let (status, _) = call(&s, Method::PUT, &score(first), &inspector, Some(json!({"score": -1, "comment": "负分"}))).await;
        assert_eq!(status, 422, "[{engine}]");
        let (status, _) = call(&s, Method::PUT, &score(first), &inspector, Some(json!({"score": 1.5, "comment": " "}))).await;
        assert_eq!(status, 422, "[{engine}] a score needs a comment");
        let (status, scored) = call(&s, Method::PUT, &score(first), &inspector, Some(json!({"score": 2.0, "comment": "方案、台账齐全"}))).await;
        assert_eq!(status, 200, "[{engine}] {scored}");
        let (status, scored) = call(&s, Method::PUT, &score(first), &office, Some(json!({"score": 1.0, "comment": "台账缺第二季度"}))).await;
        assert_eq!(status, 200, "[{engine}] {scored}");
        // 2 and 1 of 2 points: mean 1.5, spread 1 (more than a quarter of 2): they disagree.
        let joint = &scored["joint"];
        assert!(close(&joint["mean"], 1.5) && close(&joint["spread"], 1.0) && joint["disagreement"] == true && joint["settled"] == false, "[{engine}] {joint}");
        assert_eq!(scored["reviews"].as_array().map(Vec::len), Some(2), "[{engine}]");
        for (token, value) in [(&inspector, 1.5), (&office, 1.5)] {
            call(&s, Method::PUT, &score(second), token, Some(json!({"score": value, "comment": "记录基本完整"}))).await;
        }
        let (_, page) = call(&s, Method::GET, &format!("/api/v1/evaluation/reviews/{id}"), &office, None).await;
        assert_eq!(page["submissions"][0]["id"], first, "[{engine}] the disagreement first: {page}");
        assert_eq!((page["disagreements"].as_i64(), page["may_settle"].as_bool()), (Some(1), Some(true)), "[{engine}]");

        // The office settles: by hand with a note (a hand score without one refused); a unit may not.
        let settle = |submission: i64| format!("{submissions}/{submission}/settlement");
        let (status, _) = call(&s, Method::PUT, &settle(first), &inspector, Some(json!({"score": 1.8, "note": "复核"}))).await;
        assert_eq!(status, 403, "[{engine}] the office settles");
        let (status, err) = call(&s, Method::PUT, &settle(first), &office, Some(json!({"score": 1.8}))).await;
        assert_eq!((status, err["error"]["field"].as_str()), (422, Some("note")), "[{engine}] {err}");
        let (status, _) = call(&s, Method::PUT, &settle(dhm_first["id"].as_i64().unwrap()), &office, Some(json!({}))).await;
        assert_eq!(status, 409, "[{engine}] no mean to settle on before any score");
        let (status, settled) = call(&s, Method::PUT, &settle(first), &office, Some(json!({"score": 1.8, "note": "经复核台账基本完整"}))).await;
        assert_eq!(status, 200, "[{engine}] {settled}");
        assert!(close(&settled["joint"]["score"], 1.8) && settled["settlement"]["rule"] == "hand", "[{engine}] {settled}");
        let (status, _) = call(&s, Method::PUT, &score(first), &inspector, Some(json!({"score": 1.0, "comment": "改分"}))).await;
        assert_eq!(status, 409, "[{engine}] settled scores no longer change");

        // The scores: 望京 earned 1.8 + 1.5 of 4 = 82.5 %; 东华门's submission awaits its review.
        let month = today.strftime("%Y-%m").to_string();
        let (_, streets) = call(&s, Method::GET, &format!("/api/v1/evaluation/scores?period={month}&level=street"), &office, None).await;
        assert!(close(&row(&streets, WANGJING)["material_review"], 82.5), "[{engine}] {}", row(&streets, WANGJING));
        assert!(row(&streets, DONGHUAMEN)["material_review"].is_null(), "[{engine}]");
        let (_, districts) = call(&s, Method::GET, &format!("/api/v1/evaluation/scores?period={month}&level=district"), &office, None).await;
        let chaoyang = row(&districts, CHAOYANG);
        // Nothing else scored in 朝阳: its composite is its material review.
        assert!(close(&chaoyang["material_review"], 82.5) && close(&chaoyang["score"], 82.5), "[{engine}] {chaoyang}");
        assert!(row(&districts, DONGCHENG)["material_review"].is_null(), "[{engine}]");
        let (_, report) = call(&s, Method::GET, &format!("/api/v1/evaluation/health-report?region={CHAOYANG}&period={month}"), &office, None).await;
        // Lost: 5.2.2 0.5, 5.2.1 0.2.
        assert_eq!((report["lost_most"][0]["code"].as_str(), report["lost_most"][1]["code"].as_str()), (Some("5.2.2"), Some("5.2.1")), "[{engine}] {report}");
        assert!(close(&report["lost_most"][0]["lost"], 0.5) && (report["lost_most"][1]["lost"].as_f64().unwrap() - 0.2).abs() < 1e-9, "[{engine}]");

        // A unit sees its own submissions only; roles without a part are refused.
        let (_, mine) = call(&s, Method::GET, &format!("/api/v1/evaluation/reviews/{id}"), &wj, None).await;
        assert_eq!((mine["submissions"].as_array().map(Vec::len), mine["regions"].as_array().map(Vec::len)), (Some(2), Some(1)), "[{engine}]");
        assert_eq!(mine["may_score"], false, "[{engine}]");
        let (status, _) = call(&s, Method::GET, "/api/v1/evaluation/reviews", &operator, None).await;
        assert_eq!(status, 403, "[{engine}]");
        let (status, list) = call(&s, Method::GET, "/api/v1/evaluation/reviews", &inspector, None).await;
        assert_eq!((status, list["items"][0]["submitted"].as_i64(), list["items"][0]["settled"].as_i64()), (200, Some(3), Some(1)), "[{engine}] {list}");
        let (status, _) = call(&s, Method::GET, "/api/v1/evaluation/reviews/9999", &office, None).await;
        assert_eq!(status, 404, "[{engine}]");

        // A window of the last half that has closed: nothing more is taken, and what was not
        // submitted earns 0 of its points in every period of that half.
        let last = if today.month() <= 6 { format!("{}-H2", today.year() - 1) } else { format!("{}-H1", today.year()) };
        let last_month = if today.month() <= 6 { format!("{}-12", today.year() - 1) } else { format!("{}-06", today.year()) };
        let past = json!({"half": last, "level": "street", "opens": format!("{last_month}-01"), "closes": format!("{last_month}-20"), "reviewers": [inspector_id]});
        let (status, past) = call(&s, Method::POST, "/api/v1/evaluation/reviews", &office, Some(past)).await;
        assert_eq!(status, 201, "[{engine}] {past}");
        let past = past["id"].as_i64().unwrap();
        let (status, err) = call(&s, Method::POST, &format!("/api/v1/evaluation/reviews/{past}/submissions"), &wj, body(WANGJING, "5.2.1", "补交材料")).await;
        assert_eq!(status, 409, "[{engine}] after the close: {err}");
        let (_, page) = call(&s, Method::GET, &format!("/api/v1/evaluation/reviews/{past}"), &office, None).await;
        assert_eq!(page["submissions"], json!([]), "[{engine}]");
        let (_, then) = call(&s, Method::GET, &format!("/api/v1/evaluation/scores?period={last_month}&level=district"), &office, None).await;
        assert!(close(&row(&then, CHAOYANG)["material_review"], 0.0), "[{engine}] {}", row(&then, CHAOYANG));
        let (_, reminders) = call(&s, Method::GET, &format!("/api/v1/evaluation/reviews/{past}/reminders?days=60"), &office, None).await;
        assert_eq!(reminders["items"], json!([]), "[{engine}] no reminder once closed");
        s.stop().await;
    }
}
