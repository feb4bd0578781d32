//! placeholder
use clap::Subcommand;
#[derive(Subcommand)]
pub enum BenchCommand { Intake }
pub async fn run(_c: BenchCommand) -> anyhow::Result<()> { Ok(()) }
