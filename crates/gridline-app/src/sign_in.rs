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

/// The subjects a sign-in attempt counts against.
fn subjects(username: &str, address: Option<&str>) -> Vec<SignInSubject> {
    let mut subjects = vec![SignInSubject::Account(username.to_owned())];
    subjects.extend(address.map(|a| SignInSubject::Address(a.to_owned())));
    subjects
}

impl App {
    /// When the account or the address may try again, if either is locked out now.
    pub async fn sign_in_locked_until(&self, username: &str, address: Option<&str>, now: Timestamp) -> Result<Option<Timestamp>, AppError> {
        let locks = self.store.security().locked(&subjects(username, address), now).await?;
        Ok(locks.into_iter().filter_map(|lock| lock.locked_until).max())
    }

    /// Counts a failed sign-in against the account and the address, writes it to the audit
    /// log, and locks whichever reached its limit.
    pub async fn sign_in_failed(&self, username: &str, address: Option<&str>, now: Timestamp) -> Result<(), AppError> {
        let security = self.store.security();
        security
            .audit(
                &NewAuditEntry { kind: "sign_in_failed", username: Some(username), address, actor: None, detail: "wrong username or password".into() },
                now,
            )
            .await?;
        for subject in subjects(username, address) {
            let limit = match subject {
                SignInSubject::Account(_) => ACCOUNT_FAILURES,
                SignInSubject::Address(_) => ADDRESS_FAILURES,
            };
            let failures = security.count_failure(&subject, now, now - FAILURE_WINDOW).await?;
            if failures >= limit {
                let until = now + LOCKOUT;
                security.lock(&subject, until).await?;
                tracing::warn!(subject = subject.key(), failures, "sign-in locked out");
                let detail = format!("{failures} failed sign-ins of {} within {} minutes; locked until {until}", subject.key(), FAILURE_WINDOW.as_mins());
                security.audit(&NewAuditEntry { kind: "sign_in_locked", username: Some(username), address, actor: None, detail }, now).await?;
            }
        }
        Ok(())
    }

    /// A good sign-in forgets the account's failures (not the address's: one good account
    /// must not reset the count of an address trying others).
    pub async fn sign_in_succeeded(&self, username: &str) -> Result<(), AppError> {
        self.store.security().clear(&SignInSubject::Account(username.to_owned())).await?;
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
        let entry = NewAuditEntry { kind: "lock_lifted", username, address, actor: Some(actor), detail: format!("{} lifted by {actor}", subject.key()) };
        security.audit(&entry, now).await?;
        Ok(())
    }
}
