//! Questionnaires (问卷调查) as data: sections of questions — single choice, multiple choice, the
//! 5-level satisfaction scale, numbers, text — each possibly required and shown only when its
//! `relevant` condition holds; read from XLSForm (see [`Form::from_xlsform`]); a response checked
//! against its form and scored into the satisfaction index; the index's estimate with its sample
//! size and margin of error.
//!
//! **The satisfaction index** (docs/evaluation.md): every choice may carry a score (the scale's
//! 满意 100, 比较满意 75, 一般 50, 不太满意 25, 不满意 0 unless the choices sheet says otherwise; a
//! choice without a score, such as 不了解, counts for nothing). A respondent's index is the
//! weighted mean of the scores of the scored questions they answered, by the questions' weights
//! (a satisfaction question weighs 1 unless its `weight` says otherwise, other questions 0); a
//! region's index is the mean over its respondents, with its 95 % margin of error
//! 1.96 · s / √n (s the sample standard deviation). A question linked to an indicator clause
//! (`clause`) gives that clause its value the same way, so the clause's scoring rule turns the
//! answers into the questionnaire method's 得分率.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use super::relevant::{Expr, Value};
use crate::error::{DomainError, FileProblem};
use crate::message::Reason;

/// The z of a two-sided 95 % interval.
pub const Z95: f64 = 1.96;

/// The 5-level satisfaction scale and its default scores.
pub const SATISFACTION_SCALE: [(&str, &str, f64); 5] = [
    ("5", "满意", 100.0),
    ("4", "比较满意", 75.0),
    ("3", "一般", 50.0),
    ("2", "不太满意", 25.0),
    ("1", "不满意", 0.0),
];

/// The list name that means the satisfaction scale in `select_one satisfaction`.
pub const SATISFACTION_LIST: &str = "satisfaction";

const MAX_QUESTIONS: usize = 500;
const MAX_TEXT: usize = 2000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Choice {
    pub name: String,
    pub label: String,
    /// 0–100, or none when the choice does not count in the index (不了解).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

/// What a question asks for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum QuestionKind {
    SingleChoice { choices: Vec<Choice> },
    MultipleChoice { choices: Vec<Choice> },
    /// The 5-level scale 满意 … 不满意.
    Satisfaction { choices: Vec<Choice> },
    Integer,
    Decimal,
    Text,
    /// Text shown, nothing asked.
    Note,
}

impl QuestionKind {
    /// A cell of a CSV or XLSX row as an answer: choices by name or label (several separated by
    /// spaces, commas or 、), numbers as numbers, the rest as text; [`Form::check`] judges it.
    pub fn read_cell(&self, cell: &str) -> AnswerValue {
        let choice = |text: &str| {
            self.choices().iter().find(|c| c.name == text || c.label == text).map_or_else(|| text.to_owned(), |c| c.name.clone())
        };
        match self {
            QuestionKind::MultipleChoice { choices } => {
                // A label may itself hold spaces: try the whole cell as one choice first.
                if choices.iter().any(|c| c.label == cell) {
                    return AnswerValue::Choices(vec![choice(cell)]);
                }
                AnswerValue::Choices(cell.split([' ', ',', '，', '、']).filter(|s| !s.is_empty()).map(choice).collect())
            }
            QuestionKind::SingleChoice { .. } | QuestionKind::Satisfaction { .. } => AnswerValue::Text(choice(cell)),
            QuestionKind::Integer | QuestionKind::Decimal => cell.parse::<f64>().map_or_else(|_| AnswerValue::Text(cell.to_owned()), AnswerValue::Number),
            QuestionKind::Text | QuestionKind::Note => AnswerValue::Text(cell.to_owned()),
        }
    }

    pub fn choices(&self) -> &[Choice] {
        match self {
            QuestionKind::SingleChoice { choices } | QuestionKind::MultipleChoice { choices } | QuestionKind::Satisfaction { choices } => choices,
            _ => &[],
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Question {
    pub name: String,
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    #[serde(flatten)]
    pub kind: QuestionKind,
    #[serde(default)]
    pub required: bool,
    /// XLSForm's skip logic: asked only when this holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevant: Option<String>,
    /// Its weight in the satisfaction index (0: not in it).
    #[serde(default)]
    pub weight: f64,
    /// The indicator clause (method questionnaire) it gives its value to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clause: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Section {
    pub name: String,
    pub label: String,
    pub questions: Vec<Question>,
}

/// A questionnaire's form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = QuestionnaireForm)]
pub struct Form {
    pub title: String,
    /// XLSForm's `form_id` when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form_id: Option<String>,
    pub sections: Vec<Section>,
}

/// One answer as sent: a choice's name or a text, a number, or the names chosen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum AnswerValue {
    Number(f64),
    Text(String),
    Choices(Vec<String>),
}

/// A response checked against its form: the answers kept and what they score.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoredResponse {
    pub answers: BTreeMap<String, AnswerValue>,
    /// The respondent's satisfaction index, 0–100; none when no scored question was answered.
    pub index: Option<f64>,
    /// Each linked indicator clause's value for this respondent, 0–100.
    pub clauses: BTreeMap<String, f64>,
}

/// Count, sum and sum of squares of respondents' values: enough for a mean and its margin of
/// error, and additive, so regions and months combine by adding.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Moments {
    pub n: i64,
    pub sum: f64,
    pub sum_sq: f64,
}

impl Moments {
    pub fn of(value: f64) -> Moments {
        Moments { n: 1, sum: value, sum_sq: value * value }
    }

    pub fn add(&mut self, other: Moments) {
        self.n += other.n;
        self.sum += other.sum;
        self.sum_sq += other.sum_sq;
    }

    pub fn estimate(&self) -> Estimate {
        let n = self.n;
        let mean = (n > 0).then(|| self.sum / n as f64);
        let std_dev = (n > 1).then(|| ((self.sum_sq - self.sum * self.sum / n as f64) / (n - 1) as f64).max(0.0).sqrt());
        Estimate { n, mean, std_dev, margin: std_dev.map(|s| Z95 * s / (n as f64).sqrt()) }
    }
}

/// An index over a sample: its size, mean, standard deviation and 95 % margin of error.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Estimate {
    /// Respondents counted.
    pub n: i64,
    /// The index, 0–100.
    pub mean: Option<f64>,
    pub std_dev: Option<f64>,
    /// Half the width of the 95 % confidence interval, in index points.
    pub margin: Option<f64>,
}

/// A refusal of a response's answers (the field `answers`), told by its code.
fn refused(reason: Reason) -> DomainError {
    DomainError::Refused(reason.on("answers"))
}

impl Form {
    pub fn questions(&self) -> impl Iterator<Item = &Question> {
        self.sections.iter().flat_map(|s| s.questions.iter())
    }

    pub fn question(&self, name: &str) -> Option<&Question> {
        self.questions().find(|q| q.name == name)
    }

    /// Checks a response: every answer names a question of the form and fits its type, a
    /// question whose condition does not hold is not answered, a required question that is asked
    /// is answered. Then scores it.
    pub fn check(&self, answers: BTreeMap<String, AnswerValue>) -> Result<ScoredResponse, DomainError> {
        if let Some(unknown) = answers.keys().find(|name| self.question(name).is_none()) {
            return Err(refused(Reason::new("answer_unknown_question").with("name", unknown)));
        }
        let mut seen: BTreeMap<String, Value> = BTreeMap::new();
        let mut kept = BTreeMap::new();
        let mut index = (0.0, 0.0);
        let mut clauses: BTreeMap<String, (f64, f64)> = BTreeMap::new();
        for q in self.questions() {
            let asked = match &q.relevant {
                Some(src) => Expr::parse(src).map_err(|e| DomainError::InvalidData(format!("question {}: relevant: {e}", q.name)))?.holds(&seen),
                None => true,
            };
            let answer = answers.get(&q.name).filter(|a| !matches!(a, AnswerValue::Text(t) if t.trim().is_empty()));
            let answer = answer.filter(|a| !matches!(a, AnswerValue::Choices(c) if c.is_empty()));
            let Some(answer) = answer else {
                if asked && q.required {
                    return Err(refused(Reason::new("answer_required").with("name", &q.name).with("label", &q.label)));
                }
                continue;
            };
            if !asked {
                let relevant = q.relevant.as_deref().unwrap_or("");
                return Err(refused(Reason::new("answer_not_asked").with("name", &q.name).with("relevant", relevant)));
            }
            let (value, score) = check_answer(q, answer)?;
            if let Some(score) = score {
                if q.weight > 0.0 {
                    index.0 += q.weight * score;
                    index.1 += q.weight;
                }
                if let Some(clause) = &q.clause {
                    let w = if q.weight > 0.0 { q.weight } else { 1.0 };
                    let entry = clauses.entry(clause.clone()).or_default();
                    entry.0 += w * score;
                    entry.1 += w;
                }
            }
            seen.insert(q.name.clone(), value);
            kept.insert(q.name.clone(), answer.clone());
        }
        if kept.is_empty() {
            return Err(refused(Reason::new("no_answer")));
        }
        Ok(ScoredResponse {
            answers: kept,
            index: (index.1 > 0.0).then(|| index.0 / index.1),
            clauses: clauses.into_iter().filter(|(_, (_, w))| *w > 0.0).map(|(c, (s, w))| (c, s / w)).collect(),
        })
    }

    /// The indicator clauses its questions give values to.
    pub fn clauses(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.questions().filter_map(|q| q.clause.as_deref()).collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

fn check_answer(q: &Question, answer: &AnswerValue) -> Result<(Value, Option<f64>), DomainError> {
    let wrong = |code: &'static str| refused(Reason::new(code).with("name", &q.name));
    let choice = |name: &str| -> Result<&Choice, DomainError> {
        q.kind
            .choices()
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| refused(Reason::new("answer_not_a_choice").with("name", &q.name).with("value", name)))
    };
    match (&q.kind, answer) {
        (QuestionKind::SingleChoice { .. } | QuestionKind::Satisfaction { .. }, AnswerValue::Text(name)) => {
            Ok((Value::Text(name.clone()), choice(name)?.score))
        }
        (QuestionKind::SingleChoice { .. } | QuestionKind::Satisfaction { .. }, AnswerValue::Number(n)) => {
            let name = n.to_string();
            Ok((Value::Text(name.clone()), choice(&name)?.score))
        }
        (QuestionKind::MultipleChoice { .. }, AnswerValue::Choices(names)) => {
            let mut unique = HashSet::new();
            for name in names {
                choice(name)?;
                if !unique.insert(name) {
                    return Err(refused(Reason::new("answer_chosen_twice").with("name", &q.name).with("value", name)));
                }
            }
            Ok((Value::Choices(names.clone()), None))
        }
        (QuestionKind::MultipleChoice { .. }, _) => Err(wrong("answer_takes_choices")),
        (QuestionKind::Integer, AnswerValue::Number(n)) if n.fract() == 0.0 && n.abs() < 1e12 => Ok((Value::Number(*n), None)),
        (QuestionKind::Integer, _) => Err(wrong("answer_takes_integer")),
        (QuestionKind::Decimal, AnswerValue::Number(n)) if n.is_finite() => Ok((Value::Number(*n), None)),
        (QuestionKind::Decimal, _) => Err(wrong("answer_takes_number")),
        (QuestionKind::Text, AnswerValue::Text(t)) if t.chars().count() <= MAX_TEXT => Ok((Value::Text(t.clone()), None)),
        (QuestionKind::Text, AnswerValue::Text(_)) => Err(refused(Reason::new("answer_too_long").with("name", &q.name).with("max", MAX_TEXT))),
        (QuestionKind::Text, _) => Err(wrong("answer_takes_text")),
        (QuestionKind::Note, _) => Err(wrong("answer_to_note")),
        (_, _) => Err(wrong("answer_takes_choice")),
    }
}

/// Where a questionnaire stands: drafted (its form may still change), open for answers, closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionnaireStatus {
    Draft,
    Open,
    Closed,
}

impl QuestionnaireStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionnaireStatus::Draft => "draft",
            QuestionnaireStatus::Open => "open",
            QuestionnaireStatus::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<QuestionnaireStatus> {
        [QuestionnaireStatus::Draft, QuestionnaireStatus::Open, QuestionnaireStatus::Closed].into_iter().find(|s| s.as_str() == text)
    }
}

/// A questionnaire with its form.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Questionnaire {
    pub id: i64,
    /// Unique, e.g. `sat-2026q4`.
    pub code: String,
    pub title: String,
    pub form: Form,
    pub status: QuestionnaireStatus,
    /// Answers are refused from this instant on (and once it is closed).
    #[schema(value_type = Option<String>)]
    pub closes_at: Option<jiff::Timestamp>,
    #[schema(value_type = String)]
    pub created_at: jiff::Timestamp,
}

impl Questionnaire {
    /// Whether an answer given at `now` is taken.
    pub fn accepts(&self, now: jiff::Timestamp) -> bool {
        self.status == QuestionnaireStatus::Open && self.closes_at.is_none_or(|at| now < at)
    }
}

/// How a response came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResponseChannel {
    /// The public web form.
    Web,
    /// An enumerator (访问员) entering a face-to-face interview.
    Enumerator,
    /// A CSV or XLSX file.
    Import,
}

impl ResponseChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseChannel::Web => "web",
            ResponseChannel::Enumerator => "enumerator",
            ResponseChannel::Import => "import",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// XLSForm

/// Types gridline reads, for the refusal of the others.
const SUPPORTED: &str = "select_one LIST, select_multiple LIST, integer, decimal, text, note, begin group, end group \
     (and the metadata start, end, today, deviceid, username, audit, which are ignored)";

/// The question types gridline reads, as a Chinese reader is told them (the codes of the form).
const SUPPORTED_TYPES: &str = "select_one、select_multiple、integer、decimal、text、note、begin group、end group";

/// Columns with a meaning gridline does not implement: a form using them is refused, not
/// silently answered differently.
const REFUSED_COLUMNS: [&str; 6] = ["constraint", "calculation", "choice_filter", "repeat_count", "default", "trigger"];

fn column(header: &[String], name: &str) -> Option<usize> {
    // `label` also matches `label::Chinese (zh)`, `label::zh`: the first one found.
    header.iter().position(|h| h.trim().eq_ignore_ascii_case(name)).or_else(|| {
        header.iter().position(|h| h.trim().to_ascii_lowercase().starts_with(&format!("{name}::")))
    })
}

fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn yes_no(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "" | "no" | "false" | "false()" | "0" | "否" => Some(false),
        "yes" | "true" | "true()" | "1" | "是" => Some(true),
        _ => None,
    }
}

impl Form {
    /// Reads an XLSForm's sheets as text cells, each with its header row first: `survey`
    /// (type, name, label, hint, required, relevant, and gridline's weight and clause), `choices`
    /// (list_name, name, label, and gridline's score) and, if present, `settings` (form_title,
    /// form_id). Every problem is reported with its sheet and row; nothing beyond the subset is
    /// accepted (an unknown type, a constraint, a relevant naming a question that is not before
    /// it, a choice a list does not have).
    pub fn from_xlsform(survey: &[Vec<String>], choices: &[Vec<String>], settings: &[Vec<String>]) -> Result<Form, DomainError> {
        let mut problems = Vec::new();
        let lists = read_choices(choices, &mut problems);
        let (mut title, mut form_id) = (String::new(), None);
        if let Some((header, rows)) = settings.split_first() {
            let get = |name: &str| column(header, name).and_then(|i| rows.first().and_then(|r| r.get(i))).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
            title = get("form_title").unwrap_or_default();
            form_id = get("form_id");
        }
        let Some((header, rows)) = survey.split_first() else {
            return Err(DomainError::InvalidFiles(vec![FileProblem::detailed(
                "survey",
                None,
                Reason::new("sheet_empty").with("sheet", "survey"),
                "the survey sheet is empty",
            )]));
        };
        let col = |name: &str| column(header, name);
        let (Some(type_col), Some(name_col)) = (col("type"), col("name")) else {
            let missing = if col("type").is_none() { "type" } else { "name" };
            let reason = Reason::new("missing_column").with("column", missing).with("columns", "type、name");
            return Err(DomainError::InvalidFiles(vec![FileProblem::detailed("survey", Some(1), reason, "the survey sheet needs the columns type and name")]));
        };
        let label_col = col("label");
        let mut sections: Vec<Section> = Vec::new();
        let mut open_group: Option<usize> = None;
        let mut names: BTreeMap<String, usize> = BTreeMap::new();
        let mut count = 0;
        for (n, row) in rows.iter().enumerate() {
            let line = n + 2;
            let cell = |i: Option<usize>| i.and_then(|i| row.get(i)).map_or("", |s| s.trim());
            let mut bad = |reason: Reason, message: String| problems.push(FileProblem::detailed("survey", Some(line), reason, message));
            let kind = cell(Some(type_col));
            if row.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let name = cell(Some(name_col));
            let label = cell(label_col).to_owned();
            let normalized = kind.split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_lowercase().replace('_', " ");
            match normalized.as_str() {
                "begin group" => {
                    if open_group.is_some() {
                        bad(Reason::new("group_nested"), "a group inside a group is not supported".into());
                    }
                    if !cell(col("relevant")).is_empty() {
                        bad(
                            Reason::new("group_relevant").with("column", "relevant"),
                            "relevant on a group is not supported: put the condition on its questions".into(),
                        );
                    }
                    open_group = Some(line);
                    sections.push(Section { name: name.to_owned(), label: if label.is_empty() { name.to_owned() } else { label }, questions: vec![] });
                    continue;
                }
                "end group" => {
                    if open_group.take().is_none() {
                        bad(Reason::new("group_end_unmatched"), "end group without a begin group".into());
                    }
                    continue;
                }
                "start" | "end" | "today" | "deviceid" | "username" | "audit" => continue,
                "begin repeat" | "end repeat" => {
                    bad(Reason::new("repeat_unsupported"), "repeats are not supported".into());
                    continue;
                }
                _ => {}
            }
            for refused in REFUSED_COLUMNS {
                if !cell(col(refused)).is_empty() {
                    bad(
                        Reason::new("column_unsupported").with("column", refused).with("name", name),
                        format!("the column {refused} is not supported (question {name})"),
                    );
                }
            }
            let mut parts = kind.split_whitespace();
            let (head, list) = (parts.next().unwrap_or(""), parts.next());
            let extra = parts.next();
            let choices_of = |list: Option<&str>, bad: &mut dyn FnMut(Reason, String)| -> Vec<Choice> {
                match list {
                    None => {
                        bad(Reason::new("list_name_missing").with("type", head), format!("{head} needs a list name: {head} LIST"));
                        vec![]
                    }
                    Some(l) => match lists.get(l) {
                        Some(choices) => choices.clone(),
                        None if l == SATISFACTION_LIST => satisfaction_choices(),
                        None => {
                            bad(Reason::new("unknown_list").with("list", l), format!("{head} {l}: the choices sheet has no list {l:?}"));
                            vec![]
                        }
                    },
                }
            };
            let unknown_type = || Reason::new("unknown_question_type").with("type", kind).with("known", SUPPORTED_TYPES);
            let question_kind = match (head, extra) {
                (_, Some(more)) => {
                    bad(unknown_type(), format!("unknown question type {kind:?} ({more:?} is not understood; supported: {SUPPORTED})"));
                    continue;
                }
                ("select_one", _) if list == Some(SATISFACTION_LIST) => QuestionKind::Satisfaction { choices: choices_of(list, &mut bad) },
                ("select_one", _) => QuestionKind::SingleChoice { choices: choices_of(list, &mut bad) },
                ("select_multiple", _) => QuestionKind::MultipleChoice { choices: choices_of(list, &mut bad) },
                ("integer", None) => QuestionKind::Integer,
                ("decimal", None) => QuestionKind::Decimal,
                ("text", None) => QuestionKind::Text,
                ("note", None) => QuestionKind::Note,
                ("", _) => {
                    bad(Reason::new("question_no_type").with("name", name), format!("question {name:?} has no type"));
                    continue;
                }
                _ => {
                    bad(unknown_type(), format!("unknown question type {kind:?} (supported: {SUPPORTED})"));
                    continue;
                }
            };
            if !is_name(name) {
                bad(
                    Reason::new("bad_question_name").with("name", name),
                    format!("{name:?} is not a valid question name (a letter or _, then letters, digits, _ - .)"),
                );
            } else if let Some(first) = names.insert(name.to_owned(), line) {
                bad(Reason::new("question_name_twice").with("name", name).with("first", first), format!("the name {name} is used before, on row {first}"));
            }
            if label.is_empty() {
                bad(Reason::new("question_no_label").with("name", name), format!("question {name} has no label"));
            }
            let required = yes_no(cell(col("required"))).unwrap_or_else(|| {
                bad(
                    Reason::new("not_yes_no").with("column", "required").with("value", cell(col("required"))),
                    format!("required is yes or no, not {:?}", cell(col("required"))),
                );
                false
            });
            let relevant = Some(cell(col("relevant")).to_owned()).filter(|s| !s.is_empty());
            if let Some(src) = &relevant {
                check_relevant(src, name, &sections, &mut bad);
            }
            let satisfaction = matches!(question_kind, QuestionKind::Satisfaction { .. });
            let weight = match cell(col("weight")) {
                "" => {
                    if satisfaction {
                        1.0
                    } else {
                        0.0
                    }
                }
                w => match w.parse::<f64>() {
                    Ok(w) if w.is_finite() && w >= 0.0 => w,
                    _ => {
                        bad(
                            Reason::new("number_below").with("column", "weight").with("value", w).with("min", 0),
                            format!("weight {w:?} is not a number of at least 0"),
                        );
                        0.0
                    }
                },
            };
            if weight > 0.0 && !question_kind.choices().iter().any(|c| c.score.is_some()) {
                bad(
                    Reason::new("weight_without_scores").with("name", name),
                    format!("question {name} has a weight but none of its choices has a score"),
                );
            }
            let clause = Some(cell(col("clause")).to_owned()).filter(|s| !s.is_empty());
            if clause.is_some() && !question_kind.choices().iter().any(|c| c.score.is_some()) {
                bad(
                    Reason::new("clause_without_scores").with("name", name),
                    format!("question {name} gives a clause its value but none of its choices has a score"),
                );
            }
            if matches!(question_kind, QuestionKind::Note) && required {
                bad(Reason::new("note_required").with("name", name), format!("the note {name} cannot be required"));
            }
            if sections.is_empty() || (open_group.is_none() && !sections.last().is_some_and(|s| s.name.is_empty())) {
                sections.push(Section { name: String::new(), label: String::new(), questions: vec![] });
            }
            count += 1;
            let hint = Some(cell(col("hint")).to_owned()).filter(|s| !s.is_empty());
            sections.last_mut().expect("pushed").questions.push(Question {
                name: name.to_owned(),
                label,
                hint,
                kind: question_kind,
                required,
                relevant,
                weight,
                clause,
            });
        }
        if let Some(line) = open_group {
            problems.push(FileProblem::detailed("survey", Some(line), Reason::new("group_not_ended"), "the group begun here is never ended (end group)"));
        }
        if count == 0 {
            problems.push(FileProblem::detailed("survey", None, Reason::new("no_question"), "the form has no question"));
        }
        if count > MAX_QUESTIONS {
            problems.push(FileProblem::detailed(
                "survey",
                None,
                Reason::new("too_many_questions").with("count", count).with("max", MAX_QUESTIONS),
                format!("{count} questions: at most {MAX_QUESTIONS}"),
            ));
        }
        if !problems.is_empty() {
            return Err(DomainError::InvalidFiles(problems));
        }
        sections.retain(|s| !s.questions.is_empty());
        if title.is_empty() {
            title = form_id.clone().unwrap_or_else(|| "问卷".to_owned());
        }
        Ok(Form { title, form_id, sections })
    }
}

/// The built-in 5-level scale.
pub fn satisfaction_choices() -> Vec<Choice> {
    SATISFACTION_SCALE.iter().map(|(name, label, score)| Choice { name: (*name).into(), label: (*label).into(), score: Some(*score) }).collect()
}

fn read_choices(rows: &[Vec<String>], problems: &mut Vec<FileProblem>) -> BTreeMap<String, Vec<Choice>> {
    let mut lists: BTreeMap<String, Vec<Choice>> = BTreeMap::new();
    let Some((header, rows)) = rows.split_first() else { return lists };
    let (Some(list_col), Some(name_col)) = (column(header, "list_name"), column(header, "name")) else {
        let missing = if column(header, "list_name").is_none() { "list_name" } else { "name" };
        let reason = Reason::new("missing_column").with("column", missing).with("columns", "list_name、name");
        problems.push(FileProblem::detailed("choices", Some(1), reason, "the choices sheet needs the columns list_name and name"));
        return lists;
    };
    let (label_col, score_col) = (column(header, "label"), column(header, "score"));
    for (n, row) in rows.iter().enumerate() {
        let line = n + 2;
        let cell = |i: Option<usize>| i.and_then(|i| row.get(i)).map_or("", |s| s.trim());
        let list = cell(Some(list_col));
        if list.is_empty() {
            continue;
        }
        let name = cell(Some(name_col));
        let label = cell(label_col);
        let score = match cell(score_col) {
            "" => None,
            s => match s.parse::<f64>() {
                Ok(x) if (0.0..=100.0).contains(&x) => Some(x),
                _ => {
                    let reason = Reason::new("number_out_of_range").with("column", "score").with("value", s).with("min", 0).with("max", 100);
                    problems.push(FileProblem::detailed("choices", Some(line), reason, format!("score {s:?} is not a number from 0 to 100")));
                    None
                }
            },
        };
        if name.is_empty() {
            problems.push(FileProblem::detailed(
                "choices",
                Some(line),
                Reason::new("choice_no_name").with("list", list),
                format!("a choice of list {list} has no name"),
            ));
            continue;
        }
        let choices = lists.entry(list.to_owned()).or_default();
        if choices.iter().any(|c| c.name == name) {
            problems.push(FileProblem::detailed(
                "choices",
                Some(line),
                Reason::new("duplicate_choice").with("list", list).with("name", name),
                format!("list {list} has the choice {name} twice"),
            ));
            continue;
        }
        choices.push(Choice { name: name.to_owned(), label: if label.is_empty() { name.to_owned() } else { label.to_owned() }, score });
    }
    lists
}

/// A `relevant` must parse and name only questions before it, comparing choice questions with
/// choices they have.
fn check_relevant(src: &str, name: &str, sections: &[Section], bad: &mut dyn FnMut(Reason, String)) {
    let expr = match Expr::parse(src) {
        Ok(expr) => expr,
        Err(e) => return bad(Reason::new("relevant_unreadable").with("name", name), format!("relevant of {name}: {e}")),
    };
    for (reference, value) in expr.references() {
        let Some(target) = sections.iter().flat_map(|s| &s.questions).find(|q| q.name == reference) else {
            if reference == name {
                bad(Reason::new("relevant_self").with("name", name), format!("relevant of {name} refers to the question itself"));
            } else {
                bad(
                    Reason::new("relevant_not_before").with("name", name).with("reference", format!("${{{reference}}}")),
                    format!("relevant of {name} refers to ${{{reference}}}, which is no question before it"),
                );
            }
            continue;
        };
        if let (Some(value), false) = (value, target.kind.choices().is_empty())
            && !value.is_empty()
            && !target.kind.choices().iter().any(|c| c.name == value)
        {
            bad(
                Reason::new("relevant_not_a_choice").with("name", name).with("reference", format!("${{{reference}}}")).with("value", value),
                format!("relevant of {name} compares ${{{reference}}} with '{value}', which is not one of its choices"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter().map(|r| r.iter().map(|c| (*c).to_owned()).collect()).collect()
    }

    fn survey() -> Vec<Vec<String>> {
        sheet(&[
            &["type", "name", "label::Chinese (zh)", "required", "relevant", "weight", "clause"],
            &["start", "start", "", "", "", "", ""],
            &["begin group", "env", "环境卫生", "", "", "", ""],
            &["select_one satisfaction", "clean", "您对所在街道的环境卫生是否满意？", "yes", "", "2", "5.1.1"],
            &["select_one satisfaction", "order", "您对交通秩序是否满意？", "yes", "", "", "5.1.1"],
            &["end group", "", "", "", "", "", ""],
            &["select_one yn", "know", "您知道社会主义核心价值观吗？", "yes", "", "", "5.1.2"],
            &["select_multiple problems", "issues", "您认为最突出的问题是？", "no", "${clean} = '1' or ${clean} = '2'", "", ""],
            &["integer", "age", "您的年龄", "no", "", "", ""],
            &["text", "advice", "您的建议", "no", "${age} >= 18", "", ""],
        ])
    }

    fn choices() -> Vec<Vec<String>> {
        sheet(&[
            &["list_name", "name", "label", "score"],
            &["yn", "yes", "知道", "100"],
            &["yn", "no", "不知道", "0"],
            &["yn", "unsure", "说不清", ""],
            &["problems", "litter", "乱扔垃圾", ""],
            &["problems", "parking", "乱停车", ""],
        ])
    }

    fn form() -> Form {
        Form::from_xlsform(&survey(), &choices(), &sheet(&[&["form_title", "form_id"], &["2026年第四季度群众满意度调查", "sat-2026q4"]])).unwrap()
    }

    fn answers(pairs: &[(&str, AnswerValue)]) -> BTreeMap<String, AnswerValue> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
    }

    fn text(s: &str) -> AnswerValue {
        AnswerValue::Text(s.into())
    }

    #[test]
    fn an_xlsform_reads_into_sections_with_the_scale_weights_and_clauses() {
        let form = form();
        assert_eq!(form.title, "2026年第四季度群众满意度调查");
        assert_eq!(form.sections.len(), 2);
        assert_eq!(form.sections[0].label, "环境卫生");
        let clean = form.question("clean").unwrap();
        assert_eq!(clean.weight, 2.0);
        assert!(matches!(&clean.kind, QuestionKind::Satisfaction { choices } if choices.len() == 5 && choices[1].score == Some(75.0)));
        assert_eq!(form.question("order").unwrap().weight, 1.0);
        assert_eq!(form.question("know").unwrap().weight, 0.0);
        assert_eq!(form.clauses(), vec!["5.1.1", "5.1.2"]);
        // It survives its JSON.
        let again: Form = serde_json::from_str(&serde_json::to_string(&form).unwrap()).unwrap();
        assert_eq!(again, form);
    }

    #[test]
    fn a_respondents_index_and_clause_values_by_hand() {
        let form = form();
        // clean 比较满意 (75) weight 2, order 一般 (50) weight 1: (150 + 50) / 3 = 66.67.
        // Clause 5.1.1 the same mean; 5.1.2 from know = yes: 100.
        let r = form.check(answers(&[("clean", text("4")), ("order", text("3")), ("know", text("yes")), ("age", AnswerValue::Number(40.0))])).unwrap();
        assert!((r.index.unwrap() - 200.0 / 3.0).abs() < 1e-9);
        assert!((r.clauses["5.1.1"] - 200.0 / 3.0).abs() < 1e-9);
        assert_eq!(r.clauses["5.1.2"], 100.0);
        // 说不清 counts for nothing in 5.1.2.
        let r = form.check(answers(&[("clean", text("5")), ("order", text("5")), ("know", text("unsure"))])).unwrap();
        assert_eq!(r.index, Some(100.0));
        assert!(!r.clauses.contains_key("5.1.2"));
    }

    #[test]
    fn skip_logic_and_required_questions_are_enforced() {
        let form = form();
        let base = [("clean", text("2")), ("order", text("3")), ("know", text("no"))];
        // Asked: clean is 不太满意.
        let mut a = answers(&base);
        a.insert("issues".into(), AnswerValue::Choices(vec!["litter".into(), "parking".into()]));
        assert!(form.check(a).is_ok());
        // Not asked when clean is 满意.
        let mut b = answers(&base);
        b.insert("clean".into(), text("5"));
        b.insert("issues".into(), AnswerValue::Choices(vec!["litter".into()]));
        assert!(form.check(b).unwrap_err().to_string().contains("not asked"));
        // advice only from 18.
        let mut c = answers(&base);
        c.insert("age".into(), AnswerValue::Number(12.0));
        c.insert("advice".into(), text("多种树"));
        assert!(form.check(c).unwrap_err().to_string().contains("advice is not asked"));
        // Required and types.
        assert!(form.check(answers(&[("clean", text("4"))])).unwrap_err().to_string().contains("order"));
        let mut d = answers(&base);
        d.insert("age".into(), AnswerValue::Number(40.5));
        assert!(form.check(d).unwrap_err().to_string().contains("whole number"));
        let mut e = answers(&base);
        e.insert("clean".into(), text("9"));
        assert!(form.check(e).unwrap_err().to_string().contains("\"9\" is not a choice"));
        let mut f = answers(&base);
        f.insert("nope".into(), text("x"));
        assert!(form.check(f).unwrap_err().to_string().contains("no question \"nope\""));
    }

    #[test]
    fn index_margin_of_error_by_hand() {
        // Four respondents 100, 75, 75, 50: mean 75; s² = (625 + 0 + 0 + 625) / 3 = 416.67,
        // s = 20.412; margin = 1.96 · 20.412 / √4 = 20.004.
        let mut m = Moments::default();
        for x in [100.0, 75.0, 75.0, 50.0] {
            m.add(Moments::of(x));
        }
        let e = m.estimate();
        assert_eq!(e.n, 4);
        assert_eq!(e.mean, Some(75.0));
        assert!((e.std_dev.unwrap() - (1250.0f64 / 3.0).sqrt()).abs() < 1e-9);
        assert!((e.margin.unwrap() - 1.96 * (1250.0f64 / 3.0).sqrt() / 2.0).abs() < 1e-9);
        assert!((e.margin.unwrap() - 20.004).abs() < 1e-3);
        // Streets add up to their district.
        let (mut a, mut b) = (Moments::default(), Moments::default());
        a.add(Moments::of(100.0));
        a.add(Moments::of(75.0));
        b.add(Moments::of(75.0));
        b.add(Moments::of(50.0));
        a.add(b);
        assert_eq!(a, m);
        // One respondent: a mean without a margin; none: nothing.
        assert_eq!(Moments::of(80.0).estimate().margin, None);
        assert_eq!(Moments::default().estimate().mean, None);
    }

    fn refusal(survey: Vec<Vec<String>>) -> String {
        Form::from_xlsform(&survey, &choices(), &[]).unwrap_err().to_string()
    }

    #[test]
    fn an_unknown_type_or_a_broken_relevant_is_refused_naming_its_row() {
        let mut s = survey();
        s[8][0] = "geopoint".into();
        let err = refusal(s);
        assert!(err.contains("survey line 9: unknown question type \"geopoint\""), "{err}");
        let mut s = survey();
        s[7][4] = "${cleen} = '1'".into();
        let err = refusal(s);
        assert!(err.contains("survey line 8: relevant of issues refers to ${cleen}, which is no question before it"), "{err}");
        let mut s = survey();
        s[7][4] = "${advice} != ''".into();
        assert!(refusal(s).contains("${advice}, which is no question before it"));
        let mut s = survey();
        s[7][4] = "${know} = 'maybe'".into();
        assert!(refusal(s).contains("'maybe', which is not one of its choices"));
        let mut s = survey();
        s[7][4] = "${clean} = '1' or".into();
        assert!(refusal(s).contains("survey line 8: relevant of issues: expected"));
        let mut s = survey();
        s[6][0] = "select_one colours".into();
        assert!(refusal(s).contains("survey line 7: select_one colours: the choices sheet has no list \"colours\""));
        let mut s = survey();
        s[5][0] = String::new();
        s[5][1] = String::new();
        assert!(refusal(s).contains("survey line 3: the group begun here is never ended"));
        let mut s = survey();
        s[0].push("constraint".into());
        for row in s.iter_mut().skip(1) {
            row.push(String::new());
        }
        s[8][7] = ". > 0".into();
        assert!(refusal(s).contains("survey line 9: the column constraint is not supported"));
        let mut s = survey();
        s[4][1] = "clean".into();
        assert!(refusal(s).contains("survey line 5: the name clean is used before, on row 4"));
    }
}
