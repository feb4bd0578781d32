//! The commands of the `gridline` binary that work on the data without serving it: users and
//! units, the catalogue, import and export, rankings, the text models, the demo city's data and
//! the benchmarks. They act through the application layer (gridline-app), never through the HTTP
//! server; the binary (crates/gridline) adds `serve` and `demo`.

mod alleys;
mod analytics;
mod apikey;
mod backup;
mod bench;
mod bench_evaluation;
mod bench_alleys;
mod bench_io;
mod bench_upload;
mod bench_sign_in;
mod bench_web;
mod catalogue;
pub mod demo;
mod demo_alleys;
mod demo_evaluation;
mod evaluation;
mod export;
mod geo;
mod import;
pub mod report;
mod ledger;
pub mod text;

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use gridline_core::actor::Role;
use gridline_core::ids::UnitCode;
use gridline_core::unit::Unit;
use gridline_app::admin;
use gridline_core::actor::Actor;
use gridline_store::Store;

/// Where the data lives: the embedded database in a data directory, or a database URL.
#[derive(Args, Clone)]
pub struct Database {
    /// Directory of the embedded SQLite database.
    #[arg(long, default_value = "gridline-data", env = "GRIDLINE_DATA_DIR")]
    data_dir: PathBuf,
    /// A database URL (postgres://… or sqlite://…) instead of the data directory.
    #[arg(long, env = "GRIDLINE_DATABASE")]
    database: Option<String>,
    /// Where attachments (photos and files) are kept: `DATA_DIR/files` beside the embedded
    /// database by default; required with PostgreSQL, a directory every server shares.
    #[arg(long, env = "GRIDLINE_FILES_DIR")]
    files_dir: Option<PathBuf>,
}

impl Database {
    pub async fn open(&self) -> anyhow::Result<Store> {
        let store = match &self.database {
            Some(url) => Store::open(url).await.with_context(|| format!("opening {}", redact(url)))?,
            None => Store::open_data_dir(&self.data_dir)
                .await
                .with_context(|| format!("opening the data directory {}", self.data_dir.display()))?,
        };
        Ok(match &self.files_dir {
            Some(dir) => store.with_files_dir(dir),
            None => store,
        })
    }
}

/// A URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => match url[scheme + 3..at].split_once(':') {
            Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
            None => url.to_owned(),
        },
        _ => url.to_owned(),
    }
}

/// The commands that do not serve.
#[derive(Subcommand)]
pub enum Command {
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage units (departments, street offices, member units).
    Unit {
        #[command(subcommand)]
        command: UnitCommand,
    },
    /// Beijing's geography: locate points, geocode addresses, grid cells.
    Geo {
        #[command(subcommand)]
        command: geo::GeoCommand,
    },
    /// API keys of client systems (Open311).
    Apikey {
        #[command(subcommand)]
        command: apikey::ApiKeyCommand,
    },
    /// Bulk import of cases from CSV files.
    Import {
        #[command(subcommand)]
        command: import::ImportCommand,
    },
    /// Export of cases to CSV.
    Export {
        #[command(subcommand)]
        command: export::ExportCommand,
    },
    /// The month's ranking (月排名) of streets, districts or units by the three rates.
    Rank {
        /// YYYY-MM, or YYYY-MM..YYYY-MM.
        #[arg(long)]
        period: String,
        /// street, district or unit.
        #[arg(long, default_value = "street")]
        level: String,
        /// Only inside this region (a district's code ranks its streets).
        #[arg(long)]
        region: Option<String>,
        /// How many at the bottom make the interview list.
        #[arg(long, default_value_t = 3)]
        bottom: usize,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        database: Database,
    },
    /// Documents officials read (简报, 通报, 督办单) as DOCX or PDF in the GB/T 9704 layout.
    Report {
        #[command(subcommand)]
        command: report::ReportCommand,
    },
    /// The rollups behind rates and rankings: rebuild them from the events, or check them.
    Rollups {
        #[command(subcommand)]
        command: analytics::RollupsCommand,
    },
    /// Train, evaluate and cross-validate text classifiers.
    Model {
        #[command(subcommand)]
        command: text::ModelCommand,
    },
    /// Classify the messages of a CSV or Excel file: one JSON line per row.
    Classify(text::ClassifyArgs),
    /// Hot issues: messages about the same problem and place, ranked by heat.
    Hotspots(text::HotspotsArgs),
    /// Score government replies for relevance, completeness, interpretability and timeliness.
    Replies(text::RepliesArgs),
    /// The unified catalogue, routing rules and crosswalk: list, export, import, validate.
    Catalogue {
        #[command(subcommand)]
        command: catalogue::CatalogueCommand,
    },
    /// Routing: explain which unit a case goes to.
    Route {
        #[command(subcommand)]
        command: catalogue::RouteCommand,
    },
    /// An online, consistent copy of the embedded SQLite store (while it serves), with its
    /// SHA-256 in FILE.sha256. PostgreSQL: use pg_dump (docs/postgresql.md).
    Backup {
        #[arg(long)]
        output: PathBuf,
        #[command(flatten)]
        database: Database,
    },
    /// Put a backup back as the database of an empty data directory, after checking its
    /// checksum and SQLite's integrity check. Stop the server first.
    Restore {
        #[arg(long)]
        input: PathBuf,
        #[arg(long, default_value = "gridline-data", env = "GRIDLINE_DATA_DIR")]
        data_dir: PathBuf,
    },
    /// 背街小巷: the alley registry as XLSX or GeoJSON, the month's evaluation (月评), the ranking.
    Alleys {
        #[command(subcommand)]
        command: alleys::AlleysCommand,
    },
    /// The evaluation (测评): the indicator system as XLSX, rounds, scores.
    Evaluation {
        #[command(subcommand)]
        command: evaluation::EvaluationCommand,
    },
    /// The committee's project ledger (重点工作项目台账): import, export, the progress board.
    Ledger {
        #[command(subcommand)]
        command: ledger::LedgerCommand,
    },
    /// Benchmarks whose figures go into BENCHMARKS.md.
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is read from standard input.
    Add {
        username: String,
        #[arg(long)]
        role: String,
        /// The unit the user works for (required for grid workers and unit staff).
        #[arg(long)]
        unit: Option<UnitCode>,
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from standard input (the only way: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
        #[command(flatten)]
        database: Database,
    },
    /// List users.
    List {
        #[command(flatten)]
        database: Database,
    },
    /// Disable a user: their sessions end and they cannot sign in (written to the audit log).
    Disable {
        username: String,
        #[command(flatten)]
        database: Database,
    },
    /// Enable a disabled user again (written to the audit log).
    Enable {
        username: String,
        #[command(flatten)]
        database: Database,
    },
    /// Give a user a new password, read from standard input; their sessions end (audited).
    ResetPassword {
        username: String,
        /// Read the password from standard input (the only way: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
        #[command(flatten)]
        database: Database,
    },
    /// Change a user's role, unit or display name (audited).
    Change {
        username: String,
        #[arg(long)]
        role: Option<String>,
        #[arg(long, conflicts_with = "no_unit")]
        unit: Option<UnitCode>,
        /// Take the user's unit away.
        #[arg(long)]
        no_unit: bool,
        #[arg(long)]
        display_name: Option<String>,
        #[command(flatten)]
        database: Database,
    },
    /// List the accounts and addresses locked out of signing in after too many failures.
    Locks {
        #[command(flatten)]
        database: Database,
    },
    /// Lift a sign-in lockout (written to the audit log): `account:NAME` or `address:IP`.
    Unlock {
        subject: String,
        #[command(flatten)]
        database: Database,
    },
}

#[derive(Subcommand)]
pub enum UnitCommand {
    /// Add or update a unit.
    Add {
        code: UnitCode,
        #[arg(long)]
        name: String,
        /// department, street_office, member_unit or public_service.
        #[arg(long)]
        kind: String,
        /// Region codes the unit covers (repeat the flag for several).
        #[arg(long = "region", required = true)]
        regions: Vec<String>,
        /// Unit types it handles (routing vocabulary, e.g. street_office; repeat for several).
        #[arg(long = "type")]
        types: Vec<String>,
        #[command(flatten)]
        database: Database,
    },
    /// List units.
    List {
        #[command(flatten)]
        database: Database,
    },
}

/// A role by its name; an unknown one is refused with the list of roles.
fn parse_role(text: &str) -> anyhow::Result<Role> {
    admin::parse_role(text).map_err(|err| {
        let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        anyhow::anyhow!("{err}; one of {}", roles.join(", "))
    })
}

/// Runs one command.
pub async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::User { command: UserCommand::Add { username, role, unit, display_name, password_stdin: _, database } } => {
            let role = parse_role(&role)?;
            let password = password_from_stdin()?;
            let store = database.open().await?;
            let user = add_user(&store, &username, display_name.as_deref(), role, unit, &password).await?;
            println!("added user {} (id {}, role {})", user.username, user.id, user.role.as_str());
            Ok(())
        }
        Command::User { command: UserCommand::List { database } } => {
            let store = database.open().await?;
            for user in admin::list_users(&store, &admin::UserFilter::default(), &cli_actor()).await? {
                let disabled = if user.disabled_at.is_some() { "\tdisabled" } else { "" };
                println!("{}\t{}\t{}\t{}{disabled}", user.id, user.username, user.role.as_str(), user.unit.as_deref().unwrap_or_default());
            }
            Ok(())
        }
        Command::User { command: UserCommand::Disable { username, database } } => {
            let store = database.open().await?;
            let user = named_user(&store, &username).await?;
            admin::set_user_disabled(&store, user.id, true, &cli_actor(), jiff::Timestamp::now()).await?;
            println!("disabled user {username}; their sessions ended");
            Ok(())
        }
        Command::User { command: UserCommand::Enable { username, database } } => {
            let store = database.open().await?;
            let user = named_user(&store, &username).await?;
            admin::set_user_disabled(&store, user.id, false, &cli_actor(), jiff::Timestamp::now()).await?;
            println!("enabled user {username}");
            Ok(())
        }
        Command::User { command: UserCommand::ResetPassword { username, password_stdin: _, database } } => {
            let password = password_from_stdin()?;
            let store = database.open().await?;
            let user = named_user(&store, &username).await?;
            admin::reset_password(&store, user.id, &password, &cli_actor(), jiff::Timestamp::now()).await?;
            println!("reset the password of {username}; their sessions ended");
            Ok(())
        }
        Command::User { command: UserCommand::Change { username, role, unit, no_unit, display_name, database } } => {
            let store = database.open().await?;
            let user = named_user(&store, &username).await?;
            let change = admin::UserChange {
                display_name,
                role: role.as_deref().map(parse_role).transpose()?,
                unit: if no_unit { Some(None) } else { unit.map(Some) },
            };
            let user = admin::change_user(&store, user.id, &change, &cli_actor(), jiff::Timestamp::now()).await?;
            println!("changed user {} (role {}, unit {})", user.username, user.role.as_str(), user.unit.as_deref().unwrap_or("none"));
            Ok(())
        }
        Command::User { command: UserCommand::Locks { database } } => {
            let app = catalogue::state(&database).await?;
            for lock in app.sign_in_locks(jiff::Timestamp::now()).await? {
                let until = lock.locked_until.map(|t| t.to_string()).unwrap_or_default();
                println!("{}\t{} failures\tlocked until {until}", lock.subject.key(), lock.failures);
            }
            Ok(())
        }
        Command::User { command: UserCommand::Unlock { subject, database } } => {
            let parsed = gridline_store::SignInSubject::parse(&subject)
                .with_context(|| format!("{subject:?} is not account:NAME or address:IP"))?;
            let app = catalogue::state(&database).await?;
            let operator = std::env::var("USER").map_or_else(|_| "cli".to_owned(), |user| format!("cli:{user}"));
            app.lift_sign_in_lock(&parsed, &operator, jiff::Timestamp::now()).await?;
            println!("lifted the sign-in lockout of {subject}");
            Ok(())
        }
        Command::Unit { command: UnitCommand::Add { code, name, kind, regions, types, database } } => {
            let kind = admin::parse_unit_kind(&kind)
                .map_err(|_| anyhow::anyhow!("unknown unit kind {kind:?}; one of department, street_office, member_unit, public_service"))?;
            let app = catalogue::state(&database).await?;
            let unit = Unit { code: code.clone(), name, kind, regions, types };
            app.save_unit(unit, admin::Saving::Upsert, &cli_actor(), jiff::Timestamp::now()).await.map_err(|err| match refusal(&err) {
                Some("required") => anyhow::anyhow!("a unit needs a code and a name ({err})"),
                Some("unknown_unit_type") => {
                    let known: Vec<String> = app.reference().routing.unit_types().iter().map(|t| t.code.clone()).collect();
                    anyhow::anyhow!("{err}; one of {}", known.join(", "))
                }
                _ => err.into(),
            })?;
            println!("saved unit {code}");
            Ok(())
        }
        Command::Unit { command: UnitCommand::List { database } } => {
            for unit in database.open().await?.people().units().await? {
                println!("{}\t{}\t{}\t{}\t{}", unit.code, unit.name, unit.kind.as_str(), unit.regions.join(","), unit.types.join(","));
            }
            Ok(())
        }
        Command::Geo { command } => geo::run(command),
        Command::Catalogue { command } => catalogue::run(command).await,
        Command::Route { command } => catalogue::run_route(command).await,
        Command::Alleys { command } => alleys::run(command).await,
        Command::Evaluation { command } => evaluation::run(command).await,
        Command::Ledger { command } => ledger::run(command).await,
        Command::Bench { command } => bench::run(command).await,
        Command::Backup { output, database } => backup::backup(&database, &output).await,
        Command::Restore { input, data_dir } => backup::restore(&input, &data_dir).await,
        Command::Apikey { command } => apikey::run(command).await,
        Command::Import { command } => import::run(command).await,
        Command::Export { command } => export::run(command).await,
        Command::Rank { period, level, region, bottom, json, database } => {
            analytics::rank_command(&database, &period, &level, region.as_deref(), bottom, json).await
        }
        Command::Report { command } => report::run(command).await,
        Command::Rollups { command } => analytics::rollups_command(command).await,
        Command::Model { command } => text::model(command).await,
        Command::Classify(args) => text::classify(args),
        Command::Hotspots(args) => text::hotspots(args).await,
        Command::Replies(args) => text::replies(args),
    }
}

/// Who the CLI acts as in the audit log: `cli:` and the operating-system user.
pub fn cli_actor() -> Actor {
    let username = std::env::var("USER").map_or_else(|_| "cli".to_owned(), |user| format!("cli:{user}"));
    Actor { user_id: 0, username, role: Role::Admin, unit: None }
}

/// Adds a user through the application layer's one `create_user` (the API's too), in the CLI's
/// name; shared by `user add`, the demo and the benchmarks. Refusals say what to type.
pub async fn add_user(
    store: &Store,
    username: &str,
    display_name: Option<&str>,
    role: Role,
    unit: Option<UnitCode>,
    password: &str,
) -> anyhow::Result<gridline_store::UserRecord> {
    let input = admin::NewUserInput { username, display_name, role, unit, password };
    admin::create_user(store, &input, &cli_actor(), jiff::Timestamp::now()).await.map_err(|err| match refusal(&err) {
        Some("unit_required") => anyhow::anyhow!("role {} works for a unit: give --unit CODE", role.as_str()),
        Some("unknown_unit") => anyhow::anyhow!("{err}; add it first with `gridline unit add`"),
        _ => err.into(),
    })
}

/// The code of an application-layer refusal, if it is one.
fn refusal(err: &gridline_app::AppError) -> Option<&'static str> {
    match err {
        gridline_app::AppError::Domain(gridline_core::DomainError::Refused(reason)) => Some(reason.code()),
        _ => None,
    }
}

/// The user named `username`, for the commands that act on one.
async fn named_user(store: &Store, username: &str) -> anyhow::Result<gridline_store::UserRecord> {
    store.people().user_by_name(username).await?.with_context(|| format!("no user {username:?}"))
}

/// Reads a password from standard input, without the line's end.
fn password_from_stdin() -> anyhow::Result<String> {
    let mut password = String::new();
    std::io::stdin().read_to_string(&mut password).context("reading the password from standard input")?;
    Ok(password.trim_end_matches(['\r', '\n']).to_owned())
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn database_passwords_are_kept_out_of_messages() {
        assert_eq!(redact("postgres://grid:secret@db:5432/gridline"), "postgres://grid:***@db:5432/gridline");
        assert_eq!(redact("postgres://grid@db/gridline"), "postgres://grid@db/gridline");
        assert_eq!(redact("sqlite://data/gridline.db"), "sqlite://data/gridline.db");
    }
}
