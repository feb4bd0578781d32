//! The indicator system as a table, the way offices keep it in Excel: a `system` sheet of
//! settings (key, value) and a `clauses` sheet with one row per clause, its item and category
//! repeated on each row. The CLI reads and writes it as XLSX; the conversion is here.

use std::collections::HashMap;

use super::point::PointType;
use super::system::{Category, Clause, IndicatorSystem, Item, Method, MethodWeights, PlatformMetric, ScoringRule};
use crate::error::{DomainError, FileProblem};
use crate::message::Reason;

/// The columns of the `clauses` sheet, in order.
pub const CLAUSE_COLUMNS: [&str; 18] = [
    "category_code",
    "category_name",
    "category_points",
    "item_code",
    "item_name",
    "item_points",
    "clause_code",
    "text",
    "method",
    "metric",
    "points",
    "rule",
    "rule_value",
    "floor",
    "point_types",
    "observe",
    "case_category",
    "note",
];

/// The keys of the `system` sheet.
pub const SETTINGS: [&str; 7] = ["year", "name", "total", "weight.field_check", "weight.questionnaire", "weight.material_review", "weight.platform_data"];

/// A number as the table writes it: without a trailing `.0`.
fn num(x: f64) -> String {
    if x.fract() == 0.0 { format!("{x:.0}") } else { x.to_string() }
}

impl IndicatorSystem {
    /// The `system` sheet: (key, value) in the order of [`SETTINGS`].
    pub fn settings_rows(&self) -> Vec<[String; 2]> {
        let w = self.weights;
        let values = [self.year.to_string(), self.name.clone(), num(self.total), num(w.field_check), num(w.questionnaire), num(w.material_review), num(w.platform_data)];
        SETTINGS.iter().zip(values).map(|(k, v)| [(*k).to_owned(), v]).collect()
    }

    /// The `clauses` sheet's rows, in the order of [`CLAUSE_COLUMNS`].
    pub fn clause_rows(&self) -> Vec<Vec<String>> {
        self.clauses()
            .map(|p| {
                let c = p.clause;
                let (rule, value, floor) = match c.rule {
                    ScoringRule::Deduction { per_finding, floor } => ("deduction", num(per_finding), num(floor)),
                    ScoringRule::Ratio { target } => ("ratio", num(target), String::new()),
                    ScoringRule::Threshold { min } => ("threshold", num(min), String::new()),
                };
                vec![
                    p.category.code.clone(),
                    p.category.name.clone(),
                    num(p.category.points),
                    p.item.code.clone(),
                    p.item.name.clone(),
                    num(p.item.points),
                    c.code.clone(),
                    c.text.clone(),
                    c.method.as_str().to_owned(),
                    c.metric.map_or("", PlatformMetric::as_str).to_owned(),
                    num(c.points),
                    rule.to_owned(),
                    value,
                    floor,
                    c.point_types.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(","),
                    c.observe.clone().unwrap_or_default(),
                    c.case_category.clone().map(String::from).unwrap_or_default(),
                    String::new(),
                ]
            })
            .collect()
    }

    /// Reads the two sheets back (`clauses` with its header row first) and validates the system;
    /// every problem is reported with its sheet and line.
    pub fn from_table(settings: &[Vec<String>], clauses: &[Vec<String>], fileable: impl Fn(&str) -> bool) -> Result<IndicatorSystem, DomainError> {
        let mut problems = Vec::new();
        let values: HashMap<&str, &str> = settings.iter().filter(|r| r.len() >= 2).map(|r| (r[0].trim(), r[1].trim())).collect();
        let mut setting = |key: &str| -> Option<f64> {
            match values.get(key).map(|v| v.parse::<f64>()) {
                Some(Ok(x)) => Some(x),
                _ => {
                    let reason = Reason::new("not_a_number").with("column", key).with("value", values.get(key).copied().unwrap_or_default());
                    problems.push(FileProblem::detailed("system", None, reason, format!("{key} must be a number")));
                    None
                }
            }
        };
        let year = setting("year").unwrap_or(0.0) as i16;
        let total = setting("total").unwrap_or(0.0);
        let weights = MethodWeights {
            field_check: setting("weight.field_check").unwrap_or(0.0),
            questionnaire: setting("weight.questionnaire").unwrap_or(0.0),
            material_review: setting("weight.material_review").unwrap_or(0.0),
            platform_data: setting("weight.platform_data").unwrap_or(0.0),
        };
        let name = values.get("name").copied().unwrap_or_default().to_owned();
        let Some((header, rows)) = clauses.split_first() else {
            return Err(DomainError::InvalidFiles(vec![FileProblem::detailed(
                "clauses",
                None,
                Reason::new("sheet_empty").with("sheet", "clauses"),
                "the clauses sheet is empty",
            )]));
        };
        let index: HashMap<&str, usize> = header.iter().enumerate().map(|(i, h)| (h.trim(), i)).collect();
        if let Some(missing) = CLAUSE_COLUMNS[..17].iter().find(|c| !index.contains_key(**c)) {
            let reason = Reason::new("missing_column").with("column", missing).with("columns", CLAUSE_COLUMNS[..17].join("、"));
            return Err(DomainError::InvalidFiles(vec![FileProblem::detailed("clauses", Some(1), reason, format!("no column {missing}"))]));
        }
        let mut categories: Vec<Category> = Vec::new();
        for (n, row) in rows.iter().enumerate() {
            let line = n + 2;
            let cell = |name: &str| row.get(index[name]).map_or("", |s| s.trim());
            let mut bad = |reason: Reason, message: String| problems.push(FileProblem::detailed("clauses", Some(line), reason, message));
            let unknown = |column: &str, value: &str, known: &[&str]| {
                Reason::new("unknown_cell_value").with("column", column).with("value", value).with("known", known.join("、"))
            };
            let number = |name: &str, bad: &mut dyn FnMut(Reason, String)| match cell(name).parse::<f64>() {
                Ok(x) => x,
                Err(_) => {
                    bad(Reason::new("not_a_number").with("column", name).with("value", cell(name)), format!("{name} {:?} is not a number", cell(name)));
                    0.0
                }
            };
            if row.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let method = Method::parse(cell("method")).unwrap_or_else(|| {
                let known: Vec<&str> = Method::ALL.iter().map(|m| m.as_str()).collect();
                bad(unknown("method", cell("method"), &known), format!("unknown method {:?}", cell("method")));
                Method::FieldCheck
            });
            let metric = match cell("metric") {
                "" => None,
                m => PlatformMetric::parse(m).or_else(|| {
                    let known: Vec<&str> = PlatformMetric::ALL.iter().map(|m| m.as_str()).collect();
                    bad(unknown("metric", m, &known), format!("unknown metric {m:?}"));
                    None
                }),
            };
            let value = number("rule_value", &mut bad);
            let rule = match cell("rule") {
                "deduction" => ScoringRule::Deduction { per_finding: value, floor: if cell("floor").is_empty() { 0.0 } else { number("floor", &mut bad) } },
                "ratio" => ScoringRule::Ratio { target: value },
                "threshold" => ScoringRule::Threshold { min: value },
                other => {
                    bad(unknown("rule", other, &["deduction", "ratio", "threshold"]), format!("unknown rule {other:?}; deduction, ratio or threshold"));
                    continue;
                }
            };
            let mut point_types = Vec::new();
            for t in cell("point_types").split([',', '，', '、']).map(str::trim).filter(|t| !t.is_empty()) {
                match PointType::parse(t) {
                    Ok(t) => point_types.push(t),
                    Err(e) => {
                        let known: Vec<&str> = PointType::ALL.iter().map(|t| t.as_str()).collect();
                        bad(unknown("point_types", t, &known), e.to_string());
                    }
                }
            }
            let optional = |name: &str| Some(cell(name).to_owned()).filter(|s| !s.is_empty());
            let clause = Clause {
                code: cell("clause_code").to_owned(),
                text: cell("text").to_owned(),
                method,
                metric,
                points: number("points", &mut bad),
                rule,
                point_types,
                observe: optional("observe"),
                case_category: optional("case_category").and_then(|c| match crate::ids::CategoryCode::parse(&c) {
                    Ok(code) => Some(code),
                    Err(e) => {
                        let reason = match &e {
                            DomainError::Refused(reason) => reason.clone().with("column", "case_category"),
                            _ => Reason::new("bad_cell").with("column", "case_category"),
                        };
                        bad(reason, e.to_string());
                        None
                    }
                }),
            };
            let (category_code, item_code) = (cell("category_code"), cell("item_code"));
            if categories.last().is_none_or(|c| c.code != category_code) {
                if categories.iter().any(|c| c.code == category_code) {
                    bad(
                        Reason::new("rows_not_together").with("column", "category_code").with("code", category_code),
                        format!("category {category_code}'s rows must be together"),
                    );
                }
                categories.push(Category { code: category_code.to_owned(), name: cell("category_name").to_owned(), points: number("category_points", &mut bad), items: vec![] });
            }
            let category = categories.last_mut().expect("pushed");
            if category.items.last().is_none_or(|i| i.code != item_code) {
                if category.items.iter().any(|i| i.code == item_code) {
                    bad(
                        Reason::new("rows_not_together").with("column", "item_code").with("code", item_code),
                        format!("item {item_code}'s rows must be together"),
                    );
                }
                category.items.push(Item { code: item_code.to_owned(), name: cell("item_name").to_owned(), points: number("item_points", &mut bad), clauses: vec![] });
            }
            category.items.last_mut().expect("pushed").clauses.push(clause);
        }
        if !problems.is_empty() {
            return Err(DomainError::InvalidFiles(problems));
        }
        let system = IndicatorSystem { year, name, total, weights, categories };
        system.validate(fileable)?;
        Ok(system)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Vec<String> {
        CLAUSE_COLUMNS.iter().map(|c| (*c).to_owned()).collect()
    }

    #[test]
    fn the_builtin_system_survives_its_table() {
        let system = IndicatorSystem::builtin();
        let settings: Vec<Vec<String>> = system.settings_rows().into_iter().map(Vec::from).collect();
        let mut rows = vec![header()];
        rows.extend(system.clause_rows());
        assert_eq!(IndicatorSystem::from_table(&settings, &rows, |_| true).unwrap(), system);
    }

    #[test]
    fn a_table_whose_points_do_not_add_up_or_with_bad_cells_is_refused_by_line() {
        let system = IndicatorSystem::builtin();
        let settings: Vec<Vec<String>> = system.settings_rows().into_iter().map(Vec::from).collect();
        let mut rows = vec![header()];
        rows.extend(system.clause_rows());
        rows[1][10] = "3".into(); // clause 1.1.1 worth 3 instead of 2
        let err = IndicatorSystem::from_table(&settings, &rows, |_| true).unwrap_err().to_string();
        assert!(err.contains("1.1: its clauses add up to 9 points, not its 8"), "{err}");
        rows[1][10] = "2".into();
        rows[2][11] = "bonus".into();
        rows[3][14] = "main_road,moon".into();
        let err = IndicatorSystem::from_table(&settings, &rows, |_| true).unwrap_err().to_string();
        assert!(err.contains("clauses line 3: unknown rule \"bonus\""), "{err}");
        assert!(err.contains("clauses line 4: unknown point type \"moon\""), "{err}");
    }

    /// The codes of a refused table's problems, each checked to be told in Chinese without
    /// English beyond its parameters.
    fn codes(result: Result<IndicatorSystem, DomainError>) -> Vec<&'static str> {
        let Err(DomainError::InvalidFiles(problems)) = result else { panic!("refused as files: {result:?}") };
        for p in &problems {
            let mut zh = p.render(crate::message::Lang::Zh);
            // The longest first: a column is also named in the list of columns.
            let mut values: Vec<&str> = p.reason.params().map(|(_, v)| v).collect();
            values.sort_by_key(|v| std::cmp::Reverse(v.len()));
            for value in values {
                zh = zh.replace(value, "");
            }
            assert!(!crate::message::has_english(&zh), "English in {:?}", p.render(crate::message::Lang::Zh));
        }
        problems.iter().map(|p| p.reason.code()).collect()
    }

    #[test]
    fn a_refused_tables_problems_carry_their_codes() {
        let system = IndicatorSystem::builtin();
        let mut settings: Vec<Vec<String>> = system.settings_rows().into_iter().map(Vec::from).collect();
        let mut rows = vec![header()];
        rows.extend(system.clause_rows());
        assert_eq!(codes(IndicatorSystem::from_table(&settings, &[], |_| true)), ["sheet_empty"]);
        assert_eq!(codes(IndicatorSystem::from_table(&settings, &[header()[1..].to_vec()], |_| true)), ["missing_column"]);
        rows[1][8] = "guessing".into();
        rows[2][9] = "happiness".into();
        rows[3][10] = "三".into();
        rows[4][11] = "bonus".into();
        rows[5][14] = "moon".into();
        settings.iter_mut().find(|r| r[0] == "total").expect("a total")[1] = "一百".into();
        assert_eq!(
            codes(IndicatorSystem::from_table(&settings, &rows, |_| true)),
            ["not_a_number", "unknown_cell_value", "unknown_cell_value", "not_a_number", "unknown_cell_value", "unknown_cell_value"]
        );
    }
}
