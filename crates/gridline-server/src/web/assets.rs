//! The page assets, embedded in the binary: gridline's own script modules (`web/assets/js/*.js`,
//! listed by `build.rs`) and style sheet, the web UI's words (`web/texts/*.json`), and Apache
//! ECharts from the npm registry (installed by `build.rs` from `web/package-lock.json`).

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// `(name, content type, bytes)` of every asset.
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("app.css", "text/css; charset=utf-8", include_bytes!("../../web/assets/app.css")),
    ("favicon.svg", "image/svg+xml", include_bytes!("../../web/assets/favicon.svg")),
    (
        "echarts.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/node_modules/echarts/dist/echarts.min.js")),
    ),
];

include!(concat!(env!("OUT_DIR"), "/web_modules.rs"));

/// The folder every module is served from, `js-HASH` (`/assets/js-HASH/main.js`): HASH is over all
/// the modules, names and contents, so a release that changes any of them serves all of them under
/// a new folder. A browser keeps them for a year, and the modules' relative imports
/// (`./dom.js`) stay inside one release's folder, so no page mixes two releases' modules.
pub static MODULES_DIR: LazyLock<String> = LazyLock::new(|| {
    let mut hash = Sha256::new();
    for (name, bytes) in MODULES {
        hash.update((name.len() as u64).to_le_bytes());
        hash.update(name.as_bytes());
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(bytes);
    }
    format!("js-{}", &hex::encode(hash.finalize())[..16])
});

/// `GET /assets/{dir}/{name}`: a module of the web UI; only the current release's folder.
pub async fn module(Path((dir, name)): Path<(String, String)>) -> Result<Response, ApiError> {
    let found = MODULES.iter().find(|(known, _)| *known == name).filter(|_| dir == *MODULES_DIR);
    let (_, bytes) = found.ok_or_else(|| ApiError::NotFound(format!("no asset {dir:?}/{name:?}")))?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=31536000, immutable")],
        *bytes,
    )
        .into_response())
}

/// The web UI's words in each language the page offers, `(language, file)`: one JSON object of
/// key → text per language, the same keys in each (a test checks it).
const TEXTS: &[(&str, &str)] = &[("zh", include_str!("../../web/texts/zh-CN.json")), ("en", include_str!("../../web/texts/en.json"))];

/// The words as the script the page loads before its modules: `(name, bytes)`. The name carries the
/// content's hash, so a browser keeps it for a year and a release with other words changes the
/// name (the pages are never cached).
pub static TEXTS_SCRIPT: LazyLock<(String, Vec<u8>)> = LazyLock::new(|| {
    let words: serde_json::Map<String, serde_json::Value> = TEXTS
        .iter()
        .map(|(lang, json)| {
            let texts: serde_json::Value = serde_json::from_str(json).unwrap_or_else(|err| panic!("web/texts ({lang}) is not JSON: {err}"));
            ((*lang).to_owned(), texts)
        })
        .collect();
    let body = format!("window.gridlineTexts = {};\n", serde_json::Value::Object(words)).into_bytes();
    let hash = hex::encode(Sha256::digest(&body));
    (format!("texts-{}.js", &hash[..16]), body)
});

/// `GET /assets/{name}`
pub async fn asset(Path(name): Path<String>) -> Result<Response, ApiError> {
    let (texts_name, texts) = &*TEXTS_SCRIPT;
    if name == *texts_name {
        return Ok((
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=31536000, immutable")],
            texts.clone(),
        )
            .into_response());
    }
    let (_, content_type, bytes) = ASSETS
        .iter()
        .find(|(known, _, _)| *known == name)
        .ok_or_else(|| ApiError::NotFound(format!("no asset {name:?}")))?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, *content_type),
            // An hour: a new release is picked up the same day without fingerprinted names.
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        *bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use regex::Regex;

    use super::*;

    fn texts(json: &str) -> BTreeMap<String, String> {
        serde_json::from_str(json).expect("web/texts/*.json: one object of key → text")
    }

    #[test]
    fn both_languages_have_the_same_keys_and_no_empty_text() {
        let [(_, zh), (_, en)] = TEXTS else { panic!("two languages") };
        let (zh, en) = (texts(zh), texts(en));
        let only = |a: &BTreeMap<String, String>, b: &BTreeMap<String, String>| a.keys().filter(|k| !b.contains_key(*k)).cloned().collect::<Vec<_>>();
        assert_eq!(only(&zh, &en), Vec::<String>::new(), "keys in zh-CN.json without an English text");
        assert_eq!(only(&en, &zh), Vec::<String>::new(), "keys in en.json without a Chinese text");
        for (lang, words) in [("zh", &zh), ("en", &en)] {
            let empty: Vec<_> = words.iter().filter(|(_, text)| text.trim().is_empty()).map(|(key, _)| key).collect();
            assert!(empty.is_empty(), "{lang}: empty texts {empty:?}");
        }
    }

    fn module(name: &str) -> &'static str {
        let (_, bytes) = MODULES.iter().find(|(known, _)| *known == name).unwrap_or_else(|| panic!("no module {name}"));
        std::str::from_utf8(bytes).expect("UTF-8")
    }

    /// Every `t('key')` the modules ask with a plain literal has a text (in web/texts or among
    /// the case's labels the page brings); keys built at run time (`t(`sl.${x}`)`) are not seen.
    #[test]
    fn every_literal_key_the_script_asks_for_has_a_text() {
        let zh = texts(TEXTS[0].1);
        let labels: Vec<&str> = gridline_core::labels::LABELS.iter().map(|(key, _, _)| *key).collect();
        let call = Regex::new(r#"\bt\((?:'([^'$`]*)'|"([^"$`]*)"|`([^'$`]*)`)\)"#).expect("pattern");
        let mut asked = 0;
        for (name, _) in MODULES {
            let script = module(name);
            let keys: Vec<&str> = call.captures_iter(script).filter_map(|c| c.iter().skip(1).flatten().next()).map(|m| m.as_str()).collect();
            asked += keys.len();
            let missing: Vec<_> = keys.iter().filter(|key| !zh.contains_key(**key) && !labels.contains(key)).collect();
            assert!(missing.is_empty(), "{name} asks for keys that web/texts lacks: {missing:?}");
        }
        assert!(asked > 500, "the scan found only {asked} calls: has t() been renamed?");
    }

    /// The modules import one another by relative names that exist (`./dom.js`), the router names
    /// an existing module for each view it loads, and the entry module is there.
    #[test]
    fn every_module_imported_exists() {
        let names: Vec<&str> = MODULES.iter().map(|(name, _)| *name).collect();
        assert!(names.contains(&"main.js") && names.contains(&"router.js") && names.len() > 20, "{names:?}");
        // `import { a } from './x.js';`, `export { a } from './x.js';`, `import './x.js';`
        let import = Regex::new(r#"(?m)^(?:(?:import|export)\b[^;'"]*\bfrom\s*|import\s*)['"]([^'"]+)['"];"#).expect("pattern");
        let mut imports = 0;
        for (name, _) in MODULES {
            for c in import.captures_iter(module(name)) {
                imports += 1;
                let target = c[1].strip_prefix("./").unwrap_or_else(|| panic!("{name} imports {:?}: only ./NAME.js of the same folder", &c[1]));
                assert!(names.contains(&target), "{name} imports {target}, which is no module");
            }
        }
        assert!(imports > 100, "the scan found only {imports} imports: is the pattern still right?");
        let table = module("router.js").split("const MODULE_OF = {").nth(1).and_then(|rest| rest.split("};").next()).expect("MODULE_OF in router.js");
        let entry = Regex::new(r"(\w+): '(\w+)'").expect("pattern");
        let views: Vec<(String, String)> = entry.captures_iter(table).map(|c| (c[1].to_owned(), c[2].to_owned())).collect();
        assert!(views.len() > 15, "{views:?}");
        for (view, file) in &views {
            let file = format!("{file}.js");
            assert!(names.contains(&file.as_str()), "router.js loads {file} for {view}, which is no module");
            assert!(module(&file).contains(&format!("register('{view}',")), "{file} does not register the view {view}");
        }
        for view in super::super::views_served() {
            assert!(views.iter().any(|(v, _)| v == view), "router.js has no module for the page view {view}");
        }
    }

    #[test]
    fn the_modules_folder_is_named_by_their_content() {
        let dir = &*MODULES_DIR;
        assert!(dir.starts_with("js-") && dir.len() == "js-".len() + 16 && dir[3..].bytes().all(|b| b.is_ascii_hexdigit()), "{dir}");
    }

    #[test]
    fn the_texts_script_is_named_by_its_content() {
        let (name, body) = &*TEXTS_SCRIPT;
        assert!(name.starts_with("texts-") && name.ends_with(".js") && name.len() == "texts-.js".len() + 16, "{name}");
        let body = std::str::from_utf8(body).expect("UTF-8");
        assert!(body.starts_with("window.gridlineTexts = {") && body.contains(r#""zh":{"# ) && body.contains(r#""en":{"#), "{}", &body[..80]);
    }
}
