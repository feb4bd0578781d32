//! The single writer: takes whatever jobs have queued up, runs them in one transaction and
//! acknowledges each only after the commit is durable (group commit).

use sqlx::{AnyConnection, Executor};
use tokio::sync::{mpsc, oneshot};

use gridline_core::case::{Case, CaseEvent};

use crate::cases::{append_event, insert_histories};
use crate::{Backend, Created, StoreError};

/// Upper bound on jobs per transaction: large enough to amortise an fsync, small enough to keep
/// a batch's latency in single-digit milliseconds.
const MAX_BATCH: usize = 512;

pub(crate) enum Job {
    Import { histories: Vec<Vec<CaseEvent>>, reply: oneshot::Sender<Result<Vec<Created>, StoreError>> },
    Append { case: Box<Case>, event: Box<CaseEvent>, reply: oneshot::Sender<Result<(), StoreError>> },
}

enum Outcome {
    Imported(Vec<Created>),
    Appended,
}

impl Job {
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

/// Runs the jobs in one transaction: all imports together in a few multi-row statements, then
/// the appends. A job's own refusal (a version conflict) writes nothing and is returned as its
/// outcome; any other error rolls the whole transaction back.
async fn run_batch(
    conn: &mut AnyConnection,
    backend: Backend,
    jobs: &[Job],
) -> Result<Vec<Result<Outcome, StoreError>>, StoreError> {
    conn.execute(if backend == Backend::Sqlite { "BEGIN IMMEDIATE" } else { "BEGIN" }).await?;
    match run_jobs(conn, backend, jobs).await {
        Ok(outcomes) => match conn.execute("COMMIT").await {
            Ok(_) => Ok(outcomes),
            Err(err) => {
                let _ = conn.execute("ROLLBACK").await;
                Err(err.into())
            }
        },
        Err(err) => {
            let _ = conn.execute("ROLLBACK").await;
            Err(err)
        }
    }
}

async fn run_jobs(conn: &mut AnyConnection, backend: Backend, jobs: &[Job]) -> Result<Vec<Result<Outcome, StoreError>>, StoreError> {
    let histories: Vec<&[CaseEvent]> = jobs
        .iter()
        .filter_map(|job| match job {
            Job::Import { histories, .. } => Some(histories.iter().map(Vec::as_slice)),
            Job::Append { .. } => None,
        })
        .flatten()
        .collect();
    let mut created = insert_histories(conn, backend, &histories).await?.into_iter();
    let mut outcomes = Vec::with_capacity(jobs.len());
    for job in jobs {
        match job {
            Job::Import { histories, .. } => {
                outcomes.push(Ok(Outcome::Imported(created.by_ref().take(histories.len()).collect())));
            }
            Job::Append { case, event, .. } => match append_event(conn, backend, case, event).await {
                Ok(()) => outcomes.push(Ok(Outcome::Appended)),
                Err(refusal @ StoreError::VersionConflict { .. }) => outcomes.push(Err(refusal)),
                Err(err) => return Err(err),
            },
        }
    }
    Ok(outcomes)
}
