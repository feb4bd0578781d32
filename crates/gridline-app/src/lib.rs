//! gridline's application layer, between the pure domain (gridline-core) and the edges (the HTTP
//! API, Open311, the CLI, the schedules). Each job is done here once: a case is filed through
//! [`App::file_case`] whatever channel brought it, acted on through [`App::act`], and the sweeps,
//! the reference data in force, the exporter and the text and geo services live here, so that
//! every edge sees the same rules. No HTTP here: an edge turns [`AppError`] into its own answer.
#![forbid(unsafe_code)]

mod actions;
pub mod admin;
pub mod attachments;
mod background;
pub mod alleys;
pub mod documents;
mod error;
pub mod evaluation;
pub mod export;
pub mod geo;
pub mod inbox;
pub mod intake;
pub mod ledger;
pub mod material;
pub mod notify;
pub mod passwords;
pub mod questionnaires;
pub mod sign_in;
mod reference;
pub mod supervision;
pub mod table;
pub mod text;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use gridline_core::ids::CaseId;
use gridline_core::reference::Reference;
use gridline_core::region::RegionTree;
use gridline_core::unit::Unit;
use gridline_store::Store;

pub use error::AppError;
pub use reference::{Applied, reference_in_force};
pub use text::{TextIntel, TextOptions};

/// How often a running server re-reads what other processes change: units, the reference
/// revision in force, and the cases they filed (for the duplicate index).
pub const REFRESH_EVERY: Duration = Duration::from_secs(10);

/// Everything an edge acts through. One per process; cheap to share behind an `Arc`.
pub struct App {
    pub store: Store,
    pub regions: Arc<RegionTree>,
    /// The catalogue, routing rules and crosswalk in force; replaced whole by an import.
    reference: RwLock<Arc<Reference>>,
    reference_revision: AtomicI64,
    /// The units, sorted by code; re-read by [`App::refresh`], so that a unit added by
    /// `gridline unit add` while the server runs is known within [`REFRESH_EVERY`].
    units: RwLock<Arc<[Unit]>>,
    /// Striped locks that serialise actions on the same case within this process.
    case_locks: Vec<tokio::sync::Mutex<()>>,
    /// Striped locks (by patrol id) that serialise a patrol sent again while it is being filed.
    patrol_locks: Vec<tokio::sync::Mutex<()>>,
    /// Category and duplicate suggestions.
    pub text: TextIntel,
    /// The highest case id the duplicate index has seen, so that a refresh adds only the cases
    /// other processes filed since.
    newest_case_seen: AtomicI64,
    /// Where notices go ([`notify`]): logged unless an edge sets a webhook or a gateway.
    notifier: RwLock<Arc<dyn notify::Notifier>>,
}

impl App {
    /// The name of the region `code`, empty when the tree has no such region.
    pub(crate) fn region_name(&self, code: &str) -> String {
        self.regions.get(code).map(|r| r.name.clone()).unwrap_or_default()
    }

    /// Loads what is in force from `store` (on a new database, records the built-in catalogue
    /// as its first revision) and the text services of `options`.
    pub async fn new(store: Store, regions: Arc<RegionTree>, options: &TextOptions) -> Result<App, AppError> {
        let units = RwLock::new(sorted_units(&store).await?);
        let (reference, revision) = reference_in_force(&store, &regions).await?;
        Ok(App {
            store,
            regions,
            reference: RwLock::new(Arc::new(reference)),
            reference_revision: AtomicI64::new(revision),
            units,
            case_locks: (0..256).map(|_| tokio::sync::Mutex::new(())).collect(),
            patrol_locks: (0..64).map(|_| tokio::sync::Mutex::new(())).collect(),
            text: TextIntel::new(options)?,
            newest_case_seen: AtomicI64::new(0),
            notifier: RwLock::new(Arc::new(notify::Logged)),
        })
    }

    /// Sends notices to `notifier` from now on (the server sets the one its configuration names).
    pub fn set_notifier(&self, notifier: Arc<dyn notify::Notifier>) {
        *self.notifier.write().expect("notifier") = notifier;
    }

    /// Hands `notice` to the notifier in force; returns at once.
    pub fn notify(&self, notice: notify::Notice) {
        let notifier = self.notifier.read().expect("notifier").clone();
        notifier.send(notice);
    }

    pub fn unit(&self, code: &str) -> Option<Unit> {
        let units = self.units();
        units.binary_search_by(|u| u.code.as_str().cmp(code)).ok().map(|i| units[i].clone())
    }

    /// Every unit, by code.
    pub fn units(&self) -> Arc<[Unit]> {
        self.units.read().expect("units").clone()
    }

    /// Re-reads what other processes change in the database while this one runs: the units
    /// (`gridline unit add`), the reference files in force (a catalogue imported by the CLI or
    /// through another server sharing the database) and the open cases they filed.
    pub async fn refresh(&self) -> Result<(), AppError> {
        *self.units.write().expect("units") = sorted_units(&self.store).await?;
        if self.store.reference().current_id().await?.is_some_and(|id| id > self.reference_revision()) {
            let (reference, revision) = reference_in_force(&self.store, &self.regions).await?;
            tracing::info!(revision, "catalogue revision imported elsewhere now in force");
            self.put_reference(reference, revision);
        }
        self.load_open_cases().await?;
        Ok(())
    }

    /// Adds to the duplicate index the open cases received within its window that it has not
    /// seen (all of them at start; afterwards those other processes filed); returns how many.
    pub async fn load_open_cases(&self) -> Result<usize, AppError> {
        let after = CaseId::new(self.newest_case_seen.load(Ordering::Relaxed)).unwrap_or(CaseId::UNSTORED);
        let ids = self.store.text().case_ids_after(after, true, Some(self.text.window_start())).await?;
        // The cases this process filed are in the index already: reading each of them whole
        // again on every refresh cost a busy server a second of work every ten.
        let fresh = self.store.text().cases_by_id(&self.text.not_remembered(&ids)).await?;
        for case in &fresh {
            self.text.remember(case, &self.regions);
        }
        if let Some(&newest) = ids.last() {
            self.newest_case_seen.fetch_max(newest.get(), Ordering::Relaxed);
        }
        Ok(fresh.len())
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

async fn sorted_units(store: &Store) -> Result<Arc<[Unit]>, AppError> {
    let mut units = store.people().units().await?;
    units.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(units.into())
}
