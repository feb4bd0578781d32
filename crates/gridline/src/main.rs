//! `gridline`: the one binary. Serves the platform (`serve`, `demo`) and runs every other command
//! of gridline-cli (users, units, catalogue, import, export, rankings, models, benchmarks).

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use gridline_app::TextOptions;
use gridline_cli::Database;
use gridline_server::Application;
use gridline_store::Store;

/// mimalloc rather than the system allocator: the request path allocates many small JSON values,
/// and glibc's malloc was a fifth of the server's time in the intake benchmark.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "gridline", version, about = "gridline: the civilised-city case platform (创城+热线+网格)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API.
    Serve {
        #[command(flatten)]
        database: Database,
        #[arg(long, default_value = "127.0.0.1:8080", env = "GRIDLINE_ADDR")]
        addr: SocketAddr,
        #[command(flatten)]
        text: gridline_cli::text::ServeText,
        #[command(flatten)]
        tls: Tls,
    },
    /// Create (if absent) and serve a demo city: Beijing's districts and streets, a few dozen
    /// units, one user per role and a few thousand cases in every state.
    Demo {
        #[arg(long, default_value = "gridline-demo")]
        data_dir: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// How many cases the demo city starts with.
        #[arg(long, default_value_t = 3000)]
        cases: usize,
        #[command(flatten)]
        tls: Tls,
    },
    #[command(flatten)]
    Other(gridline_cli::Command),
}

/// HTTPS served directly: browsers give a page the phone's position only over HTTPS. Without
/// these the server speaks plain HTTP (behind a TLS proxy, see docs/configuration.md).
#[derive(clap::Args)]
struct Tls {
    /// The certificate chain, a PEM file (the server's certificate first).
    #[arg(long, env = "GRIDLINE_TLS_CERT", requires = "tls_key", value_name = "PEM")]
    tls_cert: Option<PathBuf>,
    /// The certificate's private key, a PEM file (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "GRIDLINE_TLS_KEY", requires = "tls_cert", value_name = "PEM")]
    tls_key: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match Cli::parse().command {
        Command::Serve { database, addr, text, tls } => {
            let tls = tls.load().await?;
            serve(database.open().await?, addr, text.options()?, tls).await
        }
        Command::Demo { data_dir, addr, cases, tls } => {
            let tls = tls.load().await?;
            let store = Store::open_data_dir(&data_dir).await?;
            let credentials = gridline_cli::demo::ensure(&store, &data_dir, cases).await?;
            println!("gridline demo city in {}", data_dir.display());
            println!("{credentials}");
            serve(store, addr, TextOptions::default(), tls).await
        }
        Command::Other(command) => gridline_cli::run(command).await,
    }
}

impl Tls {
    /// The certificate, read before anything else starts so that a wrong file stops at once.
    async fn load(&self) -> anyhow::Result<Option<gridline_server::Tls>> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Ok(Some(gridline_server::Tls::from_pem_files(cert, key).await?)),
            _ => Ok(None),
        }
    }
}

async fn serve(store: Store, addr: SocketAddr, text: TextOptions, tls: Option<gridline_server::Tls>) -> anyhow::Result<()> {
    let mut app = Application::build_with_text(store, addr, text).await.with_context(|| format!("listening on {addr}"))?;
    if let Some(tls) = tls {
        app = app.with_tls(tls);
    }
    let bound = app.local_addr()?;
    let scheme = if app.is_tls() { "https" } else { "http" };
    tracing::info!(%bound, scheme, "gridline is serving");
    println!("gridline listening on {scheme}://{bound}");
    app.run_until_stopped().await?;
    Ok(())
}
