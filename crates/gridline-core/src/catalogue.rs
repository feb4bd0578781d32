//! The unified problem catalogue (统一问题目录): a tree of entries, each leaf with the time limit
//! that starts a case's clock at dispatch. The built-in set here is small; a full catalogue with
//! rectification standards and crosswalks is loaded the same way.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::sla::TimeLimit;
use crate::unit::UnitKind;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CatalogueEntry {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub parent: Option<String>,
    /// Inherited from the nearest ancestor when absent.
    #[serde(default)]
    pub time_limit: Option<TimeLimit>,
    /// The kind of unit that handles it by default.
    #[serde(default)]
    pub unit_kind: Option<UnitKind>,
    /// Bumped whenever the entry changes; a case keeps the version it was filed under.
    #[serde(default = "first_version")]
    pub version: u32,
}

fn first_version() -> u32 {
    1
}

#[derive(Deserialize)]
struct CatalogueFile {
    entry: Vec<CatalogueEntry>,
}

#[derive(Clone, Debug, Default)]
pub struct Catalogue {
    entries: Vec<CatalogueEntry>,
    by_code: HashMap<String, usize>,
}

impl Catalogue {
    pub fn new(entries: Vec<CatalogueEntry>) -> Result<Self, DomainError> {
        let mut by_code = HashMap::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            if entry.code.trim().is_empty() || entry.name.trim().is_empty() {
                return Err(DomainError::InvalidData(format!("catalogue entry #{i} needs a code and a name")));
            }
            if by_code.insert(entry.code.clone(), i).is_some() {
                return Err(DomainError::InvalidData(format!("catalogue code {} appears twice", entry.code)));
            }
        }
        let catalogue = Catalogue { entries, by_code };
        for entry in &catalogue.entries {
            if let Some(parent) = &entry.parent
                && catalogue.get(parent).is_none()
            {
                return Err(DomainError::InvalidData(format!(
                    "catalogue entry {} names unknown parent {parent}",
                    entry.code
                )));
            }
            if catalogue.is_leaf(&entry.code) && catalogue.time_limit(&entry.code).is_none() {
                return Err(DomainError::InvalidData(format!("catalogue entry {} has no time limit", entry.code)));
            }
        }
        Ok(catalogue)
    }

    pub fn from_toml(text: &str) -> Result<Self, DomainError> {
        let file: CatalogueFile =
            toml::from_str(text).map_err(|e| DomainError::InvalidData(format!("catalogue file: {e}")))?;
        Catalogue::new(file.entry)
    }

    /// The small catalogue built into the binary.
    pub fn builtin() -> Self {
        Catalogue::from_toml(include_str!("../../../data/catalogue/builtin.toml"))
            .expect("the built-in catalogue is valid (tested)")
    }

    pub fn get(&self, code: &str) -> Option<&CatalogueEntry> {
        self.by_code.get(code).map(|&i| &self.entries[i])
    }

    pub fn iter(&self) -> impl Iterator<Item = &CatalogueEntry> {
        self.entries.iter()
    }

    pub fn is_leaf(&self, code: &str) -> bool {
        !self.entries.iter().any(|e| e.parent.as_deref() == Some(code))
    }

    pub fn leaves(&self) -> impl Iterator<Item = &CatalogueEntry> {
        self.entries.iter().filter(|e| self.is_leaf(&e.code))
    }

    /// The entry's time limit, or its nearest ancestor's.
    pub fn time_limit(&self, code: &str) -> Option<TimeLimit> {
        let mut current = self.get(code);
        while let Some(entry) = current {
            if let Some(limit) = entry.time_limit {
                return Some(limit);
            }
            current = entry.parent.as_deref().and_then(|p| self.get(p));
        }
        None
    }

    /// Checks that a case may be filed under `code`: a known, specific (leaf) entry.
    pub fn check_fileable(&self, code: &str) -> Result<&CatalogueEntry, DomainError> {
        let entry = self
            .get(code)
            .ok_or_else(|| DomainError::invalid("category", format!("unknown category {code:?}")))?;
        if !self.is_leaf(code) {
            return Err(DomainError::invalid(
                "category",
                format!("category {code} ({}) is a group; choose one of its entries", entry.name),
            ));
        }
        Ok(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sla::LimitUnit;

    #[test]
    fn the_builtin_catalogue_loads_and_every_leaf_has_a_limit() {
        let catalogue = Catalogue::builtin();
        assert!(catalogue.leaves().count() >= 12);
        for leaf in catalogue.leaves() {
            assert!(catalogue.time_limit(&leaf.code).is_some(), "{}", leaf.code);
        }
    }

    #[test]
    fn a_group_cannot_be_filed_under_and_an_unknown_code_is_named() {
        let catalogue = Catalogue::builtin();
        let group = catalogue.iter().find(|e| !catalogue.is_leaf(&e.code)).unwrap();
        assert!(catalogue.check_fileable(&group.code).is_err());
        let err = catalogue.check_fileable("ZZ99").unwrap_err();
        assert!(err.to_string().contains("ZZ99"));
    }

    #[test]
    fn limits_are_inherited_from_the_parent() {
        let catalogue = Catalogue::from_toml(
            r#"
            [[entry]]
            code = "01"
            name = "市容环境"
            time_limit = { amount = 2, unit = "working_days" }
            [[entry]]
            code = "0101"
            name = "暴露垃圾"
            parent = "01"
            "#,
        )
        .unwrap();
        assert_eq!(catalogue.time_limit("0101"), Some(TimeLimit::new(2, LimitUnit::WorkingDays)));
    }

    #[test]
    fn broken_catalogue_files_are_refused() {
        assert!(Catalogue::from_toml("entry = 3").is_err());
        let orphan = r#"
            [[entry]]
            code = "0101"
            name = "暴露垃圾"
            parent = "01"
            time_limit = { amount = 2, unit = "working_days" }
        "#;
        assert!(Catalogue::from_toml(orphan).is_err());
        let no_limit = r#"
            [[entry]]
            code = "0101"
            name = "暴露垃圾"
        "#;
        assert!(Catalogue::from_toml(no_limit).is_err());
    }
}
