//! The single writer: takes whatever jobs have queued up, runs them in one transaction and
//! acknowledges each only after the commit is durable (group commit).

use sqlx::{AnyConnection, Executor};
use tokio::sync::{mpsc, oneshot};

use gridline_core::rollup::Rollup;

use crate::cases::{Filed, NewEvent, NewHistory, append_event, insert_histories};
use crate::questionnaires::{self, NewResponse, Stored};
use crate::rollups;
use crate::{Backend, Created, StoreError};

/// Upper bound on jobs per transaction: large enough to amortise an fsync, small enough to keep
/// a batch's latency in single-digit milliseconds.
const MAX_BATCH: usize = 512;

pub(crate) enum Job {
    Import { histories: Vec<NewHistory>, reply: oneshot::Sender<Result<Vec<Created>, StoreError>> },
    Append { new: Box<NewEvent>, reply: oneshot::Sender<Result<(), StoreError>> },
    RebuildRollups { reply: oneshot::Sender<Result<Rollup, StoreError>> },
    AddRollups { rollup: Box<Rollup>, reply: oneshot::Sender<Result<(), StoreError>> },
    /// Questionnaire responses with their tallies.
    Respond { responses: Vec<NewResponse>, reply: oneshot::Sender<Result<Vec<Stored>, StoreError>> },
}

enum Outcome {
    Imported(Vec<Filed>),
    Appended,
    Rebuilt(Box<Rollup>),
    Responded(Vec<Stored>),
}

impl Job {
    fn reply(self, outcome: Result<Outcome, StoreError>) {
        // A caller that gave up waiting is no reason to fail the others: ignore send errors.
        match self {
            Job::Import { histories, reply } => {
                let _ = reply.send(outcome.and_then(|o| match o {
                    Outcome::Imported(filed) => Ok(filed.into_iter().zip(histories).map(|(filed, history)| filed.into_created(history)).collect()),
                    _ => Err(StoreError::corrupt("writer outcome mismatch")),
                }));
            }
            Job::RebuildRollups { reply } => {
                let _ = reply.send(outcome.and_then(|o| match o {
                    Outcome::Rebuilt(r) => Ok(*r),
                    _ => Err(StoreError::corrupt("writer outcome mismatch")),
                }));
            }
            Job::Respond { reply, .. } => {
                let _ = reply.send(outcome.and_then(|o| match o {
                    Outcome::Responded(s) => Ok(s),
                    _ => Err(StoreError::corrupt("writer outcome mismatch")),
                }));
            }
            Job::Append { reply, .. } | Job::AddRollups { reply, .. } => {
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

/// The SQLite page cache while a bulk import writes: its batches insert into seven B-trees at
/// scattered keys, which SQLite's default 2 MB cache makes it re-read from the OS (an import of
/// 1M rows 40.1 → 36.4 s). Every commit's own cost grows with the pages cached, though (SQLite
/// sweeps the cache at the end of each write transaction), so the small commits of intake keep
/// the default: with 128 MB they spent a tenth of the writer's time in that sweep.
const BULK_CACHE: &str = "PRAGMA cache_size = -131072";
const DEFAULT_CACHE: &str = "PRAGMA cache_size = -2000";

/// Whether a batch is a bulk import: more case histories than the largest batch of intakes.
fn is_bulk(jobs: &[Job]) -> bool {
    let histories: usize = jobs
        .iter()
        .map(|job| match job {
            Job::Import { histories, .. } => histories.len(),
            Job::Respond { responses, .. } => responses.len(),
            _ => 0,
        })
        .sum();
    histories > MAX_BATCH
}

async fn run(mut conn: AnyConnection, backend: Backend, mut rx: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut bulk_cache = false;
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let jobs = std::mem::take(&mut batch);
        if backend == Backend::Sqlite && is_bulk(&jobs) != bulk_cache {
            bulk_cache = !bulk_cache;
            if let Err(err) = conn.execute(if bulk_cache { BULK_CACHE } else { DEFAULT_CACHE }).await {
                // Only speed depends on it.
                tracing::warn!(error = %err, "resizing the writer's page cache failed");
            }
        }
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
    let histories: Vec<&NewHistory> = jobs
        .iter()
        .filter_map(|job| match job {
            Job::Import { histories, .. } => Some(histories.iter()),
            _ => None,
        })
        .flatten()
        .collect();
    let filed = insert_histories(conn, backend, &histories).await?;
    // The rollups move with the events, in the same transaction: one fold per new history and
    // per appended event, written once for the batch.
    let mut rollup = Rollup::default();
    for (history, filed) in histories.iter().zip(&filed) {
        if matches!(filed, Filed::New(_)) {
            rollup.record_history(history.events());
        }
    }
    let mut filed = filed.into_iter();
    let mut outcomes = Vec::with_capacity(jobs.len());
    for job in jobs {
        match job {
            Job::Import { histories, .. } => {
                outcomes.push(Ok(Outcome::Imported(filed.by_ref().take(histories.len()).collect())));
            }
            Job::Append { new, .. } => {
                let before = rollups::case_before(conn, new.case.id).await?;
                match append_event(conn, backend, new).await {
                    Ok(()) => {
                        rollup.record(before.as_ref(), &new.case, &new.event);
                        outcomes.push(Ok(Outcome::Appended));
                    }
                    Err(refusal @ StoreError::VersionConflict { .. }) => outcomes.push(Err(refusal)),
                    Err(err) => return Err(err),
                }
            }
            Job::AddRollups { rollup: extra, .. } => {
                rollup.merge((**extra).clone());
                outcomes.push(Ok(Outcome::Appended));
            }
            Job::Respond { responses, .. } => {
                outcomes.push(Ok(Outcome::Responded(questionnaires::insert_responses(conn, backend, responses).await?)));
            }
            Job::RebuildRollups { .. } => {
                // Whatever this batch counted so far is in the events the rebuild reads.
                rollups::add(conn, backend, &std::mem::take(&mut rollup)).await?;
                outcomes.push(Ok(Outcome::Rebuilt(Box::new(rollups::rebuild(conn, backend).await?))));
            }
        }
    }
    rollups::add(conn, backend, &rollup).await?;
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn import(histories: usize) -> Job {
        let history = || NewHistory::prepare(vec![crate::cases::tests::intake(None)]).expect("prepared");
        Job::Import { histories: (0..histories).map(|_| history()).collect(), reply: oneshot::channel().0 }
    }

    #[test]
    fn only_an_import_larger_than_a_full_batch_of_intakes_gets_the_bulk_cache() {
        let intakes: Vec<Job> = (0..MAX_BATCH).map(|_| import(1)).collect();
        assert!(!is_bulk(&intakes));
        assert!(is_bulk(&[import(MAX_BATCH + 1)]));
        assert!(is_bulk(&[import(MAX_BATCH), import(1)]));
    }
}
