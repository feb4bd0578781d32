//! The one intake: a case filed through the REST API, an Open311 request and a row of
//! `gridline import cases` that say the same thing about the same place are completed alike —
//! the same region, the same category suggestion — and each finds the other two among its
//! duplicate suggestions. On every engine of `fresh_databases`.

use std::process::Command;

use gridline_core::actor::Role;
use gridline_core::case::Channel;
use gridline_server::Application;
use gridline_store::testing::fresh_databases;
use gridline_store::{NewUser, Store};
use jiff::Timestamp;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const GRIDLINE: &str = env!("CARGO_BIN_EXE_gridline");
const TEXT: &str = "小区门口暴露垃圾好几天没人清运，散发异味";
const ADDRESS: &str = "北京市朝阳区望京街道阜通东大街6号";
const WANGJING: &str = "110105026000";
const KEY: &str = "one-intake-key-0123456789";
const PASSWORD: &str = "Operator-2026!";

/// Imports one row with `TEXT` and `ADDRESS`, received an hour ago, through the real binary.
fn import_row(dir: &std::path::Path, url: &str) {
    let mapping = dir.join("map.toml");
    std::fs::write(
        &mapping,
        "[source]\nchannel = \"hotline\"\nid_prefix = \"old-\"\n[columns]\nexternal_id = \"id\"\nreceived_at = \"time\"\ndescription = [\"text\"]\naddress = \"address\"\n",
    )
    .unwrap();
    let an_hour_ago = (Timestamp::now() - jiff::SignedDuration::from_hours(1)).to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap());
    let input = dir.join("rows.csv");
    std::fs::write(&input, format!("id,time,text,address\n1,{},{TEXT},{ADDRESS}\n", an_hour_ago.strftime("%Y-%m-%d %H:%M:%S"))).unwrap();
    let output = Command::new(GRIDLINE)
        .args(["import", "cases", "--input"])
        .arg(&input)
        .arg("--mapping")
        .arg(&mapping)
        .args(["--database", url])
        .env_remove("GRIDLINE_DATA_DIR")
        .env_remove("GRIDLINE_DATABASE")
        .output()
        .expect("the gridline binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success() && stdout.contains("1 imported"), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
}

#[tokio::test]
async fn rest_open311_and_import_file_a_case_the_same_way() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in fresh_databases(dir.path()).await {
        let engine_dir = dir.path().join(engine);
        std::fs::create_dir_all(&engine_dir).unwrap();
        import_row(&engine_dir, &url);

        let store = Store::open(&url).await.unwrap();
        let now = Timestamp::now();
        let user = |name: &str, password_hash: String| NewUser {
            username: name.into(),
            display_name: name.into(),
            role: Role::HotlineOperator,
            unit: None,
            password_hash,
        };
        store.people().create_user(&user("operator", gridline_app::passwords::hash_password(PASSWORD).unwrap()), now).await.unwrap();
        store.api_keys().create("citizen-app", &hex::encode(Sha256::digest(KEY)), Channel::Public, &user("apikey.citizen-app", "!".into()), now).await.unwrap();
        let app = Application::build(store.clone(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until(std::future::pending()));
        let http = reqwest::Client::new();
        let session: Value =
            http.post(format!("{base}/api/v1/session")).json(&json!({"username": "operator", "password": PASSWORD})).send().await.unwrap().json().await.unwrap();
        let token = session["token"].as_str().unwrap_or_else(|| panic!("{engine}: {session}")).to_owned();
        let get = |path: String| {
            let request = http.get(format!("{base}/api/v1{path}")).bearer_auth(&token);
            async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
        };

        let rest: Value = http
            .post(format!("{base}/api/v1/cases"))
            .bearer_auth(&token)
            .json(&json!({"channel": "hotline", "description": TEXT, "address": ADDRESS}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let suggested = rest["suggestion"]["label"].as_str().unwrap_or_else(|| panic!("{engine}: no suggestion: {rest}")).to_owned();
        let form = [("api_key", KEY), ("service_code", &suggested), ("description", TEXT), ("address_string", ADDRESS)];
        let open311 = http.post(format!("{base}/open311/v2/requests.json")).form(&form).send().await.unwrap();
        assert!(open311.status().is_success(), "{engine}: {}", open311.text().await.unwrap());

        let listed = get("/cases?page_size=10".into()).await;
        let by_channel = |channel: &str| -> Value {
            listed["items"].as_array().unwrap().iter().find(|c| c["channel"] == channel).cloned().unwrap_or_else(|| panic!("{engine}: no {channel} case: {listed}"))
        };
        let cases = [by_channel("hotline"), by_channel("public")];
        let imported = listed["items"].as_array().unwrap().iter().find(|c| c["external_id"] == "old-1").cloned().unwrap_or_else(|| panic!("{engine}: {listed}"));
        let cases = [rest.clone(), cases[1].clone(), imported];
        let ids: Vec<i64> = cases.iter().map(|c| c["id"].as_i64().unwrap()).collect();
        assert_eq!(ids.iter().collect::<std::collections::HashSet<_>>().len(), 3, "{engine}: three cases, not one: {ids:?}");
        for case in &cases {
            let case = get(format!("/cases/{}", case["id"])).await;
            assert_eq!(case["region"], WANGJING, "{engine}: placed in 望京 by its address: {case}");
            // The Open311 request came with its category (the suggestion of the others); the
            // others without, so they carry the suggestion.
            let category_or_suggestion = case["category"].as_str().or(case["suggestion"]["label"].as_str());
            assert_eq!(category_or_suggestion, Some(suggested.as_str()), "{engine}: {case}");
        }
        for id in &ids {
            let duplicates = get(format!("/cases/{id}/duplicates")).await;
            let found: Vec<i64> = duplicates["suggestions"].as_array().unwrap().iter().map(|s| s["case"].as_i64().unwrap()).collect();
            for other in ids.iter().filter(|other| *other != id) {
                assert!(found.contains(other), "{engine}: case {id} should find {other} among its duplicates: {duplicates}");
            }
        }
    }
}
