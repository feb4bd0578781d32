//! Work nobody waits for (a photo's renderings), on a thread of its own at the lowest priority and
//! from a bounded queue: on a machine with few cores it takes a core only when the requests do not
//! want it, and an upload never waits for it — a job offered when the queue is full is dropped,
//! and whoever needs its result first makes it then.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};

/// The nice value of a background thread: the lowest priority there is.
pub(crate) const BACKGROUND_NICE: i32 = 19;

/// A bounded queue worked off, one job at a time, by one thread at a lowered priority.
pub(crate) struct Background<J> {
    sender: SyncSender<J>,
}

impl<J: Send + 'static> Background<J> {
    /// Starts the thread `name`, at nice value `nice`, doing `work` with each job offered; at
    /// most `capacity` jobs wait. A job that panics is logged and the thread goes on.
    pub(crate) fn start(name: &str, capacity: usize, nice: i32, work: impl Fn(J) + Send + 'static) -> std::io::Result<Background<J>> {
        let (sender, receiver) = sync_channel::<J>(capacity);
        let thread = name.to_owned();
        std::thread::Builder::new().name(name.to_owned()).spawn(move || {
            if let Err(err) = lower_priority(nice) {
                tracing::warn!(%thread, %err, "could not lower the priority of a background thread; it runs at the process's");
            }
            for job in receiver {
                if catch_unwind(AssertUnwindSafe(|| work(job))).is_err() {
                    tracing::error!(%thread, "a background job panicked");
                }
            }
        })?;
        Ok(Background { sender })
    }

    /// Queues `job` without waiting: false when the queue is full (or its thread gone), and the
    /// job was dropped.
    pub(crate) fn offer(&self, job: J) -> bool {
        match self.sender.try_send(job) {
            Ok(()) => true,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
        }
    }
}

/// Sets the calling thread's nice value (on Linux the nice value belongs to each thread, and a
/// thread may always lower its own priority).
#[cfg(target_os = "linux")]
pub(crate) fn lower_priority(nice: i32) -> std::io::Result<()> {
    rustix::process::setpriority_process(Some(rustix::thread::gettid()), nice).map_err(std::io::Error::from)
}

/// Elsewhere the nice value is the whole process's: left alone.
#[cfg(not(target_os = "linux"))]
pub(crate) fn lower_priority(_nice: i32) -> std::io::Result<()> {
    Ok(())
}

/// The calling thread's nice value (Linux; elsewhere none).
#[cfg(all(test, target_os = "linux"))]
fn own_nice() -> i32 {
    rustix::process::getpriority_process(Some(rustix::thread::gettid())).expect("getpriority")
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::channel;
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    fn a_full_queue_drops_the_job_at_once_and_the_thread_goes_on() {
        let (started, wait_started) = channel();
        let (release, hold) = channel::<()>();
        let (done, finished) = channel();
        let queue = Background::start("test-background", 2, 0, move |job: u32| {
            if job == 0 {
                started.send(()).unwrap();
                hold.recv().unwrap();
            }
            if job == 9 {
                panic!("a job that panics");
            }
            done.send(job).unwrap();
        })
        .unwrap();
        assert!(queue.offer(0));
        wait_started.recv_timeout(Duration::from_secs(10)).expect("the first job runs");
        // The thread is busy: two wait, the third is dropped without waiting.
        let offered = Instant::now();
        assert!(queue.offer(1));
        assert!(queue.offer(9));
        assert!(!queue.offer(2), "a full queue takes no more");
        assert!(offered.elapsed() < Duration::from_secs(1), "offering never waits");
        release.send(()).unwrap();
        let got: Vec<u32> = (0..2).map(|_| finished.recv_timeout(Duration::from_secs(10)).unwrap()).collect();
        assert_eq!(got, [0, 1], "in order; the panicking job done nothing");
        assert!(queue.offer(3), "room again, and the thread lives on after a panic");
        assert_eq!(finished.recv_timeout(Duration::from_secs(10)).unwrap(), 3);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_thread_runs_at_the_lowest_priority_and_the_others_do_not() {
        // (Under `nice -n 19` the process is there already and this shows less.)
        let before = own_nice();
        let (tell, told) = channel();
        let queue = Background::start("test-nice", 1, BACKGROUND_NICE, move |()| tell.send(own_nice()).unwrap()).unwrap();
        assert!(queue.offer(()));
        assert_eq!(told.recv_timeout(Duration::from_secs(10)).unwrap(), BACKGROUND_NICE);
        assert_eq!(own_nice(), before, "only the background thread is lowered");
    }
}
