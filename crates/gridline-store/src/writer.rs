//! The single writer: takes whatever jobs have queued up, runs them in one transaction and
//! acknowledges each only after the commit is durable (group commit).

use sqlx::{AnyConnection, Executor};
use tokio::sync::{mpsc, oneshot};

use gridline_core::case::{Case, CaseEvent};

use crate::cases::{append_event, insert_case};
use crate::{Backend, Created, StoreError};

/// Upper bound on jobs per transaction: large enough to amortise an fsync, small enough to keep
/// a batch's latency in single-digit milliseconds.
const MAX_BATCH: usize = 512;

pub(crate) enum Job {
    Import { histories: Vec<Vec<CaseEvent>>, reply: oneshot::Sender<Result<Vec<Created>, StoreError>> },
    Append { case: Box<Case>, event: CaseEvent, reply: oneshot::Sender<Result<(), StoreError>> },
}

enum Outcome {
    Imported(Vec<Created>),
    Appended,
}

impl Job {
    async fn run(&self, conn: &mut AnyConnection) -> Result<Outcome, StoreError> {
        match self {
            Job::Import { histories, .. } => {
                let mut created = Vec::with_capacity(histories.len());
                for history in histories {
                    created.push(insert_case(conn, history).await?);
                }
                Ok(Outcome::Imported(created))
            }
            Job::Append { case, event, .. } => append_event(conn, case, event).await.map(|()| Outcome::Appended),
        }
    }

    fn reply(self, outcome: Result<Outcome, StoreError>) {
        // A caller that gave up waiting is no reason to fail the others: ignore send errors.
        match self {
            Job::Import { reply, .. } => {
                let _ = reply.send(outcome.and_then(|o| match o {
                    Outcome::Imported(c) => Ok(c),
                    Outcome::Appended => Err(StoreError::corrupt("writer outcome mismatch")),
                }));
            }
            Job::Append { reply, .. } => {
                let _ = reply.send(outcome.map(|_| ()));
            }
        }
    }
}

pub(crate) fn spawn(conn: AnyConnection, backend: Backend) -> mpsc::Sender<Job> {
    let (tx, rx) = mpsc::channel(MAX_BATCH * 8);
    tokio::spawn(run(conn, backend, rx));
    tx
}

async fn run(mut conn: AnyConnection, backend: Backend, mut rx: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let jobs = std::mem::take(&mut batch);
        match run_batch(&mut conn, backend, &jobs).await {
            Ok(outcomes) => {
                for (job, outcome) in jobs.into_iter().zip(outcomes) {
                    job.reply(outcome);
                }
            }
            Err(err) => {
                // Something failed below the jobs' own checks: run each job alone so that one bad
                // job cannot take the others down with it, and each gets its own answer.
                tracing::warn!(error = %err, jobs = jobs.len(), "batch failed; retrying its jobs one by one");
                for job in jobs {
                    let outcome = match run_batch(&mut conn, backend, std::slice::from_ref(&job)).await {
                        Ok(mut outcomes) => outcomes.pop().unwrap_or(Err(StoreError::WriterStopped)),
                        Err(err) => Err(err),
                    };
                    job.reply(outcome);
                }
            }
        }
    }
}

/// Runs the jobs in one transaction. A job's own refusal (a version conflict) writes nothing and
/// is returned as its outcome; any other error rolls the whole transaction back.
async fn run_batch(
    conn: &mut AnyConnection,
    backend: Backend,
    jobs: &[Job],
) -> Result<Vec<Result<Outcome, StoreError>>, StoreError> {
    conn.execute(if backend == Backend::Sqlite { "BEGIN IMMEDIATE" } else { "BEGIN" }).await?;
    let mut outcomes = Vec::with_capacity(jobs.len());
    for job in jobs {
        match job.run(conn).await {
            Ok(outcome) => outcomes.push(Ok(outcome)),
            Err(refusal @ StoreError::VersionConflict { .. }) => outcomes.push(Err(refusal)),
            Err(err) => {
                let _ = conn.execute("ROLLBACK").await;
                return Err(err);
            }
        }
    }
    if let Err(err) = conn.execute("COMMIT").await {
        let _ = conn.execute("ROLLBACK").await;
        return Err(err.into());
    }
    Ok(outcomes)
}
