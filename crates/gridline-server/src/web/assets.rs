//! The page assets, embedded in the binary: gridline's own script and style sheet, and Apache
//! ECharts from the npm registry (installed by `build.rs` from `web/package-lock.json`).

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// `(name, content type, bytes)` of every asset.
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("app.js", "text/javascript; charset=utf-8", include_bytes!("../../web/assets/app.js")),
    ("app.css", "text/css; charset=utf-8", include_bytes!("../../web/assets/app.css")),
    (
        "echarts.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/node_modules/echarts/dist/echarts.min.js")),
    ),
];

/// `GET /assets/{name}`
pub async fn asset(Path(name): Path<String>) -> Result<Response, ApiError> {
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
