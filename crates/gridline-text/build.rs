//! Hands the segmenter jieba's dictionary: the words and frequencies that jieba-rs embeds (its
//! `src/data/dict.txt`). jieba-rs offers no way to list them, so they are read here from the
//! package source of the jieba-rs version in Cargo.lock (a build-dependency, so Cargo has
//! unpacked it before this runs) and written to OUT_DIR as `word frequency` lines, tags dropped,
//! for `src/dictionary.rs` to include. `tests/segmentation.rs` checks that the result segments
//! exactly as jieba-rs does. Where the sources are not under Cargo's home (a vendored tree), set
//! GRIDLINE_JIEBA_DICT to the file.

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=GRIDLINE_JIEBA_DICT");
    let source = match std::env::var_os("GRIDLINE_JIEBA_DICT") {
        Some(path) => PathBuf::from(path),
        None => registry_copy(&locked_jieba_version()),
    };
    println!("cargo::rerun-if-changed={}", source.display());
    let text = std::fs::read_to_string(&source).unwrap_or_else(|e| panic!("reading {}: {e}", source.display()));
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut fields = line.split_whitespace();
        if let Some(word) = fields.next() {
            // jieba reads a missing frequency as 0.
            let frequency = fields.next().unwrap_or("0");
            assert!(frequency.parse::<u64>().is_ok(), "{}: frequency {frequency:?} of {word:?}", source.display());
            out.push_str(word);
            out.push(' ');
            out.push_str(frequency);
            out.push('\n');
        }
    }
    let target = Path::new(&std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("jieba_dict.txt");
    std::fs::write(&target, out).unwrap_or_else(|e| panic!("writing {}: {e}", target.display()));
}

/// The jieba-rs version of the workspace's Cargo.lock (the first one above this crate).
fn locked_jieba_version() -> String {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let lock = manifest.ancestors().map(|d| d.join("Cargo.lock")).find(|p| p.is_file()).expect("a Cargo.lock above the crate");
    println!("cargo::rerun-if-changed={}", lock.display());
    let text = std::fs::read_to_string(&lock).unwrap_or_else(|e| panic!("reading {}: {e}", lock.display()));
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"jieba-rs\"" {
            let version = lines.next().and_then(|l| l.trim().strip_prefix("version = \"")).and_then(|v| v.strip_suffix('"'));
            return version.expect("a version line after jieba-rs's name in Cargo.lock").to_owned();
        }
    }
    panic!("{} has no jieba-rs", lock.display());
}

/// `dict.txt` of jieba-rs `version` as Cargo unpacked it under `$CARGO_HOME/registry/src`.
fn registry_copy(version: &str) -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .expect("CARGO_HOME or HOME is set");
    let registries = home.join("registry").join("src");
    let found = std::fs::read_dir(&registries)
        .into_iter()
        .flatten()
        .flatten()
        .map(|registry| registry.path().join(format!("jieba-rs-{version}")).join("src").join("data").join("dict.txt"))
        .find(|p| p.is_file());
    found.unwrap_or_else(|| {
        panic!("jieba-rs {version}'s src/data/dict.txt is not under {}: set GRIDLINE_JIEBA_DICT to it", registries.display())
    })
}
