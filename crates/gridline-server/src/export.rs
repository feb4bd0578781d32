//! `GET /api/v1/cases/export`: the case export (gridline-app's exporter) over HTTP, CSV streamed
//! or XLSX, with the filters of the case list.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use gridline_app::export::{XLSX_CONTENT_TYPE, csv_stream, xlsx_bytes};
use gridline_core::calendar::local_time;
use gridline_core::message::Lang;
use jiff::Timestamp;

use crate::auth::SignedIn;
use crate::cases::{ListQuery, case_filter};
use crate::error::ApiError;
use crate::AppState;

/// `GET /api/v1/cases/export?format=csv|xlsx&lang=zh|en&…` with the filters of the case list (its
/// paging aside), parsed by the list's own parser and limited to what the user may see.
#[utoipa::path(get, path = "/cases/export", tag = "cases", security(("bearer" = [])),
    params(("format" = Option<String>, Query, description = "csv (the default) or xlsx"),
        ("lang" = Option<String>, Query, description = "zh (the default): Chinese headers (编号, 状态, …) and labels (已派遣, 是/否); en: the columns' names (id, status, …) and the API's values (dispatched, true), stable for scripts"),
        ListQuery),
    responses((status = 200, description = "every case the filters admit, one row each (columns: see docs/import-export.md); CSV streamed, XLSX (at most 1,048,575 cases) with times as date cells",
            content((String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 403, description = "`phone` given by a role that may not search by phone number"),
        (status = 422, description = "an invalid filter or format, or a page")))]
pub async fn cases(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
        .map_err(|e| ApiError::BadRequest(format!("the query cannot be read: {e}")))?;
    let (mut format, mut lang) = (None, None);
    let mut rest = Vec::new();
    for (name, value) in pairs {
        match name.as_str() {
            "format" if format.is_none() => format = Some(value),
            "lang" if lang.is_none() => lang = Some(value),
            "format" | "lang" => return Err(ApiError::invalid(&name, format!("{name} is given more than once"))),
            "page" | "page_size" => return Err(ApiError::invalid(&name, "an export has every case the filters admit; it takes no page")),
            _ => rest.push((name, value)),
        }
    }
    let xlsx = match format.as_deref().unwrap_or("csv") {
        "csv" => false,
        "xlsx" => true,
        other => return Err(ApiError::invalid("format", format!("format is csv or xlsx, not {other:?}"))),
    };
    let lang = match lang.as_deref().unwrap_or("zh") {
        "zh" => Lang::Zh,
        "en" => Lang::En,
        other => return Err(ApiError::invalid("lang", format!("lang is zh or en, not {other:?}"))),
    };
    let rest = serde_urlencoded::to_string(&rest).map_err(|e| ApiError::Internal(e.to_string()))?;
    let uri: axum::http::Uri =
        format!("/?{rest}").parse().map_err(|_| ApiError::BadRequest("the query is not a valid URI query".into()))?;
    let query: Result<Query<ListQuery>, QueryRejection> = Query::try_from_uri(&uri);
    let now = Timestamp::now();
    let filter = case_filter(&state, &who, query, now)?;
    let day = local_time(now).get(..10).unwrap_or("export").to_owned();
    if xlsx {
        let (bytes, _) = xlsx_bytes(&state.store, state.exporter(now, lang), &filter).await?;
        return Ok((
            [
                (header::CONTENT_TYPE, XLSX_CONTENT_TYPE.to_owned()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"cases-{day}.xlsx\"")),
            ],
            bytes,
        )
            .into_response());
    }
    let mut chunks = csv_stream(&state.store, state.exporter(now, lang), &filter);
    // A store error ends the body with an error, which aborts the transfer: a client never takes
    // a cut file for a whole one.
    let stream = futures_util::stream::poll_fn(move |cx| chunks.poll_recv(cx)).map(|chunk| {
        chunk.map(|c| Bytes::from(c.bytes)).map_err(|e| {
            tracing::error!(error = %e, "export failed mid-stream");
            std::io::Error::other(e.to_string())
        })
    });
    let filename = format!("cases-{day}.csv");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}
