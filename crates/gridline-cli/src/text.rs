//! The text commands: `gridline model train|eval|cv`, `gridline classify`, `gridline hotspots`
//! and `gridline replies`, over CSV or Excel message files (and the platform's own cases for
//! training and hot issues). What they compute lives in gridline-text; this is I/O.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail, ensure};
use clap::{Args, Subcommand};
use gridline_core::catalogue::Catalogue;
use gridline_text::hotspots::{HotspotSettings, Message, hot_issues, parse_time};
use gridline_text::distant::{Answered, Departments};
use gridline_text::metrics::{Evaluation, cross_validate, stratified_folds};
use gridline_text::model::{DISTANT_WEIGHTS, Example, Model, Prior, SELECTION_FOLDS, SelfTraining, TrainOptions};
use gridline_text::replies::{Exchange, agreement, score_all};
use gridline_text::segment::{Segmenter, catalogue_words, place_words};
use gridline_text::table::Table;
use serde_json::json;

use crate::Database;

#[derive(Subcommand)]
pub enum ModelCommand {
    /// Train a classifier from a labelled file (or the platform's own cases) and save it.
    Train {
        #[command(flatten)]
        data: Labelled,
        #[command(flatten)]
        learning: Learning,
        #[arg(long)]
        output: PathBuf,
    },
    /// Score a saved model on a labelled file: accuracy, macro-F1, per class, confusion.
    Eval {
        #[arg(long)]
        model: PathBuf,
        #[command(flatten)]
        data: Labelled,
        /// Print JSON instead of the text report.
        #[arg(long)]
        json: bool,
    },
    /// Stratified k-fold cross-validation of the training settings on a labelled file.
    Cv {
        #[command(flatten)]
        data: Labelled,
        #[command(flatten)]
        learning: Learning,
        #[arg(long, default_value_t = 5)]
        folds: usize,
        #[arg(long, default_value_t = 20261122)]
        seed: u64,
        /// Repeat the cross-validation on other folds (seed, seed + 1, …) and report the mean of
        /// the repetitions too: one split's figure moves by a point or more with the split.
        #[arg(long, default_value_t = 1)]
        repeats: usize,
        /// Write each row's fold of the first repetition (`row,fold`, rows counted from 0) here,
        /// so another tool can be scored on exactly the same folds (bench/sklearn_reference.py
        /// reads it).
        #[arg(long)]
        folds_out: Option<PathBuf>,
    },
}

/// Where labelled messages come from.
#[derive(Args)]
pub struct Labelled {
    /// A CSV (UTF-8) or Excel file.
    #[arg(long, required_unless_present = "from_database")]
    input: Option<PathBuf>,
    /// Text columns, joined (comma-separated or repeated), e.g. 留言主题,留言详情.
    #[arg(long = "text-col", required_unless_present = "from_database")]
    text_cols: Vec<String>,
    #[arg(long = "label-col", required_unless_present = "from_database")]
    label_col: Option<String>,
    /// The message number column: a message of a --distant file with the number (or the
    /// subject) of a labelled one is left out. Files without the column are matched by subject.
    #[arg(long = "id-col", default_value = "留言编号")]
    id_col: String,
    /// Train from the platform's own categorised cases (labels are catalogue codes); cases
    /// whose category an operator changed from the suggestion count double.
    #[arg(long, conflicts_with = "input")]
    from_database: bool,
    #[command(flatten)]
    database: Database,
}

/// How a model learns beyond the labelled rows.
#[derive(Args)]
pub struct Learning {
    /// Unlabelled message files (repeat): their words shape the IDF weights, and with
    /// --self-training the confident ones become extra examples.
    #[arg(long)]
    unlabelled: Vec<PathBuf>,
    /// Text columns of the unlabelled files (default: the --text-col of the labelled file).
    #[arg(long = "unlabelled-text-col")]
    unlabelled_text_cols: Vec<String>,
    /// Add unlabelled messages predicted with at least this confidence as examples.
    #[arg(long)]
    self_training: Option<f32>,
    /// Weight of a self-trained example (a labelled one weighs 1).
    #[arg(long, default_value_t = 0.3)]
    self_training_weight: f32,
    /// Messages with the government's reply (e.g. replies.csv): a message whose reply names the
    /// departments of one label only (see --departments) becomes an example of that label.
    /// Give the file as --unlabelled too, so that all its messages count in the IDF.
    #[arg(long)]
    distant: Option<PathBuf>,
    /// The reply column of the --distant file.
    #[arg(long = "reply-col", default_value = "答复意见")]
    reply_col: String,
    /// Department → label mapping for --distant (first column the department, second its label,
    /// empty for a department of several); default: the one built in, data/text/departments.csv.
    #[arg(long, requires = "distant")]
    departments: Option<PathBuf>,
    /// Weight of a --distant example (a labelled one weighs 1; 0 ignores them). Of several
    /// (comma-separated), the one with the best macro-F1 in a 5-fold cross-validation on the
    /// labelled messages; by default 0, 0.1, 0.2, 0.3, 0.5 and 1.
    #[arg(long, value_delimiter = ',', requires = "distant")]
    distant_weight: Vec<f32>,
    /// A category scheme whose first column names the label and whose other columns are its
    /// sub-categories (e.g. taxonomy.csv): a word of the names that belongs to one label only
    /// becomes a feature of that label.
    #[arg(long)]
    priors: Option<PathBuf>,
    /// Do not weigh labels inversely to their number of examples.
    #[arg(long)]
    no_balance: bool,
    /// How many times the words of the first text column (the subject) count.
    #[arg(long, default_value_t = 3)]
    title_weight: u8,
    /// Do not give the subject's words features of their own (they still count in the text).
    #[arg(long)]
    no_subject_words: bool,
    /// The SVM's cost C.
    #[arg(long, default_value_t = 1.0)]
    cost: f32,
    /// log2 of the hashed feature space.
    #[arg(long, default_value_t = 18)]
    bits: u8,
    /// Values of the word vectors learnt from the labelled and --unlabelled messages, which give
    /// each message a vector beside its words (0: none; none either when the messages have
    /// fewer than four words seen three times or more per value).
    #[arg(long, default_value_t = 200)]
    embedding: u16,
}

#[derive(Args)]
pub struct ClassifyArgs {
    #[arg(long)]
    model: PathBuf,
    #[arg(long)]
    input: PathBuf,
    #[arg(long = "text-col", required = true)]
    text_cols: Vec<String>,
}

#[derive(Args)]
pub struct HotspotsArgs {
    /// A message file; without it, the platform's cases are grouped.
    #[arg(long)]
    input: Option<PathBuf>,
    #[arg(long = "text-col", default_value = "留言主题,留言详情")]
    text_cols: Vec<String>,
    #[arg(long = "time-col", default_value = "留言时间")]
    time_col: String,
    #[arg(long = "reporter-col", default_value = "留言用户")]
    reporter_col: String,
    #[arg(long = "likes-col", default_value = "点赞数")]
    likes_col: String,
    #[arg(long = "id-col", default_value = "留言编号")]
    id_col: String,
    /// Only messages from this time on (e.g. 2019-01-01).
    #[arg(long)]
    from: Option<String>,
    /// Only messages before this time.
    #[arg(long)]
    to: Option<String>,
    /// Only cases in this region (code prefix; platform cases only).
    #[arg(long)]
    region: Option<String>,
    #[arg(long, default_value_t = 10)]
    top: usize,
    #[arg(long, default_value_t = 90)]
    window_days: i64,
    /// Print JSON lines instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    database: Database,
}

#[derive(Args)]
pub struct RepliesArgs {
    /// Messages with replies (columns 留言编号, 留言主题, 留言详情, 留言时间, 答复意见, 答复时间).
    #[arg(long)]
    input: PathBuf,
    /// Labels to check the scores against (reply_quality_labels.csv); prints the agreement.
    #[arg(long)]
    labels: Option<PathBuf>,
    /// Print every score as a JSON line.
    #[arg(long)]
    json: bool,
}

/// Catalogue terms and Beijing's place names: the segmenter's extra dictionary.
pub fn dictionary() -> Vec<String> {
    let mut words = catalogue_words(&Catalogue::builtin());
    words.extend(place_words(&gridline_geo::beijing()));
    words
}

/// Labelled messages, each with its message number (empty when the file has no --id-col).
struct LabelledSet {
    examples: Vec<Example>,
    ids: Vec<String>,
}

impl LabelledSet {
    /// (number, text) of each labelled message, as the distant labelling recognises them.
    fn identities(&self) -> Vec<(&str, &str)> {
        self.ids.iter().zip(&self.examples).map(|(id, e)| (id.as_str(), e.text.as_str())).collect()
    }
}

fn read_labelled(path: &Path, text_cols: &[String], label_col: &str, id_col: &str) -> anyhow::Result<LabelledSet> {
    let table = Table::read(path)?;
    let texts = table.columns(text_cols)?;
    let label = table.column(label_col)?;
    let id = table.column(id_col).ok();
    let mut examples = Vec::with_capacity(table.rows.len());
    for row in 0..table.rows.len() {
        let text = table.joined(row, &texts);
        let label = table.cell(row, label);
        ensure!(!label.is_empty(), "{}: row {} has an empty {label_col}", path.display(), row + 2);
        ensure!(!text.is_empty(), "{}: row {} has no text in {}", path.display(), row + 2, text_cols.join(","));
        examples.push(Example { text, label: label.to_owned(), weight: 1.0 });
    }
    ensure!(!examples.is_empty(), "{} has no rows", path.display());
    let ids = (0..table.rows.len()).map(|row| id.map(|c| table.cell(row, c).to_owned()).unwrap_or_default()).collect();
    Ok(LabelledSet { examples, ids })
}

async fn labelled(data: &Labelled) -> anyhow::Result<LabelledSet> {
    if data.from_database {
        let store = data.database.open().await?;
        let cases = store.text().cases(false, None).await?;
        let examples: Vec<Example> = cases
            .into_iter()
            .filter_map(|case| {
                let label = case.category.clone()?.into_string();
                let corrected = case.intake.suggestion.as_ref().is_some_and(|s| s.label != label);
                Some(Example {
                    text: format!("{}\n{}", case.intake.title, case.intake.description),
                    label,
                    weight: if corrected { 2.0 } else { 1.0 },
                })
            })
            .collect();
        ensure!(!examples.is_empty(), "the database has no categorised cases to learn from");
        // Case numbers are not the board's message numbers: cases are matched by title.
        let ids = vec![String::new(); examples.len()];
        return Ok(LabelledSet { examples, ids });
    }
    let (Some(input), Some(label_col)) = (&data.input, &data.label_col) else {
        bail!("give --input, --text-col and --label-col, or --from-database");
    };
    read_labelled(input, &data.text_cols, label_col, &data.id_col)
}

fn options(learning: &Learning, data: &Labelled, labelled: &LabelledSet) -> anyhow::Result<TrainOptions> {
    let text_cols = &data.text_cols;
    let mut unlabelled = Vec::new();
    let cols = if learning.unlabelled_text_cols.is_empty() { text_cols } else { &learning.unlabelled_text_cols };
    for path in &learning.unlabelled {
        let table = Table::read(path)?;
        let columns = table.columns(cols)?;
        unlabelled.extend((0..table.rows.len()).map(|r| table.joined(r, &columns)).filter(|t| !t.is_empty()));
    }
    let mut priors = Vec::new();
    if let Some(path) = &learning.priors {
        let table = Table::read(path)?;
        ensure!(table.headers.len() >= 2, "{}: a priors file needs a label column and at least one name column", path.display());
        for row in 0..table.rows.len() {
            let label = table.cell(row, 0).to_owned();
            let names: Vec<usize> = (1..table.headers.len()).collect();
            let names = table.joined(row, &names).replace('\n', " ");
            if !label.is_empty() && !names.is_empty() {
                priors.push(Prior { label, names });
            }
        }
    }
    if let Some(c) = learning.self_training {
        ensure!((0.0..=1.0).contains(&c), "--self-training is a confidence between 0 and 1");
        ensure!(!unlabelled.is_empty(), "--self-training needs --unlabelled files");
    }
    let mut distant = Vec::new();
    if let Some(path) = &learning.distant {
        ensure!(learning.distant_weight.iter().all(|w| (0.0..=1.0).contains(w)), "--distant-weight is within 0..=1");
        let departments = match &learning.departments {
            Some(path) => Departments::from_table(&Table::read(path)?)?,
            None => Departments::builtin(),
        };
        let table = Table::read(path)?;
        let (columns, reply, id) = (table.columns(cols)?, table.column(&learning.reply_col)?, table.column(&data.id_col).ok());
        let answered: Vec<Answered> = (0..table.rows.len())
            .map(|r| Answered {
                id: id.map(|c| table.cell(r, c).to_owned()).unwrap_or_default(),
                text: table.joined(r, &columns),
                reply: table.cell(r, reply).to_owned(),
            })
            .filter(|a| !a.text.is_empty())
            .collect();
        let labels = departments.label(&answered, &labelled.identities());
        eprintln!(
            "{}: {} messages labelled from their reply; {} name no department, {} departments of several labels, {} are labelled messages (left out)",
            path.display(),
            labels.examples.len(),
            labels.unnamed,
            labels.ambiguous,
            labels.labelled_already
        );
        distant = labels.examples;
    }
    Ok(TrainOptions {
        features: gridline_text::features::FeatureConfig {
            bits: learning.bits,
            title_weight: learning.title_weight,
            subject_words: !learning.no_subject_words,
            embedding: learning.embedding,
            ..Default::default()
        },
        cost: learning.cost,
        dictionary: dictionary(),
        unlabelled,
        self_training: learning.self_training.map(|c| SelfTraining { min_confidence: c, weight: learning.self_training_weight }),
        distant,
        distant_weights: if learning.distant_weight.is_empty() { DISTANT_WEIGHTS.to_vec() } else { learning.distant_weight.clone() },
        priors,
        balanced: !learning.no_balance,
        ..TrainOptions::default()
    })
}

pub async fn model(command: ModelCommand) -> anyhow::Result<()> {
    match command {
        ModelCommand::Train { data, learning, output } => {
            let labelled = labelled(&data).await?;
            let options = options(&learning, &data, &labelled)?;
            let started = Instant::now();
            let model = Model::train(&labelled.examples, &options)?;
            let seconds = started.elapsed().as_secs_f64();
            model.save(&output).with_context(|| format!("saving {}", output.display()))?;
            let m = &model.meta;
            if !m.distant_selection.is_empty() {
                let tried: Vec<String> = m.distant_selection.iter().map(|(w, f1)| format!("{w}: {f1:.4}")).collect();
                println!("distant weight {} chosen by {SELECTION_FOLDS}-fold cross-validated macro-F1 ({})", m.distant_weight, tried.join(", "));
            }
            println!(
                "trained on {} examples ({} classes), {} unlabelled messages, {} self-trained, {} from replies, {} prior terms in {seconds:.1} s; saved {}",
                m.examples,
                m.labels.len(),
                m.unlabelled,
                m.pseudo_labelled,
                m.distant,
                m.prior_terms.len(),
                output.display()
            );
            Ok(())
        }
        ModelCommand::Eval { model, data, json } => {
            let model = Model::load(&model).with_context(|| format!("loading {}", model.display()))?;
            let examples = labelled(&data).await?.examples;
            let mut truth = Vec::new();
            let mut predicted = Vec::new();
            for (i, e) in examples.iter().enumerate() {
                let p = model.predict(&e.text).with_context(|| format!("example {}", i + 1))?;
                truth.push(e.label.clone());
                predicted.push(p.label);
            }
            let evaluation = Evaluation::score(&truth, &predicted);
            if json {
                println!("{}", serde_json::to_string_pretty(&evaluation)?);
            } else {
                print!("{}", evaluation.report());
            }
            Ok(())
        }
        ModelCommand::Cv { data, learning, folds, seed, repeats, folds_out } => {
            ensure!((2..=20).contains(&folds), "--folds must be within 2..=20");
            ensure!((1..=20).contains(&repeats), "--repeats must be within 1..=20");
            let labelled = labelled(&data).await?;
            let options = options(&learning, &data, &labelled)?;
            let examples = labelled.examples;
            let labels: Vec<&str> = examples.iter().map(|e| e.label.as_str()).collect();
            let mut repetitions = Vec::with_capacity(repeats);
            for seed in (0..repeats as u64).map(|r| seed.wrapping_add(r)) {
                let assignment = stratified_folds(&labels, folds, seed);
                if let Some(path) = folds_out.as_ref().filter(|_| repetitions.is_empty()) {
                    let mut out = String::from("row,fold\n");
                    for (row, fold) in assignment.iter().enumerate() {
                        out += &format!("{row},{fold}\n");
                    }
                    std::fs::write(path, out).with_context(|| format!("writing {}", path.display()))?;
                }
                let started = Instant::now();
                let mut weights_chosen = Vec::new();
                let cv = cross_validate(&examples, &assignment, |train| {
                    let model = Model::train(train, &options)?;
                    weights_chosen.push(model.meta.distant_weight);
                    Ok(model)
                })?;
                let (mean, sd) = (cv.mean_macro_f1(), cv.sd_macro_f1());
                println!(
                    "{folds}-fold stratified CV (seed {seed}) in {:.1} s: macro-F1 per fold {}; mean {mean:.4} ± {sd:.4}",
                    started.elapsed().as_secs_f64(),
                    cv.fold_macro_f1.iter().map(|f| format!("{f:.4}")).collect::<Vec<_>>().join(" ")
                );
                if !options.distant.is_empty() {
                    println!("distant weight per fold: {weights_chosen:?}");
                }
                if repetitions.is_empty() {
                    println!("pooled over all folds:");
                    print!("{}", cv.pooled.report());
                }
                repetitions.push(mean);
            }
            if repeats > 1 {
                let mean = repetitions.iter().sum::<f64>() / repeats as f64;
                let sd = (repetitions.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / repeats as f64).sqrt();
                let each = repetitions.iter().map(|m| format!("{m:.4}")).collect::<Vec<_>>().join(" ");
                println!("{repeats} × {folds}-fold CV (seeds {seed}..{}): macro-F1 per repetition {each}; mean {mean:.4} ± {sd:.4}", seed.wrapping_add(repeats as u64 - 1));
            }
            Ok(())
        }
    }
}

pub fn classify(args: ClassifyArgs) -> anyhow::Result<()> {
    let model = Model::load(&args.model).with_context(|| format!("loading {}", args.model.display()))?;
    let table = Table::read(&args.input)?;
    let columns = table.columns(&args.text_cols)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for row in 0..table.rows.len() {
        let line = match model.predict(&table.joined(row, &columns)) {
            Ok(p) => json!({"row": row + 1, "label": p.label, "confidence": p.confidence, "top": p.top}),
            // One line per row, in order: a row the model cannot read says why in its place.
            Err(e) => json!({"row": row + 1, "error": {"code": "unreadable_text", "message": e.to_string()}}),
        };
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(())
}

pub async fn hotspots(args: HotspotsArgs) -> anyhow::Result<()> {
    let from = args.from.as_deref().map(parse_time).transpose()?;
    let to = args.to.as_deref().map(parse_time).transpose()?;
    let in_period = |t: i64| from.is_none_or(|f| t >= f) && to.is_none_or(|e| t < e);
    let messages: Vec<Message> = match &args.input {
        Some(path) => {
            ensure!(args.region.is_none(), "--region applies to the platform's cases, not to a file");
            let table = Table::read(path)?;
            let texts = table.columns(&args.text_cols)?;
            let (time, reporter, id) = (table.column(&args.time_col)?, table.column(&args.reporter_col)?, table.column(&args.id_col)?);
            let likes = table.column(&args.likes_col).ok();
            let mut messages = Vec::new();
            for row in 0..table.rows.len() {
                let at = parse_time(table.cell(row, time)).with_context(|| format!("{}: row {}", path.display(), row + 2))?;
                if !in_period(at) {
                    continue;
                }
                let likes = likes.map_or(Ok(0), |c| table.cell(row, c).parse::<u32>().or(if table.cell(row, c).is_empty() { Ok(0) } else { Err(()) }));
                let likes = likes.map_err(|_| anyhow::anyhow!("{}: row {}: {} is not a count", path.display(), row + 2, args.likes_col))?;
                messages.push(Message {
                    id: table.cell(row, id).to_owned(),
                    reporter: table.cell(row, reporter).to_owned(),
                    text: table.joined(row, &texts),
                    time: at,
                    likes,
                });
            }
            messages
        }
        None => {
            let store = args.database.open().await?;
            store
                .text().cases(false, from.map(jiff::Timestamp::from_second).transpose()?)
                .await?
                .into_iter()
                .filter(|c| in_period(c.intake_time()))
                .filter(|c| args.region.as_deref().is_none_or(|r| c.region.as_deref().is_some_and(|own| own.starts_with(r))))
                .map(|c| Message {
                    id: c.id.to_string(),
                    // The phone identifies a caller across cases; the filing account is the
                    // fallback for cases without one (patrol findings).
                    reporter: c.intake.reporter.as_ref().and_then(|r| r.phone.clone()).unwrap_or_else(|| format!("user:{}", c.reported_by)),
                    text: format!("{}\n{}", c.intake.title, c.intake.description),
                    time: c.intake_time(),
                    likes: 0,
                })
                .collect()
        }
    };
    ensure!(!messages.is_empty(), "no messages in the period");
    let segmenter = Segmenter::new(&dictionary());
    let settings = HotspotSettings { window_days: args.window_days, ..HotspotSettings::default() };
    let issues = hot_issues(&messages, &segmenter, &settings)?;
    for issue in issues.iter().take(args.top) {
        if args.json {
            println!("{}", serde_json::to_string(issue)?);
        } else {
            let day = |t: i64| jiff::Timestamp::from_second(t).map(|t| t.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8))).date().to_string());
            println!(
                "#{:<2} heat {:>7.2}  {} messages, {} reporters, {} likes, {} → {}  place: {}  keywords: {}\n     e.g. {}",
                issue.rank,
                issue.heat,
                issue.messages,
                issue.reporters,
                issue.likes,
                day(issue.first)?,
                day(issue.last)?,
                issue.place.as_deref().unwrap_or("—"),
                issue.keywords.join(" "),
                issue.example
            );
        }
    }
    Ok(())
}

trait IntakeTime {
    fn intake_time(&self) -> i64;
}

impl IntakeTime for gridline_core::case::Case {
    fn intake_time(&self) -> i64 {
        self.received_at.as_second()
    }
}

pub fn replies(args: RepliesArgs) -> anyhow::Result<()> {
    let table = Table::read(&args.input)?;
    let id = table.column("留言编号")?;
    let message = table.columns(&["留言主题,留言详情".to_owned()])?;
    let (reply, asked, answered) = (table.column("答复意见")?, table.column("留言时间")?, table.column("答复时间")?);
    let exchanges: Vec<Exchange> = (0..table.rows.len())
        .map(|r| Exchange {
            id: table.cell(r, id).to_owned(),
            message: table.joined(r, &message),
            reply: table.cell(r, reply).to_owned(),
            asked: parse_time(table.cell(r, asked)).ok(),
            answered: parse_time(table.cell(r, answered)).ok(),
        })
        .collect();
    let segmenter = Segmenter::new(&dictionary());
    let scores = score_all(&exchanges, &segmenter);
    if args.json {
        for s in &scores {
            println!("{}", serde_json::to_string(s)?);
        }
    }
    let mean = |f: &dyn Fn(&gridline_text::replies::ReplyScore) -> Option<f32>| {
        let v: Vec<f32> = scores.iter().filter_map(f).collect();
        v.iter().sum::<f32>() / v.len().max(1) as f32
    };
    eprintln!(
        "{} replies: mean relevance {:.3}, completeness {:.3}, interpretability {:.3}, timeliness {:.3}",
        scores.len(),
        mean(&|s| Some(s.relevance)),
        mean(&|s| Some(s.completeness)),
        mean(&|s| Some(s.interpretability)),
        mean(&|s| s.timeliness)
    );
    if let Some(path) = args.labels {
        let labels = Table::read(&path)?;
        let lid = labels.column("留言编号")?;
        let by_id: HashMap<&str, &gridline_text::replies::ReplyScore> = scores.iter().map(|s| (s.id.as_str(), s)).collect();
        // A labelled column, the score it grades and the threshold of that score.
        type Check = (&'static str, fn(&gridline_text::replies::ReplyScore) -> f32, f32);
        let checks: [Check; 3] = [
            ("完整性指标_A", |s| s.completeness, 0.8),
            ("可解释性指标_A", |s| s.interpretability, 0.5),
            ("可解释性_B", |s| s.interpretability, 0.5),
        ];
        for (column, score, threshold) in checks {
            let c = labels.column(column)?;
            let mut values = Vec::new();
            let mut truth = Vec::new();
            for row in 0..labels.rows.len() {
                let label = labels.cell(row, c);
                let Some(s) = by_id.get(labels.cell(row, lid)) else { continue };
                match label.parse::<f32>() {
                    Ok(v) => {
                        values.push(score(s));
                        truth.push(v >= 0.5);
                    }
                    Err(_) if label.is_empty() => {}
                    Err(_) => bail!("{}: row {}: {column} is not 0 or 1: {label:?}", path.display(), row + 2),
                }
            }
            let a = agreement(&values, &truth, threshold);
            eprintln!(
                "{column}: {} labelled replies, AUC {:.3}, at threshold {threshold}: accuracy {:.3}, Cohen's kappa {:.3}",
                a.pairs, a.auc, a.accuracy, a.kappa
            );
        }
    }
    Ok(())
}

/// The text settings of `gridline serve`.
#[derive(Args)]
pub struct ServeText {
    /// A classifier trained on catalogue codes (`gridline model train`); without one, hotline
    /// cases get keyword suggestions from the catalogue.
    #[arg(long, env = "GRIDLINE_MODEL")]
    model: Option<PathBuf>,
    /// A model's suggestion at or above this confidence files an uncategorised hotline case.
    #[arg(long, default_value_t = 0.9, env = "GRIDLINE_AUTO_FILE_THRESHOLD")]
    auto_file_threshold: f32,
    /// Open cases within this many metres (or in the same street) are compared for duplicates.
    #[arg(long, default_value_t = 500.0, env = "GRIDLINE_DUPLICATE_RADIUS_M")]
    duplicate_radius_m: f64,
    /// ...when received within this many days of each other.
    #[arg(long, default_value_t = 7, env = "GRIDLINE_DUPLICATE_DAYS")]
    duplicate_days: i64,
    /// Duplicate suggestions score at least this (0–1).
    #[arg(long, default_value_t = 0.6, env = "GRIDLINE_DUPLICATE_MIN_SCORE")]
    duplicate_min_score: f32,
}

impl ServeText {
    pub fn options(&self) -> anyhow::Result<gridline_app::TextOptions> {
        ensure!((0.0..=1.0).contains(&self.auto_file_threshold), "--auto-file-threshold is a confidence between 0 and 1");
        ensure!(self.duplicate_radius_m > 0.0 && self.duplicate_radius_m <= 50_000.0, "--duplicate-radius-m is within (0, 50000]");
        ensure!((1..=365).contains(&self.duplicate_days), "--duplicate-days is within 1..=365");
        ensure!((0.0..=1.0).contains(&self.duplicate_min_score), "--duplicate-min-score is between 0 and 1");
        Ok(gridline_app::TextOptions {
            model: self.model.clone(),
            auto_file_threshold: self.auto_file_threshold,
            file_keyword_suggestions: false,
            dedupe: gridline_text::dedupe::DedupeSettings {
                radius_m: self.duplicate_radius_m,
                days: self.duplicate_days,
                min_score: self.duplicate_min_score,
            },
        })
    }
}

/// `gridline bench classify|dedupe`.
#[derive(Subcommand)]
pub enum TextBench {
    /// Classification speed on one core: messages per second of a saved model.
    Classify {
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        input: PathBuf,
        #[arg(long = "text-col", required = true)]
        text_cols: Vec<String>,
        /// Classify at least this many messages (the file is cycled).
        #[arg(long, default_value_t = 50_000)]
        messages: usize,
    },
    /// Duplicate check of a new case against many open cases in the in-memory index.
    Dedupe {
        #[arg(long, default_value_t = 1_000_000)]
        open_cases: usize,
        #[arg(long, default_value_t = 10_000)]
        queries: usize,
    },
}

pub fn bench(command: TextBench) -> anyhow::Result<()> {
    match command {
        TextBench::Classify { model, input, text_cols, messages } => {
            let model = Model::load(&model).with_context(|| format!("loading {}", model.display()))?;
            let table = Table::read(&input)?;
            let columns = table.columns(&text_cols)?;
            let texts: Vec<String> = (0..table.rows.len()).map(|r| table.joined(r, &columns)).filter(|t| gridline_text::check_chinese(t).is_ok()).collect();
            ensure!(!texts.is_empty(), "no Chinese text in {}", input.display());
            let bytes: usize = texts.iter().map(String::len).sum();
            let started = Instant::now();
            let mut done = 0;
            let mut sink = 0.0f32;
            while done < messages {
                for t in &texts {
                    sink += model.predict(t)?.confidence;
                }
                done += texts.len();
            }
            let seconds = started.elapsed().as_secs_f64();
            let rounds = done / texts.len();
            println!(
                "classified {done} messages (mean {} bytes) on one thread in {seconds:.2} s: {:.0} messages/s, {:.1} MB/s (checksum {sink:.1})",
                bytes / texts.len(),
                done as f64 / seconds,
                (bytes * rounds) as f64 / seconds / 1e6
            );
            Ok(())
        }
        TextBench::Dedupe { open_cases, queries } => dedupe_bench(open_cases, queries),
    }
}

/// A synthetic city: `open_cases` open cases spread over Beijing's streets (about the label
/// point of each, ± 2 km), over the last week, with texts drawn from a pool of problems and
/// places so that fingerprints vary; then `queries` new cases checked against it.
fn dedupe_bench(open_cases: usize, queries: usize) -> anyhow::Result<()> {
    use gridline_core::region::RegionLevel;
    use gridline_text::dedupe::{DedupeSettings, DuplicateIndex, OpenCase, simhash};
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    let regions = gridline_geo::beijing();
    let streets: Vec<(String, (f64, f64))> =
        regions.at_level(RegionLevel::Street).filter_map(|s| s.label_point.map(|p| (s.code.clone(), p))).collect();
    let problems = ["门口暴露垃圾没人清运", "井盖丢失很危险", "路灯不亮一片漆黑", "共享单车乱停占用盲道", "餐馆油烟直排扰民", "工地夜间施工噪音", "小广告贴满电线杆", "机动车占用人行道停车", "绿地里堆放建筑垃圾", "下水道堵塞污水外溢"];
    let places = ["东门", "西门", "南侧", "北侧", "十字路口", "公交站旁", "菜市场外", "小学门口", "3号楼下", "地铁口"];
    let mut rng = StdRng::seed_from_u64(0x5eed);
    let now = 1_790_000_000i64;
    let make = |id: i64, rng: &mut StdRng| {
        let (street, (lat, lon)) = &streets[rng.random_range(0..streets.len())];
        let text = format!("{}路{}{}号{}{}", rng.random_range(0..500), places[rng.random_range(0..places.len())], rng.random_range(0..100), problems[rng.random_range(0..problems.len())], rng.random_range(0..1000));
        OpenCase {
            id,
            street: Some(street.clone()),
            point: Some((lat + (rng.random::<f64>() - 0.5) * 0.036, lon + (rng.random::<f64>() - 0.5) * 0.047)),
            category: Some(format!("0{}", 101 + rng.random_range(0..10))),
            received: now - rng.random_range(0..7 * 86_400) as i64,
            fingerprint: simhash(&text),
        }
    };
    let started = Instant::now();
    let mut index = DuplicateIndex::new(DedupeSettings::default());
    for id in 1..=open_cases as i64 {
        let case = make(id, &mut rng);
        index.insert(case);
    }
    let build = started.elapsed().as_secs_f64();
    let probes: Vec<OpenCase> = (0..queries).map(|i| make(open_cases as i64 + 1 + i as i64, &mut rng)).collect();
    let mut times = Vec::with_capacity(queries);
    let mut found = 0;
    for probe in &probes {
        let t = Instant::now();
        found += index.candidates(probe).len();
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| times[((times.len() - 1) as f64 * p) as usize];
    println!(
        "{open_cases} open cases indexed in {build:.1} s; {queries} duplicate checks: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms ({found} suggestions)",
        pct(0.5),
        pct(0.99),
        times[times.len() - 1]
    );
    Ok(())
}
