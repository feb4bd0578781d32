//! `gridline apikey add|list|revoke`: API keys of client systems (Open311's `api_key`).
//!
//! A key is shown once, when it is made; the database keeps its SHA-256 only. Each key files
//! through one channel as its own system user (`apikey.NAME`), so every case it files names the
//! system in its history.

use anyhow::{Context, bail};
use clap::Subcommand;
use gridline_core::actor::Role;
use gridline_core::case::Channel;
use gridline_store::NewUser;
use sha2::{Digest, Sha256};

use crate::Database;

#[derive(Subcommand)]
pub enum ApiKeyCommand {
    /// Issue a key for a client system; prints the key once.
    Add {
        /// The client system, e.g. 12345-hotline (letters, digits, '.', '_', '-').
        name: String,
        /// The channel its cases come through: hotline, public, inspection or alley_patrol.
        #[arg(long)]
        channel: String,
        #[command(flatten)]
        database: Database,
    },
    /// List keys (never the keys themselves).
    List {
        #[command(flatten)]
        database: Database,
    },
    /// Revoke a key: it stops working at once.
    Revoke {
        name: String,
        #[command(flatten)]
        database: Database,
    },
}

/// The role a system filing through `channel` acts with: the least that may file there. Grid
/// cases come from grid workers' own accounts (they belong to a unit), imports from `gridline
/// import`.
fn role_for(channel: Channel) -> anyhow::Result<Role> {
    match channel {
        Channel::Hotline | Channel::Public => Ok(Role::HotlineOperator),
        Channel::Inspection | Channel::AlleyPatrol => Ok(Role::Inspector),
        Channel::Grid | Channel::Import => {
            bail!("no API key files through the {} channel; use hotline, public, inspection or alley_patrol", channel.as_str())
        }
    }
}

fn check_name(name: &str) -> anyhow::Result<()> {
    if name.is_empty() || name.chars().count() > 50 || !name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)) {
        bail!("a key name is 1–50 ASCII letters, digits, '.', '_' or '-'");
    }
    Ok(())
}

pub async fn run(command: ApiKeyCommand) -> anyhow::Result<()> {
    match command {
        ApiKeyCommand::Add { name, channel, database } => {
            check_name(&name)?;
            let channel = Channel::parse(&channel).with_context(|| format!("unknown channel {channel:?}"))?;
            let role = role_for(channel)?;
            let key = format!("gl_{}", hex::encode(rand::random::<[u8; 24]>()));
            let user = NewUser {
                username: format!("apikey.{name}"),
                display_name: format!("API key {name}"),
                role,
                unit: None,
                // Not a valid hash: nobody can sign in as a key's system user.
                password_hash: "!api-key-user".to_owned(),
            };
            let store = database.open().await?;
            let hash = hex::encode(Sha256::digest(key.as_bytes()));
            let record = store.api_keys().create(&name, &hash, channel, &user, jiff::Timestamp::now()).await?;
            eprintln!("issued API key {} for the {} channel; it is shown this once:", record.name, channel.as_str());
            println!("{key}");
            Ok(())
        }
        ApiKeyCommand::List { database } => {
            for key in database.open().await?.api_keys().list().await? {
                let state = key.revoked_at.map_or_else(|| "active".to_owned(), |at| format!("revoked {at}"));
                println!("{}\t{}\t{}\t{}", key.name, key.channel.as_str(), key.created_at, state);
            }
            Ok(())
        }
        ApiKeyCommand::Revoke { name, database } => {
            if !database.open().await?.api_keys().revoke(&name, jiff::Timestamp::now()).await? {
                bail!("no active API key named {name:?}");
            }
            println!("revoked API key {name}");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_file_only_through_channels_open_to_their_role() {
        for channel in Channel::ALL {
            if let Ok(role) = role_for(channel) {
                assert!(channel.open_to(role), "{channel:?}");
                assert!(!role.needs_unit(), "{channel:?}");
            }
        }
        assert!(role_for(Channel::Grid).is_err());
        assert!(check_name("12345-hotline").is_ok());
        assert!(check_name("a b").is_err() && check_name("").is_err() && check_name("望京").is_err());
    }
}
