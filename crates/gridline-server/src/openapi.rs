//! The OpenAPI description of `/api/v1`, served at `/api/v1/openapi.json` and browsable at
//! `/api/v1/docs` (Swagger UI, built into the binary: no CDN). Every `/api/v1` route is served
//! through `utoipa_axum`'s `OpenApiRouter` with `routes!`, which serves each handler at the path
//! and methods of its `#[utoipa::path]` attribute and adds that description to the document, so
//! what is served and what is described cannot drift apart. (A plain `.route` would serve a path
//! undescribed; `lib.rs` uses none under `/api/v1`.)

use std::sync::Arc;

use axum::Router;
use utoipa::openapi::Response;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "gridline API",
        description = "The civilised-city case platform: intake from every channel, the unified catalogue, \
                       dispatch, SLA clocks, verification and call-back. Errors are \
                       `{\"error\": {\"code\", \"message\", \"field\"?}}`; see docs/api.md.",
    ),
    modifiers(&BearerToken),
    tags(
        (name = "session", description = "Signing in and out"),
        (name = "cases", description = "Cases: intake, list, history, workflow actions, export"),
        (name = "reference", description = "Units and regions"),
        (name = "catalogue", description = "The catalogue, the routing rules and the crosswalk: search, export, import, and where a case is routed"),
        (name = "geo", description = "Geography: locate a point, geocode an address, teach the gazetteer, district and street boundaries"),
        (name = "text", description = "Text intelligence: category suggestions and duplicate cases"),
        (name = "supervision", description = "Supervision orders and their replies, the board, reminders, listed supervision, linked cases and the watch list"),
        (name = "analytics", description = "The dashboard, rankings, the three rates, high-frequency problems and campaigns"),
        (name = "documents", description = "Documents officials read (简报, 通报, 督办单) as DOCX and PDF in the GB/T 9704 layout: preview, issue, list, download checked against the stored hash"),
        (name = "ledger", description = "The committee's yearly project ledger (重点工作项目台账): projects, the progress board, the year-end report and the workflow"),
    )
)]
pub struct ApiDoc;

/// The bearer token of `POST /api/v1/session`, required by every operation but signing in and
/// the public list of listed supervision.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
    }
}

/// Adds the 401 to every operation that needs the bearer token (said once here rather than on
/// each handler): the session extractor refuses the request before the handler runs.
pub fn refused_without_session(openapi: &mut utoipa::openapi::OpenApi) {
    for item in openapi.paths.paths.values_mut() {
        let operations = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
        for operation in operations.into_iter().flatten() {
            if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                operation.responses.responses.entry("401".to_owned()).or_insert_with(|| {
                    Response::new("no session: the bearer token is missing, unknown or expired").into()
                });
            }
        }
    }
}

/// The document and its browsable page.
pub fn docs(openapi: utoipa::openapi::OpenApi) -> Router<Arc<AppState>> {
    SwaggerUi::new("/api/v1/docs").url("/api/v1/openapi.json", openapi).into()
}
