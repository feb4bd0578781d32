//! Installs the web UI's third-party libraries from `web/package-lock.json` with `npm ci` when
//! they are absent, so that `cargo build` alone yields a complete binary with the assets embedded
//! (`src/web/assets.rs` includes them). Nothing from `node_modules` is committed.
//!
//! Also lists the web UI's own modules (`web/assets/js/*.js`) for the binary to embed: the list,
//! `$OUT_DIR/web_modules.rs`, is included by `src/web/assets.rs`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

/// The files the binary embeds from `web/node_modules`.
const VENDORED: &[&str] = &["echarts/dist/echarts.min.js"];

fn main() {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    list_modules(&web.join("assets/js"));
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

/// Writes `$OUT_DIR/web_modules.rs`: `MODULES`, `(name, bytes)` of every `*.js` in `dir`, by name.
/// A directory is watched whole: a module added, changed or removed lists them again.
fn list_modules(dir: &Path) {
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("the web UI's modules ({}): {err}", dir.display()))
        .map(|entry| entry.expect("a directory entry").file_name().into_string().expect("a UTF-8 file name"))
        .filter(|name| name.ends_with(".js"))
        .collect();
    names.sort();
    let mut out = String::from("/// `(name, bytes)` of every module of the web UI (`web/assets/js/*.js`), by name; written by build.rs.\n");
    out.push_str("pub const MODULES: &[(&str, &[u8])] = &[\n");
    for name in &names {
        assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.'), "module name {name:?}: letters, digits, _ and - only");
        writeln!(out, "    ({name:?}, include_bytes!({:?})),", dir.join(name).display().to_string()).expect("a string");
    }
    out.push_str("];\n");
    let target = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("web_modules.rs");
    std::fs::write(&target, out).unwrap_or_else(|err| panic!("{}: {err}", target.display()));
}
