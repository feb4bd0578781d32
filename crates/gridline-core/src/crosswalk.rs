//! The crosswalk (对应目录): codes of the source taxonomies — the hotline's category scheme, the
//! city-management parts/events standard, the creation drive's indicators — mapped onto catalogue
//! entries. A row with no entry is a known source code that nothing in the catalogue fits: it is
//! kept, so that the platform can say which codes are unmapped rather than forget them.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::catalogue::Catalogue;
use crate::error::{DomainError, FileProblem};
use crate::message::Reason;

pub const CROSSWALK_FILE: &str = "crosswalk.csv";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CrosswalkRow {
    pub scheme: String,
    pub source_code: String,
    pub source_name: String,
    /// The catalogue leaf it maps to; empty when unmapped.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub entry: Option<String>,
}

fn empty_as_none<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let text: Option<String> = Option::deserialize(deserializer)?;
    Ok(text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()))
}

/// A case's code in a source taxonomy, kept beside its unified category.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceCode {
    pub scheme: String,
    pub code: String,
}

#[derive(Clone, Debug, Default)]
pub struct Crosswalk {
    rows: Vec<CrosswalkRow>,
    index: HashMap<(String, String), usize>,
}

impl Crosswalk {
    /// Reads the crosswalk CSV (`scheme,source_code,source_name,entry`) and checks every mapped
    /// entry against the catalogue: it must exist and be a leaf. Refused whole when anything is wrong.
    pub fn from_csv(text: &str, catalogue: &Catalogue) -> Result<Self, DomainError> {
        let mut problems = Vec::new();
        let problem = |line: Option<usize>, reason: Reason, message: String| FileProblem::detailed(CROSSWALK_FILE, line, reason, message);
        const HEADER: [&str; 4] = ["scheme", "source_code", "source_name", "entry"];
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        match reader.headers() {
            Ok(headers) if headers.iter().collect::<Vec<_>>() == HEADER => {}
            Ok(headers) => {
                let found = headers.iter().collect::<Vec<_>>().join(",");
                problems.push(problem(
                    Some(1),
                    Reason::new("bad_header").with("columns", HEADER.join(",")).with("found", &found),
                    format!("header must be scheme,source_code,source_name,entry (found {found})"),
                ))
            }
            Err(e) => problems.push(problem(Some(1), Reason::new("not_csv"), e.to_string())),
        }
        if !problems.is_empty() {
            return Err(DomainError::InvalidFiles(problems));
        }
        let mut rows = Vec::new();
        let mut index = HashMap::new();
        let headers = reader.headers().cloned().unwrap_or_default();
        for record in reader.records() {
            let record = match record {
                Ok(record) => record,
                Err(e) => {
                    problems.push(problem(e.position().map(|p| p.line() as usize), Reason::new("not_csv"), e.to_string()));
                    continue;
                }
            };
            let line = record.position().map(|p| p.line() as usize);
            let row: CrosswalkRow = match record.deserialize(Some(&headers)) {
                Ok(row) => row,
                Err(e) => {
                    problems.push(problem(line, Reason::new("bad_row"), e.to_string()));
                    continue;
                }
            };
            if row.scheme.trim().is_empty() || row.source_code.trim().is_empty() {
                problems.push(problem(line, Reason::new("cells_required").with("columns", "scheme、source_code"), "scheme and source_code are required".into()));
            }
            if let Some(entry) = &row.entry {
                match catalogue.get(entry) {
                    None => problems.push(problem(
                        line,
                        Reason::new("maps_to_unknown").with("code", &row.source_code).with("entry", entry),
                        format!("{} maps to unknown entry {entry}", row.source_code),
                    )),
                    Some(_) if !catalogue.is_leaf(entry) => problems.push(problem(
                        line,
                        Reason::new("maps_to_group").with("code", &row.source_code).with("entry", entry),
                        format!("{} maps to {entry}, a group; map to one of its entries", row.source_code),
                    )),
                    Some(_) => {}
                }
            }
            if index.insert((row.scheme.clone(), row.source_code.clone()), rows.len()).is_some() {
                problems.push(problem(
                    line,
                    Reason::new("source_code_twice").with("scheme", &row.scheme).with("code", &row.source_code),
                    format!("{} {} appears twice", row.scheme, row.source_code),
                ));
            }
            rows.push(row);
        }
        if problems.is_empty() { Ok(Crosswalk { rows, index }) } else { Err(DomainError::InvalidFiles(problems)) }
    }

    pub fn to_csv(&self) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(["scheme", "source_code", "source_name", "entry"]).expect("in memory");
        for row in &self.rows {
            writer
                .write_record([&row.scheme, &row.source_code, &row.source_name, row.entry.as_deref().unwrap_or("")])
                .expect("in memory");
        }
        String::from_utf8(writer.into_inner().expect("in memory")).expect("UTF-8 in, UTF-8 out")
    }

    pub fn rows(&self) -> &[CrosswalkRow] {
        &self.rows
    }

    pub fn row(&self, source: &SourceCode) -> Option<&CrosswalkRow> {
        self.index.get(&(source.scheme.clone(), source.code.clone())).map(|&i| &self.rows[i])
    }

    /// The unified entry a source code maps to.
    pub fn entry_for(&self, source: &SourceCode) -> Option<&str> {
        self.row(source).and_then(|r| r.entry.as_deref())
    }

    pub fn schemes(&self) -> Vec<&str> {
        let mut schemes: Vec<&str> = self.rows.iter().map(|r| r.scheme.as_str()).collect();
        schemes.sort_unstable();
        schemes.dedup();
        schemes
    }

    /// Source codes that nothing in the catalogue fits.
    pub fn unmapped<'a>(&'a self, scheme: Option<&'a str>) -> impl Iterator<Item = &'a CrosswalkRow> + 'a {
        self.rows.iter().filter(move |r| r.entry.is_none() && scheme.is_none_or(|s| r.scheme == s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogue() -> Catalogue {
        Catalogue::builtin()
    }

    fn problems(text: &str) -> Vec<FileProblem> {
        match Crosswalk::from_csv(text, &catalogue()) {
            Err(DomainError::InvalidFiles(p)) => p,
            other => panic!("expected problems, got {other:?}"),
        }
    }

    #[test]
    fn source_codes_map_to_leaves_and_unmapped_ones_are_listed() {
        let text = "scheme,source_code,source_name,entry\n\
                    hotline,城乡建设/城市建设和市政管理/园林绿化环卫,园林绿化环卫,S0106\n\
                    hotline,教育文体/教育/招生,招生,\n";
        let crosswalk = Crosswalk::from_csv(text, &catalogue()).unwrap();
        let source = SourceCode { scheme: "hotline".into(), code: "城乡建设/城市建设和市政管理/园林绿化环卫".into() };
        assert_eq!(crosswalk.entry_for(&source), Some("S0106"));
        let unmapped: Vec<_> = crosswalk.unmapped(Some("hotline")).map(|r| r.source_name.as_str()).collect();
        assert_eq!(unmapped, ["招生"]);
        assert_eq!(Crosswalk::from_csv(&crosswalk.to_csv(), &catalogue()).unwrap().rows(), crosswalk.rows());
    }

    #[test]
    fn bad_rows_are_named_by_line_and_nothing_is_taken() {
        let found = problems(
            "scheme,source_code,source_name,entry\nhotline,a,甲,S01\nhotline,b,乙,ZZ\nhotline,a,甲,S0102\n,c,丙,\n",
        );
        let lines: Vec<_> = found.iter().map(|p| p.line).collect();
        assert_eq!(lines, [Some(2), Some(3), Some(4), Some(5)], "{found:?}");
        assert!(found[0].message.contains("a group"));
        assert!(found[1].message.contains("unknown entry ZZ"));
        assert!(found[2].message.contains("appears twice"));
        assert!(problems("code,name\n1,2\n")[0].message.contains("header"));
        assert!(problems("scheme,source_code,source_name,entry\nhotline,a\n")[0].line == Some(2));
    }

    #[test]
    fn the_builtin_crosswalk_covers_the_hotline_scheme() {
        let crosswalk = Crosswalk::from_csv(crate::reference::BUILTIN_CROSSWALK, &catalogue()).unwrap();
        for scheme in ["hotline", "gbt30428", "creation"] {
            assert!(crosswalk.rows().iter().any(|r| r.scheme == scheme), "{scheme}");
        }
        // Every row of the hotline's three-level scheme (517) is listed, mapped or not.
        let hotline = crosswalk.rows().iter().filter(|r| r.scheme == "hotline").count();
        assert_eq!(hotline, 517);
        let unmapped = crosswalk.unmapped(Some("hotline")).count();
        assert!(unmapped > 0 && hotline - unmapped >= 200, "{unmapped} of {hotline} unmapped");
    }
}
