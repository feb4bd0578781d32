//! The OpenAPI description of `/api/v1`, served at `/api/v1/openapi.json` and browsable at
//! `/api/v1/docs` (Swagger UI, built into the binary: no CDN). The paths come from the
//! `#[utoipa::path]` attribute on each handler and the router collects them together with the
//! routes (`utoipa_axum::routes!`), so a route cannot be served without being described.

use std::sync::Arc;

use axum::Router;
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
        (name = "reference", description = "Units, regions and the catalogue"),
    )
)]
pub struct ApiDoc;

/// The bearer token of `POST /api/v1/session`, required by every path but signing in.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
    }
}

/// The document and its browsable page.
pub fn docs(openapi: utoipa::openapi::OpenApi) -> Router<Arc<AppState>> {
    SwaggerUi::new("/api/v1/docs").url("/api/v1/openapi.json", openapi).into()
}
