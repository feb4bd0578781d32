//! Open311 through a client library we did not write: starts the real server on a free port and
//! runs `tests/python/open311_client.py`, which reads through the PyPI package `georeport` (JSON
//! and XML), files with plain form posts and validates the JSON answers against the GeoReport v2
//! JSON schemas in the shared data. `.ci/run` installs the packages into a virtual environment
//! and names its interpreter in `GRIDLINE_PYTHON`; in CI (`CI` set) a missing package fails the
//! test, elsewhere it is skipped with a message.

use std::path::{Path, PathBuf};
use std::process::Command;

use gridline_testing::shared_data;
use gridline_core::actor::Role;
use gridline_core::case::Channel;
use gridline_server::Application;
use gridline_store::{NewUser, Store};
use sha2::{Digest, Sha256};

fn skip_or_fail(why: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("{why}");
    }
    eprintln!("SKIPPED the Open311 client library test: {why}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_open311_client_library_files_and_reads_requests_and_every_json_answer_meets_the_spec_schemas() {
    let Some(schemas) = shared_data("open311/request.json").and_then(|file| file.parent().map(Path::to_path_buf)) else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite://{}?mode=rwc", dir.path().join("gridline.db").display())).await.unwrap();
    let key = "python-client-key-42";
    let user = NewUser {
        username: "apikey.python".into(),
        display_name: "python".into(),
        role: Role::HotlineOperator,
        unit: None,
        password_hash: "!".into(),
    };
    store.api_keys().create("python", &hex::encode(Sha256::digest(key)), Channel::Public, &user, jiff::Timestamp::now()).await.unwrap();
    let app = Application::build(store, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let python = std::env::var("GRIDLINE_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/open311_client.py");
    let output = tokio::task::spawn_blocking(move || {
        Command::new(&python).arg(&script).args([&base, key, &schemas.display().to_string(), "110000000000"]).output()
    })
    .await
    .unwrap();
    let output = match output {
        Ok(output) => output,
        Err(e) => return skip_or_fail(&format!("cannot run Python: {e}")),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.code() == Some(77) {
        return skip_or_fail(&format!("{} (run .ci/run, or pip install georeport jsonschema)", stderr.trim()));
    }
    assert!(output.status.success(), "the Open311 client test failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
    eprintln!("Open311 client library: {}", stdout.trim());
}
