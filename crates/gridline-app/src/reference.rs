//! The reference data in force (catalogue, routing rules, crosswalk): loaded from the newest
//! stored revision, and replaced whole by an import that is checked first.

use gridline_core::reference::{Reference, ReferenceFiles, ReplacementFiles};
use gridline_core::region::RegionTree;
use gridline_store::{NewReferenceRevision, Store};
use jiff::Timestamp;

use crate::{App, AppError};

/// The newest stored revision of the reference files; on a new database, the built-in files,
/// recorded as its first revision.
pub async fn reference_in_force(store: &Store, regions: &RegionTree) -> Result<(Reference, i64), AppError> {
    if let Some(revision) = store.reference().current().await? {
        let reference = Reference::from_files(&revision.files, regions).map_err(|e| {
            AppError::Internal(format!("the stored catalogue revision {} no longer loads: {e}", revision.id))
        })?;
        let catalogue = reference.catalogue.clone().with_versions(&revision.versions);
        return Ok((Reference { catalogue, ..reference }, revision.id));
    }
    let files = ReferenceFiles::builtin();
    let reference = Reference::from_files(&files, regions)?;
    let revision = store
        .reference().save(
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

/// The outcome of checking (and, unless a dry run, applying) new reference files.
pub struct Applied {
    pub revision: Option<i64>,
    pub reference: Reference,
    pub changes: gridline_core::reference::ReferenceChanges,
}

impl App {
    /// Checks the files in force with `replacements` put in whole against the regions and the
    /// units; applies them unless `dry_run`. Nothing changes when anything is wrong.
    pub async fn apply_reference(
        &self,
        replacements: ReplacementFiles,
        by: &str,
        note: Option<&str>,
        dry_run: bool,
    ) -> Result<Applied, AppError> {
        let files = replacements.over(self.reference().files());
        let fresh = Reference::from_files(&files, &self.regions)?;
        let unknown = fresh.routing.unknown_units(|code| self.unit(code).is_some());
        if !unknown.is_empty() {
            return Err(gridline_core::DomainError::InvalidFiles(unknown).into());
        }
        let previous = self.reference();
        let retired = self.store.reference().latest_entry_versions().await?;
        let reference = fresh.versioned_after(&previous, &retired);
        let changes = reference.changes_from(&previous);
        if dry_run {
            return Ok(Applied { revision: None, reference, changes });
        }
        let new_entry_versions = reference
            .catalogue
            .iter()
            .filter(|e| retired.get(&e.code).is_none_or(|&v| v < e.version))
            .collect();
        let revision = self
            .store
            .reference().save(
                NewReferenceRevision {
                    created_by: by,
                    note,
                    files: &reference.files(),
                    versions: reference.catalogue.versions(),
                    new_entry_versions,
                },
                Timestamp::now(),
            )
            .await?;
        self.put_reference(reference.clone(), revision);
        tracing::info!(revision, by, added = changes.added.len(), changed = changes.changed.len(), "catalogue imported");
        Ok(Applied { revision: Some(revision), reference, changes })
    }
}

