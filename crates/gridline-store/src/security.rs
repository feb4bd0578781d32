//! Failed sign-ins, the lockouts they earn, and the audit log: `store.security()`.
//!
//! The counts live in the database, like the sessions, so that every server of a deployment
//! counts the same failures and an administrator's lifting of a lockout holds everywhere.

use jiff::Timestamp;
use sqlx::FromRow;

use crate::{Store, StoreError, from_millis, millis};

/// Who failed to sign in: an account name or a client address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SignInSubject {
    Account(String),
    Address(String),
}

impl SignInSubject {
    /// The subject as stored: `account:NAME` or `address:IP`.
    pub fn key(&self) -> String {
        match self {
            SignInSubject::Account(name) => format!("account:{name}"),
            SignInSubject::Address(address) => format!("address:{address}"),
        }
    }

    pub fn parse(key: &str) -> Option<SignInSubject> {
        match key.split_once(':')? {
            // Any name a client sent, the empty one too: it was counted and may be locked.
            ("account", name) => Some(SignInSubject::Account(name.to_owned())),
            ("address", address) if !address.is_empty() => Some(SignInSubject::Address(address.to_owned())),
            _ => None,
        }
    }
}

/// A subject's failures in its window, and its lockout if it has earned one.
#[derive(Clone, Debug, PartialEq)]
pub struct SignInLock {
    pub subject: SignInSubject,
    pub failures: i64,
    pub window_start: Timestamp,
    pub locked_until: Option<Timestamp>,
}

#[derive(FromRow)]
struct LockRow {
    subject: String,
    failures: i64,
    window_start: i64,
    locked_until: Option<i64>,
}

impl TryFrom<LockRow> for SignInLock {
    type Error = StoreError;

    fn try_from(row: LockRow) -> Result<Self, StoreError> {
        Ok(SignInLock {
            subject: SignInSubject::parse(&row.subject).ok_or_else(|| StoreError::corrupt(format!("unknown sign-in subject {}", row.subject)))?,
            failures: row.failures,
            window_start: from_millis(row.window_start)?,
            locked_until: row.locked_until.map(from_millis).transpose()?,
        })
    }
}

/// One line of the audit log.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: Timestamp,
    /// `sign_in_failed`, `sign_in_locked`, `sign_in_refused` or `lock_lifted`.
    pub kind: String,
    pub username: Option<String>,
    pub address: Option<String>,
    /// Who did it, when it was someone signed in (an administrator lifting a lockout).
    pub actor: Option<String>,
    pub detail: String,
}

#[derive(FromRow)]
struct AuditRow {
    id: i64,
    at: i64,
    kind: String,
    username: Option<String>,
    address: Option<String>,
    actor: Option<String>,
    detail: String,
}

impl TryFrom<AuditRow> for AuditEntry {
    type Error = StoreError;

    fn try_from(row: AuditRow) -> Result<Self, StoreError> {
        Ok(AuditEntry {
            id: row.id,
            at: from_millis(row.at)?,
            kind: row.kind,
            username: row.username,
            address: row.address,
            actor: row.actor,
            detail: row.detail,
        })
    }
}

/// What to write to the audit log.
#[derive(Clone, Debug)]
pub struct NewAuditEntry<'a> {
    pub kind: &'a str,
    pub username: Option<&'a str>,
    pub address: Option<&'a str>,
    pub actor: Option<&'a str>,
    pub detail: String,
}

/// Sign-in throttling and the audit log.
pub struct Security<'a>(&'a Store);

impl Store {
    pub fn security(&self) -> Security<'_> {
        Security(self)
    }
}

impl Security<'_> {
    /// The subjects among `subjects` locked at `now`.
    pub async fn locked(&self, subjects: &[SignInSubject], now: Timestamp) -> Result<Vec<SignInLock>, StoreError> {
        let mut found = Vec::new();
        for subject in subjects {
            let row: Option<LockRow> = sqlx::query_as(
                "SELECT subject, failures, window_start, locked_until FROM sign_in_locks WHERE subject = $1 AND locked_until > $2",
            )
            .bind(subject.key())
            .bind(millis(now))
            .fetch_optional(&self.0.pool)
            .await?;
            if let Some(row) = row {
                found.push(row.try_into()?);
            }
        }
        Ok(found)
    }

    /// Counts a failure of `subject`: a new window when the last began before `window_start`.
    /// Returns the failures of the current window.
    pub async fn count_failure(&self, subject: &SignInSubject, now: Timestamp, window_start: Timestamp) -> Result<i64, StoreError> {
        let failures: i64 = sqlx::query_scalar(
            "INSERT INTO sign_in_locks (subject, failures, window_start, locked_until) VALUES ($1, 1, $2, NULL) \
             ON CONFLICT (subject) DO UPDATE SET \
             failures = CASE WHEN sign_in_locks.window_start < $3 THEN 1 ELSE sign_in_locks.failures + 1 END, \
             window_start = CASE WHEN sign_in_locks.window_start < $3 THEN $2 ELSE sign_in_locks.window_start END \
             RETURNING failures",
        )
        .bind(subject.key())
        .bind(millis(now))
        .bind(millis(window_start))
        .fetch_one(&self.0.pool)
        .await?;
        Ok(failures)
    }

    /// Locks `subject` until `until`.
    pub async fn lock(&self, subject: &SignInSubject, until: Timestamp) -> Result<(), StoreError> {
        sqlx::query("UPDATE sign_in_locks SET locked_until = $2 WHERE subject = $1")
            .bind(subject.key())
            .bind(millis(until))
            .execute(&self.0.pool)
            .await?;
        Ok(())
    }

    /// Forgets the failures and lockout of `subject`; whether there were any.
    pub async fn clear(&self, subject: &SignInSubject) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM sign_in_locks WHERE subject = $1").bind(subject.key()).execute(&self.0.pool).await?;
        Ok(done.rows_affected() > 0)
    }

    /// Every subject locked at `now`, the latest lockout first.
    pub async fn locks(&self, now: Timestamp) -> Result<Vec<SignInLock>, StoreError> {
        let rows: Vec<LockRow> = sqlx::query_as(
            "SELECT subject, failures, window_start, locked_until FROM sign_in_locks WHERE locked_until > $1 \
             ORDER BY locked_until DESC, subject",
        )
        .bind(millis(now))
        .fetch_all(&self.0.pool)
        .await?;
        rows.into_iter().map(SignInLock::try_from).collect()
    }

    pub async fn audit(&self, entry: &NewAuditEntry<'_>, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO audit_log (at, kind, username, address, actor, detail) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(millis(at))
            .bind(entry.kind.to_owned())
            .bind(entry.username.map(str::to_owned))
            .bind(entry.address.map(str::to_owned))
            .bind(entry.actor.map(str::to_owned))
            .bind(entry.detail.clone())
            .execute(&self.0.pool)
            .await?;
        Ok(())
    }

    /// The latest `limit` entries of the audit log, the newest first.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<AuditRow> =
            sqlx::query_as("SELECT id, at, kind, username, address, actor, detail FROM audit_log ORDER BY id DESC LIMIT $1")
                .bind(limit)
                .fetch_all(&self.0.pool)
                .await?;
        rows.into_iter().map(AuditEntry::try_from).collect()
    }
}
