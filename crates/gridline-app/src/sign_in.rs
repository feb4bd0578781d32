//! Sign-in throttling: failed sign-ins are counted per account and per client address, a
//! subject with too many in a window is locked out for a while (or until an administrator lifts
//! it), and every failure, lockout and lifting is written to the audit log.

use gridline_store::{NewAuditEntry, SignInLock, SignInSubject};
use jiff::{SignedDuration, Timestamp};

use crate::{App, AppError};

/// Failed sign-ins of one account within [`FAILURE_WINDOW`] that lock it.
pub const ACCOUNT_FAILURES: i64 = 5;
/// Failed sign-ins from one address within [`FAILURE_WINDOW`] that lock it (higher: several
/// people may share an office's address).
pub const ADDRESS_FAILURES: i64 = 20;
/// The window failures are counted in.
pub const FAILURE_WINDOW: SignedDuration = SignedDuration::from_mins(15);
/// How long a lockout lasts unless an administrator lifts it first.
pub const LOCKOUT: SignedDuration = SignedDuration::from_mins(15);

/// How long an attempt waits for the attempts in flight that hold all of a subject's allowed
/// failures, and how often it looks again.
pub const BUSY_WAIT: std::time::Duration = std::time::Duration::from_secs(3);
const BUSY_RETRY: std::time::Duration = std::time::Duration::from_millis(100);

/// The subjects a sign-in attempt counts against.
fn subjects(username: &str, address: Option<&str>) -> Vec<SignInSubject> {
    let mut subjects = vec![SignInSubject::Account(username.to_owned())];
    subjects.extend(address.map(|a| SignInSubject::Address(a.to_owned())));
    subjects
}

/// The failures within the window that lock `subject`.
fn limit(subject: &SignInSubject) -> i64 {
    match subject {
        SignInSubject::Account(_) => ACCOUNT_FAILURES,
        SignInSubject::Address(_) => ADDRESS_FAILURES,
    }
}

/// What [`App::begin_sign_in`] decided about an attempt.
#[derive(Debug, PartialEq)]
pub enum SignInAttempt {
    /// Counted as a failure of each subject (with its failures so far) until its password is
    /// found right: check the password, then call [`App::sign_in_succeeded`] or
    /// [`App::sign_in_failed`].
    Counted(Vec<(SignInSubject, i64)>),
    /// Refused without looking at the password: the account or the address is locked out until then.
    LockedUntil(Timestamp),
}

impl App {
    /// Decides whether an attempt may have its password checked, counting it first: each
    /// attempt in flight holds one of the allowed failures until it is found right, so that no
    /// more passwords than the limit are ever checked, however many connections an attacker
    /// opens. An attempt that finds them all held waits for them (a user signing in on several
    /// connections at once gets through as the others succeed); if they are still held after
    /// [`BUSY_WAIT`], they count as the failures they are and the subject is locked out.
    pub async fn begin_sign_in(&self, username: &str, address: Option<&str>, now: Timestamp) -> Result<SignInAttempt, AppError> {
        let security = self.store.security();
        let subjects = subjects(username, address);
        let started = std::time::Instant::now();
        loop {
            if let Some(until) = security.locked(&subjects, now).await?.into_iter().filter_map(|lock| lock.locked_until).max() {
                return Ok(SignInAttempt::LockedUntil(until));
            }
            let failures = security.count_failures(&subjects, now, now - FAILURE_WINDOW).await?;
            let counted: Vec<(SignInSubject, i64)> = subjects.iter().cloned().zip(failures).collect();
            let Some((subject, failures)) = counted.iter().find(|(subject, failures)| *failures > limit(subject)) else {
                return Ok(SignInAttempt::Counted(counted));
            };
            security.forgive_failures(&subjects).await?;
            if started.elapsed() >= BUSY_WAIT {
                return Ok(SignInAttempt::LockedUntil(self.lock_out(subject, failures - 1, username, address, now).await?));
            }
            tokio::time::sleep(BUSY_RETRY).await;
        }
    }

    /// An attempt counted by [`App::begin_sign_in`] failed: writes it to the audit log and
    /// locks whichever subject it brought to its limit.
    pub async fn sign_in_failed(&self, username: &str, address: Option<&str>, counted: &[(SignInSubject, i64)], now: Timestamp) -> Result<(), AppError> {
        let entry = NewAuditEntry { kind: "sign_in_failed", username: Some(username), address, actor: None, detail: "用户名或密码错误".into(), subject: None };
        self.failed_attempt(&entry, username, address, counted, now).await
    }

    /// A counted attempt at a password failed (a sign-in, or a password change's old password):
    /// written to the audit log as `entry`, and whichever subject it brought to its limit is locked.
    pub(crate) async fn failed_attempt(
        &self,
        entry: &NewAuditEntry<'_>,
        username: &str,
        address: Option<&str>,
        counted: &[(SignInSubject, i64)],
        now: Timestamp,
    ) -> Result<(), AppError> {
        self.store.security().audit(entry, now).await?;
        for (subject, failures) in counted {
            if *failures >= limit(subject) {
                self.lock_out(subject, *failures, username, address, now).await?;
            }
        }
        Ok(())
    }

    /// Locks `subject` out (audited once, however many attempts reach it); until when.
    async fn lock_out(&self, subject: &SignInSubject, failures: i64, username: &str, address: Option<&str>, now: Timestamp) -> Result<Timestamp, AppError> {
        let security = self.store.security();
        let until = now + LOCKOUT;
        if security.lock(subject, until, now).await? {
            tracing::warn!(subject = subject.key(), failures, "sign-in locked out");
            let detail = format!("{} 分钟内登录失败 {failures} 次（{}），锁定至 {}", FAILURE_WINDOW.as_mins(), subject.key(), gridline_core::calendar::local_time(until));
            security.audit(&NewAuditEntry { kind: "sign_in_locked", username: Some(username), address, actor: None, detail, subject: None }, now).await?;
        }
        Ok(until)
    }

    /// A good sign-in forgets the account's failures, and takes back the attempt counted
    /// against the address (not the address's other failures: one good account must not reset
    /// the count of an address trying others).
    pub async fn sign_in_succeeded(&self, username: &str, address: Option<&str>) -> Result<(), AppError> {
        let security = self.store.security();
        security.clear(&SignInSubject::Account(username.to_owned())).await?;
        if let Some(address) = address {
            security.forgive_failures(&[SignInSubject::Address(address.to_owned())]).await?;
        }
        Ok(())
    }

    /// The right password of a disabled account: not a failure (the attempt counted against the
    /// account and the address is taken back), but refused, and written to the audit log.
    pub async fn sign_in_of_disabled(&self, username: &str, address: Option<&str>, now: Timestamp) -> Result<(), AppError> {
        self.sign_in_succeeded(username, address).await?;
        let entry = NewAuditEntry { kind: "sign_in_refused", username: Some(username), address, detail: "账号已停用，拒绝登录".into(), ..NewAuditEntry::default() };
        self.store.security().audit(&entry, now).await?;
        Ok(())
    }

    /// The lockouts in force.
    pub async fn sign_in_locks(&self, now: Timestamp) -> Result<Vec<SignInLock>, AppError> {
        Ok(self.store.security().locks(now).await?)
    }

    /// Lifts the lockout (and forgets the failures) of `subject`, in `actor`'s name; not found
    /// when there was nothing to lift.
    pub async fn lift_sign_in_lock(&self, subject: &SignInSubject, actor: &str, now: Timestamp) -> Result<(), AppError> {
        let security = self.store.security();
        if !security.clear(subject).await? {
            return Err(AppError::NotFound(format!("no failed sign-ins or lockout of {}", subject.key())));
        }
        let (username, address) = match subject {
            SignInSubject::Account(name) => (Some(name.as_str()), None),
            SignInSubject::Address(address) => (None, Some(address.as_str())),
        };
        let entry = NewAuditEntry { kind: "lock_lifted", username, address, actor: Some(actor), detail: format!("{} 的登录锁定由 {actor} 解除", subject.key()), subject: None };
        security.audit(&entry, now).await?;
        Ok(())
    }
}
