//! `gridline catalogue …` and `gridline route explain`: the catalogue, routing rules and
//! crosswalk from the command line, through the same checks as the API.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Subcommand;
use gridline_core::case::CaseId;
use gridline_core::catalogue::CATALOGUE_FILE;
use gridline_core::crosswalk::CROSSWALK_FILE;
use gridline_core::reference::ReplacementFiles;
use gridline_core::routing::ROUTING_FILE;
use gridline_app::{App, AppError};
use gridline_core::DomainError;

use crate::Database;

#[derive(Subcommand)]
pub enum CatalogueCommand {
    /// List or search entries (by code prefix, name or keyword).
    List {
        /// Search text.
        #[arg(long)]
        q: Option<String>,
        /// Only fileable (leaf) entries.
        #[arg(long)]
        leaf: bool,
        #[command(flatten)]
        database: Database,
    },
    /// Write the catalogue, routing rules and crosswalk in force to a directory.
    Export {
        #[arg(long)]
        dir: PathBuf,
        #[command(flatten)]
        database: Database,
    },
    /// Replace any of the three files; all are checked together and nothing changes on an error.
    Import {
        #[command(flatten)]
        files: FileArgs,
        /// Check and report the changes without applying them.
        #[arg(long)]
        dry_run: bool,
        /// Why the catalogue changes (kept with the revision).
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        database: Database,
    },
    /// Check files without applying them (the same as `import --dry-run`).
    Validate {
        #[command(flatten)]
        files: FileArgs,
        #[command(flatten)]
        database: Database,
    },
    /// Source codes that map to no catalogue entry.
    Unmapped {
        #[arg(long)]
        scheme: Option<String>,
        #[command(flatten)]
        database: Database,
    },
}

#[derive(clap::Args)]
pub struct FileArgs {
    /// A catalogue.toml.
    #[arg(long)]
    catalogue: Option<PathBuf>,
    /// A routing.toml.
    #[arg(long)]
    routing: Option<PathBuf>,
    /// A crosswalk.csv.
    #[arg(long)]
    crosswalk: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum RouteCommand {
    /// Which unit the rules choose for a case, and why (JSON).
    Explain {
        case: CaseId,
        #[command(flatten)]
        database: Database,
    },
}

/// The application layer over the database, for commands that act through it.
pub(crate) async fn state(database: &Database) -> anyhow::Result<App> {
    let store = database.open().await?;
    Ok(App::new(store, Arc::new(gridline_geo::beijing()), &Default::default()).await?)
}

fn read(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    String::from_utf8(bytes).map_err(|e| anyhow::anyhow!("{} is not UTF-8 text (byte {})", path.display(), e.utf8_error().valid_up_to()))
}

/// Problems of refused files, one per line, as `file line N: message`.
fn explain(err: AppError) -> anyhow::Error {
    match err {
        AppError::Domain(DomainError::InvalidFiles(problems)) => {
            let lines: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
            anyhow::anyhow!("the files were refused; nothing changed:\n{}", lines.join("\n"))
        }
        other => anyhow::anyhow!("{other}"),
    }
}

async fn import(files: FileArgs, dry_run: bool, note: Option<String>, database: Database) -> anyhow::Result<()> {
    let replacements = ReplacementFiles {
        catalogue: files.catalogue.as_deref().map(read).transpose()?,
        routing: files.routing.as_deref().map(read).transpose()?,
        crosswalk: files.crosswalk.as_deref().map(read).transpose()?,
    };
    if replacements.is_empty() {
        bail!("give at least one of --catalogue, --routing and --crosswalk");
    }
    let state = state(&database).await?;
    let applied = state.apply_reference(replacements, "cli", note.as_deref(), dry_run).await.map_err(explain)?;
    let changes = &applied.changes;
    println!(
        "{}: {} entries ({} fileable), {} rules, {} crosswalk rows; added {}, changed {}, removed {}",
        match applied.revision {
            Some(revision) => format!("applied as revision {revision}"),
            None => "valid (dry run, nothing applied)".to_owned(),
        },
        applied.reference.catalogue.len(),
        applied.reference.catalogue.leaves().count(),
        changes.rules,
        changes.crosswalk_rows,
        changes.added.len(),
        changes.changed.len(),
        changes.removed.len()
    );
    for (label, codes) in [("added", &changes.added), ("changed", &changes.changed), ("removed", &changes.removed)] {
        if !codes.is_empty() {
            println!("  {label}: {}", codes.join(" "));
        }
    }
    Ok(())
}

pub async fn run(command: CatalogueCommand) -> anyhow::Result<()> {
    match command {
        CatalogueCommand::List { q, leaf, database } => {
            let state = state(&database).await?;
            let reference = state.reference();
            let catalogue = &reference.catalogue;
            for entry in catalogue.search(q.as_deref().unwrap_or("")) {
                if leaf && !catalogue.is_leaf(&entry.code) {
                    continue;
                }
                let limit = catalogue.time_limit(&entry.code, false).map(|l| l.to_string()).unwrap_or_default();
                let unit_type = catalogue.unit_type(&entry.code).unwrap_or_default();
                println!("{}\t{}\t{}\t{limit}\t{unit_type}", entry.code, entry.name, entry.name_en);
            }
            Ok(())
        }
        CatalogueCommand::Export { dir, database } => {
            let files = state(&database).await?.reference().files();
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            for (name, text) in [(CATALOGUE_FILE, files.catalogue), (ROUTING_FILE, files.routing), (CROSSWALK_FILE, files.crosswalk)] {
                let path = dir.join(name);
                std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
                println!("wrote {}", path.display());
            }
            Ok(())
        }
        CatalogueCommand::Import { files, dry_run, note, database } => import(files, dry_run, note, database).await,
        CatalogueCommand::Validate { files, database } => import(files, true, None, database).await,
        CatalogueCommand::Unmapped { scheme, database } => {
            let state = state(&database).await?;
            let reference = state.reference();
            let crosswalk = &reference.crosswalk;
            if let Some(scheme) = &scheme
                && !crosswalk.schemes().contains(&scheme.as_str())
            {
                bail!("unknown scheme {scheme:?}; one of {}", crosswalk.schemes().join(", "));
            }
            let unmapped: Vec<_> = crosswalk.unmapped(scheme.as_deref()).collect();
            for row in &unmapped {
                println!("{}\t{}\t{}", row.scheme, row.source_code, row.source_name);
            }
            eprintln!("{} unmapped source codes", unmapped.len());
            Ok(())
        }
    }
}

pub async fn run_route(command: RouteCommand) -> anyhow::Result<()> {
    match command {
        RouteCommand::Explain { case, database } => {
            let state = state(&database).await?;
            let found = state.store.cases().get(case).await?.with_context(|| format!("no case {case}"))?;
            let route = state
                .route_of(&found, jiff::Timestamp::now())
                .with_context(|| format!("case {case} has no category yet: register it with one to route it"))?;
            println!("{}", serde_json::to_string_pretty(&route)?);
            Ok(())
        }
    }
}
