//! `gridline export cases --output FILE.csv|FILE.xlsx [filters]`: every case the filters admit,
//! as the analysts' CSV or XLSX of `GET /api/v1/cases/export` (the same columns; see
//! docs/import-export.md).
//! The command line is the administrator's: it sees every case.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Subcommand;
use gridline_core::case::{CaseStatus, Channel};
use gridline_core::message::Lang;
use gridline_app::export::{Exporter, csv_stream};
use gridline_store::{CaseFilter, Store, Visibility};
use jiff::Timestamp;

use crate::Database;

#[derive(Subcommand)]
pub enum ExportCommand {
    /// Export cases to CSV (UTF-8 with a byte-order mark, for Excel) or XLSX.
    Cases {
        /// The file to write; `-` for standard output.
        #[arg(long)]
        output: PathBuf,
        /// csv or xlsx; by default the output's extension decides (csv when it says nothing).
        #[arg(long)]
        format: Option<String>,
        /// zh (the default): Chinese headers (编号, 状态, …) and labels (已派遣, 是/否); en: the
        /// columns' names (id, status, …) and the API's values (dispatched, true), stable for scripts.
        #[arg(long, default_value = "zh", value_parser = ["zh", "en"])]
        lang: String,
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        channel: Option<String>,
        #[arg(long)]
        category: Option<String>,
        /// A region code: the region and everything inside it.
        #[arg(long)]
        region: Option<String>,
        #[arg(long)]
        unit: Option<String>,
        /// Only cases past their deadline (true) or not (false).
        #[arg(long)]
        overdue: Option<bool>,
        /// Received on or after this Beijing date (2026-01-31).
        #[arg(long)]
        from: Option<jiff::civil::Date>,
        /// Received on or before this Beijing date.
        #[arg(long)]
        to: Option<jiff::civil::Date>,
        #[command(flatten)]
        database: Database,
    },
}

pub async fn run(command: ExportCommand) -> anyhow::Result<()> {
    let ExportCommand::Cases { output, format, lang, status, channel, category, region, unit, overdue, from, to, database } = command;
    let lang = if lang == "en" { Lang::En } else { Lang::Zh };
    let by_extension = output.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let xlsx = match format.as_deref().or(by_extension.as_deref().filter(|e| *e == "xlsx")).unwrap_or("csv") {
        "csv" => false,
        "xlsx" => true,
        other => bail!("--format is csv or xlsx, not {other:?}"),
    };
    let now = Timestamp::now();
    let zone = gridline_core::calendar::WorkCalendar::china().time_zone().clone();
    let regions = Arc::new(gridline_geo::beijing());
    let mut filter = CaseFilter::new(Visibility::All, now);
    filter.status = status.map(|s| CaseStatus::parse(&s).with_context(|| format!("unknown status {s:?}"))).transpose()?;
    filter.channel = channel.map(|c| Channel::parse(&c).with_context(|| format!("unknown channel {c:?}"))).transpose()?;
    let store = database.open().await?;
    let (reference, _) = gridline_app::reference_in_force(&store, &regions).await?;
    let catalogue = Arc::new(reference.catalogue);
    if let Some(code) = &category
        && catalogue.get(code).is_none()
    {
        bail!("unknown category {code:?}");
    }
    filter.category = category;
    if let Some(code) = region {
        let found = regions.get(&code).with_context(|| format!("unknown region {code:?}"))?;
        filter.region_prefix = Some(found.code_prefix().to_owned());
    }
    filter.overdue = overdue;
    filter.received_from = from.map(|d| d.to_zoned(zone.clone()).map(|z| z.timestamp())).transpose()?;
    filter.received_to = to.map(|d| d.tomorrow().and_then(|t| t.to_zoned(zone.clone())).map(|z| z.timestamp())).transpose()?;
    let units = store.people().units().await?;
    if let Some(code) = &unit
        && !units.iter().any(|u| u.code.as_str() == code)
    {
        bail!("unknown unit {code:?}");
    }
    filter.unit = unit;
    let exporter = Exporter::new(catalogue, regions, units, now, lang);
    let (rows, bytes) = if xlsx {
        let (bytes, rows) = gridline_app::export::xlsx_bytes(&store, exporter, &filter).await?;
        if output.as_os_str() == "-" {
            std::io::stdout().lock().write_all(&bytes).context("writing the export")?;
        } else {
            std::fs::write(&output, &bytes).with_context(|| format!("writing {}", output.display()))?;
        }
        (rows, bytes.len() as u64)
    } else if output.as_os_str() == "-" {
        write_csv(&store, exporter, &filter, std::io::stdout().lock()).await?
    } else {
        let file = std::fs::File::create(&output).with_context(|| format!("creating {}", output.display()))?;
        write_csv(&store, exporter, &filter, std::io::BufWriter::with_capacity(1 << 20, file)).await?
    };
    store.close().await;
    eprintln!("exported {rows} cases ({bytes} bytes)");
    Ok(())
}

/// Writes the CSV of every case the filter admits; returns (cases, bytes).
pub async fn write_csv(store: &Store, exporter: Exporter, filter: &CaseFilter, mut out: impl Write) -> anyhow::Result<(u64, u64)> {
    let total = store.cases().list(&CaseFilter { page_size: 1, ..filter.clone() }).await?.total;
    let progress = indicatif::ProgressBar::new(u64::try_from(total).unwrap_or(0));
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        progress.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let mut chunks = csv_stream(store, exporter, filter);
    let (mut rows, mut bytes) = (0u64, 0u64);
    while let Some(chunk) = chunks.recv().await {
        let chunk = chunk?;
        rows += chunk.cases as u64;
        bytes += chunk.bytes.len() as u64;
        out.write_all(&chunk.bytes).context("writing the export")?;
        progress.set_position(rows);
    }
    out.flush().context("writing the export")?;
    progress.finish_and_clear();
    Ok((rows, bytes))
}
