//! gridline's HTTP server: the JSON API under `/api/v1`, sessions and roles.
//!
//! Start-up is a library call so that tests run the real server on a free port:
//! [`Application::build`] → [`Application::port`] → [`Application::run_until_stopped`]
//! ([`Application::with_tls`] in between to serve HTTPS).
#![forbid(unsafe_code)]
#![recursion_limit = "256"]

mod admin;
mod analytics;
mod attachments;
mod auth;
mod cases;
mod catalogue;
mod documents;
mod error;
mod alleys;
mod evaluation;
pub mod export;
mod geo;
mod inbox;
mod input;
mod ledger;
mod links;
mod listings;
mod metrics;
mod open311;
mod openapi;
mod questionnaires;
mod reference;
mod reviews;
mod security;
pub mod supervision;
mod text;
mod views;
mod watches;
mod web;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, header};
use axum::routing::get;
use utoipa::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;
use axum::Router;
use gridline_app::{App, REFRESH_EVERY, TextOptions};
use gridline_store::Store;
use tokio::net::TcpListener;

pub use error::ApiError;
pub(crate) use input::ApiJson;

/// Largest request body accepted: a case with a long description and photo references fits
/// many times over; anything bigger is refused with 413.
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

/// Largest catalogue import accepted (the three files together, as JSON).
pub const REFERENCE_BODY_LIMIT_BYTES: usize = 8 * 1024 * 1024;

/// What every request can reach: the application layer, and the sessions of the HTTP edge.
pub struct AppState {
    pub app: App,
    sessions: RwLock<HashMap<String, auth::CachedSession>>,
    metrics: metrics::Metrics,
    /// The public questionnaire form's limit per address.
    form_limiter: questionnaires::FormLimiter,
    /// The reverse proxies whose X-Forwarded-For names the client ([`auth::TrustedProxies`]).
    trusted_proxies: auth::TrustedProxies,
    /// Serving HTTPS itself ([`Application::with_tls`]): the session cookie is `Secure`.
    tls: AtomicBool,
    /// A password hash checked when a username is unknown, so both paths take as long.
    decoy_hash: String,
}

impl AppState {
    pub fn new(app: App) -> Result<Self, ApiError> {
        let decoy_hash = gridline_app::passwords::hash_password("decoy").map_err(|e| ApiError::Internal(e.to_string()))?;
        let metrics = metrics::Metrics::from_env().map_err(ApiError::Internal)?;
        let form_limiter = questionnaires::FormLimiter::from_env().map_err(ApiError::Internal)?;
        let trusted_proxies = auth::TrustedProxies::from_env().map_err(ApiError::Internal)?;
        app.set_notifier(gridline_app::notify::from_env().map_err(ApiError::from)?);
        Ok(AppState { app, sessions: RwLock::new(HashMap::new()), metrics, form_limiter, trusted_proxies, tls: AtomicBool::new(false), decoy_hash })
    }
}

/// Handlers reach the application layer's services as `state.file_case(…)`, `state.store`, ….
impl std::ops::Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.app
    }
}

/// Runs [`App::refresh`] every [`REFRESH_EVERY`] for as long as the server runs.
fn spawn_refresher(state: Arc<AppState>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(REFRESH_EVERY);
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(err) = state.refresh().await {
                tracing::warn!(error = %err, "re-reading units, catalogue and cases failed");
            }
        }
    });
}

/// The OpenAPI document of `/api/v1`, as served at `/api/v1/openapi.json`.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    api().1
}

/// The routes under `/api/v1` and their OpenAPI document.
fn api() -> (Router<Arc<AppState>>, utoipa::openapi::OpenApi) {
    // Each handler's `#[utoipa::path]` describes it; `routes!` serves and describes it at once,
    // so every route under `/api/v1` is in the OpenAPI document. Handlers sharing a path (one per
    // method) go in one `routes!`.
    let api = OpenApiRouter::new()
        .routes(routes!(auth::sign_in, auth::sign_out))
        .routes(routes!(auth::me))
        .routes(routes!(security::locks))
        .routes(routes!(security::lift))
        .routes(routes!(security::audit))
        .routes(routes!(security::audit_export))
        .routes(routes!(admin::users, admin::create_user))
        .routes(routes!(admin::change_user))
        .routes(routes!(admin::disable_user))
        .routes(routes!(admin::enable_user))
        .routes(routes!(admin::reset_password))
        .routes(routes!(admin::change_own_password))
        .routes(routes!(admin::update_unit))
        .routes(routes!(cases::create, cases::list))
        .routes(routes!(export::cases))
        .routes(routes!(cases::show))
        .routes(routes!(cases::act))
        // Photos and files: each checked against its own limit as it streams in.
        .routes(routes!(attachments::upload, attachments::list).layer(DefaultBodyLimit::max(attachments::UPLOAD_BODY_LIMIT_BYTES)))
        .routes(routes!(attachments::content))
        .routes(routes!(reference::units, admin::create_unit))
        .routes(routes!(reference::regions))
        .routes(routes!(web::dashboard::dashboard))
        .routes(routes!(web::dashboard::case_map))
        .routes(routes!(catalogue::list))
        .routes(routes!(catalogue::show))
        .routes(routes!(catalogue::export))
        // Catalogue files are far bigger than a case: this route alone takes up to 8 MiB.
        .routes(routes!(catalogue::import).layer(DefaultBodyLimit::max(REFERENCE_BODY_LIMIT_BYTES)))
        .routes(routes!(catalogue::crosswalk))
        .routes(routes!(catalogue::unit_types))
        .routes(routes!(catalogue::rules))
        .routes(routes!(catalogue::route))
        .routes(routes!(catalogue::case_route))
        .routes(routes!(geo::locate))
        .routes(routes!(geo::geocode))
        .routes(routes!(geo::learn))
        .routes(routes!(geo::districts))
        .routes(routes!(geo::streets))
        .routes(routes!(text::classify))
        .routes(routes!(text::duplicates))
        .routes(routes!(analytics::rankings))
        .routes(routes!(analytics::rates))
        .routes(routes!(analytics::hotspots))
        .routes(routes!(analytics::recurring))
        .routes(routes!(analytics::campaigns, analytics::create_campaign))
        .routes(routes!(analytics::campaign))
        .routes(routes!(documents::preview))
        .routes(routes!(documents::issue, documents::list))
        .routes(routes!(documents::show))
        .routes(routes!(documents::file))
        .routes(routes!(supervision::orders, supervision::create_order))
        .routes(routes!(supervision::reply))
        .routes(routes!(supervision::board))
        .routes(routes!(supervision::reminders))
        .routes(routes!(inbox::inbox))
        .routes(routes!(inbox::mark_read))
        .routes(routes!(listings::list, listings::create))
        .routes(routes!(listings::check))
        .routes(routes!(watches::list, watches::create))
        .routes(routes!(watches::stop))
        .routes(routes!(links::list, links::create))
        // An indicator system's TOML is bigger than a case.
        .routes(routes!(evaluation::indicators, evaluation::import_indicators).layer(DefaultBodyLimit::max(REFERENCE_BODY_LIMIT_BYTES)))
        .routes(routes!(evaluation::points, evaluation::create_point))
        .routes(routes!(evaluation::import_points).layer(DefaultBodyLimit::max(REFERENCE_BODY_LIMIT_BYTES)))
        .routes(routes!(evaluation::rounds, evaluation::create_round))
        .routes(routes!(evaluation::round_points))
        .routes(routes!(evaluation::point_result))
        .routes(routes!(evaluation::submit_answers))
        .routes(routes!(evaluation::upload_photos).layer(DefaultBodyLimit::max(attachments::UPLOAD_BODY_LIMIT_BYTES)))
        .routes(routes!(evaluation::scores))
        .routes(routes!(evaluation::health_report))
        .routes(routes!(evaluation::findings))
        .routes(routes!(evaluation::notice))
        .routes(routes!(evaluation::put_comment))
        .routes(routes!(reviews::windows, reviews::create_window))
        .routes(routes!(reviews::window))
        .routes(routes!(reviews::reminders))
        .routes(routes!(reviews::submit))
        .routes(routes!(reviews::add_files).layer(DefaultBodyLimit::max(attachments::UPLOAD_BODY_LIMIT_BYTES)))
        .routes(routes!(reviews::score))
        .routes(routes!(reviews::settle))
        // A questionnaire's XLSForm is bigger than a case.
        .routes(routes!(questionnaires::list, questionnaires::create).layer(DefaultBodyLimit::max(REFERENCE_BODY_LIMIT_BYTES)))
        .routes(routes!(questionnaires::satisfaction))
        .routes(routes!(questionnaires::show))
        .routes(routes!(questionnaires::replace_form).layer(DefaultBodyLimit::max(REFERENCE_BODY_LIMIT_BYTES)))
        .routes(routes!(questionnaires::set_status))
        .routes(routes!(questionnaires::links))
        .routes(routes!(questionnaires::respond))
        .routes(routes!(questionnaires::public_form))
        .routes(routes!(questionnaires::public_respond))
        .routes(routes!(alleys::map))
        .routes(routes!(alleys::ranking))
        .routes(routes!(alleys::patrol_board))
        .routes(routes!(alleys::mine))
        .routes(routes!(alleys::standard))
        .routes(routes!(alleys::show))
        // A patrol may carry its photos (multipart), each checked against its limit as it streams in.
        .routes(routes!(alleys::patrol).layer(DefaultBodyLimit::max(attachments::UPLOAD_BODY_LIMIT_BYTES)))
        .routes(routes!(alleys::check))
        .routes(routes!(ledger::index))
        .routes(routes!(ledger::year))
        .routes(routes!(ledger::summary))
        .routes(routes!(ledger::report))
        .routes(routes!(ledger::reminders))
        .routes(routes!(ledger::close))
        .routes(routes!(ledger::import).layer(DefaultBodyLimit::max(REFERENCE_BODY_LIMIT_BYTES)))
        .routes(routes!(ledger::propose))
        .routes(routes!(ledger::show))
        .routes(routes!(ledger::act));
    let (api, mut description) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi()).nest("/api/v1", api).split_for_parts();
    openapi::describe_refusals(&mut description);
    openapi::open_extended_schemas(&mut description);
    (api, description)
}

/// The one layer every request passes through (each layer costs every request a boxed future
/// and a clone of its route, so these are one):
/// - its errors are answered in the language of its `Accept-Language`;
/// - an `/api/v1` query string that is not strict UTF-8 text is refused
///   ([`input::refused_api_query`]);
/// - its answer gets `nosniff`, and `Cache-Control: no-store` unless the handler chose its caching
///   (the embedded assets do): answers hold sessions, tokens and citizens' cases, which no shared
///   or browser cache should keep;
/// - it is counted for `/metrics` by the route it matched (its template, e.g.
///   `/api/v1/cases/{id}`, so that ids do not make a series each; `unmatched` for the rest) and
///   timed.
async fn every_request(State(state): State<Arc<AppState>>, request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let lang = error::language_of(request.headers());
    // Both clones are cheap: the path is shared, a standard method is a tag.
    let route = request.extensions().get::<axum::extract::MatchedPath>().cloned();
    let method = request.method().clone();
    let started = std::time::Instant::now();
    let answer = async move {
        match input::refused_api_query(request.uri()) {
            Some(refusal) => axum::response::IntoResponse::into_response(refusal),
            None => next.run(request).await,
        }
    };
    let mut response = error::answered_in(lang, answer).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    let route = route.as_ref().map_or("unmatched", axum::extract::MatchedPath::as_str);
    state.metrics.record(route, method.as_str(), response.status().as_u16(), started.elapsed());
    response
}

pub fn router(state: Arc<AppState>) -> Router {
    let (api, description) = api();
    Router::new()
        .route("/healthz", get(reference::health))
        .route("/readyz", get(metrics::ready))
        .route("/metrics", get(metrics::metrics))
        .merge(api)
        .merge(openapi::docs(description))
        .nest("/open311/v2", open311::router())
        .merge(web::routes())
        .fallback(reference::not_found)
        .method_not_allowed_fallback(reference::method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(axum::middleware::from_fn_with_state(state.clone(), every_request))
        .with_state(state)
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: Arc<AppState>,
    /// HTTPS with this certificate, else plain HTTP.
    tls: Option<axum_server::tls_rustls::RustlsConfig>,
}

/// A certificate chain and its private key for serving HTTPS (rustls with ring).
pub struct Tls(axum_server::tls_rustls::RustlsConfig);

impl Tls {
    /// Reads the PEM files. A file that cannot be read, holds no PEM certificate or key, or a key
    /// that is not the certificate's is an error that names the file.
    pub async fn from_pem_files(cert: &Path, key: &Path) -> std::io::Result<Tls> {
        let read = |what: &str, path: &Path, marker: &str| {
            let bytes = std::fs::read(path).map_err(|e| tls_error(format!("cannot read the TLS {what} {}: {e}", path.display())))?;
            // rustls' own error for a file of the wrong kind is only "failed to parse …".
            if !String::from_utf8_lossy(&bytes).contains(marker) {
                return Err(tls_error(format!("the TLS {what} {} is not a PEM file with a \"{marker}\" block", path.display())));
            }
            Ok(bytes)
        };
        let (cert_pem, key_pem) = (read("certificate", cert, "-----BEGIN CERTIFICATE-----")?, read("key", key, "PRIVATE KEY-----")?);
        let config = axum_server::tls_rustls::RustlsConfig::from_pem(cert_pem, key_pem).await.map_err(|e| {
            tls_error(format!("the TLS certificate {} with the key {} cannot be served: {e}", cert.display(), key.display()))
        })?;
        Ok(Tls(config))
    }
}

impl Application {
    /// Binds `addr` (port 0 picks a free port) and prepares the routes.
    pub async fn build(store: Store, addr: SocketAddr) -> Result<Application, std::io::Error> {
        Application::build_with_text(store, addr, TextOptions::default()).await
    }

    /// [`Application::build`] with a classifier model and duplicate settings; the duplicate
    /// index starts with the store's recent open cases.
    pub async fn build_with_text(store: Store, addr: SocketAddr, options: TextOptions) -> Result<Application, std::io::Error> {
        let app = App::new(store, Arc::new(gridline_geo::beijing()), &options).await.map_err(std::io::Error::other)?;
        gridline_app::geo::prepare();
        let open = app.load_open_cases().await.map_err(std::io::Error::other)?;
        tracing::info!(open, model = ?options.model, "duplicate index loaded");
        let state = AppState::new(app).map_err(std::io::Error::other)?;
        let listener = TcpListener::bind(addr).await?;
        let state = Arc::new(state);
        supervision::spawn_sweeper(state.clone());
        spawn_refresher(state.clone());
        Ok(Application { listener, router: router(state.clone()), state, tls: None })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves HTTPS with this certificate instead of plain HTTP; the session cookie is then
    /// `Secure`.
    pub fn with_tls(mut self, tls: Tls) -> Application {
        self.state.tls.store(true, Ordering::Relaxed);
        self.tls = Some(tls.0);
        self
    }

    /// Whether it serves HTTPS ([`Application::with_tls`]).
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Serves until `shutdown` resolves; requests in flight are finished first.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        let Some(config) = self.tls else {
            return axum::serve(self.listener, service).with_graceful_shutdown(shutdown).await;
        };
        let handle = axum_server::Handle::new();
        let stopping = handle.clone();
        tokio::spawn(async move {
            shutdown.await;
            stopping.graceful_shutdown(None);
        });
        axum_server::from_tcp_rustls(self.listener.into_std()?, config)?.handle(handle).serve(service).await
    }

    /// Serves until Ctrl-C or SIGTERM (what service managers send).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        self.run_until(async move {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            tracing::info!("stopping: finishing the requests in flight");
        })
        .await
    }
}

fn tls_error(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, message)
}
