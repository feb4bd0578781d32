//! `gridline import cases --input FILE.csv --mapping MAPPING.toml`: cases from another system's
//! export, with their original times and states.
//!
//! The file is read in batches; a batch with any bad row imports nothing and every bad row is
//! written with its row number to the report, while the other batches go in. Each batch is one
//! transaction of the store (`import_histories`). A checkpoint after every batch lets an
//! interrupted import go on where it stopped; the source's ticket numbers (external ids) make a
//! repeated row harmless anyway. Rows without a category or a region get them from the
//! classifier and locator hooks of `gridline_core::assist`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Subcommand;
use gridline_core::actor::{Actor, Role};
use gridline_core::assist::{Classifier, KeywordClassifier, Locator, RegionNameLocator};
use gridline_core::calendar::WorkCalendar;
use gridline_core::case::{CaseEvent, Change, GeoPoint, Reporter};
use gridline_core::reference::Reference;
use gridline_core::intake::NewCase;
use gridline_core::region::RegionTree;
use gridline_core::sla::SlaClock;
use gridline_store::{NewUser, Store};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Database;

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
        #[command(flatten)]
        database: Database,
    },
}

pub async fn run(command: ImportCommand) -> anyhow::Result<()> {
    let ImportCommand::Cases { input, mapping, report, batch_size, restart, database } = command;
    if batch_size == 0 || batch_size > 100_000 {
        bail!("--batch-size is from 1 to 100000");
    }
    let mapping_text = std::fs::read_to_string(&mapping).with_context(|| format!("reading the mapping {}", mapping.display()))?;
    let store = database.open().await?;
    let report = report.unwrap_or_else(|| with_suffix(&input, ".import-report.csv"));
    let options = Options { batch_size, restart, progress: true };
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
}

impl Default for Source {
    fn default() -> Self {
        Source { time_zone: "Asia/Shanghai".into(), time_format: Vec::new(), channel: "import".into(), id_prefix: String::new() }
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
}

pub struct Options {
    pub batch_size: usize,
    pub restart: bool,
    pub progress: bool,
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
    reference: Reference,
    regions: RegionTree,
    classifier: Box<dyn Classifier>,
    locator: Box<dyn Locator>,
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
        reference: Reference,
        regions: RegionTree,
    ) -> anyhow::Result<Converter> {
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
            classifier: Box::new(KeywordClassifier::new(&reference.catalogue)),
            locator: Box::new(RegionNameLocator::new(&regions)),
            reference,
            regions,
            units,
            index,
            mapping,
        })
    }

    fn cell<'a>(&self, record: &'a [String], column: Option<&String>) -> Option<&'a str> {
        let i = *self.index.get(column?)?;
        record.get(i).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    fn time(&self, row: u64, record: &[String], column: Option<&String>) -> Result<Option<Timestamp>, RowError> {
        let Some(text) = self.cell(record, column) else { return Ok(None) };
        let formats = &self.mapping.source.time_format;
        let bad = || RowError {
            row,
            column: column.cloned().unwrap_or_default(),
            message: format!("{text:?} is not a time{}", if formats.is_empty() { String::new() } else { format!(" of the form {}", formats.join(" or ")) }),
        };
        let civil = if formats.is_empty() {
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

    fn number(&self, row: u64, record: &[String], column: Option<&String>) -> Result<Option<f64>, RowError> {
        let Some(text) = self.cell(record, column) else { return Ok(None) };
        text.parse::<f64>().ok().filter(|n| n.is_finite()).map(Some).ok_or_else(|| RowError {
            row,
            column: column.cloned().unwrap_or_default(),
            message: format!("{text:?} is not a number"),
        })
    }

    /// The case history of one row: the intake at its original time, then each later step
    /// whose time the row gives, in order.
    pub fn convert(&self, row: u64, record: &[String]) -> Result<Converted, RowError> {
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
        let source_category = self.cell(record, columns.category.as_ref());
        let mapped = source_category.and_then(|value| match self.mapping.category_map.get(value) {
            Some(code) => Some(code.clone()),
            None => self.reference.catalogue.check_fileable(value).ok().map(|e| e.code.clone()),
        });
        let classified = mapped.is_none();
        let category = match mapped {
            Some(code) => Some(code),
            None => {
                let text = [title.unwrap_or(""), source_category.unwrap_or(""), &description].join("\n");
                self.classifier.classify(&text)
            }
        };
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
            Some(code) if self.regions.get(code).is_some() => Some(code.to_owned()),
            Some(code) => return Err(error(columns.region.as_deref().unwrap_or("region"), format!("unknown region code {code:?}"))),
            None => self.locator.locate(address, location),
        };
        let reporter_name = self.cell(record, columns.reporter_name.as_ref());
        let reporter_phone = self.cell(record, columns.reporter_phone.as_ref());
        let submission = NewCase {
            channel: self.channel.clone(),
            external_id: Some(external_id),
            category: category.clone(),
            source: None,
            emergency: false,
            region: region.clone(),
            title: title.map(str::to_owned),
            description,
            address: address.map(str::to_owned),
            location,
            reporter: (reporter_name.is_some() || reporter_phone.is_some())
                .then(|| Reporter { name: reporter_name.map(str::to_owned), phone: reporter_phone.map(str::to_owned) }),
            photos: Vec::new(),
        };
        let intake = submission
            .validate(&self.actor, &self.reference, &self.regions)
            .map_err(|e| error(&self.column_of_domain_field(&e), e.to_string()))?;
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
            let version = self.reference.catalogue.get(category).map_or(1, |e| e.version);
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
            let limit = category.as_deref().and_then(|c| self.reference.catalogue.time_limit(c, false)).ok_or_else(|| {
                error(columns.dispatched_at.as_deref().unwrap_or_default(), "a dispatched case needs a category with a time limit".into())
            })?;
            let clock = SlaClock::start(WorkCalendar::china(), at, limit);
            step(Some(at), &columns.dispatched_at, Change::Dispatch { unit: unit.to_owned(), clock, note: None, rule: None }, &mut history)?;
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
        Ok(Converted { history, classified: classified && category.is_some(), located: located && region.is_some() })
    }

    /// The source column behind a field the domain refused.
    fn column_of_domain_field(&self, err: &gridline_core::DomainError) -> String {
        let columns = &self.mapping.columns;
        let field = match err {
            gridline_core::DomainError::Invalid { field, .. } => *field,
            _ => "",
        };
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
        ];
        named.extend(optional.into_iter().filter_map(|(field, column)| column.as_ref().map(|c| (field, c))));
        named
    }
}

/// The system user imports are recorded under: a dispatcher (who may file through any channel)
/// that nobody can sign in as.
async fn import_actor(store: &Store) -> anyhow::Result<Actor> {
    const NAME: &str = "system.import";
    let user = match store.user_by_name(NAME).await? {
        Some(user) => user,
        None => {
            let user = NewUser {
                username: NAME.into(),
                display_name: "批量导入".into(),
                role: Role::Dispatcher,
                unit: None,
                password_hash: "!system-user".into(),
            };
            store.create_user(&user, Timestamp::now()).await?
        }
    };
    Ok(user.actor())
}

/// Reads one row as text; a field that is not UTF-8 is a bad row, named with its column.
fn decode(row: u64, record: &csv::ByteRecord, header: &[String]) -> Result<Vec<String>, RowError> {
    record
        .iter()
        .enumerate()
        .map(|(i, field)| {
            std::str::from_utf8(field).map(str::to_owned).map_err(|e| RowError {
                row,
                column: header.get(i).cloned().unwrap_or_else(|| format!("#{}", i + 1)),
                message: format!("not valid UTF-8 (byte {} of the field); save the file as UTF-8", e.valid_up_to() + 1),
            })
        })
        .collect()
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
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(BufReader::with_capacity(1 << 20, File::open(input).with_context(|| format!("opening {}", input.display()))?));
    let header: Vec<String> = match reader.byte_headers() {
        Ok(h) => h.iter().map(|f| String::from_utf8_lossy(f).trim_start_matches('\u{feff}').to_owned()).collect(),
        Err(e) => bail!("reading the header of {}: {e}", input.display()),
    };
    let units = store.units().await?.into_iter().map(|u| u.code).collect();
    let regions = gridline_geo::beijing();
    let (reference, _) = gridline_server::reference_in_force(store, &regions).await?;
    let converter = Converter::new(mapping, &header, import_actor(store).await?, units, reference, regions)?;
    let mut report = csv::Writer::from_path(report_path).with_context(|| format!("creating the report {}", report_path.display()))?;
    report.write_record(["row", "column", "error"])?;
    let progress = if options.progress { indicatif::ProgressBar::new(input_bytes) } else { indicatif::ProgressBar::hidden() };
    progress.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {per_sec} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut summary = Summary { resumed_after: resume_after, ..Summary::default() };
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut batch: Vec<Vec<CaseEvent>> = Vec::with_capacity(options.batch_size);
    let mut batch_errors: Vec<RowError> = Vec::new();
    let mut batch_counts = (0u64, 0u64);
    // The batch being written while the next one is read, with the rows done once it is durable.
    let mut in_flight: Option<(tokio::task::JoinHandle<Result<(u64, u64), gridline_store::StoreError>>, u64)> = None;
    let mut record = csv::ByteRecord::new();
    let mut rows_done = 0u64;
    let id_column = converter.index[&converter.mapping.columns.external_id];
    let save = |rows_done: u64| -> anyhow::Result<()> {
        let checkpoint = Checkpoint { input_bytes, mapping_sha256: mapping_sha256.clone(), rows_done };
        std::fs::write(&checkpoint_path, serde_json::to_vec(&checkpoint)?).with_context(|| format!("writing {}", checkpoint_path.display()))
    };
    loop {
        let more = match reader.read_byte_record(&mut record) {
            Ok(more) => more,
            Err(e) => {
                // A broken quote or byte stream: nothing after it can be trusted.
                let row = e.position().map_or(rows_done + 2, |p| p.record() + 1);
                batch_errors.push(RowError { row, column: String::new(), message: format!("the file cannot be read from here on: {e}") });
                false
            }
        };
        if more {
            rows_done += 1;
            let row = record.position().map_or(rows_done + 1, |p| p.record() + 1);
            // Duplicates are found across the whole file, the part done before a resume included.
            let id = record.get(id_column).map(|b| String::from_utf8_lossy(b).trim().to_owned()).unwrap_or_default();
            let duplicate = if id.is_empty() { None } else { seen.insert(id.clone(), row) };
            if rows_done <= resume_after {
                continue;
            }
            summary.rows += 1;
            let converted = match duplicate {
                Some(first) => Err(RowError {
                    row,
                    column: converter.mapping.columns.external_id.clone(),
                    message: format!("id {id:?} repeats row {first}"),
                }),
                None if record.len() != header.len() => Err(RowError {
                    row,
                    column: String::new(),
                    message: format!("the row has {} fields and the header {}", record.len(), header.len()),
                }),
                None => decode(row, &record, &header).and_then(|fields| converter.convert(row, &fields)),
            };
            match converted {
                Ok(c) => {
                    batch_counts.0 += u64::from(c.classified);
                    batch_counts.1 += u64::from(c.located);
                    batch.push(c.history);
                }
                Err(e) => batch_errors.push(e),
            }
            if batch.len() + batch_errors.len() < options.batch_size {
                continue;
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
                    let created = store.import_histories(histories).await?;
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
        progress.set_position(record.position().map_or(input_bytes, |p| p.byte()));
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
