//! Failed sign-ins, the lockouts they earn, and the audit log: `store.security()`.
//!
//! The counts live in the database, like the sessions, so that every server of a deployment
//! counts the same failures and an administrator's lifting of a lockout holds everywhere.

use jiff::Timestamp;
use sqlx::{AssertSqlSafe, FromRow};

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
    /// `sign_in_failed`, `sign_in_locked`, `sign_in_refused`, `lock_lifted`, or an
    /// administrator's action on a user or unit (`user_created`, `unit_saved`, …: gridline-app's
    /// `admin::AUDIT_KINDS`).
    pub kind: String,
    /// The account the entry is about (the one signing in, or the user acted on).
    pub username: Option<String>,
    /// The unit the entry is about, when it is about a unit.
    pub subject: Option<String>,
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
    subject: Option<String>,
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
            subject: row.subject,
            address: row.address,
            actor: row.actor,
            detail: row.detail,
        })
    }
}

/// What to write to the audit log.
#[derive(Clone, Debug, Default)]
pub struct NewAuditEntry<'a> {
    pub kind: &'a str,
    pub username: Option<&'a str>,
    /// The unit acted on (see [`AuditEntry::subject`]).
    pub subject: Option<&'a str>,
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

    /// Counts an attempt as a failure of each of `subjects` (before its password is checked, so
    /// that concurrent attempts cannot all pass the limit), in one statement: a new window for a
    /// subject whose last began before `window_start`. Returns each subject's failures of its
    /// current window, this one included, in the order given.
    pub async fn count_failures(&self, subjects: &[SignInSubject], now: Timestamp, window_start: Timestamp) -> Result<Vec<i64>, StoreError> {
        let rows = (0..subjects.len()).map(|i| format!("(${}, 1, $1, NULL)", i + 3)).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "INSERT INTO sign_in_locks (subject, failures, window_start, locked_until) VALUES {rows} \
             ON CONFLICT (subject) DO UPDATE SET \
             failures = CASE WHEN sign_in_locks.window_start < $2 THEN 1 ELSE sign_in_locks.failures + 1 END, \
             window_start = CASE WHEN sign_in_locks.window_start < $2 THEN $1 ELSE sign_in_locks.window_start END \
             RETURNING subject, failures"
        );
        let mut query = sqlx::query_as::<_, (String, i64)>(AssertSqlSafe(sql)).bind(millis(now)).bind(millis(window_start));
        for subject in subjects {
            query = query.bind(subject.key());
        }
        let counted = query.fetch_all(&self.0.pool).await?;
        subjects
            .iter()
            .map(|subject| {
                let key = subject.key();
                counted.iter().find(|(counted, _)| *counted == key).map(|(_, failures)| *failures)
            })
            .collect::<Option<Vec<i64>>>()
            .ok_or_else(|| StoreError::corrupt("a counted sign-in failure was not returned"))
    }

    /// Takes back one failure of each of `subjects` (an attempt counted before its check that
    /// succeeded, or that did not go on). One statement a subject: an `UPDATE … IN` would lock
    /// the rows in its own order, and deadlock on PostgreSQL against an attempt counting them.
    pub async fn forgive_failures(&self, subjects: &[SignInSubject]) -> Result<(), StoreError> {
        for subject in subjects {
            sqlx::query("UPDATE sign_in_locks SET failures = failures - 1 WHERE subject = $1 AND failures > 0")
                .bind(subject.key())
                .execute(&self.0.pool)
                .await?;
        }
        Ok(())
    }

    /// Locks `subject` until `until` unless it is locked at `now` already; whether it was not
    /// (so that a lockout is audited once, however many attempts raced to it).
    pub async fn lock(&self, subject: &SignInSubject, until: Timestamp, now: Timestamp) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE sign_in_locks SET locked_until = $2 WHERE subject = $1 AND (locked_until IS NULL OR locked_until <= $3)",
        )
        .bind(subject.key())
        .bind(millis(until))
        .bind(millis(now))
        .execute(&self.0.pool)
        .await?;
        Ok(done.rows_affected() > 0)
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
        sqlx::query("INSERT INTO audit_log (at, kind, username, address, actor, detail, subject) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(millis(at))
            .bind(entry.kind.to_owned())
            .bind(entry.username.map(str::to_owned))
            .bind(entry.address.map(str::to_owned))
            .bind(entry.actor.map(str::to_owned))
            .bind(entry.detail.clone())
            .bind(entry.subject.map(str::to_owned))
            .execute(&self.0.pool)
            .await?;
        Ok(())
    }

    /// The latest `limit` entries of the audit log, the newest first.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        self.audit_search(&AuditFilter { limit, ..AuditFilter::default() }).await
    }

    /// The entries `filter` admits, the newest first, at most `filter.limit`.
    pub async fn audit_search(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        let mut conditions = Vec::new();
        let mut texts: Vec<String> = Vec::new();
        let mut times: Vec<i64> = Vec::new();
        // Text parameters first ($1 …), then times, then the limit: each bound in that order.
        if let Some(actor) = &filter.actor {
            texts.push(actor.clone());
            conditions.push(format!("actor = ${}", texts.len()));
        }
        if let Some(kind) = &filter.kind {
            texts.push(kind.clone());
            conditions.push(format!("kind = ${}", texts.len()));
        }
        if let Some(subject) = &filter.subject {
            texts.push(subject.clone());
            let n = texts.len();
            conditions.push(format!("(username = ${n} OR subject = ${n})"));
        }
        for (bound, op) in [(filter.from, ">="), (filter.to, "<")] {
            if let Some(at) = bound {
                times.push(millis(at));
                conditions.push(format!("at {op} ${}", texts.len() + times.len()));
            }
        }
        let filter_sql = if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
        let sql = format!(
            "SELECT id, at, kind, username, subject, address, actor, detail FROM audit_log {filter_sql} ORDER BY id DESC LIMIT ${}",
            texts.len() + times.len() + 1
        );
        let mut query = sqlx::query_as::<_, AuditRow>(AssertSqlSafe(sql));
        for text in texts {
            query = query.bind(text);
        }
        for at in times {
            query = query.bind(at);
        }
        let rows: Vec<AuditRow> = query.bind(filter.limit).fetch_all(&self.0.pool).await?;
        rows.into_iter().map(AuditEntry::try_from).collect()
    }
}

/// Which audit entries to read: each given condition must hold.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// Who did it (the actor's username).
    pub actor: Option<String>,
    pub kind: Option<String>,
    /// The account or unit it was about.
    pub subject: Option<String>,
    /// From this moment on.
    pub from: Option<Timestamp>,
    /// Before this moment.
    pub to: Option<Timestamp>,
    pub limit: i64,
}
