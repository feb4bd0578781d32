//! gridline's HTTP server: the JSON API under `/api/v1`, sessions and roles.
//!
//! Start-up is a library call so that tests run the real server on a free port:
//! [`Application::build`] → [`Application::port`] → [`Application::run_until_stopped`].
#![forbid(unsafe_code)]
#![recursion_limit = "256"]

mod analytics;
mod auth;
mod cases;
mod catalogue;
mod error;
pub mod export;
mod geo;
mod links;
mod listings;
mod open311;
mod openapi;
mod reference;
pub mod supervision;
mod text;
mod views;
mod watches;
mod web;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::routing::get;
use utoipa::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;
use axum::{Json, Router};
use gridline_core::assist::{Locator, RegionNameLocator};
use gridline_core::reference::{Reference, ReferenceFiles};
use gridline_core::region::RegionTree;
use gridline_core::unit::Unit;
use gridline_store::{NewReferenceRevision, Store};
use serde::de::DeserializeOwned;
use tokio::net::TcpListener;

pub use auth::hash_password;
pub use catalogue::Applied;
pub use error::ApiError;
pub use geo::place;
pub use text::{TextIntel, TextOptions};

/// Largest request body accepted: a case with a long description and photo references fits
/// many times over; anything bigger is refused with 413.
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

/// Largest catalogue import accepted (the three files together, as JSON).
pub const REFERENCE_BODY_LIMIT_BYTES: usize = 8 * 1024 * 1024;

/// What every request can reach.
pub struct AppState {
    pub store: Store,
    pub regions: Arc<RegionTree>,
    /// The catalogue, routing rules and crosswalk in force; replaced whole by an import.
    reference: RwLock<Arc<Reference>>,
    reference_revision: AtomicI64,
    /// Finds the region of an address or a point that came without one (Open311 filing).
    pub locator: Arc<dyn Locator>,
    /// The units, sorted by code; re-read by [`AppState::refresh`], so that a unit added by
    /// `gridline unit add` while the server runs is known within [`REFRESH_EVERY`].
    units: RwLock<Arc<[Unit]>>,
    sessions: RwLock<HashMap<String, auth::SignedIn>>,
    /// Striped locks that serialise actions on the same case.
    case_locks: Vec<tokio::sync::Mutex<()>>,
    /// A password hash checked when a username is unknown, so both paths take as long.
    decoy_hash: String,
    /// Category and duplicate suggestions.
    text: text::TextIntel,
}

impl AppState {
    pub async fn new(store: Store, regions: Arc<RegionTree>) -> Result<Self, ApiError> {
        let units = RwLock::new(sorted_units(&store).await?);
        let decoy_hash = hash_password("decoy").map_err(|e| ApiError::Internal(e.to_string()))?;
        let (reference, revision) = reference_in_force(&store, &regions).await?;
        Ok(AppState {
            store,
            locator: Arc::new(RegionNameLocator::new(&regions)),
            regions,
            reference: RwLock::new(Arc::new(reference)),
            reference_revision: AtomicI64::new(revision),
            units,
            sessions: RwLock::new(HashMap::new()),
            case_locks: (0..256).map(|_| tokio::sync::Mutex::new(())).collect(),
            decoy_hash,
            text: text::TextIntel::new(&TextOptions::default()).map_err(|e| ApiError::Internal(e.to_string()))?,
        })
    }

    pub fn unit(&self, code: &str) -> Option<Unit> {
        let units = self.units();
        units.binary_search_by(|u| u.code.as_str().cmp(code)).ok().map(|i| units[i].clone())
    }

    /// Every unit, by code.
    pub fn units(&self) -> Arc<[Unit]> {
        self.units.read().expect("units").clone()
    }

    /// Re-reads what other processes change in the database while this server runs: the units
    /// (`gridline unit add`) and the reference files in force (a catalogue imported by the CLI or
    /// through another server sharing the database).
    pub async fn refresh(&self) -> Result<(), ApiError> {
        *self.units.write().expect("units") = sorted_units(&self.store).await?;
        if self.store.current_reference_id().await?.is_some_and(|id| id > self.reference_revision()) {
            let (reference, revision) = reference_in_force(&self.store, &self.regions).await?;
            tracing::info!(revision, "catalogue revision imported elsewhere now in force");
            self.put_reference(reference, revision);
        }
        Ok(())
    }

    /// The catalogue, rules and crosswalk in force now.
    pub fn reference(&self) -> Arc<Reference> {
        self.reference.read().expect("reference").clone()
    }

    pub fn reference_revision(&self) -> i64 {
        self.reference_revision.load(Ordering::Relaxed)
    }

    /// Puts `reference` in force unless a newer revision already is (an import here and a
    /// refresh may cross).
    fn put_reference(&self, reference: Reference, revision: i64) {
        let mut in_force = self.reference.write().expect("reference");
        if revision >= self.reference_revision() {
            *in_force = Arc::new(reference);
            self.reference_revision.store(revision, Ordering::Relaxed);
        }
    }
}

/// How often a running server re-reads the units and the reference revision in force.
pub const REFRESH_EVERY: Duration = Duration::from_secs(10);

async fn sorted_units(store: &Store) -> Result<Arc<[Unit]>, ApiError> {
    let mut units = store.units().await?;
    units.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(units.into())
}

/// Runs [`AppState::refresh`] every [`REFRESH_EVERY`] for as long as the server runs.
fn spawn_refresher(state: Arc<AppState>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(REFRESH_EVERY);
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(err) = state.refresh().await {
                tracing::warn!(error = %err, "re-reading units and catalogue failed");
            }
        }
    });
}

/// The newest stored revision of the reference files; on a new database, the built-in files,
/// recorded as its first revision.
pub async fn reference_in_force(store: &Store, regions: &RegionTree) -> Result<(Reference, i64), ApiError> {
    if let Some(revision) = store.current_reference().await? {
        let reference = Reference::from_files(&revision.files, regions).map_err(|e| {
            ApiError::Internal(format!("the stored catalogue revision {} no longer loads: {e}", revision.id))
        })?;
        let catalogue = reference.catalogue.clone().with_versions(&revision.versions);
        return Ok((Reference { catalogue, ..reference }, revision.id));
    }
    let files = ReferenceFiles::builtin();
    let reference = Reference::from_files(&files, regions)?;
    let revision = store
        .save_reference(
            NewReferenceRevision {
                created_by: "gridline",
                note: Some("built-in catalogue"),
                files: &reference.files(),
                versions: reference.catalogue.versions(),
                new_entry_versions: reference.catalogue.iter().collect(),
            },
            jiff::Timestamp::now(),
        )
        .await?;
    Ok((reference, revision))
}

/// `Json` whose rejections answer in the API's error format.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(value) = Json::<T>::from_request(req, state).await?;
        Ok(ApiJson(value))
    }
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
        .routes(routes!(cases::create, cases::list))
        .routes(routes!(export::cases))
        .routes(routes!(cases::show))
        .routes(routes!(cases::act))
        .routes(routes!(reference::units))
        .routes(routes!(reference::regions))
        .routes(routes!(web::dashboard::dashboard))
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
        .routes(routes!(supervision::orders, supervision::create_order))
        .routes(routes!(supervision::reply))
        .routes(routes!(supervision::board))
        .routes(routes!(supervision::reminders))
        .routes(routes!(listings::list, listings::create))
        .routes(routes!(listings::check))
        .routes(routes!(watches::list, watches::create))
        .routes(routes!(watches::stop))
        .routes(routes!(links::list, links::create));
    let (api, mut description) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi()).nest("/api/v1", api).split_for_parts();
    openapi::refused_without_session(&mut description);
    (api, description)
}

pub fn router(state: Arc<AppState>) -> Router {
    let (api, description) = api();
    Router::new()
        .route("/healthz", get(reference::health))
        .merge(api)
        .merge(openapi::docs(description))
        .nest("/open311/v2", open311::router())
        .merge(web::routes())
        .fallback(reference::not_found)
        .method_not_allowed_fallback(reference::method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .with_state(state)
}

pub struct Application {
    listener: TcpListener,
    router: Router,
}

impl Application {
    /// Binds `addr` (port 0 picks a free port) and prepares the routes.
    pub async fn build(store: Store, addr: SocketAddr) -> Result<Application, std::io::Error> {
        Application::build_with_text(store, addr, TextOptions::default()).await
    }

    /// [`Application::build`] with a classifier model and duplicate settings; the duplicate
    /// index starts with the store's recent open cases.
    pub async fn build_with_text(store: Store, addr: SocketAddr, options: TextOptions) -> Result<Application, std::io::Error> {
        let mut state = AppState::new(store, Arc::new(gridline_geo::beijing()))
            .await
            .map_err(std::io::Error::other)?;
        geo::prepare();
        state.text = text::TextIntel::new(&options).map_err(std::io::Error::other)?;
        let open = state.text.load_open_cases(&state.store, &state.regions).await.map_err(std::io::Error::other)?;
        tracing::info!(open, model = ?options.model, "duplicate index loaded");
        let listener = TcpListener::bind(addr).await?;
        let state = Arc::new(state);
        supervision::spawn_sweeper(state.clone());
        spawn_refresher(state.clone());
        Ok(Application { listener, router: router(state) })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` resolves; requests in flight are finished first.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        axum::serve(self.listener, self.router).with_graceful_shutdown(shutdown).await
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
