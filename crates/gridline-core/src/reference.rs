//! The reference data that filing and routing read: the catalogue, the routing rules and the
//! crosswalk, checked together (rules name catalogue entries and unit types; the crosswalk names
//! catalogue leaves) and replaced together.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::catalogue::{BUILTIN_CATALOGUE, Catalogue};
use crate::crosswalk::Crosswalk;
use crate::error::DomainError;
use crate::region::RegionTree;
use crate::routing::Routing;

pub const BUILTIN_ROUTING: &str = include_str!("../../../data/catalogue/routing.toml");
pub const BUILTIN_CROSSWALK: &str = include_str!("../../../data/catalogue/crosswalk.csv");

/// The three files as text: what an administrator imports and exports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceFiles {
    pub catalogue: String,
    pub routing: String,
    pub crosswalk: String,
}

/// New texts for some of the reference files; the others stay as they are in force.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReplacementFiles {
    pub catalogue: Option<String>,
    pub routing: Option<String>,
    pub crosswalk: Option<String>,
}

impl ReplacementFiles {
    pub fn is_empty(&self) -> bool {
        self.catalogue.is_none() && self.routing.is_none() && self.crosswalk.is_none()
    }

    /// The whole set: these files where given, `current`'s where not.
    pub fn over(self, current: ReferenceFiles) -> ReferenceFiles {
        ReferenceFiles {
            catalogue: self.catalogue.unwrap_or(current.catalogue),
            routing: self.routing.unwrap_or(current.routing),
            crosswalk: self.crosswalk.unwrap_or(current.crosswalk),
        }
    }
}

impl ReferenceFiles {
    pub fn builtin() -> Self {
        ReferenceFiles {
            catalogue: BUILTIN_CATALOGUE.to_owned(),
            routing: BUILTIN_ROUTING.to_owned(),
            crosswalk: BUILTIN_CROSSWALK.to_owned(),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Reference {
    pub catalogue: Catalogue,
    pub routing: Routing,
    pub crosswalk: Crosswalk,
}

/// What replacing one reference set by another changes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReferenceChanges {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
    pub rules: usize,
    pub crosswalk_rows: usize,
}

impl Reference {
    /// Checks the three files together; every problem of every file is reported at once.
    pub fn from_files(files: &ReferenceFiles, regions: &RegionTree) -> Result<Self, DomainError> {
        let catalogue = Catalogue::from_toml(&files.catalogue)?;
        let routing = Routing::from_toml(&files.routing, &catalogue, regions);
        let crosswalk = Crosswalk::from_csv(&files.crosswalk, &catalogue);
        match (routing, crosswalk) {
            (Ok(routing), Ok(crosswalk)) => Ok(Reference { catalogue, routing, crosswalk }),
            (routing, crosswalk) => {
                let mut problems = Vec::new();
                for err in [routing.err(), crosswalk.err()].into_iter().flatten() {
                    match err {
                        DomainError::InvalidFiles(found) => problems.extend(found),
                        other => return Err(other),
                    }
                }
                Err(DomainError::InvalidFiles(problems))
            }
        }
    }

    /// The files built into the binary (written for gridline; sources in docs/catalogue.md).
    pub fn builtin(regions: &RegionTree) -> Self {
        Reference::from_files(&ReferenceFiles::builtin(), regions).expect("the built-in reference files are valid (tested)")
    }

    /// The files as an administrator exports them; importing them gives this reference back.
    pub fn files(&self) -> ReferenceFiles {
        ReferenceFiles { catalogue: self.catalogue.to_toml(), routing: self.routing.to_toml(), crosswalk: self.crosswalk.to_csv() }
    }

    /// This reference as the successor of `previous`: catalogue versions carried on.
    pub fn versioned_after(mut self, previous: &Reference, retired: &HashMap<String, u32>) -> Self {
        self.catalogue = self.catalogue.versioned_after(&previous.catalogue, retired);
        self
    }

    pub fn changes_from(&self, previous: &Reference) -> ReferenceChanges {
        let mut changes = ReferenceChanges {
            rules: self.routing.rules().len(),
            crosswalk_rows: self.crosswalk.rows().len(),
            ..Default::default()
        };
        for entry in self.catalogue.iter() {
            match previous.catalogue.get(&entry.code) {
                None => changes.added.push(entry.code.clone()),
                Some(old) if old.version != entry.version => changes.changed.push(entry.code.clone()),
                Some(_) => {}
            }
        }
        changes.removed =
            previous.catalogue.iter().filter(|e| self.catalogue.get(&e.code).is_none()).map(|e| e.code.clone()).collect();
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacement_files_replace_only_what_is_given() {
        let current = ReferenceFiles { catalogue: "c".into(), routing: "r".into(), crosswalk: "x".into() };
        assert!(ReplacementFiles::default().is_empty());
        let routing = ReplacementFiles { routing: Some("R".into()), ..ReplacementFiles::default() };
        assert!(!routing.is_empty());
        assert_eq!(routing.over(current), ReferenceFiles { catalogue: "c".into(), routing: "R".into(), crosswalk: "x".into() });
    }
}
