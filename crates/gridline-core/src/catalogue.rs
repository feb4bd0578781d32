//! The unified problem catalogue (统一问题目录): one tree onto which the city-management parts and
//! events, the creation drive's problems and the hotline's demands are mapped. Each entry carries
//! its rectification standard (立案条件 / 结案条件), its time limits and the type of unit that
//! handles it by default; children inherit limits and unit types from their nearest ancestor.
//!
//! The file format is TOML (`[[entry]]` tables, see docs/catalogue.md). Versions are not written in
//! the file: they are derived when a file replaces a catalogue ([`Catalogue::versioned_after`]), so
//! an administrator edits content and history stays exact.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::error::{DomainError, FileProblem, line_of};
use crate::message::Reason;
use crate::sla::TimeLimit;

pub const CATALOGUE_FILE: &str = "catalogue.toml";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogueEntry {
    pub code: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name_en: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// The standard or document a top-level entry is written from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The type of unit that handles it by default (a code of the routing file's unit types);
    /// inherited from the nearest ancestor when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_type: Option<String>,
    /// The ordinary time limit; inherited when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_limit: Option<TimeLimit>,
    /// The limit of a case marked as an emergency; inherited when absent, else the ordinary one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emergency_time_limit: Option<TimeLimit>,
    /// Words a citizen or operator would use for it (search, keyword suggestion).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// 立案条件: what counts as this problem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub register_condition: Option<String>,
    /// 结案条件: what counts as fixed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_condition: Option<String>,
    /// Extra facts a reporter gives for this kind of problem (Open311 service attributes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<ServiceAttribute>,
    /// Bumped whenever the entry's content changes; a case keeps the version it was filed under.
    #[serde(skip, default = "first_version")]
    pub version: u32,
}

/// An extra fact asked of the reporter; the datatypes are Open311 GeoReport v2's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceAttribute {
    pub code: String,
    pub datatype: AttributeDatatype,
    #[serde(default)]
    pub required: bool,
    pub description: String,
    #[serde(default)]
    pub order: u32,
    /// The choices of a `singlevaluelist` or `multivaluelist`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<AttributeValue>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AttributeDatatype {
    String,
    Number,
    Datetime,
    Text,
    Singlevaluelist,
    Multivaluelist,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttributeValue {
    pub key: String,
    pub name: String,
}

fn first_version() -> u32 {
    1
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile<E> {
    entry: Vec<E>,
}

#[derive(Clone, Debug, Default)]
pub struct Catalogue {
    entries: Vec<CatalogueEntry>,
    by_code: HashMap<String, usize>,
    children: HashMap<String, Vec<usize>>,
    /// Where each entry starts in the file it was read from.
    lines: HashMap<String, usize>,
}

const MAX_CODE_LEN: usize = 32;

impl Catalogue {
    /// Checks a whole catalogue; every problem is reported, with the entry's line when known.
    pub fn new(entries: Vec<CatalogueEntry>) -> Result<Self, DomainError> {
        Self::checked(entries.into_iter().map(|e| (e, None)).collect())
    }

    fn checked(entries: Vec<(CatalogueEntry, Option<usize>)>) -> Result<Self, DomainError> {
        let mut problems = Vec::new();
        let problem = |line: Option<usize>, reason: Reason, message: String| FileProblem::detailed(CATALOGUE_FILE, line, reason, message);
        let of_entry = |code: &str, what: &'static str| Reason::new(what).with("code", code);
        if entries.is_empty() {
            problems.push(problem(None, Reason::new("no_entries"), "the catalogue has no entries".into()));
        }
        let mut by_code = HashMap::with_capacity(entries.len());
        let mut lines = HashMap::new();
        for (i, (entry, line)) in entries.iter().enumerate() {
            let code = entry.code.as_str();
            if code.is_empty() || code.len() > MAX_CODE_LEN || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') {
                problems.push(problem(
                    *line,
                    Reason::new("bad_code").with("code", code).with("max", MAX_CODE_LEN),
                    format!("code {code:?}: 1–{MAX_CODE_LEN} letters, digits, '-' or '.'"),
                ));
            }
            if entry.name.trim().is_empty() {
                problems.push(problem(*line, of_entry(code, "entry_no_name"), format!("entry {code} has no name")));
            }
            if entry.parent.as_deref() == Some(code) {
                problems.push(problem(*line, of_entry(code, "entry_own_parent"), format!("entry {code} is its own parent")));
            }
            if let Some(first) = by_code.insert(code.to_owned(), i) {
                let first_line = entries[first].1.map(|l| format!(" (first on line {l})")).unwrap_or_default();
                problems.push(problem(*line, Reason::new("code_twice").with("code", code), format!("code {code} appears twice{first_line}")));
            }
            lines.insert(code.to_owned(), *line);
            let mut attribute_codes = HashSet::new();
            for attribute in &entry.attributes {
                if !attribute_codes.insert(attribute.code.as_str()) {
                    problems.push(problem(
                        *line,
                        of_entry(code, "attribute_twice").with("attribute", &attribute.code),
                        format!("entry {code}: attribute {} appears twice", attribute.code),
                    ));
                }
                let is_list = matches!(attribute.datatype, AttributeDatatype::Singlevaluelist | AttributeDatatype::Multivaluelist);
                if is_list == attribute.values.is_empty() {
                    problems.push(problem(
                        *line,
                        of_entry(code, "attribute_values").with("attribute", &attribute.code),
                        format!("entry {code}: attribute {} has values exactly when it is a list", attribute.code),
                    ));
                }
            }
        }
        let mut children: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, (entry, line)) in entries.iter().enumerate() {
            if let Some(parent) = &entry.parent {
                if by_code.contains_key(parent) {
                    children.entry(parent.clone()).or_default().push(i);
                } else {
                    problems.push(problem(
                        *line,
                        of_entry(&entry.code, "unknown_parent").with("parent", parent),
                        format!("entry {} names unknown parent {parent}", entry.code),
                    ));
                }
            }
        }
        let lines: HashMap<String, usize> = lines.into_iter().filter_map(|(code, line)| line.map(|l| (code, l))).collect();
        let catalogue = Catalogue { entries: entries.into_iter().map(|(e, _)| e).collect(), by_code, children, lines };
        if problems.is_empty() {
            for entry in &catalogue.entries {
                let line = catalogue.line(&entry.code);
                if catalogue.ancestors(&entry.code).count() > catalogue.entries.len() {
                    problems.push(problem(line, of_entry(&entry.code, "parent_cycle"), format!("entry {} is inside a cycle of parents", entry.code)));
                    continue;
                }
                if catalogue.is_leaf(&entry.code) {
                    if catalogue.time_limit(&entry.code, false).is_none() {
                        problems.push(problem(
                            line,
                            of_entry(&entry.code, "entry_no_time_limit"),
                            format!("entry {} has no time limit, nor any ancestor", entry.code),
                        ));
                    }
                    if catalogue.unit_type(&entry.code).is_none() {
                        problems.push(problem(
                            line,
                            of_entry(&entry.code, "entry_no_unit_type"),
                            format!("entry {} has no unit type, nor any ancestor", entry.code),
                        ));
                    }
                }
            }
        }
        if problems.is_empty() { Ok(catalogue) } else { Err(DomainError::InvalidFiles(problems)) }
    }

    /// Reads a catalogue file; a bad file is refused whole, every problem named with its line.
    pub fn from_toml(text: &str) -> Result<Self, DomainError> {
        let file: CatalogueFile<toml::Spanned<CatalogueEntry>> = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|span| line_of(text, span.start));
            DomainError::InvalidFiles(vec![FileProblem::toml_syntax(CATALOGUE_FILE, line, e.message())])
        })?;
        Self::checked(file.entry.into_iter().map(|s| (s.get_ref().clone(), Some(line_of(text, s.span().start)))).collect())
    }

    /// The catalogue as its file: what [`Catalogue::from_toml`] reads back to the same catalogue.
    pub fn to_toml(&self) -> String {
        let header = "# gridline unified problem catalogue (统一问题目录). Format: docs/catalogue.md.\n\n";
        let body = toml::to_string(&CatalogueFile { entry: self.entries.iter().collect::<Vec<_>>() }).expect("a catalogue serialises");
        format!("{header}{body}")
    }

    /// The catalogue built into the binary, written for gridline (sources in docs/catalogue.md).
    pub fn builtin() -> Self {
        Catalogue::from_toml(BUILTIN_CATALOGUE).expect("the built-in catalogue is valid (tested)")
    }

    /// This catalogue as the successor of `previous`: an entry keeps its version when its content
    /// is unchanged, and gets the next one when it changed (or had existed before and comes back).
    pub fn versioned_after(mut self, previous: &Catalogue, retired: &HashMap<String, u32>) -> Self {
        for entry in &mut self.entries {
            entry.version = match previous.get(&entry.code) {
                Some(old) if same_content(old, entry) => old.version,
                Some(old) => old.version + 1,
                None => retired.get(&entry.code).map_or(1, |v| v + 1),
            };
        }
        self
    }

    /// Sets versions recorded elsewhere (the stored revision); entries not named keep version 1.
    pub fn with_versions(mut self, versions: &HashMap<String, u32>) -> Self {
        for entry in &mut self.entries {
            entry.version = versions.get(&entry.code).copied().unwrap_or(1);
        }
        self
    }

    pub fn versions(&self) -> HashMap<String, u32> {
        self.entries.iter().map(|e| (e.code.clone(), e.version)).collect()
    }

    /// The line of the file where the entry starts, when it was read from one.
    pub fn line(&self, code: &str) -> Option<usize> {
        self.lines.get(code).copied()
    }

    pub fn get(&self, code: &str) -> Option<&CatalogueEntry> {
        self.by_code.get(code).map(|&i| &self.entries[i])
    }

    pub fn iter(&self) -> impl Iterator<Item = &CatalogueEntry> {
        self.entries.iter()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn is_leaf(&self, code: &str) -> bool {
        !self.children.contains_key(code)
    }

    pub fn leaves(&self) -> impl Iterator<Item = &CatalogueEntry> {
        self.entries.iter().filter(|e| self.is_leaf(&e.code))
    }

    pub fn children(&self, code: &str) -> impl Iterator<Item = &CatalogueEntry> {
        self.children.get(code).into_iter().flatten().map(|&i| &self.entries[i])
    }

    /// The entry and its ancestors, nearest first (stops after a cycle's length: a checked
    /// catalogue has none).
    pub fn ancestors<'a>(&'a self, code: &str) -> impl Iterator<Item = &'a CatalogueEntry> + 'a {
        let limit = self.entries.len() + 1;
        std::iter::successors(self.get(code), |e| e.parent.as_deref().and_then(|p| self.get(p))).take(limit)
    }

    /// How deep the entry sits: a top-level entry is 1.
    pub fn depth(&self, code: &str) -> usize {
        self.ancestors(code).count()
    }

    /// Whether `code` is `ancestor` or inside its subtree.
    pub fn is_within(&self, code: &str, ancestor: &str) -> bool {
        self.ancestors(code).any(|e| e.code == ancestor)
    }

    /// The top-level entry (e.g. 事件) that `code` belongs to.
    pub fn group_of(&self, code: &str) -> Option<&CatalogueEntry> {
        self.ancestors(code).last()
    }

    /// The time limit for a case of this entry: an emergency's when asked for and defined.
    pub fn time_limit(&self, code: &str, emergency: bool) -> Option<TimeLimit> {
        let inherited = |pick: fn(&CatalogueEntry) -> Option<TimeLimit>| self.ancestors(code).find_map(pick);
        if emergency && let Some(limit) = inherited(|e| e.emergency_time_limit) {
            return Some(limit);
        }
        inherited(|e| e.time_limit)
    }

    /// The unit type that handles the entry by default, and the entry that says so.
    pub fn unit_type_source(&self, code: &str) -> Option<(&str, &CatalogueEntry)> {
        self.ancestors(code).find_map(|e| e.unit_type.as_deref().map(|t| (t, e)))
    }

    pub fn unit_type(&self, code: &str) -> Option<&str> {
        self.unit_type_source(code).map(|(t, _)| t)
    }

    /// Entries matching a search: the code's prefix, or a name, English name or keyword
    /// containing `query` (case-insensitive). Best matches first: code, name, then keyword.
    pub fn search(&self, query: &str) -> Vec<&CatalogueEntry> {
        let query = query.trim().to_lowercase();
        if query.is_empty() {
            return self.entries.iter().collect();
        }
        let rank = |e: &CatalogueEntry| {
            if e.code.to_lowercase().starts_with(&query) {
                Some(0)
            } else if e.name.to_lowercase().contains(&query) || e.name_en.to_lowercase().contains(&query) {
                Some(1)
            } else if e.keywords.iter().any(|k| k.to_lowercase().contains(&query) || query.contains(&k.to_lowercase())) {
                Some(2)
            } else {
                None
            }
        };
        let mut found: Vec<(u8, usize, &CatalogueEntry)> =
            self.entries.iter().enumerate().filter_map(|(i, e)| rank(e).map(|r| (r, i, e))).collect();
        found.sort_by_key(|&(r, i, _)| (r, i));
        found.into_iter().map(|(_, _, e)| e).collect()
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

/// Equal apart from the version.
fn same_content(a: &CatalogueEntry, b: &CatalogueEntry) -> bool {
    CatalogueEntry { version: b.version, ..a.clone() } == *b
}

pub const BUILTIN_CATALOGUE: &str = include_str!("../../../data/catalogue/catalogue.toml");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sla::LimitUnit;

    fn problems(result: Result<Catalogue, DomainError>) -> Vec<FileProblem> {
        match result {
            Err(DomainError::InvalidFiles(problems)) => problems,
            other => panic!("expected file problems, got {other:?}"),
        }
    }

    #[test]
    fn the_builtin_catalogue_has_150_leaves_each_with_a_limit_a_unit_type_and_a_standard() {
        let catalogue = Catalogue::builtin();
        assert!(catalogue.leaves().count() >= 150, "{}", catalogue.leaves().count());
        for leaf in catalogue.leaves() {
            assert!(catalogue.time_limit(&leaf.code, false).is_some(), "{}", leaf.code);
            assert!(catalogue.unit_type(&leaf.code).is_some(), "{}", leaf.code);
            assert!(leaf.register_condition.is_some() && leaf.close_condition.is_some(), "{} lacks its standard", leaf.code);
            assert!(!leaf.name_en.is_empty(), "{}", leaf.code);
        }
        for root in catalogue.iter().filter(|e| e.parent.is_none()) {
            assert!(root.source.is_some(), "top-level {} names its source", root.code);
        }
    }

    #[test]
    fn a_group_cannot_be_filed_under_and_an_unknown_code_is_named() {
        let catalogue = Catalogue::builtin();
        assert!(catalogue.check_fileable("S01").is_err());
        let err = catalogue.check_fileable("ZZ99").unwrap_err();
        assert!(err.to_string().contains("ZZ99"));
        assert_eq!(catalogue.check_fileable("S0201").unwrap().name, "非法小广告");
    }

    const SMALL: &str = r#"
[[entry]]
code = "S"
name = "事件"
source = "GB/T 30428.2"

[[entry]]
code = "S01"
parent = "S"
name = "市容环境"
unit_type = "street_office"
time_limit = { amount = 2, unit = "working_days" }
emergency_time_limit = { amount = 4, unit = "hours" }

[[entry]]
code = "S0102"
parent = "S01"
name = "暴露垃圾"
keywords = ["垃圾", "满溢"]

[[entry]]
code = "S0103"
parent = "S01"
name = "积存垃圾渣土"
unit_type = "district_city_management"
time_limit = { amount = 3, unit = "working_days" }
"#;

    #[test]
    fn limits_and_unit_types_are_inherited_and_emergencies_have_their_own_limit() {
        let catalogue = Catalogue::from_toml(SMALL).unwrap();
        assert_eq!(catalogue.time_limit("S0102", false), Some(TimeLimit::new(2, LimitUnit::WorkingDays)));
        assert_eq!(catalogue.time_limit("S0102", true), Some(TimeLimit::new(4, LimitUnit::Hours)));
        assert_eq!(catalogue.time_limit("S0103", false), Some(TimeLimit::new(3, LimitUnit::WorkingDays)));
        assert_eq!(catalogue.unit_type("S0102"), Some("street_office"));
        assert_eq!(catalogue.unit_type("S0103"), Some("district_city_management"));
        assert_eq!(catalogue.depth("S0102"), 3);
        assert!(catalogue.is_within("S0102", "S"));
        assert!(!catalogue.is_within("S01", "S0102"));
        assert_eq!(catalogue.group_of("S0103").unwrap().code, "S");
    }

    #[test]
    fn search_finds_by_code_name_and_keyword_best_first() {
        let catalogue = Catalogue::from_toml(SMALL).unwrap();
        let codes = |q: &str| catalogue.search(q).iter().map(|e| e.code.clone()).collect::<Vec<_>>();
        assert_eq!(codes("S01"), ["S01", "S0102", "S0103"]);
        assert_eq!(codes("渣土"), ["S0103"]);
        assert_eq!(codes("垃圾"), ["S0102", "S0103"]);
        assert_eq!(codes("小区里垃圾桶满溢"), ["S0102"], "a keyword inside a sentence");
        assert!(codes("火星").is_empty());
    }

    #[test]
    fn export_reads_back_to_the_same_catalogue() {
        let catalogue = Catalogue::builtin();
        let again = Catalogue::from_toml(&catalogue.to_toml()).unwrap();
        assert_eq!(again.entries, catalogue.entries);
    }

    #[test]
    fn versions_move_only_for_changed_entries() {
        let old = Catalogue::from_toml(SMALL).unwrap();
        let edited = SMALL.replace("name = \"暴露垃圾\"", "name = \"暴露垃圾（含垃圾桶满溢）\"");
        let new = Catalogue::from_toml(&edited).unwrap().versioned_after(&old, &HashMap::new());
        assert_eq!(new.get("S0102").unwrap().version, 2);
        assert_eq!(new.get("S0103").unwrap().version, 1);
        let again = Catalogue::from_toml(&edited).unwrap().versioned_after(&new, &HashMap::new());
        assert_eq!(again.get("S0102").unwrap().version, 2, "an unchanged import keeps versions");
        let back = Catalogue::from_toml(SMALL).unwrap().versioned_after(&Catalogue::default(), &HashMap::from([("S0102".into(), 2)]));
        assert_eq!(back.get("S0102").unwrap().version, 3, "a retired entry that returns continues its history");
    }

    #[test]
    fn a_malformed_file_is_refused_with_the_line() {
        let problems = problems(Catalogue::from_toml("[[entry]]\ncode = \"S\"\nname = 3\n"));
        assert_eq!(problems[0].line, Some(3), "{problems:?}");
        let problems = problems_of(&format!("{SMALL}\n[[entry]]\ncode = \"S9\"\nname = \"x\"\ncolour = \"red\"\n"));
        assert!(problems[0].message.contains("colour"), "{problems:?}");
    }

    fn problems_of(text: &str) -> Vec<FileProblem> {
        problems(Catalogue::from_toml(text))
    }

    #[test]
    fn duplicates_unknown_parents_and_cycles_are_named_with_their_lines() {
        let duplicate = format!("{SMALL}\n[[entry]]\ncode = \"S0102\"\nparent = \"S01\"\nname = \"重复\"\n");
        let found = problems_of(&duplicate);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.contains("S0102 appears twice (first on line 15)"), "{found:?}");
        assert_eq!(found[0].line, Some(28));

        let orphan = format!("{SMALL}\n[[entry]]\ncode = \"S0201\"\nparent = \"S02\"\nname = \"非法小广告\"\n");
        let found = problems_of(&orphan);
        assert!(found[0].message.contains("unknown parent S02"), "{found:?}");

        let cycle = r#"
[[entry]]
code = "A"
parent = "B"
name = "甲"
unit_type = "street_office"
time_limit = { amount = 1, unit = "hours" }
[[entry]]
code = "B"
parent = "A"
name = "乙"
"#;
        let found = problems_of(cycle);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().all(|p| p.message.contains("cycle")), "{found:?}");
        assert_eq!(found[0].line, Some(2));

        let no_limit = "[[entry]]\ncode = \"S\"\nname = \"事件\"\nunit_type = \"street_office\"\n";
        assert!(problems_of(no_limit)[0].message.contains("no time limit"));
        let bad_list = r#"
[[entry]]
code = "S"
name = "事件"
unit_type = "street_office"
time_limit = { amount = 1, unit = "hours" }
attributes = [ { code = "kind", datatype = "singlevaluelist", description = "种类" } ]
"#;
        assert!(problems_of(bad_list)[0].message.contains("values exactly when"));
    }

    #[test]
    fn an_empty_file_is_refused() {
        assert!(Catalogue::from_toml("").is_err());
        assert!(Catalogue::from_toml("entry = 3").is_err());
    }
}
