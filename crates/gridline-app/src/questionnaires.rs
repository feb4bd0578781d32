//! Questionnaires (问卷调查) as a service: forms imported from XLSForm, opened with a public link
//! per district and closed; responses from the public form, from enumerators and from files,
//! each checked against its form and stored once per respondent; the satisfaction index per
//! district and street with its sample size and margin of error; and the questionnaire method's
//! sub-score for the composite (see [`App::questionnaire_values`]).

use std::collections::{BTreeMap, HashMap};

use gridline_core::actor::{Actor, Role};
use gridline_core::evaluation::questionnaire::{Questionnaire, QuestionnaireStatus, ResponseChannel};
use gridline_core::evaluation::{AnswerValue, Estimate, Form, Method, Moments};
use gridline_core::period::{Month, Period};
use gridline_core::region::RegionLevel;
use gridline_core::{DomainError, FileProblem, Reason};
use gridline_store::{MeasureTotal, NewResponse, StoreError};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::evaluation::ScoreLevel;
use crate::{App, AppError};

/// A questionnaire with the number of its responses.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct QuestionnaireSummary {
    #[serde(flatten)]
    pub questionnaire: Questionnaire,
    pub responses: i64,
}

/// The public form's link of a questionnaire in a district.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct QuestionnaireLink {
    pub district: String,
    pub district_name: String,
    pub token: String,
    /// The page to hand out: `/q/TOKEN`.
    pub path: String,
}

/// A region a respondent can choose.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RegionChoice {
    pub code: String,
    pub name: String,
}

/// What the public form page needs: the form, its district and the district's streets.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PublicForm {
    pub title: String,
    pub form: Form,
    pub district: RegionChoice,
    pub streets: Vec<RegionChoice>,
    /// Whether answers are taken now.
    pub open: bool,
}

/// A response as sent by the form, an enumerator or a row of a file.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseBody {
    /// The respondent's key: the form's device id or an invitation token (8–100 letters, digits,
    /// `-` or `_`). One response each; the same response sent again is acknowledged again.
    pub respondent: String,
    /// The respondent's street (a code).
    pub street: String,
    /// By question name: a choice's name, a text or a number, or a list of choice names.
    pub answers: BTreeMap<String, AnswerValue>,
}

/// The acknowledgement of a response: it is stored durably.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Receipt {
    pub id: i64,
    pub questionnaire: i64,
    /// False when the same response had been received before.
    pub created: bool,
}

/// What an import of responses did.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ResponseImport {
    pub imported: usize,
    /// Rows whose respondent had given the same response before.
    pub unchanged: usize,
}

/// A region's satisfaction index.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RegionIndex {
    pub code: String,
    pub name: String,
    #[serde(flatten)]
    pub estimate: Estimate,
    /// The values of the indicator clauses its respondents gave, 0–100.
    pub clauses: BTreeMap<String, Estimate>,
}

/// The satisfaction index of a period per district or street, with the city's.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SatisfactionIndex {
    /// The questionnaire, or every questionnaire when absent.
    pub questionnaire: Option<i64>,
    pub period: Period,
    pub level: ScoreLevel,
    pub city: Estimate,
    pub items: Vec<RegionIndex>,
}

/// The office keeps the questionnaires.
fn require_office(actor: &Actor, what: &str) -> Result<(), AppError> {
    if matches!(actor.role, Role::Admin | Role::Supervisor | Role::Dispatcher) {
        Ok(())
    } else {
        Err(AppError::forbidden(format!("role {} may not {what}", actor.role.as_str())))
    }
}

fn valid_code(code: &str) -> bool {
    (1..=64).contains(&code.len()) && code.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn valid_respondent(key: &str) -> bool {
    (8..=100).contains(&key.len()) && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
}

/// Estimates by measure from summed tallies.
fn estimates(moments: &BTreeMap<String, Moments>) -> BTreeMap<String, Estimate> {
    moments.iter().filter(|(m, _)| !m.is_empty()).map(|(m, t)| (m.clone(), t.estimate())).collect()
}

impl App {
    fn region_choice(&self, code: &str) -> RegionChoice {
        RegionChoice { code: code.to_owned(), name: self.regions.get(code).map(|r| r.name.clone()).unwrap_or_default() }
    }

    /// Checks that the clauses a form names are questionnaire clauses of the system in force.
    async fn check_form_clauses(&self, form: &Form) -> Result<(), AppError> {
        let system = self.indicator_system().await?.system;
        for clause in form.clauses() {
            if !system.clause(clause).is_some_and(|p| p.clause.method == Method::Questionnaire) {
                return Err(AppError::invalid("clause", format!("{clause} is not a questionnaire clause (问卷调查) of the indicator system in force")));
            }
        }
        Ok(())
    }

    /// Creates a questionnaire in draft from its form (read from XLSForm).
    pub async fn create_questionnaire(&self, actor: &Actor, code: &str, form: Form, now: Timestamp) -> Result<Questionnaire, AppError> {
        require_office(actor, "create questionnaires")?;
        if !valid_code(code) {
            return Err(AppError::invalid("code", format!("{code:?} is not a questionnaire code: 1–64 letters, digits, - _ .")));
        }
        self.check_form_clauses(&form).await?;
        let created = self.store.questionnaires().create(code, &form, actor.user_id, now).await.map_err(|e| match e {
            StoreError::Duplicate(message) => AppError::Conflict(message),
            other => other.into(),
        })?;
        tracing::info!(id = created.id, code, user = %actor.username, "questionnaire created");
        Ok(created)
    }

    /// Replaces a draft's form; an opened questionnaire keeps the form its answers were given to.
    pub async fn replace_questionnaire_form(&self, actor: &Actor, id: i64, form: Form) -> Result<Questionnaire, AppError> {
        require_office(actor, "edit questionnaires")?;
        self.questionnaire(id).await?;
        self.check_form_clauses(&form).await?;
        if !self.store.questionnaires().replace_form(id, &form).await? {
            return Err(AppError::Conflict(format!("questionnaire {id} is open or closed: its form no longer changes")));
        }
        self.questionnaire(id).await
    }

    pub async fn questionnaire(&self, id: i64) -> Result<Questionnaire, AppError> {
        self.store.questionnaires().get(id).await?.ok_or_else(|| AppError::NotFound(format!("questionnaire {id} not found")))
    }

    /// Every questionnaire, newest first: the office and the enumerators (inspectors) see them.
    pub async fn questionnaires(&self, actor: &Actor) -> Result<Vec<QuestionnaireSummary>, AppError> {
        if !matches!(actor.role, Role::Admin | Role::Supervisor | Role::Dispatcher | Role::Inspector) {
            return Err(AppError::forbidden(format!("role {} takes no part in questionnaires", actor.role.as_str())));
        }
        Ok(self.store.questionnaires().list().await?.into_iter().map(|(questionnaire, responses)| QuestionnaireSummary { questionnaire, responses }).collect())
    }

    /// Opens a draft for answers until `closes_at` (if given), with a public link per district.
    pub async fn open_questionnaire(&self, actor: &Actor, id: i64, closes_at: Option<Timestamp>, now: Timestamp) -> Result<Questionnaire, AppError> {
        require_office(actor, "open questionnaires")?;
        self.questionnaire(id).await?;
        if closes_at.is_some_and(|at| at <= now) {
            return Err(AppError::invalid("closes_at", "the closing time is already past"));
        }
        let links: Vec<(String, String)> =
            self.regions.at_level(RegionLevel::District).map(|d| (hex_token(), d.code.clone())).collect();
        if !self.store.questionnaires().set_status(id, QuestionnaireStatus::Draft, QuestionnaireStatus::Open, closes_at, &links).await? {
            return Err(AppError::Conflict(format!("questionnaire {id} is not a draft")));
        }
        tracing::info!(id, user = %actor.username, "questionnaire opened");
        self.questionnaire(id).await
    }

    /// Closes an open questionnaire: answers are refused from now on.
    pub async fn close_questionnaire(&self, actor: &Actor, id: i64, now: Timestamp) -> Result<Questionnaire, AppError> {
        require_office(actor, "close questionnaires")?;
        self.questionnaire(id).await?;
        if !self.store.questionnaires().set_status(id, QuestionnaireStatus::Open, QuestionnaireStatus::Closed, Some(now), &[]).await? {
            return Err(AppError::Conflict(format!("questionnaire {id} is not open")));
        }
        tracing::info!(id, user = %actor.username, "questionnaire closed");
        self.questionnaire(id).await
    }

    /// The public links of a questionnaire, one per district.
    pub async fn questionnaire_links(&self, actor: &Actor, id: i64) -> Result<Vec<QuestionnaireLink>, AppError> {
        require_office(actor, "hand out questionnaire links")?;
        self.questionnaire(id).await?;
        Ok(self
            .store
            .questionnaires()
            .links(id)
            .await?
            .into_iter()
            .map(|(token, district)| QuestionnaireLink { district_name: self.region_choice(&district).name, path: format!("/q/{token}"), district, token })
            .collect())
    }

    async fn linked(&self, token: &str) -> Result<(Questionnaire, String), AppError> {
        let missing = || AppError::NotFound("no questionnaire has this link".into());
        if token.len() > 64 {
            return Err(missing());
        }
        let (id, district) = self.store.questionnaires().link(token).await?.ok_or_else(missing)?;
        Ok((self.questionnaire(id).await?, district))
    }

    /// The public form of a link: for everyone, without signing in.
    pub async fn public_form(&self, token: &str, now: Timestamp) -> Result<PublicForm, AppError> {
        let (questionnaire, district) = self.linked(token).await?;
        let prefix = self.regions.get(&district).map(|r| r.code_prefix().to_owned()).unwrap_or_default();
        let streets = self.regions.at_level(RegionLevel::Street).filter(|s| s.code.starts_with(&prefix)).map(|s| self.region_choice(&s.code)).collect();
        Ok(PublicForm {
            title: questionnaire.title.clone(),
            open: questionnaire.accepts(now),
            form: questionnaire.form,
            district: self.region_choice(&district),
            streets,
        })
    }

    /// A response through a public link: its street must be in the link's district.
    pub async fn submit_public(&self, token: &str, body: ResponseBody, now: Timestamp) -> Result<Receipt, AppError> {
        let (questionnaire, district) = self.linked(token).await?;
        let prefix = self.regions.get(&district).map(|r| r.code_prefix().to_owned()).unwrap_or_default();
        if !body.street.starts_with(&prefix) {
            return Err(AppError::invalid("street", format!("street {} is not in the link's district {district}", body.street)));
        }
        self.submit_response(&questionnaire, body, ResponseChannel::Web, None, now).await
    }

    /// A response entered by an enumerator (访问员: an inspector) or the office.
    pub async fn submit_enumerated(&self, actor: &Actor, id: i64, body: ResponseBody, now: Timestamp) -> Result<Receipt, AppError> {
        if !matches!(actor.role, Role::Admin | Role::Supervisor | Role::Dispatcher | Role::Inspector) {
            return Err(AppError::forbidden(format!("role {} does not enter questionnaire answers", actor.role.as_str())));
        }
        let questionnaire = self.questionnaire(id).await?;
        self.submit_response(&questionnaire, body, ResponseChannel::Enumerator, Some(actor.user_id), now).await
    }

    /// Checks a response against its questionnaire and form; refused when the questionnaire is
    /// not open.
    fn prepare_response(&self, questionnaire: &Questionnaire, body: ResponseBody, channel: ResponseChannel, by: Option<i64>, at: Timestamp) -> Result<NewResponse, AppError> {
        if !valid_respondent(&body.respondent) {
            return Err(AppError::invalid("respondent", "respondent is 8–100 letters, digits, - or _"));
        }
        if !self.regions.get(&body.street).is_some_and(|r| r.level == RegionLevel::Street) {
            return Err(AppError::invalid("street", format!("{:?} is not a street's code", body.street)));
        }
        let scored = questionnaire.form.check(body.answers)?;
        Ok(NewResponse {
            questionnaire: questionnaire.id,
            respondent: body.respondent,
            channel,
            region: body.street,
            month: Month::of(at).to_string(),
            answers: serde_json::to_string(&scored.answers).map_err(|e| AppError::Internal(e.to_string()))?,
            score: scored.index,
            clauses: scored.clauses,
            entered_by: by,
            submitted_at: at,
        })
    }

    async fn submit_response(&self, questionnaire: &Questionnaire, body: ResponseBody, channel: ResponseChannel, by: Option<i64>, now: Timestamp) -> Result<Receipt, AppError> {
        if !questionnaire.accepts(now) {
            return Err(AppError::Conflict(format!("questionnaire {} is not open for answers ({})", questionnaire.id, questionnaire.status.as_str())));
        }
        let response = self.prepare_response(questionnaire, body, channel, by, now)?;
        let stored = self.store.questionnaires().submit(vec![response]).await?.pop().ok_or_else(|| AppError::Internal("no answer from the writer".into()))?;
        if !stored.created && !stored.same {
            return Err(AppError::Conflict("this respondent (device or token) has answered already, differently".into()));
        }
        Ok(Receipt { id: stored.id, questionnaire: questionnaire.id, created: stored.created })
    }

    /// Imports responses from a table (a header row of question names with `respondent`,
    /// `street` and optionally `submitted_at`, then one row per response): every row is checked
    /// first and any problem refuses the file whole, by line.
    pub async fn import_responses(&self, actor: &Actor, id: i64, rows: &[Vec<String>], now: Timestamp) -> Result<ResponseImport, AppError> {
        require_office(actor, "import questionnaire answers")?;
        let questionnaire = self.questionnaire(id).await?;
        if questionnaire.status == QuestionnaireStatus::Draft {
            return Err(AppError::Conflict(format!("questionnaire {id} is a draft: open it first")));
        }
        let Some((header, rows)) = rows.split_first() else { return Err(AppError::invalid("file", "the file is empty")) };
        let header: Vec<&str> = header.iter().map(|h| h.trim()).collect();
        let col = |name: &str| header.iter().position(|h| *h == name);
        let (Some(respondent), Some(street)) = (col("respondent"), col("street")) else {
            let missing = if col("respondent").is_none() { "respondent" } else { "street" };
            let reason = Reason::new("missing_column").with("column", missing).with("columns", "respondent、street、submitted_at");
            return Err(DomainError::InvalidFiles(vec![FileProblem::detailed("responses", Some(1), reason, "the header needs the columns respondent and street")]).into());
        };
        let at_col = col("submitted_at");
        let streets: HashMap<&str, &str> = self.regions.at_level(RegionLevel::Street).map(|s| (s.name.as_str(), s.code.as_str())).collect();
        let mut problems = Vec::new();
        let mut ready = Vec::with_capacity(rows.len());
        for (n, row) in rows.iter().enumerate() {
            let line = n + 2;
            let cell = |i: usize| row.get(i).map_or("", |s| s.trim());
            if row.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let mut answers = BTreeMap::new();
            for (i, name) in header.iter().enumerate() {
                if i == respondent || i == street || Some(i) == at_col || cell(i).is_empty() {
                    continue;
                }
                match questionnaire.form.question(name) {
                    Some(q) => answers.insert((*name).to_owned(), q.kind.read_cell(cell(i))),
                    None => {
                        problems.push(FileProblem::detailed(
                            "responses",
                            Some(1),
                            Reason::new("column_not_question").with("column", name),
                            format!("column {name:?} is no question of the questionnaire"),
                        ));
                        break;
                    }
                };
            }
            let at = match at_col.map(cell).filter(|s| !s.is_empty()) {
                None => now,
                Some(text) => match text.parse::<Timestamp>().ok().or_else(|| {
                    text.parse::<jiff::civil::Date>().ok().and_then(|d| d.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").ok()?).ok()).map(|z| z.timestamp())
                }) {
                    Some(at) => at,
                    None => {
                        problems.push(FileProblem::detailed(
                            "responses",
                            Some(line),
                            Reason::new("not_a_date").with("column", "submitted_at").with("value", text),
                            format!("submitted_at {text:?} is neither a date YYYY-MM-DD nor a time"),
                        ));
                        continue;
                    }
                },
            };
            let street = streets.get(cell(street)).map_or_else(|| cell(street).to_owned(), |c| (*c).to_owned());
            let body = ResponseBody { respondent: cell(respondent).to_owned(), street, answers };
            match self.prepare_response(&questionnaire, body, ResponseChannel::Import, Some(actor.user_id), at) {
                Ok(r) => ready.push(r),
                // The column at fault when the refusal names one (respondent, street), else the row.
                Err(AppError::Domain(e)) => problems.push(match e.field() {
                    Some(field) => FileProblem::of_cell("responses", line, field, &e),
                    None => FileProblem::of_row("responses", line, &e),
                }),
                Err(other) => return Err(other),
            }
            if problems.len() >= 100 {
                break;
            }
        }
        if !problems.is_empty() {
            return Err(DomainError::InvalidFiles(problems).into());
        }
        let (mut imported, mut unchanged) = (0, 0);
        for chunk in ready.chunks(5000) {
            for (stored, row) in self.store.questionnaires().submit(chunk.to_vec()).await?.into_iter().zip(chunk) {
                match (stored.created, stored.same) {
                    (true, _) => imported += 1,
                    (false, true) => unchanged += 1,
                    (false, false) => {
                        tracing::warn!(respondent = %row.respondent, "imported response differs from the respondent's earlier one: kept the earlier");
                        unchanged += 1;
                    }
                }
            }
        }
        tracing::info!(id, imported, unchanged, user = %actor.username, "questionnaire answers imported");
        Ok(ResponseImport { imported, unchanged })
    }

    /// The satisfaction index of a period per district or street (one questionnaire's, or all
    /// together), with the clause values, sample sizes and margins of error.
    pub async fn satisfaction_index(&self, questionnaire: Option<i64>, period: Period, level: ScoreLevel) -> Result<SatisfactionIndex, AppError> {
        if let Some(id) = questionnaire {
            self.questionnaire(id).await?;
        }
        let tallies = self.store.questionnaires().measure_totals(period, level.key_len(), questionnaire).await?;
        let by_region = by_region(&tallies);
        let mut city = Moments::default();
        for row in tallies.iter().filter(|t| t.measure.is_empty()) {
            city.add(row.moments);
        }
        let region_level = match level {
            ScoreLevel::District => RegionLevel::District,
            ScoreLevel::Street => RegionLevel::Street,
        };
        let items = self
            .regions
            .at_level(region_level)
            .map(|region| {
                let key = level.key(&region.code);
                let measures = by_region.get(&key);
                RegionIndex {
                    code: region.code.clone(),
                    name: region.name.clone(),
                    estimate: measures.and_then(|m| m.get("")).copied().unwrap_or_default().estimate(),
                    clauses: measures.map(estimates).unwrap_or_default(),
                }
            })
            .collect();
        Ok(SatisfactionIndex { questionnaire, period, level, city: city.estimate(), items })
    }

    /// The mean value of each questionnaire clause per district or street over `period`, every
    /// questionnaire's respondents pooled: what the questionnaire method's sub-score is scored on.
    pub(crate) async fn questionnaire_values(&self, period: Period, level: ScoreLevel) -> Result<HashMap<String, HashMap<String, f64>>, AppError> {
        let tallies = self.store.questionnaires().measure_totals(period, level.key_len(), None).await?;
        Ok(by_region(&tallies)
            .into_iter()
            .map(|(region, measures)| {
                let values = measures.into_iter().filter(|(m, t)| !m.is_empty() && t.n > 0).map(|(m, t)| (m, t.sum / t.n as f64)).collect();
                (region, values)
            })
            .collect())
    }
}

/// Sums per district or street (as the store keyed them) and measure.
fn by_region(totals: &[MeasureTotal]) -> HashMap<String, BTreeMap<String, Moments>> {
    let mut out: HashMap<String, BTreeMap<String, Moments>> = HashMap::new();
    for row in totals {
        out.entry(row.region.clone()).or_default().entry(row.measure.clone()).or_default().add(row.moments);
    }
    out
}

fn hex_token() -> String {
    rand::random::<[u8; 12]>().iter().map(|b| format!("{b:02x}")).collect()
}

/// The sheets of an XLSX workbook as text cells, by sheet name.
pub fn read_workbook(bytes: &[u8]) -> Result<BTreeMap<String, Vec<Vec<String>>>, AppError> {
    use calamine::Reader as _;
    let mut workbook = calamine::Xlsx::new(std::io::Cursor::new(bytes))
        .map_err(|e| AppError::invalid("xlsform", format!("not a readable XLSX workbook: {e}")))?;
    let mut sheets = BTreeMap::new();
    for name in workbook.sheet_names() {
        let range = workbook.worksheet_range(&name).map_err(|e| AppError::invalid("xlsform", format!("sheet {name}: {e}")))?;
        sheets.insert(name.clone(), range.rows().map(|row| row.iter().map(ToString::to_string).collect()).collect());
    }
    Ok(sheets)
}

/// An XLSForm workbook's form: its `survey` and `choices` sheets (and `settings` if present).
pub fn read_xlsform(bytes: &[u8]) -> Result<Form, AppError> {
    let sheets = read_workbook(bytes)?;
    let sheet = |name: &str| sheets.get(name).map(Vec::as_slice).unwrap_or_default();
    if !sheets.contains_key("survey") {
        let reason = Reason::new("sheet_missing").with("sheet", "survey");
        return Err(DomainError::InvalidFiles(vec![FileProblem::detailed("survey", None, reason, "an XLSForm needs a sheet named survey")]).into());
    }
    Ok(Form::from_xlsform(sheet("survey"), sheet("choices"), sheet("settings"))?)
}
