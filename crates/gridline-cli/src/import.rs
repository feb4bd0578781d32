//! `gridline import cases --input FILE.csv --mapping MAPPING.toml`: cases from another system's
//! export, with their original times and states.
//!
//! The file is read in batches; a batch with any bad row imports nothing and every bad row is
//! written with its row number to the report, while the other batches go in. Each batch is one
//! transaction of the store (`store.cases().import`). A checkpoint after every batch lets an
//! interrupted import go on where it stopped; the source's ticket numbers (external ids) make a
//! repeated row harmless anyway. Each row's intake is completed by the one intake of the
//! application layer (`App::prepare_intake_mapped`), as every channel's is: placed in its street
//! from its point or address, and given the category suggestion for its text (a trained model's
//! with `--model`, else the catalogue keywords'). An import has no dispatcher to read a keyword
//! suggestion, so a row without a category is filed under it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Subcommand;
use gridline_core::actor::{Actor, Role};
use std::sync::Arc;

use gridline_app::{App, TextOptions};
use gridline_core::calendar::WorkCalendar;
use gridline_core::case::{CaseEvent, Change, GeoPoint, Reporter, Satisfaction};
use gridline_core::ids::{CategoryCode, RegionCode, UnitCode};
use gridline_core::workflow::required;
use gridline_app::intake::NewCase;
use gridline_core::sla::SlaClock;
use gridline_store::{NewUser, Store};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Database;

mod input;

use input::{Input, Next, SourceRow, is_workbook};

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Import cases from a CSV file (UTF-8, RFC 4180) through a column mapping.
    Cases {
        #[arg(long)]
        input: PathBuf,
        /// The mapping file (TOML); see docs/import-export.md and data/import/.
        #[arg(long)]
        mapping: PathBuf,
        /// Where bad rows are listed (default: INPUT.import-report.csv).
        #[arg(long)]
        report: Option<PathBuf>,
        /// Rows per batch: all or nothing each.
        #[arg(long, default_value_t = 10_000)]
        batch_size: usize,
        /// Start from the first row even if a checkpoint of an interrupted run exists.
        #[arg(long)]
        restart: bool,
        /// A text classifier (`gridline model train`) for rows without a category; its labels are
        /// catalogue codes or values of the mapping's category_map. Without one, the catalogue's
        /// names and keywords are looked for in the text.
        #[arg(long)]
        model: Option<PathBuf>,
        /// The model's label is filed at or above this confidence (the server's auto-file
        /// threshold); below it the case keeps the suggestion and waits for a dispatcher.
        #[arg(long, default_value_t = TextOptions::default().auto_file_threshold)]
        min_confidence: f32,
        #[command(flatten)]
        database: Database,
    },
}

pub async fn run(command: ImportCommand) -> anyhow::Result<()> {
    let ImportCommand::Cases { input, mapping, report, batch_size, restart, model, min_confidence, database } = command;
    if batch_size == 0 || batch_size > 100_000 {
        bail!("--batch-size is from 1 to 100000");
    }
    if !(0.0..=1.0).contains(&min_confidence) {
        bail!("--min-confidence is a confidence between 0 and 1");
    }
    let mapping_text = std::fs::read_to_string(&mapping).with_context(|| format!("reading the mapping {}", mapping.display()))?;
    let store = database.open().await?;
    let report = report.unwrap_or_else(|| with_suffix(&input, ".import-report.csv"));
    let options = Options { batch_size, restart, progress: true, model, min_confidence };
    let summary = import_file(&store, &input, &mapping_text, &report, &options).await?;
    println!("{summary}");
    if summary.bad_rows > 0 {
        println!("bad rows are listed in {}", report.display());
    }
    store.close().await;
    if summary.bad_rows > 0 {
        bail!("{} bad rows: their batches were not imported", summary.bad_rows);
    }
    Ok(())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The mapping file: how the source's columns become a case.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    #[serde(default)]
    pub source: Source,
    pub columns: Columns,
    /// Source category value → catalogue code. A value that is itself a fileable code is taken
    /// as it is; anything else leaves the case to the classifier.
    #[serde(default)]
    pub category_map: BTreeMap<String, String>,
    /// Source satisfaction value → the domain's: `satisfied`, `basically_satisfied`,
    /// `dissatisfied` (which are also taken as they are).
    #[serde(default)]
    pub satisfaction_map: BTreeMap<String, String>,
    /// Source value of the `resolved` column → whether the problem was solved; besides these,
    /// true/false, yes/no, 1/0, 是/否 and 已解决/未解决 are understood.
    #[serde(default)]
    pub resolved_map: BTreeMap<String, bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Source {
    /// The zone the source's local times are in.
    pub time_zone: String,
    /// strftime patterns such as `%m/%d/%Y %I:%M:%S %p`, one or a list tried in order (a date
    /// alone means its midnight); without any, RFC 3339 or `YYYY-MM-DD HH:MM[:SS]`.
    #[serde(deserialize_with = "one_or_many")]
    pub time_format: Vec<String>,
    /// The channel the cases are filed under.
    pub channel: String,
    /// Put before each source id, to keep two sources' numbers apart.
    pub id_prefix: String,
    /// The text encoding of a CSV file, a WHATWG label (`gb18030`, `gbk`, `utf-16le`, …);
    /// without it the file must be UTF-8. A byte-order mark overrides it.
    pub encoding: Option<String>,
    /// The sheet of a workbook to read (default: the first).
    pub sheet: Option<String>,
}

impl Default for Source {
    fn default() -> Self {
        Source {
            time_zone: "Asia/Shanghai".into(),
            time_format: Vec::new(),
            channel: "import".into(),
            id_prefix: String::new(),
            encoding: None,
            sheet: None,
        }
    }
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    })
}

/// Source column names per case field. Only `external_id`, `received_at` and `description` are
/// required.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    pub external_id: String,
    pub received_at: String,
    /// One or more columns, joined by new lines.
    pub description: Vec<String>,
    pub title: Option<String>,
    pub category: Option<String>,
    pub region: Option<String>,
    pub address: Option<String>,
    pub lat: Option<String>,
    pub lon: Option<String>,
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    pub registered_at: Option<String>,
    pub unit: Option<String>,
    pub dispatched_at: Option<String>,
    pub accepted_at: Option<String>,
    pub handled_at: Option<String>,
    pub closed_at: Option<String>,
    /// The unit's feedback (the source's resolution text).
    pub feedback: Option<String>,
    /// When the source refused the case (不予受理): the case is imported rejected. Only a case
    /// that was never registered, dispatched or closed can be, as in the workflow.
    pub rejected_at: Option<String>,
    /// Why it was refused.
    pub reject_reason: Option<String>,
    /// When the citizen was called back (回访), after the case was closed.
    pub callback_at: Option<String>,
    /// The citizen's satisfaction at the call-back, through `satisfaction_map`.
    pub satisfaction: Option<String>,
    /// Whether the citizen said the problem was solved, through `resolved_map`. Without this
    /// column a call-back counts as resolved unless the citizen was dissatisfied.
    pub resolved: Option<String>,
    pub callback_note: Option<String>,
}

pub struct Options {
    pub batch_size: usize,
    pub restart: bool,
    pub progress: bool,
    /// A text model (`gridline model train`) for rows without a category.
    pub model: Option<PathBuf>,
    /// The model's label is filed at or above this confidence.
    pub min_confidence: f32,
}

impl Options {
    pub fn new(batch_size: usize) -> Options {
        Options { batch_size, restart: false, progress: false, model: None, min_confidence: TextOptions::default().auto_file_threshold }
    }
}

#[derive(Debug, Default)]
pub struct Summary {
    pub rows: u64,
    pub imported: u64,
    pub already_there: u64,
    pub bad_rows: u64,
    pub bad_batches: u64,
    pub resumed_after: u64,
    pub classified: u64,
    pub located: u64,
    pub seconds: f64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} rows read in {:.1} s ({:.0} rows/s): {} imported, {} already there, {} bad rows in {} batches not imported; \
             {} classified, {} located by the hooks",
            self.rows,
            self.seconds,
            self.rows as f64 / self.seconds.max(1e-9),
            self.imported,
            self.already_there,
            self.bad_rows,
            self.bad_batches,
            self.classified,
            self.located
        )?;
        if self.resumed_after > 0 {
            write!(f, "; resumed after row {}", self.resumed_after + 1)?;
        }
        Ok(())
    }
}

/// What was done of one input, saved after every batch.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Checkpoint {
    input_bytes: u64,
    mapping_sha256: String,
    /// Data rows finished (imported or reported), from the first.
    rows_done: u64,
}

/// A bad row: its spreadsheet row number (the header is row 1), the column, what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    pub row: u64,
    pub column: String,
    pub message: String,
}

/// Turns source rows into case histories.
pub struct Converter {
    mapping: Mapping,
    zone: TimeZone,
    channel: String,
    actor: Actor,
    /// The intake, the reference data in force and the text services (with `--model`, its model).
    app: Arc<App>,
    units: HashSet<String>,
    /// Column name → index in the header.
    index: HashMap<String, usize>,
}

/// One converted row and what the hooks filled in.
pub struct Converted {
    pub history: Vec<CaseEvent>,
    pub classified: bool,
    pub located: bool,
}

impl Converter {
    /// Checks the mapping against the header: every mapped column must be there.
    pub fn new(
        mapping: Mapping,
        header: &[String],
        actor: Actor,
        units: HashSet<String>,
        app: Arc<App>,
    ) -> anyhow::Result<Converter> {
        let reference = app.reference();
        let zone = TimeZone::get(&mapping.source.time_zone)
            .with_context(|| format!("unknown time zone {:?} in the mapping", mapping.source.time_zone))?;
        let channel = mapping.source.channel.clone();
        if gridline_core::case::Channel::parse(&channel).is_none() {
            bail!("unknown channel {channel:?} in the mapping");
        }
        if mapping.columns.description.is_empty() {
            bail!("the mapping names no description column");
        }
        for (value, code) in &mapping.category_map {
            reference.catalogue.check_fileable(code).with_context(|| format!("category_map {value:?} = {code:?}"))?;
        }
        for (value, name) in &mapping.satisfaction_map {
            if Satisfaction::parse(name).is_none() {
                bail!("satisfaction_map {value:?} = {name:?}: the satisfaction values are satisfied, basically_satisfied and dissatisfied");
            }
        }
        if mapping.columns.callback_at.is_some() && mapping.columns.satisfaction.is_none() {
            bail!("the mapping names a callback_at column but no satisfaction column: a call-back records the citizen's satisfaction");
        }
        let index: HashMap<String, usize> = header.iter().enumerate().map(|(i, name)| (name.trim().to_owned(), i)).collect();
        for (field, column) in mapping.columns.named() {
            if !index.contains_key(column) {
                bail!("column {column:?} (mapped to {field}) is not in the file's header; the header has: {}", header.join(", "));
            }
        }
        Ok(Converter {
            zone,
            channel,
            actor,
            app,
            units,
            index,
            mapping,
        })
    }

    fn cell<'a>(&self, record: &'a SourceRow, column: Option<&String>) -> Option<&'a str> {
        let i = *self.index.get(column?)?;
        record.fields.get(i).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    fn time(&self, row: u64, record: &SourceRow, column: Option<&String>) -> Result<Option<Timestamp>, RowError> {
        let Some(text) = self.cell(record, column) else { return Ok(None) };
        let i = column.and_then(|c| self.index.get(c));
        // A workbook's date cell is a date whatever the mapping's formats say.
        let date_cell = record.dates.iter().find(|(at, _)| Some(at) == i).map(|(_, d)| *d);
        let formats = &self.mapping.source.time_format;
        let bad = || RowError {
            row,
            column: column.cloned().unwrap_or_default(),
            message: format!("{text:?} is not a time{}", if formats.is_empty() { String::new() } else { format!(" of the form {}", formats.join(" or ")) }),
        };
        let civil = if let Some(date) = date_cell {
            date
        } else if formats.is_empty() {
            match text.parse::<Timestamp>() {
                Ok(at) => return Ok(Some(at)),
                Err(_) => text.parse::<jiff::civil::DateTime>().map_err(|_| bad())?,
            }
        } else {
            formats
                .iter()
                .find_map(|format| {
                    let parsed = jiff::fmt::strtime::parse(format, text).ok()?;
                    parsed.to_datetime().ok().or_else(|| parsed.to_date().ok().map(|d| d.to_datetime(jiff::civil::Time::midnight())))
                })
                .ok_or_else(bad)?
        };
        civil.to_zoned(self.zone.clone()).map(|z| Some(z.timestamp())).map_err(|_| bad())
    }

    fn number(&self, row: u64, record: &SourceRow, column: Option<&String>) -> Result<Option<f64>, RowError> {
        let Some(text) = self.cell(record, column) else { return Ok(None) };
        text.parse::<f64>().ok().filter(|n| n.is_finite()).map(Some).ok_or_else(|| RowError {
            row,
            column: column.cloned().unwrap_or_default(),
            message: format!("{text:?} is not a number"),
        })
    }

    /// The case history of one row: the intake at its original time, then each later step
    /// whose time the row gives, in order.
    pub fn convert(&self, record: &SourceRow) -> Result<Converted, RowError> {
        let row = record.number;
        let columns = &self.mapping.columns;
        let error = |column: &str, message: String| RowError { row, column: column.to_owned(), message };
        let id = self
            .cell(record, Some(&columns.external_id))
            .ok_or_else(|| error(&columns.external_id, "the id is empty".into()))?;
        let external_id = format!("{}{id}", self.mapping.source.id_prefix);
        let received_at = self
            .time(row, record, Some(&columns.received_at))?
            .ok_or_else(|| error(&columns.received_at, "the time received is empty".into()))?;
        let description: Vec<&str> = columns.description.iter().filter_map(|c| self.cell(record, Some(c))).collect();
        if description.is_empty() {
            return Err(error(&columns.description.join("+"), "the description is empty".into()));
        }
        let description = description.join("\n");
        let title = self.cell(record, columns.title.as_ref());
        let reference = self.app.reference();
        let category = self.cell(record, columns.category.as_ref()).and_then(|value| match self.mapping.category_map.get(value) {
            Some(code) => Some(code.as_str()),
            None => reference.catalogue.check_fileable(value).ok().map(|e| e.code.as_str()),
        });
        let category = category
            .map(CategoryCode::parse)
            .transpose()
            .map_err(|e| error(columns.category.as_deref().unwrap_or("category"), e.to_string()))?;
        let classified = category.is_none();
        let lat = self.number(row, record, columns.lat.as_ref())?;
        let lon = self.number(row, record, columns.lon.as_ref())?;
        let location = match (lat, lon) {
            (Some(lat), Some(lon)) => Some(GeoPoint { lat, lon }),
            (None, None) => None,
            _ => return Err(error(columns.lat.as_deref().unwrap_or("lat"), "latitude and longitude come together".into())),
        };
        let address = self.cell(record, columns.address.as_ref());
        let given_region = self.cell(record, columns.region.as_ref());
        let located = given_region.is_none();
        let region = match given_region {
            Some(code) if self.app.regions.get(code).is_some() => {
                Some(RegionCode::parse(code).map_err(|e| error(columns.region.as_deref().unwrap_or("region"), e.to_string()))?)
            }
            Some(code) => return Err(error(columns.region.as_deref().unwrap_or("region"), format!("unknown region code {code:?}"))),
            None => None,
        };
        let reporter_name = self.cell(record, columns.reporter_name.as_ref());
        let reporter_phone = self.cell(record, columns.reporter_phone.as_ref());
        let submission = NewCase {
            channel: self.channel.clone(),
            external_id: Some(external_id),
            category,
            source: None,
            emergency: false,
            region,
            title: title.map(str::to_owned),
            description,
            address: address.map(str::to_owned),
            location,
            reporter: (reporter_name.is_some() || reporter_phone.is_some())
                .then(|| Reporter { name: reporter_name.map(str::to_owned), phone: reporter_phone.map(str::to_owned) }),
            photos: Vec::new(),
        };
        let mut intake = submission
            .validate(&self.actor, &reference, &self.app.regions)
            .map_err(|e| error(&self.column_of_domain_field(&e), e.to_string()))?;
        self.app.prepare_intake_mapped(&mut intake, |label| self.mapping.category_map.get(label).cloned());
        let category = intake.category.clone();
        let region = intake.region.clone();
        let mut history = vec![CaseEvent { seq: 1, at: received_at, actor: self.actor.clone(), change: Change::Receive(intake) }];
        let mut last = (received_at, columns.received_at.clone());
        let mut step = |at: Option<Timestamp>, column: &Option<String>, change: Change, history: &mut Vec<CaseEvent>| -> Result<(), RowError> {
            let Some(at) = at else { return Ok(()) };
            let column = column.clone().unwrap_or_default();
            if at < last.0 {
                return Err(error(&column, format!("{column} is before {}", last.1)));
            }
            history.push(CaseEvent { seq: history.len() as u32 + 1, at, actor: self.actor.clone(), change });
            last = (at, column);
            Ok(())
        };
        let registered_at = self.time(row, record, columns.registered_at.as_ref())?;
        if registered_at.is_some() {
            let (Some(category), Some(region)) = (&category, &region) else {
                return Err(error(
                    columns.registered_at.as_deref().unwrap_or_default(),
                    "a registered case needs a category and a region, and neither the row nor the hooks gave both".into(),
                ));
            };
            let version = reference.catalogue.get(category).map_or(1, |e| e.version);
            let change = Change::Register { category: category.clone(), category_version: version, region: region.clone(), note: Some("导入".into()) };
            step(registered_at, &columns.registered_at, change, &mut history)?;
        }
        let dispatched_at = self.time(row, record, columns.dispatched_at.as_ref())?;
        if let Some(at) = dispatched_at {
            let unit_column = columns.unit.as_deref().unwrap_or("unit");
            let unit = self.cell(record, columns.unit.as_ref()).ok_or_else(|| error(unit_column, "a dispatched case needs its unit".into()))?;
            if !self.units.contains(unit) {
                return Err(error(unit_column, format!("unknown unit {unit:?}; add it with `gridline unit add` first")));
            }
            let limit = category.as_deref().and_then(|c| reference.catalogue.time_limit(c, false)).ok_or_else(|| {
                error(columns.dispatched_at.as_deref().unwrap_or_default(), "a dispatched case needs a category with a time limit".into())
            })?;
            let clock = SlaClock::start(WorkCalendar::china(), at, limit);
            step(Some(at), &columns.dispatched_at, Change::Dispatch { unit: UnitCode::parse(unit).map_err(|e| error(unit_column, e.to_string()))?, clock, note: None, rule: None }, &mut history)?;
        }
        let accepted_at = self.time(row, record, columns.accepted_at.as_ref())?;
        if accepted_at.is_some() && dispatched_at.is_none() {
            return Err(error(columns.accepted_at.as_deref().unwrap_or_default(), "a case is accepted only after it was dispatched".into()));
        }
        step(accepted_at, &columns.accepted_at, Change::Accept { note: None }, &mut history)?;
        let closed_at = self.time(row, record, columns.closed_at.as_ref())?;
        // A case the source closed was handled: at the time given, or when it was closed.
        let handled_at = self.time(row, record, columns.handled_at.as_ref())?.or(closed_at);
        let feedback = self.cell(record, columns.feedback.as_ref()).unwrap_or("（原系统已办结，导入）").to_owned();
        let handled_column = if columns.handled_at.is_some() { &columns.handled_at } else { &columns.closed_at };
        step(handled_at, handled_column, Change::Handle { feedback, photos: Vec::new() }, &mut history)?;
        step(closed_at, &columns.closed_at, Change::Verify { passed: true, note: Some("导入".into()) }, &mut history)?;
        let rejected_at = self.time(row, record, columns.rejected_at.as_ref())?;
        if rejected_at.is_some() {
            // The workflow rejects a received case only: received → rejected.
            let later = [
                (&columns.registered_at, registered_at),
                (&columns.dispatched_at, dispatched_at),
                (&columns.accepted_at, accepted_at),
                (&columns.handled_at, handled_at),
                (&columns.closed_at, closed_at),
            ]
            .into_iter()
            .find_map(|(column, at)| at.and(column.as_deref()));
            let column = columns.rejected_at.as_deref().unwrap_or_default();
            if let Some(later) = later {
                return Err(error(column, format!("a rejected case was never registered, dispatched or closed, and the row gives {later} too")));
            }
            let reason = self.cell(record, columns.reject_reason.as_ref()).unwrap_or("（原系统不予受理，导入）");
            let reason = required("reason", reason).map_err(|e| error(columns.reject_reason.as_deref().unwrap_or(column), e.to_string()))?;
            step(rejected_at, &columns.rejected_at, Change::Reject { reason }, &mut history)?;
        }
        let callback_at = self.time(row, record, columns.callback_at.as_ref())?;
        let satisfaction = self.cell(record, columns.satisfaction.as_ref());
        let satisfaction_column = columns.satisfaction.as_deref().unwrap_or_default();
        match (callback_at, satisfaction) {
            (None, None) => {}
            (None, Some(_)) => {
                return Err(error(satisfaction_column, "a satisfaction needs the time of its call-back (callback_at)".into()));
            }
            (Some(_), None) => {
                return Err(error(satisfaction_column, "a call-back needs the citizen's satisfaction".into()));
            }
            (Some(at), Some(value)) => {
                let column = columns.callback_at.as_deref().unwrap_or_default();
                if closed_at.is_none() {
                    return Err(error(column, "a call-back comes after the case was closed, and the row gives no time closed".into()));
                }
                let satisfaction = self.satisfaction(value).ok_or_else(|| {
                    error(
                        satisfaction_column,
                        format!("unknown satisfaction {value:?}; map it in [satisfaction_map] onto satisfied, basically_satisfied or dissatisfied"),
                    )
                })?;
                let resolved = match self.cell(record, columns.resolved.as_ref()) {
                    None => satisfaction != Satisfaction::Dissatisfied,
                    Some(value) => self.resolved(value).ok_or_else(|| {
                        error(
                            columns.resolved.as_deref().unwrap_or_default(),
                            format!("{value:?} does not say whether the problem was solved; map it in [resolved_map]"),
                        )
                    })?,
                };
                let note = self
                    .cell(record, columns.callback_note.as_ref())
                    .map(|n| required("note", n))
                    .transpose()
                    .map_err(|e| error(columns.callback_note.as_deref().unwrap_or_default(), e.to_string()))?;
                step(Some(at), &columns.callback_at, Change::Callback { resolved, satisfaction, note }, &mut history)?;
            }
        }
        Ok(Converted { history, classified: classified && category.is_some(), located: located && region.is_some() })
    }

    fn satisfaction(&self, value: &str) -> Option<Satisfaction> {
        let name = self.mapping.satisfaction_map.get(value).map_or(value, String::as_str);
        Satisfaction::parse(name)
    }

    fn resolved(&self, value: &str) -> Option<bool> {
        if let Some(&resolved) = self.mapping.resolved_map.get(value) {
            return Some(resolved);
        }
        match value.to_lowercase().as_str() {
            "true" | "yes" | "y" | "1" | "是" | "已解决" => Some(true),
            "false" | "no" | "n" | "0" | "否" | "未解决" => Some(false),
            _ => None,
        }
    }

    /// The source column behind a field the domain refused.
    fn column_of_domain_field(&self, err: &gridline_core::DomainError) -> String {
        let columns = &self.mapping.columns;
        let field = err.field().unwrap_or("");
        match field {
            "external_id" => Some(columns.external_id.clone()),
            "description" => Some(columns.description.join("+")),
            "title" => columns.title.clone(),
            "address" => columns.address.clone(),
            "location" => columns.lat.clone(),
            "reporter.phone" => columns.reporter_phone.clone(),
            "category" => columns.category.clone(),
            _ => None,
        }
        .unwrap_or_else(|| field.to_owned())
    }
}

impl Columns {
    /// (field, source column) for every mapped column.
    fn named(&self) -> Vec<(&'static str, &String)> {
        let mut named = vec![("external_id", &self.external_id), ("received_at", &self.received_at)];
        named.extend(self.description.iter().map(|c| ("description", c)));
        let optional = [
            ("title", &self.title),
            ("category", &self.category),
            ("region", &self.region),
            ("address", &self.address),
            ("lat", &self.lat),
            ("lon", &self.lon),
            ("reporter_name", &self.reporter_name),
            ("reporter_phone", &self.reporter_phone),
            ("registered_at", &self.registered_at),
            ("unit", &self.unit),
            ("dispatched_at", &self.dispatched_at),
            ("accepted_at", &self.accepted_at),
            ("handled_at", &self.handled_at),
            ("closed_at", &self.closed_at),
            ("feedback", &self.feedback),
            ("rejected_at", &self.rejected_at),
            ("reject_reason", &self.reject_reason),
            ("callback_at", &self.callback_at),
            ("satisfaction", &self.satisfaction),
            ("resolved", &self.resolved),
            ("callback_note", &self.callback_note),
        ];
        named.extend(optional.into_iter().filter_map(|(field, column)| column.as_ref().map(|c| (field, c))));
        named
    }
}

/// The system user imports are recorded under: a dispatcher (who may file through any channel)
/// that nobody can sign in as.
async fn import_actor(store: &Store) -> anyhow::Result<Actor> {
    const NAME: &str = "system.import";
    let user = match store.people().user_by_name(NAME).await? {
        Some(user) => user,
        None => {
            let user = NewUser {
                username: NAME.into(),
                display_name: "批量导入".into(),
                role: Role::Dispatcher,
                unit: None,
                password_hash: "!system-user".into(),
            };
            store.people().create_user(&user, Timestamp::now()).await?
        }
    };
    Ok(user.actor())
}

/// A batch being written: its task, answering (imported, already there), and the rows done once
/// it is durable.
type InFlight = (tokio::task::JoinHandle<Result<(u64, u64), gridline_store::StoreError>>, u64);

/// Converts a batch's rows on all cores (classification and geocoding are the costly part),
/// keeping their order; rows that were bad before conversion stay as they are.
fn convert_all(converter: &Converter, rows: Vec<Result<SourceRow, RowError>>) -> Vec<Result<Converted, RowError>> {
    let one = |row: Result<SourceRow, RowError>| row.and_then(|r| converter.convert(&r));
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(rows.len() / 500 + 1);
    if threads <= 1 {
        return rows.into_iter().map(one).collect();
    }
    let size = rows.len().div_ceil(threads);
    let mut parts = Vec::with_capacity(threads);
    let mut rows = rows.into_iter();
    loop {
        let part: Vec<_> = rows.by_ref().take(size).collect();
        if part.is_empty() {
            break;
        }
        parts.push(part);
    }
    std::thread::scope(|scope| {
        let running: Vec<_> = parts.into_iter().map(|part| scope.spawn(move || part.into_iter().map(one).collect::<Vec<_>>())).collect();
        running.into_iter().flat_map(|t| t.join().expect("a conversion thread panicked")).collect()
    })
}

/// Imports `input` through the mapping; bad rows go to `report_path`.
pub async fn import_file(store: &Store, input: &Path, mapping_text: &str, report_path: &Path, options: &Options) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let mapping: Mapping = toml::from_str(mapping_text).context("reading the mapping file")?;
    let input_bytes = std::fs::metadata(input).with_context(|| format!("reading {}", input.display()))?.len();
    let checkpoint_path = with_suffix(input, ".import-checkpoint.json");
    let mapping_sha256 = hex::encode(Sha256::digest(mapping_text.as_bytes()));
    let resume_after = match std::fs::read_to_string(&checkpoint_path) {
        Ok(text) if !options.restart => {
            let checkpoint: Checkpoint = serde_json::from_str(&text).context("reading the checkpoint; use --restart to start over")?;
            if checkpoint.input_bytes != input_bytes || checkpoint.mapping_sha256 != mapping_sha256 {
                bail!("{} belongs to another file or mapping; use --restart to start over", checkpoint_path.display());
            }
            checkpoint.rows_done
        }
        _ => 0,
    };
    let mut rows = Input::open(input, mapping.source.encoding.as_deref(), mapping.source.sheet.as_deref())?;
    let header = rows.header.clone();
    let units = store.people().units().await?.into_iter().map(|u| u.code.into_string()).collect();
    // An import has no dispatcher reading each row: a keyword suggestion files it.
    let text = TextOptions {
        model: options.model.clone(),
        auto_file_threshold: options.min_confidence,
        file_keyword_suggestions: true,
        ..TextOptions::default()
    };
    let app = App::new(store.clone(), Arc::new(gridline_geo::beijing()), &text)
        .await
        .with_context(|| format!("loading the model {}", options.model.as_deref().unwrap_or(Path::new("")).display()))?;
    let converter = Converter::new(mapping, &header, import_actor(store).await?, units, Arc::new(app))?;
    let mut report = csv::Writer::from_path(report_path).with_context(|| format!("creating the report {}", report_path.display()))?;
    report.write_record(["row", "column", "error"])?;
    let progress = if options.progress { indicatif::ProgressBar::new(rows.total) } else { indicatif::ProgressBar::hidden() };
    let template = if is_workbook(input) { "{bar:40} row {pos}/{len} {per_sec} {msg}" } else { "{bar:40} {bytes}/{total_bytes} {per_sec} {msg}" };
    progress.set_style(
        indicatif::ProgressStyle::with_template(template)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut summary = Summary { resumed_after: resume_after, ..Summary::default() };
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut batch: Vec<Vec<CaseEvent>> = Vec::with_capacity(options.batch_size);
    let mut batch_errors: Vec<RowError> = Vec::new();
    let mut batch_counts = (0u64, 0u64);
    // The batch being written while the next one is read, with the rows done once it is durable.
    let mut in_flight: Option<InFlight> = None;
    let mut rows_done = 0u64;
    let id_column = converter.index[&converter.mapping.columns.external_id];
    let save = |rows_done: u64| -> anyhow::Result<()> {
        let checkpoint = Checkpoint { input_bytes, mapping_sha256: mapping_sha256.clone(), rows_done };
        std::fs::write(&checkpoint_path, serde_json::to_vec(&checkpoint)?).with_context(|| format!("writing {}", checkpoint_path.display()))
    };
    // The rows of the batch being read, in order: read (and checked for repeated ids) one by
    // one, then converted on every core at once.
    let mut pending: Vec<Result<SourceRow, RowError>> = Vec::with_capacity(options.batch_size);
    loop {
        let next = rows.next();
        let more = !matches!(next, Next::Broken(_) | Next::End);
        match next {
            Next::End => {}
            Next::Broken(mut e) => {
                if e.row == 0 {
                    e.row = rows_done + 2;
                }
                pending.push(Err(e));
            }
            Next::BadRow(e) => {
                rows_done += 1;
                if rows_done > resume_after {
                    summary.rows += 1;
                    pending.push(Err(e));
                }
            }
            Next::Row(record) => {
                rows_done += 1;
                // Duplicates are found across the whole file, the part done before a resume included.
                let id = record.fields.get(id_column).map(|f| f.trim()).unwrap_or_default();
                let duplicate = if id.is_empty() { None } else { seen.insert(id.to_owned(), record.number) };
                if rows_done <= resume_after {
                    continue;
                }
                summary.rows += 1;
                pending.push(match duplicate {
                    Some(first) => Err(RowError {
                        row: record.number,
                        column: converter.mapping.columns.external_id.clone(),
                        message: format!("id {id:?} repeats row {first}"),
                    }),
                    None => Ok(record),
                });
            }
        }
        if more && pending.len() < options.batch_size {
            continue;
        }
        for converted in convert_all(&converter, std::mem::take(&mut pending)) {
            match converted {
                Ok(c) => {
                    batch_counts.0 += u64::from(c.classified);
                    batch_counts.1 += u64::from(c.located);
                    batch.push(c.history);
                }
                Err(e) => batch_errors.push(e),
            }
        }
        // A batch is complete (or the file ended): the one before must be durable first.
        if let Some((task, done)) = in_flight.take() {
            let (created, existing) = task.await??;
            summary.imported += created;
            summary.already_there += existing;
            save(done)?;
        }
        if batch_errors.is_empty() {
            if !batch.is_empty() {
                let histories = std::mem::replace(&mut batch, Vec::with_capacity(options.batch_size));
                let store = store.clone();
                let task = tokio::spawn(async move {
                    let created = store.cases().import(histories).await?;
                    let new = created.iter().filter(|c| c.created).count() as u64;
                    Ok((new, created.len() as u64 - new))
                });
                in_flight = Some((task, rows_done));
                summary.classified += batch_counts.0;
                summary.located += batch_counts.1;
            }
        } else {
            summary.bad_batches += 1;
            summary.bad_rows += batch_errors.len() as u64;
            for e in batch_errors.drain(..) {
                report.write_record([e.row.to_string(), e.column, e.message])?;
            }
            report.flush()?;
            batch.clear();
            save(rows_done)?;
        }
        batch_counts = (0, 0);
        progress.set_position(rows.position());
        progress.set_message(format!("{} imported", summary.imported));
        if !more {
            break;
        }
    }
    if let Some((task, _)) = in_flight.take() {
        let (created, existing) = task.await??;
        summary.imported += created;
        summary.already_there += existing;
    }
    progress.finish_and_clear();
    report.flush()?;
    // The run is complete: a new run starts from the top (and skips what is already there).
    let _ = std::fs::remove_file(&checkpoint_path);
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}
