//! The page assets, embedded in the binary: gridline's own script and style sheet, the web UI's
//! words (`web/texts/*.json`), and Apache ECharts from the npm registry (installed by `build.rs`
//! from `web/package-lock.json`).

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// `(name, content type, bytes)` of every asset.
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("app.js", "text/javascript; charset=utf-8", include_bytes!("../../web/assets/app.js")),
    ("app.css", "text/css; charset=utf-8", include_bytes!("../../web/assets/app.css")),
    ("favicon.svg", "image/svg+xml", include_bytes!("../../web/assets/favicon.svg")),
    (
        "echarts.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/node_modules/echarts/dist/echarts.min.js")),
    ),
];

/// The web UI's words in each language the page offers, `(language, file)`: one JSON object of
/// key → text per language, the same keys in each (a test checks it).
const TEXTS: &[(&str, &str)] = &[("zh", include_str!("../../web/texts/zh-CN.json")), ("en", include_str!("../../web/texts/en.json"))];

/// The words as the script the page loads before `app.js`: `(name, bytes)`. The name carries the
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

    /// Every `t('key')` the script asks with a plain literal has a text (in web/texts or among
    /// the case's labels the page brings); keys built at run time (`t(`sl.${x}`)`) are not seen.
    #[test]
    fn every_literal_key_the_script_asks_for_has_a_text() {
        let script = include_str!("../../web/assets/app.js");
        let zh = texts(TEXTS[0].1);
        let labels: Vec<&str> = gridline_core::labels::LABELS.iter().map(|(key, _, _)| *key).collect();
        let call = Regex::new(r#"\bt\((?:'([^'$`]*)'|"([^"$`]*)"|`([^'$`]*)`)\)"#).expect("pattern");
        let asked: Vec<&str> = call.captures_iter(script).filter_map(|c| c.iter().skip(1).flatten().next()).map(|m| m.as_str()).collect();
        assert!(asked.len() > 500, "the scan found only {} calls: has t() been renamed?", asked.len());
        let missing: Vec<_> = asked.iter().filter(|key| !zh.contains_key(**key) && !labels.contains(key)).collect();
        assert!(missing.is_empty(), "app.js asks for keys that web/texts lacks: {missing:?}");
    }

    #[test]
    fn the_texts_script_is_named_by_its_content() {
        let (name, body) = &*TEXTS_SCRIPT;
        assert!(name.starts_with("texts-") && name.ends_with(".js") && name.len() == "texts-.js".len() + 16, "{name}");
        let body = std::str::from_utf8(body).expect("UTF-8");
        assert!(body.starts_with("window.gridlineTexts = {") && body.contains(r#""zh":{"# ) && body.contains(r#""en":{"#), "{}", &body[..80]);
    }
}
