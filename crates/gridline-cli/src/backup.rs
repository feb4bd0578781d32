//! `gridline backup` and `gridline restore`: an online, consistent copy of the embedded SQLite
//! store with its SHA-256 beside it, and putting such a copy back as a data directory.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};

use crate::Database;

/// The checksum file beside a backup: `FILE.sha256`, in the format `sha256sum -c` reads.
fn checksum_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".sha256");
    PathBuf::from(name)
}

fn sha256_of(file: &Path) -> anyhow::Result<String> {
    let mut reader = std::fs::File::open(file).with_context(|| format!("reading {}", file.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 20];
    loop {
        let n = reader.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Copies the store (while a server may be serving it) to `output` and writes its checksum.
pub async fn backup(database: &Database, output: &Path) -> anyhow::Result<()> {
    if output.exists() {
        bail!("{} exists already; a backup never overwrites a file", output.display());
    }
    let store = database.open().await?;
    let started = std::time::Instant::now();
    store.backup_to(output).await.with_context(|| format!("backing up to {}", output.display()))?;
    store.close().await;
    let hash = sha256_of(output)?;
    let name = output.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    std::fs::write(checksum_path(output), format!("{hash}  {name}\n")).context("writing the checksum")?;
    let bytes = std::fs::metadata(output)?.len();
    println!("backed up to {} ({bytes} bytes in {:.1} s); SHA-256 {hash} in {}", output.display(), started.elapsed().as_secs_f64(), checksum_path(output).display());
    Ok(())
}

/// Checks a backup against its checksum and SQLite's integrity check, then makes it the
/// database of `data_dir`, which must not hold one (stop the server and move the old one away).
pub async fn restore(input: &Path, data_dir: &Path) -> anyhow::Result<()> {
    let recorded = std::fs::read_to_string(checksum_path(input))
        .with_context(|| format!("reading the checksum {} written with the backup", checksum_path(input).display()))?;
    let recorded = recorded.split_whitespace().next().unwrap_or_default();
    let actual = sha256_of(input)?;
    if recorded != actual {
        bail!("{} does not match its checksum (SHA-256 {actual}, recorded {recorded}): it is damaged or not that backup", input.display());
    }
    let target = data_dir.join("gridline.db");
    for existing in [target.clone(), data_dir.join("gridline.db-wal")] {
        if existing.exists() {
            bail!("{} exists: restore into an empty data directory (stop the server and move the old database away first)", existing.display());
        }
    }
    let verdict = gridline_store::sqlite_integrity(input).await?;
    if verdict != "ok" {
        bail!("{} fails SQLite's integrity check: {verdict}", input.display());
    }
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    let partial = data_dir.join("gridline.db.restoring");
    std::fs::copy(input, &partial).with_context(|| format!("copying into {}", data_dir.display()))?;
    std::fs::File::open(&partial)?.sync_all()?;
    std::fs::rename(&partial, &target)?;
    println!("restored {} into {} (SHA-256 {actual} checked)", input.display(), target.display());
    Ok(())
}
