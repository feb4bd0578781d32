//! Attachments over HTTP on every engine: photos and files uploaded to a case at its stages, the
//! type read from the bytes, the limits (413, 415, 422), the photo served upright without its
//! EXIF block (no GPS position), the thumbnail, and who may fetch them (nobody signed out, no
//! other unit). A steward's patrol with its photos: on every case the patrol files, and a
//! refused photo leaves nothing written.

mod web_support;

use gridline_store::testing::fresh_databases;
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use serde_json::{Value, json};
use web_support::{PASSWORD, TestServer, WANGJING, multipart, phone_photo};

async fn fetch(s: &TestServer, path: &str, token: Option<&str>, cookie: Option<&str>) -> (u16, String, Vec<u8>) {
    let mut request = s.http.get(s.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    let answer = request.send().await.expect("fetch");
    let status = answer.status().as_u16();
    let kind = answer.headers().get(CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, kind, answer.bytes().await.expect("body").to_vec())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn reason(answer: &Value) -> &str {
    answer["error"]["reason"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn photos_travel_with_a_case_upright_without_their_location_and_only_to_those_who_may_see_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (engine, url) in fresh_databases(dir.path()).await {
        let s = TestServer::start(&url).await;
        let operator = s.token("operator").await;
        let id = s.file(&operator, "S0102", WANGJING, "望京街道某小区门口垃圾堆放").await;

        // A phone's photo: 64 × 48 as stored, "rotate 90°" and a GPS position in its EXIF block.
        let photo = phone_photo(64, 48);
        assert!(contains(&photo, b"Exif") && contains(&photo, b"N\0"));
        let (status, added) = s.upload(&operator, id, Some("intake"), &[("photo", "IMG_0001.JPG", &photo)]).await;
        assert_eq!(status, 201, "[{engine}] {added}");
        let item = &added["items"][0];
        assert_eq!(item["stage"], "intake");
        assert_eq!(item["media_type"], "jpeg");
        assert_eq!((item["width"].as_u64(), item["height"].as_u64()), (Some(48), Some(64)), "measured upright");
        assert_eq!(item["size"].as_u64(), Some(photo.len() as u64));
        assert_eq!(item["sha256"].as_str().map(str::len), Some(64));
        let attachment = item["id"].as_i64().expect("id");
        assert_eq!(item["url"], format!("/files/{attachment}"));

        // Served upright, re-encoded, with nothing of the EXIF block; the thumbnail too.
        let (status, kind, served) = fetch(&s, &format!("/api/v1/attachments/{attachment}"), Some(&operator), None).await;
        assert_eq!((status, kind.as_str()), (200, "image/jpeg"), "[{engine}]");
        assert!(!contains(&served, b"Exif") && !contains(&served, b"GPS"), "[{engine}] the served photo carries metadata");
        let shown = image::load_from_memory(&served).expect("a JPEG");
        assert_eq!((shown.width(), shown.height()), (48, 64), "[{engine}] orientation applied");
        let (status, _, thumb) = fetch(&s, &format!("/api/v1/attachments/{attachment}?size=thumb"), Some(&operator), None).await;
        assert_eq!(status, 200);
        let thumb = image::load_from_memory(&thumb).expect("a JPEG");
        assert!(thumb.width() <= 320 && thumb.height() <= 320 && thumb.height() > thumb.width());
        assert_eq!(fetch(&s, &format!("/api/v1/attachments/{attachment}?size=huge"), Some(&operator), None).await.0, 422);

        // The case lists it; the unit it goes to adds its proof of the fix.
        let (status, list) = s.api(Method::GET, &format!("/api/v1/cases/{id}/attachments"), &operator, None).await;
        assert_eq!((status, list["items"].as_array().map(Vec::len)), (200, Some(1)), "[{engine}] {list}");
        let dispatcher = s.token("dispatcher").await;
        s.register_and_dispatch(&dispatcher, id, "CY-WJ").await;
        let unit = s.token("wj").await;
        let pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
        let (status, added) = s.upload(&unit, id, Some("handling"), &[("photo", "after.jpg", &phone_photo(32, 32)), ("file", "整改报告.pdf", pdf)]).await;
        assert_eq!(status, 201, "[{engine}] {added}");
        assert_eq!(added["items"].as_array().map(Vec::len), Some(2));
        let report = added["items"].as_array().unwrap().iter().find(|a| a["media_type"] == "pdf").expect("the PDF");
        assert_eq!(report["name"], "整改报告.pdf");
        assert!(report["thumbnail_url"].is_null());
        let (status, kind, bytes) = fetch(&s, &format!("/api/v1/attachments/{}", report["id"]), Some(&unit), None).await;
        assert_eq!((status, kind.as_str(), bytes.as_slice()), (200, "application/pdf", &pdf[..]), "a file as uploaded");

        // Stages belong to roles: the operator does not add the unit's proof.
        let (status, refused) = s.upload(&operator, id, Some("handling"), &[("photo", "x.jpg", &photo)]).await;
        assert_eq!(status, 403, "[{engine}] {refused}");

        // Refusals: the type comes from the bytes, not the name.
        let (status, refused) = s.upload(&operator, id, Some("intake"), &[("photo", "photo.jpg", pdf)]).await;
        assert_eq!((status, reason(&refused)), (415, "photo_not_image"), "[{engine}] {refused}");
        let (status, refused) = s.upload(&operator, id, Some("intake"), &[("file", "a.pdf", b"MZ\x90\0 an executable")]).await;
        assert_eq!((status, reason(&refused)), (415, "file_type_refused"));
        let mut broken = vec![0xFF, 0xD8, 0xFF, 0xE0];
        broken.extend([7u8; 64]);
        let (status, refused) = s.upload(&operator, id, Some("intake"), &[("photo", "cut.jpg", &broken)]).await;
        assert_eq!((status, reason(&refused)), (422, "photo_unreadable"), "{refused}");
        let mut big = phone_photo(8, 8);
        big.resize(15 * 1024 * 1024 + 1, 0);
        let (status, refused) = s.upload(&operator, id, Some("intake"), &[("photo", "big.jpg", &big)]).await;
        assert_eq!((status, reason(&refused)), (413, "file_too_large"), "{refused}");
        let (status, refused) = s.upload(&operator, id, None, &[("photo", "a.jpg", &photo)]).await;
        assert_eq!((status, refused["error"]["field"].as_str()), (422, Some("stage")));
        let (status, refused) = s.upload(&operator, id, Some("later"), &[("photo", "a.jpg", &photo)]).await;
        assert_eq!((status, reason(&refused)), (422, "unknown_stage"));
        let (status, _) = s.upload(&operator, id, Some("intake"), &[]).await;
        assert_eq!(status, 422);
        let json = s.api(Method::POST, &format!("/api/v1/cases/{id}/attachments"), &operator, Some(json!({"stage": "intake"}))).await;
        assert_eq!(json.0, 415, "a JSON body is no upload");
        // Chinese for the Chinese pages.
        let (content_type, body) = multipart(Some("intake"), &[("photo", "p.jpg", pdf)]);
        let zh: Value = s.http.post(s.url(&format!("/api/v1/cases/{id}/attachments"))).bearer_auth(&operator)
            .header(CONTENT_TYPE, content_type).header("accept-language", "zh-CN").body(body).send().await.unwrap().json().await.unwrap();
        assert_eq!(zh["error"]["message"], "照片必须是 JPEG、PNG 或 WebP 图片");

        // Who may fetch it: nobody signed out, no other unit; the page route by cookie only.
        let path = format!("/api/v1/attachments/{attachment}");
        assert_eq!(fetch(&s, &path, None, None).await.0, 401, "[{engine}] signed out");
        let other_unit = s.token("dhm").await;
        assert_eq!(fetch(&s, &path, Some(&other_unit), None).await.0, 404, "[{engine}] another unit");
        assert_eq!(s.upload(&other_unit, id, Some("handling"), &[("photo", "x.jpg", &photo)]).await.0, 404);
        assert_eq!(s.api(Method::GET, &format!("/api/v1/cases/{id}/attachments"), &other_unit, None).await.0, 404);
        let (status, _, page) = fetch(&s, &format!("/files/{attachment}"), None, None).await;
        assert_eq!(status, 404, "[{engine}] the page route without a cookie");
        assert!(!contains(&page, b"\xFF\xD8\xFF"));
        assert_eq!(fetch(&s, &format!("/files/{attachment}"), Some(&operator), None).await.0, 404, "the page route takes no bearer token");
        let signed_in = s.http.post(s.url("/web/session")).json(&json!({"username": "dhm", "password": PASSWORD})).send().await.unwrap();
        let cookie = signed_in.headers().get(SET_COOKIE).unwrap().to_str().unwrap().split(';').next().unwrap().to_owned();
        assert_eq!(fetch(&s, &format!("/files/{attachment}/thumb"), None, Some(&cookie)).await.0, 404, "another unit's cookie");
        let signed_in = s.http.post(s.url("/web/session")).json(&json!({"username": "wj", "password": PASSWORD})).send().await.unwrap();
        let cookie = signed_in.headers().get(SET_COOKIE).unwrap().to_str().unwrap().split(';').next().unwrap().to_owned();
        let (status, kind, _) = fetch(&s, &format!("/files/{attachment}/thumb"), None, Some(&cookie)).await;
        assert_eq!((status, kind.as_str()), (200, "image/jpeg"), "[{engine}] the unit's page sees its case's photo");
        assert_eq!(fetch(&s, "/files/999999", None, Some(&cookie)).await.0, 404);
        s.stop().await;
    }
}

/// A patrol sent as a form: its JSON as the `patrol` part, then `(file name, bytes)` photos.
fn patrol_form(patrol: &Value, photos: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "gridline-patrol-boundary-Qx81";
    let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"patrol\"\r\n\r\n{patrol}\r\n").into_bytes();
    for (name, bytes) in photos {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"{name}\"\r\nContent-Type: image/jpeg\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn a_patrol_s_photos_go_to_each_of_its_cases_and_a_refused_photo_leaves_nothing_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (engine, url) in fresh_databases(dir.path()).await {
        let s = TestServer::start(&url).await;
        let alley = s.alley_with_steward("WJ-P01", "望京拍照胡同", "grid").await;
        let grid = s.token("grid").await;
        let dispatcher = s.token("dispatcher").await;
        let post = |content_type: String, body: Vec<u8>| {
            s.http.post(s.url(&format!("/api/v1/alleys/{alley}/patrols"))).bearer_auth(&grid).header(CONTENT_TYPE, content_type).body(body).send()
        };
        let answer = |r: reqwest::Response| async move { (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null)) };
        let two_problems = json!({"id": "phone-photo-0001", "problems": [{"clause": "N03", "count": 2}, {"clause": "N01", "count": 1}]});

        // A "photo" that is a PDF: refused by its bytes before anything is filed or kept.
        let pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
        let cases_before = s.store.cases().count().await.unwrap();
        let (content_type, body) = patrol_form(&two_problems, &[("IMG_0001.JPG", &phone_photo(32, 24)), ("IMG_0002.JPG", pdf)]);
        let (status, refused) = answer(post(content_type, body).await.unwrap()).await;
        assert_eq!((status, reason(&refused)), (415, "photo_not_image"), "[{engine}] {refused}");
        assert_eq!(s.store.cases().count().await.unwrap(), cases_before, "[{engine}] no case filed");
        assert!(s.store.alleys().patrol("phone-photo-0001").await.unwrap().is_none(), "[{engine}] no patrol recorded");
        assert_eq!(fetch(&s, "/api/v1/attachments/1", Some(&grid), None).await.0, 404, "[{engine}] no photo kept");
        // Photos go with problems.
        let (content_type, body) = patrol_form(&json!({"id": "phone-photo-0002", "problems": []}), &[("IMG_0001.JPG", &phone_photo(32, 24))]);
        let (status, refused) = answer(post(content_type, body).await.unwrap()).await;
        assert_eq!((status, reason(&refused)), (422, "patrol_photos_without_problem"), "[{engine}] {refused}");
        assert!(s.store.alleys().patrol("phone-photo-0002").await.unwrap().is_none(), "[{engine}]");

        // The patrol with two photos: two cases, each with both photos at its intake.
        let photos = [phone_photo(64, 48), phone_photo(40, 30)];
        let (content_type, body) = patrol_form(&two_problems, &[("IMG_0001.JPG", &photos[0]), ("IMG_0003.JPG", &photos[1])]);
        let (status, patrol) = answer(post(content_type.clone(), body.clone()).await.unwrap()).await;
        assert_eq!(status, 201, "[{engine}] {patrol}");
        let cases: Vec<i64> = patrol["problems"].as_array().unwrap().iter().map(|p| p["case_id"].as_i64().expect("a case")).collect();
        assert_eq!(cases.len(), 2, "[{engine}] {patrol}");
        let mut shas = Vec::new();
        for case in &cases {
            let (status, list) = s.api(Method::GET, &format!("/api/v1/cases/{case}/attachments"), &dispatcher, None).await;
            assert_eq!(status, 200, "[{engine}] {list}");
            let items = list["items"].as_array().unwrap();
            assert_eq!(items.len(), 2, "[{engine}] case {case}: {list}");
            assert!(items.iter().all(|a| a["stage"] == "intake" && a["media_type"] == "jpeg"), "[{engine}] {list}");
            let mut these: Vec<String> = items.iter().map(|a| a["sha256"].as_str().unwrap().to_owned()).collect();
            these.sort();
            shas.push(these);
        }
        assert_eq!(shas[0], shas[1], "[{engine}] the same photos on both cases");
        let shown = fetch(&s, &format!("/api/v1/attachments/{}?size=thumb", 1), Some(&dispatcher), None).await;
        assert_eq!((shown.0, shown.1.as_str()), (200, "image/jpeg"), "[{engine}]");
        // Sent again (the answer was lost): the patrol recorded, nothing filed or attached twice.
        let cases_now = s.store.cases().count().await.unwrap();
        let (status, again) = answer(post(content_type, body).await.unwrap()).await;
        assert_eq!((status, &again["problems"]), (200, &patrol["problems"]), "[{engine}] {again}");
        assert_eq!(s.store.cases().count().await.unwrap(), cases_now, "[{engine}]");
        let (_, list) = s.api(Method::GET, &format!("/api/v1/cases/{}/attachments", cases[0]), &dispatcher, None).await;
        assert_eq!(list["items"].as_array().map(Vec::len), Some(2), "[{engine}] {list}");
        // Sent twice at once (a phone retrying while its first attempt runs): one patrol, its
        // case with its photo once.
        let (content_type, body) = patrol_form(&json!({"id": "phone-photo-0005", "problems": [{"clause": "N02"}]}), &[("IMG_0005.JPG", &photos[1])]);
        let (a, b) = tokio::join!(post(content_type.clone(), body.clone()), post(content_type, body));
        let ((status_a, a), (status_b, b)) = (answer(a.unwrap()).await, answer(b.unwrap()).await);
        let mut statuses = [status_a, status_b];
        statuses.sort();
        assert_eq!(statuses, [200, 201], "[{engine}] {a} {b}");
        assert_eq!(a["problems"], b["problems"], "[{engine}]");
        let (_, list) = s.api(Method::GET, &format!("/api/v1/cases/{}/attachments", a["problems"][0]["case_id"]), &dispatcher, None).await;
        assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "[{engine}] {list}");
        // A patrol without photos is still plain JSON.
        let (status, clean) = s.api(Method::POST, &format!("/api/v1/alleys/{alley}/patrols"), &grid, Some(json!({"id": "phone-photo-0004"}))).await;
        assert_eq!(status, 201, "[{engine}] {clean}");
        s.stop().await;
    }
}

/// Photos of a field check: kept at the point before the answers name them, refused when not an
/// image or not the evaluator's own point or upload, carried by the failed clause's case, shown
/// with the point's result, and seen by the office and the case's unit — not by another unit.
#[tokio::test]
async fn a_field_checks_photos_go_with_its_answers_and_its_failures_case() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (engine, url) in fresh_databases(dir.path()).await {
        let s = TestServer::start(&url).await;
        let dispatcher = s.token("dispatcher").await;
        let inspector = s.token("inspector").await;
        let (lat, lon) = gridline_geo::beijing().get(WANGJING).and_then(|r| r.label_point).expect("望京 has a label point");
        let point = json!({"code": "WJ-A1", "name": "望京西园三区东侧小巷", "point_type": "back_alley", "location": {"kind": "point", "lat": lat, "lon": lon}, "unit": "CY-WJ"});
        let (status, point) = s.api(Method::POST, "/api/v1/evaluation/points", &dispatcher, Some(point)).await;
        assert_eq!(status, 201, "[{engine}] {point}");
        let point = point["id"].as_i64().unwrap();
        let evaluator = s.store.people().user_by_name("inspector").await.unwrap().expect("the inspector").id;
        let now = jiff::Timestamp::now();
        let today = now.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).date().to_string();
        let round = json!({"name": "第1周实地考察", "starts": today, "deadline": (now + jiff::SignedDuration::from_hours(72)).to_string(),
            "plan": {"level": "street", "per_type": {"back_alley": 1}, "regions": [WANGJING]}, "evaluators": [evaluator], "seed": "7"});
        let (status, round) = s.api(Method::POST, "/api/v1/evaluation/rounds", &dispatcher, Some(round)).await;
        assert_eq!(status, 201, "[{engine}] {round}");
        let round = round["id"].as_i64().unwrap();
        let photos_path = format!("/api/v1/evaluation/rounds/{round}/points/{point}/photos");
        let send = |token: &str, files: &[(&str, &str, &[u8])]| {
            let (content_type, body) = multipart(None, files);
            s.http.post(s.url(&photos_path)).bearer_auth(token).header(CONTENT_TYPE, content_type).body(body).send()
        };
        let status_and_json = |answer: reqwest::Response| async move { (answer.status().as_u16(), answer.json::<Value>().await.unwrap_or(Value::Null)) };

        // Refused: another's point, not an image, too big, no photo, a file part; nothing kept.
        let photo = phone_photo(40, 30);
        let (status, _) = status_and_json(send(&s.token("grid").await, &[("photo", "a.jpg", &photo)]).await.unwrap()).await;
        assert_eq!(status, 404, "[{engine}] a grid worker has no field check");
        let (status, refused) = status_and_json(send(&inspector, &[("photo", "a.jpg", b"%PDF-1.4 not a photo")]).await.unwrap()).await;
        assert_eq!((status, reason(&refused)), (415, "photo_not_image"), "[{engine}] {refused}");
        let mut big = phone_photo(8, 8);
        big.resize(15 * 1024 * 1024 + 1, 0);
        let (status, refused) = status_and_json(send(&inspector, &[("photo", "big.jpg", &big)]).await.unwrap()).await;
        assert_eq!((status, reason(&refused)), (413, "file_too_large"), "[{engine}] {refused}");
        assert_eq!(status_and_json(send(&inspector, &[]).await.unwrap()).await.0, 422, "[{engine}] no photo");
        assert_eq!(status_and_json(send(&inspector, &[("file", "a.jpg", &photo)]).await.unwrap()).await.0, 422, "[{engine}] a file part");
        let answers_path = format!("/api/v1/evaluation/rounds/{round}/points/{point}/answers");
        let (_, before) = s.api(Method::GET, &format!("/api/v1/evaluation/rounds/{round}/points/{point}"), &inspector, None).await;

        let (status, kept) = status_and_json(send(&inspector, &[("photo", "巷口.jpg", &photo), ("photo", "近景.jpg", &phone_photo(30, 40))]).await.unwrap()).await;
        assert_eq!(status, 201, "[{engine}] {kept}");
        let ids: Vec<i64> = kept["items"].as_array().unwrap().iter().map(|a| a["id"].as_i64().unwrap()).collect();
        assert_eq!(ids.len(), 2);

        // An answer naming a photo that is not the inspector's own upload is refused, nothing written.
        let operator = s.token("operator").await;
        let case = s.file(&operator, "S0102", WANGJING, "望京街道某小区门口垃圾堆放").await;
        let (_, theirs) = s.upload(&operator, case, Some("intake"), &[("photo", "x.jpg", &photo)]).await;
        let theirs = theirs["items"][0]["id"].as_i64().unwrap();
        let answers = |photos: &[i64]| json!({"answers": [{"clause": "1.2.1", "outcome": "fail", "count": 1, "note": "巷口堆物", "photos": photos}, {"clause": "1.2.2", "outcome": "pass"}]});
        let (status, refused) = s.api(Method::POST, &answers_path, &inspector, Some(answers(&[ids[0], theirs]))).await;
        assert_eq!((status, reason(&refused)), (422, "photo_not_uploaded"), "[{engine}] {refused}");
        let (_, after) = s.api(Method::GET, &format!("/api/v1/evaluation/rounds/{round}/points/{point}"), &inspector, None).await;
        assert_eq!(after, before, "[{engine}] nothing answered");
        let (status, refused) = s.api(Method::POST, &answers_path, &inspector, Some(answers(&[999_999]))).await;
        assert_eq!((status, reason(&refused)), (422, "photo_not_uploaded"), "[{engine}] {refused}");

        // Answered with both photos (sent in another order, one twice): the result shows them, the case carries them.
        let (status, result) = s.api(Method::POST, &answers_path, &inspector, Some(answers(&[ids[1], ids[0], ids[1]]))).await;
        assert_eq!(status, 200, "[{engine}] {result}");
        let failed = result["clauses"].as_array().unwrap().iter().find(|c| c["code"] == "1.2.1").unwrap();
        assert_eq!(failed["answer"]["photos"], json!(ids), "[{engine}] {failed}");
        let case_id = failed["answer"]["case_id"].as_i64().expect("a case for the failure");
        let (status, on_case) = s.api(Method::GET, &format!("/api/v1/cases/{case_id}/attachments"), &dispatcher, None).await;
        assert_eq!(status, 200, "[{engine}] {on_case}");
        let on_case: Vec<i64> = on_case["items"].as_array().unwrap().iter().map(|a| a["id"].as_i64().unwrap()).collect();
        assert_eq!(on_case, ids, "[{engine}] the failure's case carries the photos");
        let (status, again) = s.api(Method::POST, &answers_path, &inspector, Some(answers(&[ids[0], ids[1]]))).await;
        assert_eq!((status, &again["clauses"]), (200, &result["clauses"]), "[{engine}] the same answers again change nothing");
        let (status, _) = s.api(Method::POST, &answers_path, &inspector, Some(answers(&[ids[0]]))).await;
        assert_eq!(status, 409, "[{engine}] other photos are another answer");

        // Who sees them: the office, the case's unit; not another unit, not signed out.
        let photo_path = format!("/api/v1/attachments/{}", ids[0]);
        assert_eq!(fetch(&s, &photo_path, Some(&s.token("supervisor").await), None).await.0, 200, "[{engine}] the office");
        assert_eq!(fetch(&s, &photo_path, Some(&s.token("dhm").await), None).await.0, 404, "[{engine}] another unit");
        assert_eq!(fetch(&s, &photo_path, None, None).await.0, 401, "[{engine}] signed out");
        s.stop().await;
    }
}
