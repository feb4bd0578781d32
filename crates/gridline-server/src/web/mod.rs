//! The web workbench: one page per role's day's work, the case page and the dashboard, all drawn
//! in the browser from the JSON API by the script modules of `web/assets/js/` (docs/web.md),
//! Chinese first with English switchable.
//!
//! Pages are guarded on the server: the sign-in page sets an `HttpOnly`, `SameSite=Strict`
//! session cookie, and each page checks the cookie's user and role before it is served (a wrong
//! role gets 403, nobody signed in is sent to the sign-in page). The page hands the same session
//! token to its script, which calls the API with `Authorization: Bearer`; the API itself never
//! reads the cookie, so a cross-site request cannot act with it.

mod assets;
pub mod dashboard;

use std::sync::{Arc, LazyLock};

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use gridline_app::attachments::Size;
use gridline_core::actor::Role;
use serde::Deserialize;

use crate::auth::{self, Credentials, SignedIn};
use crate::error::ApiError;
use crate::{ApiJson, AppState};

/// The session cookie of the web pages.
const COOKIE: &str = "gridline_session";

/// A page of the workbench: its path, the roles that may open it, and the script view that
/// draws it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    Operator,
    Grid,
    Dispatcher,
    Unit,
    Supervisor,
    Admin,
    Dashboard,
    Case,
    /// The office's evaluation rankings and health reports.
    Evaluation,
    /// The evaluator's phone page: rounds, points, a point's checklist.
    Field,
    /// 材料审核: the half-yearly windows; a unit submits, reviewers score, the office settles.
    Reviews,
    /// The committee's project ledger: the office's board, a member unit's own projects.
    Ledger,
    LedgerProject,
    /// The office's documents: issued ones listed and searched, a 简报 composed, previewed,
    /// issued and downloaded.
    Documents,
    /// 背街小巷: the alley map, an alley's page, the patrol board and the monthly ranking.
    Alleys,
    /// The steward's phone page: the daily patrol (日巡) of their alleys.
    Patrol,
    /// Every role's case search within what it may see, with the export of the same filters.
    Search,
    /// 我的待办: each user's to-do list (the header's badge leads here).
    Inbox,
}

impl Page {
    /// The name the script draws the page by.
    fn view(self) -> &'static str {
        match self {
            Page::Operator => "operator",
            Page::Grid => "grid",
            Page::Dispatcher => "dispatcher",
            Page::Unit => "unit",
            Page::Supervisor => "supervisor",
            Page::Admin => "admin",
            Page::Dashboard => "dashboard",
            Page::Case => "case",
            Page::Evaluation => "evaluation",
            Page::Field => "field",
            Page::Reviews => "reviews",
            Page::Ledger => "ledger",
            Page::LedgerProject => "ledger_project",
            Page::Documents => "documents",
            Page::Alleys => "alleys",
            Page::Patrol => "patrol",
            Page::Search => "search",
            Page::Inbox => "inbox",
        }
    }

    /// Who may open the page. Administrators may open every page; the case page, the search and
    /// the dashboard are open to every role, and show only what the API lets the user see.
    pub fn admits(self, role: Role) -> bool {
        role == Role::Admin
            || match self {
                Page::Operator => role == Role::HotlineOperator,
                Page::Grid => matches!(role, Role::GridWorker | Role::Inspector),
                Page::Dispatcher => role == Role::Dispatcher,
                Page::Unit => matches!(role, Role::HandlingUnit | Role::MemberUnit),
                Page::Supervisor => role == Role::Supervisor,
                Page::Admin => false,
                Page::Dashboard | Page::Case | Page::Search | Page::Inbox => true,
                Page::Evaluation => matches!(role, Role::Supervisor | Role::Dispatcher),
                Page::Field => role == Role::Inspector,
                Page::Reviews => matches!(role, Role::Supervisor | Role::Dispatcher | Role::Inspector | Role::HandlingUnit | Role::MemberUnit),
                Page::Ledger | Page::LedgerProject => matches!(role, Role::Supervisor | Role::MemberUnit),
                Page::Documents => role == Role::Supervisor,
                Page::Alleys => matches!(role, Role::Supervisor | Role::Dispatcher | Role::Inspector | Role::GridWorker),
                Page::Patrol => role == Role::GridWorker,
            }
    }

    /// Where a role starts its day.
    pub fn home_of(role: Role) -> Page {
        match role {
            Role::HotlineOperator => Page::Operator,
            Role::GridWorker | Role::Inspector => Page::Grid,
            Role::Dispatcher => Page::Dispatcher,
            Role::HandlingUnit | Role::MemberUnit => Page::Unit,
            Role::Supervisor => Page::Supervisor,
            Role::Admin => Page::Dashboard,
        }
    }

    pub fn path(self) -> &'static str {
        match self {
            Page::Operator => "/operator",
            Page::Grid => "/grid",
            Page::Dispatcher => "/dispatcher",
            Page::Unit => "/unit",
            Page::Supervisor => "/supervisor",
            Page::Admin => "/admin",
            Page::Dashboard => "/dashboard",
            Page::Case => "/cases",
            Page::Evaluation => "/evaluation",
            Page::Field => "/field",
            Page::Reviews => "/reviews",
            Page::Ledger => "/ledger",
            Page::LedgerProject => "/ledger/projects",
            Page::Documents => "/documents",
            Page::Alleys => "/alleys",
            Page::Patrol => "/patrol",
            Page::Search => "/search",
            Page::Inbox => "/inbox",
        }
    }
}

/// Every view the server names in a page's `data-view` that a module draws (the router draws
/// `forbidden` and `missing` itself): each page's, and those of the pages without sign-in.
#[cfg(test)]
pub(crate) fn views_served() -> Vec<&'static str> {
    let pages = [
        Page::Operator,
        Page::Grid,
        Page::Dispatcher,
        Page::Unit,
        Page::Supervisor,
        Page::Admin,
        Page::Dashboard,
        Page::Case,
        Page::Evaluation,
        Page::Field,
        Page::Reviews,
        Page::Ledger,
        Page::LedgerProject,
        Page::Documents,
        Page::Alleys,
        Page::Patrol,
        Page::Search,
        Page::Inbox,
    ];
    // A page added to the enum does not compile here until the match names it: name it in the list too.
    for page in pages {
        match page {
            Page::Operator | Page::Grid | Page::Dispatcher | Page::Unit | Page::Supervisor | Page::Admin | Page::Dashboard | Page::Case => {}
            Page::Evaluation | Page::Field | Page::Reviews | Page::Ledger | Page::LedgerProject | Page::Documents | Page::Alleys => {}
            Page::Patrol | Page::Search | Page::Inbox => {}
        }
    }
    pages.iter().map(|page| page.view()).chain(["login", "public_listings", "questionnaire_form"]).collect()
}

/// The routes of the web UI, merged beside `/api/v1`.
pub fn routes() -> Router<Arc<AppState>> {
    let mut router = Router::new()
        .route("/", get(start))
        .route("/login", get(login_page))
        .route("/public/listings", get(public_listings_page))
        .route("/q/{token}", get(questionnaire_page))
        .route("/logout", post(sign_out))
        .route("/web/session", post(sign_in))
        .route("/cases/{id}", get(case_page))
        .route("/ledger/projects/{id}", get(ledger_project_page))
        .route("/files/{id}", get(file))
        .route("/files/{id}/thumb", get(thumbnail))
        .route("/assets/{name}", get(assets::asset))
        .route("/assets/{dir}/{name}", get(assets::module))
        // What browsers ask for when a page names no icon (the API's documents, a bare URL).
        .route("/favicon.ico", get(|| assets::asset(Path("favicon.svg".to_owned()))));
    for page in [
        Page::Operator,
        Page::Grid,
        Page::Dispatcher,
        Page::Unit,
        Page::Supervisor,
        Page::Admin,
        Page::Dashboard,
        Page::Evaluation,
        Page::Field,
        Page::Reviews,
        Page::Ledger,
        Page::Documents,
        Page::Alleys,
        Page::Patrol,
        Page::Search,
        Page::Inbox,
    ] {
        router = router.route(page.path(), get(move |state: State<Arc<AppState>>, headers: HeaderMap, uri: Uri| guarded(state, headers, uri, page)));
    }
    router
}

/// The session token of the page request's cookie, if any.
fn cookie_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == COOKIE && !value.is_empty())
        .map(|(_, value)| value)
}

/// Who sent a page request: `None` when nobody (or an expired session) is signed in.
async fn page_user(state: &AppState, headers: &HeaderMap) -> Result<Option<(String, SignedIn)>, ApiError> {
    let Some(token) = cookie_token(headers) else { return Ok(None) };
    match state.signed_in(token).await {
        Ok(who) => Ok(Some((token.to_owned(), who))),
        Err(err) if err.status() == StatusCode::UNAUTHORIZED => Ok(None),
        Err(other) => Err(other),
    }
}

/// `GET /`: the signed-in user's own workbench, or the sign-in page.
async fn start(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Result<Response, ApiError> {
    Ok(match page_user(&state, &headers).await? {
        Some((_, who)) => Redirect::to(Page::home_of(who.actor.role).path()).into_response(),
        None => Redirect::to("/login").into_response(),
    })
}

async fn login_page() -> Response {
    html(StatusCode::OK, &shell("login", None, None))
}

/// `GET /public/listings`: the public list of listed supervision (挂牌督办公示), for everyone.
async fn public_listings_page() -> Response {
    html(StatusCode::OK, &shell("public_listings", None, None))
}

/// `GET /q/{token}`: a questionnaire's public form, for everyone; the form itself comes from the
/// API, which answers 404 for an unknown link.
async fn questionnaire_page() -> Response {
    html(StatusCode::OK, &shell("questionnaire_form", None, None))
}

/// A role-guarded page: the sign-in page for nobody, 403 for a wrong role.
async fn guarded(State(state): State<Arc<AppState>>, headers: HeaderMap, uri: Uri, page: Page) -> Result<Response, ApiError> {
    serve_page(&state, &headers, &uri, page).await
}

/// `GET /cases/{id}`: the case page; the case itself comes from the API, which answers 404 for a
/// case the user may not see.
async fn case_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    uri: Uri,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    numbered_page(&state, &headers, &uri, path, Page::Case).await
}

/// `GET /ledger/projects/{id}`: a ledger project's page; the API answers 404 for a project the
/// user may not see.
async fn ledger_project_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    uri: Uri,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    numbered_page(&state, &headers, &uri, path, Page::LedgerProject).await
}

/// `GET /files/{id}`: a case's photo (upright, without its metadata) or file for the pages,
/// which send the session cookie rather than a bearer token. Nobody signed in, and a user who
/// may not see it, get the 404 page: an attachment's existence is not revealed.
async fn file(State(state): State<Arc<AppState>>, headers: HeaderMap, path: Result<Path<String>, PathRejection>) -> Result<Response, ApiError> {
    page_file(&state, &headers, path, Size::Full).await
}

/// `GET /files/{id}/thumb`: a photo's thumbnail, for the pages.
async fn thumbnail(State(state): State<Arc<AppState>>, headers: HeaderMap, path: Result<Path<String>, PathRejection>) -> Result<Response, ApiError> {
    page_file(&state, &headers, path, Size::Thumbnail).await
}

async fn page_file(state: &AppState, headers: &HeaderMap, path: Result<Path<String>, PathRejection>, size: Size) -> Result<Response, ApiError> {
    let Path(id) = path?;
    let (Some(id), Some((_, who))) = (id.parse::<i64>().ok().filter(|id| *id > 0), page_user(state, headers).await?) else {
        return Ok(missing_page());
    };
    match crate::attachments::serve(state, id, size, &who.actor).await {
        Err(err) if err.status() == StatusCode::NOT_FOUND => Ok(missing_page()),
        other => other,
    }
}

/// A page of one numbered thing: the missing page for an id that is not a positive number.
async fn numbered_page(state: &AppState, headers: &HeaderMap, uri: &Uri, path: Result<Path<String>, PathRejection>, page: Page) -> Result<Response, ApiError> {
    let Path(id) = path?;
    if !id.parse::<i64>().is_ok_and(|id| id > 0) {
        return Ok(html(StatusCode::NOT_FOUND, &shell("missing", None, None)));
    }
    serve_page(state, headers, uri, page).await
}

async fn serve_page(state: &AppState, headers: &HeaderMap, uri: &Uri, page: Page) -> Result<Response, ApiError> {
    let Some((token, who)) = page_user(state, headers).await? else {
        let back = uri.path_and_query().map_or("/", |p| p.as_str());
        return Ok(Redirect::to(&format!("/login?next={}", percent_encode(back))).into_response());
    };
    if !page.admits(who.actor.role) {
        return Ok(html(StatusCode::FORBIDDEN, &shell("forbidden", Some(&token), Some(&who))));
    }
    Ok(html(StatusCode::OK, &shell(page.view(), Some(&token), Some(&who))))
}

#[derive(Deserialize)]
struct SignInQuery {
    next: Option<String>,
}

/// `POST /web/session[?next=PATH]`: signs in like `POST /api/v1/session` and also sets the page
/// cookie. `home` in the answer is where the page goes next: `next` when it is a path of this
/// site ([`own_path`]), else the role's home page.
async fn sign_in(
    state: State<Arc<AppState>>,
    address: auth::PeerAddress,
    https: auth::OverHttps,
    query: Result<Query<SignInQuery>, QueryRejection>,
    credentials: ApiJson<Credentials>,
) -> Result<Response, ApiError> {
    let Query(query) = query?;
    let (status, Json(session)) = auth::sign_in(state, address, credentials).await?;
    let cookie = format!("{COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}", session.token, auth::SESSION_HOURS * 3600, secure(&https));
    let home = query.next.as_deref().and_then(own_path).unwrap_or_else(|| Page::home_of(session.user.role).path().to_owned());
    let mut body = serde_json::to_value(&session).map_err(|e| ApiError::Internal(e.to_string()))?;
    body["home"] = home.into();
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).map_err(|e| ApiError::Internal(e.to_string()))?);
    Ok(response)
}

/// `POST /logout`: ends the cookie's session (if any) and forgets the cookie.
async fn sign_out(State(state): State<Arc<AppState>>, https: auth::OverHttps, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Some((_, who)) = page_user(&state, &headers).await? {
        auth::sign_out(State(state.clone()), who).await?;
    }
    let mut response = Redirect::to("/login").into_response();
    let cookie = format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}", secure(&https));
    response.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).map_err(|e| ApiError::Internal(e.to_string()))?);
    Ok(response)
}

/// The cookie's `Secure` attribute when the browser came over HTTPS: the cookie is then never
/// sent over plain HTTP.
fn secure(https: &auth::OverHttps) -> &'static str {
    if https.0 { "; Secure" } else { "" }
}

/// The Chinese 404 page for a path that is no page (the API's own paths answer JSON).
pub(crate) fn missing_page() -> Response {
    html(StatusCode::NOT_FOUND, &shell("missing", None, None))
}

/// The case's words for people in both languages (gridline_core::labels), as the script reads
/// them: `{"zh": [["status.received", "已受理"], …], "en": […]}` in the table's order (the order
/// the search page offers them in), escaped for an attribute. The exports label their cells from
/// the same table.
static LABELS: LazyLock<String> = LazyLock::new(|| {
    let in_lang = |zh: bool| -> Vec<[&str; 2]> {
        gridline_core::labels::LABELS.iter().map(|(key, zh_label, en_label)| [*key, if zh { *zh_label } else { *en_label }]).collect()
    };
    escape_html(&serde_json::json!({"zh": in_lang(true), "en": in_lang(false)}).to_string())
});

/// The optional tile layer under the maps (docs/configuration.md): `GRIDLINE_MAP_TILES`, an
/// `http(s)://…{z}…{x}…{y}…` URL template of Web-Mercator tiles in WGS 84, and
/// `GRIDLINE_MAP_TILES_ATTRIBUTION`, the credit its provider asks for; as the page's
/// `<meta name="gridline-map-tiles">`. Absent (the default) or not such a URL: no tiles, the maps
/// draw only the boundaries the binary carries, and the browser fetches nothing from elsewhere.
static MAP_TILES: LazyLock<String> = LazyLock::new(|| {
    let Ok(url) = std::env::var("GRIDLINE_MAP_TILES") else { return String::new() };
    let usable = (url.starts_with("https://") || url.starts_with("http://")) && ["{z}", "{x}", "{y}"].iter().all(|p| url.contains(p));
    if !usable {
        tracing::warn!(%url, "GRIDLINE_MAP_TILES is not an http(s) URL with {{z}}, {{x}} and {{y}}: the maps draw no tiles");
        return String::new();
    }
    let attribution = std::env::var("GRIDLINE_MAP_TILES_ATTRIBUTION").unwrap_or_default();
    let tiles = serde_json::json!({"url": url, "attribution": attribution});
    format!(r#"<meta name="gridline-map-tiles" content="{}">"#, escape_html(&tiles.to_string()))
});

/// The HTML every page shares; the script draws the page named `view` into `<main>`.
fn shell(view: &str, token: Option<&str>, who: Option<&SignedIn>) -> String {
    let (labels, tiles) = (&*LABELS, &*MAP_TILES);
    let (texts, modules) = (&assets::TEXTS_SCRIPT.0, &*assets::MODULES_DIR);
    let token = token.map(|t| format!(r#"<meta name="gridline-token" content="{}">"#, escape_html(t))).unwrap_or_default();
    let user = who
        .map(|who| {
            let user = serde_json::json!({
                "id": who.actor.user_id,
                "username": who.actor.username,
                "display_name": who.display_name,
                "role": who.actor.role,
                "unit": who.actor.unit,
                "home": Page::home_of(who.actor.role).path(),
            });
            format!(r#"<meta name="gridline-user" content="{}">"#, escape_html(&user.to_string()))
        })
        .unwrap_or_default();
    format!(
        r##"<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gridline 创城网格</title>
<meta name="gridline-labels" content="{labels}">
{tiles}{token}{user}
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/echarts.min.js" defer></script>
<script src="/assets/{texts}" defer></script>
<script type="module" src="/assets/{modules}/main.js"></script>
</head>
<body data-view="{view}">
<a class="skip" href="#main">跳到正文 / Skip to content</a>
<header id="top"></header>
<main id="main" tabindex="-1"><noscript>gridline 的页面需要 JavaScript。 The gridline pages need JavaScript.</noscript></main>
</body>
</html>
"##
    )
}

fn html(status: StatusCode, body: &str) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::REFERRER_POLICY, "same-origin"),
            // Everything the pages use is served from here: no CDN, no tile server. Photos are
            // uploaded here (`/files/…`), but older cases may name links the reporters gave, so
            // images may come from elsewhere.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; img-src 'self' data: blob: http: https:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'",
            ),
        ],
        body.to_owned(),
    )
        .into_response()
}

pub(crate) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `next` as the browser would follow it, if it stays on this site: browsers drop tabs and line
/// breaks anywhere in a URL (so `/\t/evil.example` is `//evil.example`, another host) and read
/// `\` as `/`; what is left must be a path starting with exactly one `/`, with no control
/// characters or backslashes, and no scheme.
fn own_path(next: &str) -> Option<String> {
    let path: String = next.chars().filter(|c| !matches!(c, '\t' | '\r' | '\n')).collect();
    let mut chars = path.chars();
    let own = path.len() <= 2000
        && chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !path.chars().any(|c| c.is_control() || c == '\\' || c.is_whitespace());
    own.then_some(path)
}

/// Percent-encodes everything but unreserved characters and `/`, for the `next` of a redirect.
pub(crate) fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_may_open_its_own_home_and_only_admins_the_admin_page() {
        for role in Role::ALL {
            assert!(Page::home_of(role).admits(role), "{role:?}");
            assert_eq!(Page::Admin.admits(role), role == Role::Admin, "{role:?}");
        }
        assert!(!Page::Dispatcher.admits(Role::HandlingUnit));
        assert!(!Page::Operator.admits(Role::GridWorker));
        assert!(!Page::Unit.admits(Role::Dispatcher));
        assert!(!Page::Supervisor.admits(Role::HotlineOperator));
        assert!(Page::Ledger.admits(Role::Supervisor) && Page::Ledger.admits(Role::MemberUnit));
        assert!(!Page::Ledger.admits(Role::Dispatcher) && !Page::LedgerProject.admits(Role::HandlingUnit));
        assert!(Page::Documents.admits(Role::Supervisor) && Page::Documents.admits(Role::Admin) && !Page::Documents.admits(Role::Dispatcher));
    }

    #[test]
    fn the_session_cookie_is_found_among_others_and_empty_ones_are_ignored() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("theme=dark; gridline_session=abc123"));
        assert_eq!(cookie_token(&headers), Some("abc123"));
        let mut empty = HeaderMap::new();
        empty.append(header::COOKIE, HeaderValue::from_static("gridline_session=; other=1"));
        assert_eq!(cookie_token(&empty), None);
        assert_eq!(cookie_token(&HeaderMap::new()), None);
    }

    #[test]
    fn user_text_in_the_page_is_escaped() {
        assert_eq!(escape_html(r#"<script>"x"&'y'"#), "&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;");
        assert_eq!(percent_encode("/cases/12?x=1&y=二"), "/cases/12%3Fx%3D1%26y%3D%E4%BA%8C");
    }

    #[test]
    fn the_next_page_after_sign_in_is_a_path_of_this_site_as_the_browser_reads_it() {
        for own in ["/", "/cases/12", "/dashboard?region=110105000000", "/cases/12#events"] {
            assert_eq!(own_path(own).as_deref(), Some(own), "{own}");
        }
        assert_eq!(own_path("/cases/\t12").as_deref(), Some("/cases/12"));
        for foreign in [
            "//evil.example/", "/\t/evil.example/", "/\n/evil.example", "/\r\n/evil.example", "\t//evil.example",
            "/\\evil.example", "\\/evil.example", "https://evil.example/", "javascript:alert(1)", "evil.example",
            "", " /cases", "/\u{0}/evil.example", "/%09/x\\y",
        ] {
            assert_eq!(own_path(foreign), None, "{foreign:?}");
        }
    }
}
