//! Installs the web UI's third-party libraries from `web/package-lock.json` with `npm ci` when
//! they are absent, so that `cargo build` alone yields a complete binary with the assets embedded
//! (`src/web/assets.rs` includes them). Nothing from `node_modules` is committed.

use std::path::Path;
use std::process::Command;

/// The files the binary embeds from `web/node_modules`.
const VENDORED: &[&str] = &["echarts/dist/echarts.min.js"];

fn main() {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    println!("cargo::rerun-if-changed=web/package.json");
    println!("cargo::rerun-if-changed=web/package-lock.json");
    let modules = web.join("node_modules");
    for file in VENDORED {
        // A missing file counts as changed, so a deleted node_modules is installed again.
        println!("cargo::rerun-if-changed={}", modules.join(file).display());
    }
    if VENDORED.iter().all(|file| modules.join(file).is_file()) {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--ignore-scripts"])
        .current_dir(&web)
        .status()
        .unwrap_or_else(|err| panic!("the web UI needs Node.js and npm to install its libraries (`npm ci` in {}): {err}", web.display()));
    assert!(status.success(), "`npm ci` in {} failed ({status}); is the npm registry reachable?", web.display());
    for file in VENDORED {
        assert!(modules.join(file).is_file(), "`npm ci` did not install {file}");
    }
}
