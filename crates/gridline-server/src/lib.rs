//! gridline's HTTP server: the JSON API under `/api/v1`, sessions and roles.
//!
//! Start-up is a library call so that tests run the real server on a free port:
//! [`Application::build`] → [`Application::port`] → [`Application::run_until_stopped`].
#![forbid(unsafe_code)]
#![recursion_limit = "256"]

mod auth;
mod cases;
mod error;
mod reference;
mod views;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::routing::{get, post};
use axum::{Json, Router};
use gridline_core::catalogue::Catalogue;
use gridline_core::region::RegionTree;
use gridline_core::unit::Unit;
use gridline_store::Store;
use serde::de::DeserializeOwned;
use tokio::net::TcpListener;

pub use auth::hash_password;
pub use error::ApiError;

/// Largest request body accepted: a case with a long description and photo references fits
/// many times over; anything bigger is refused with 413.
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

/// What every request can reach.
pub struct AppState {
    pub store: Store,
    pub regions: Arc<RegionTree>,
    pub catalogue: Arc<Catalogue>,
    units: RwLock<HashMap<String, Unit>>,
    sessions: RwLock<HashMap<String, auth::SignedIn>>,
    /// Striped locks that serialise actions on the same case.
    case_locks: Vec<tokio::sync::Mutex<()>>,
    /// A password hash checked when a username is unknown, so both paths take as long.
    decoy_hash: String,
}

impl AppState {
    pub async fn new(store: Store, regions: Arc<RegionTree>, catalogue: Arc<Catalogue>) -> Result<Self, ApiError> {
        let units = store.units().await?.into_iter().map(|u| (u.code.clone(), u)).collect();
        let decoy_hash = hash_password("decoy").map_err(|e| ApiError::Internal(e.to_string()))?;
        Ok(AppState {
            store,
            regions,
            catalogue,
            units: RwLock::new(units),
            sessions: RwLock::new(HashMap::new()),
            case_locks: (0..256).map(|_| tokio::sync::Mutex::new(())).collect(),
            decoy_hash,
        })
    }

    pub fn unit(&self, code: &str) -> Option<Unit> {
        self.units.read().expect("unit cache").get(code).cloned()
    }
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

pub fn router(state: Arc<AppState>) -> Router {
    let api = Router::new()
        .route("/session", post(auth::sign_in).delete(auth::sign_out))
        .route("/me", get(auth::me))
        .route("/cases", post(cases::create).get(cases::list))
        .route("/cases/{id}", get(cases::show))
        .route("/cases/{id}/actions", post(cases::act))
        .route("/units", get(reference::units))
        .route("/regions", get(reference::regions))
        .route("/catalogue", get(reference::catalogue));
    Router::new()
        .route("/healthz", get(reference::health))
        .nest("/api/v1", api)
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
        let state = AppState::new(store, Arc::new(gridline_geo::beijing()), Arc::new(Catalogue::builtin()))
            .await
            .map_err(std::io::Error::other)?;
        let listener = TcpListener::bind(addr).await?;
        Ok(Application { listener, router: router(Arc::new(state)) })
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
