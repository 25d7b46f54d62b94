//! Bursts of change notifications coalesced into a bounded rate. A controller's own debounce
//! waits for a pause in its triggers, so a steady stream of Asset changes (a fleet being
//! assessed) would hold a policy's evaluation back until the stream stops; coalesced, the
//! first change triggers at once and the rest of a burst at most once per window.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::{Stream, StreamExt};

/// How long a burst's window lasts after an item was emitted.
pub trait Pace: Send + Sync + 'static {
    /// The window, asked again while it runs (it may grow with what the emission started).
    fn window(&self) -> Duration;
    /// An item was emitted: a new window starts.
    fn emitted(&self) {}
}

impl Pace for Duration {
    fn window(&self) -> Duration {
        *self
    }
}

/// A window that grows with the work each emission starts: at least `min`, and `factor`
/// times the busy time reported since the last emission, so that what the triggers start
/// takes at most about 1/(factor+1) of the time however large it grows (a fleet's policies
/// evaluated over ten thousand members). Until the new emission's work is reported, the
/// previous emission's stands in for it: a window shorter than the work would end before the
/// work does.
pub struct WorkPace {
    min: Duration,
    factor: u32,
    busy_micros: AtomicU64,
    previous_busy_micros: AtomicU64,
}

impl WorkPace {
    /// A pace of at least `min`, and `factor` times the work reported.
    pub fn new(min: Duration, factor: u32) -> Arc<Self> {
        Arc::new(Self {
            min,
            factor,
            busy_micros: AtomicU64::new(0),
            previous_busy_micros: AtomicU64::new(0),
        })
    }

    /// Reports `busy` time of work started by the triggers.
    pub fn worked(&self, busy: Duration) {
        let micros = u64::try_from(busy.as_micros()).unwrap_or(u64::MAX);
        self.busy_micros.fetch_add(micros, Ordering::Relaxed);
    }
}

impl Pace for Arc<WorkPace> {
    fn window(&self) -> Duration {
        let busy = self.busy_micros.load(Ordering::Relaxed);
        let previous = self.previous_busy_micros.load(Ordering::Relaxed);
        let busy = Duration::from_micros(busy.max(previous));
        self.min.max(busy.saturating_mul(self.factor))
    }

    fn emitted(&self) {
        let busy = self.busy_micros.swap(0, Ordering::Relaxed);
        self.previous_busy_micros.store(busy, Ordering::Relaxed);
    }
}

/// Emits the first item of `changes` at once, then at most one item per window of `pace`
/// while more arrive (at the end of the window in which they arrived).
pub fn coalesce<S, P>(changes: S, pace: P) -> impl Stream<Item = ()> + Send
where
    S: Stream<Item = ()> + Send + Unpin,
    P: Pace,
{
    futures::stream::unfold(
        (changes, pace, false),
        |(mut changes, pace, after_emit)| async move {
            if after_emit {
                let started = Instant::now();
                let mut seen = false;
                loop {
                    let left = pace.window().saturating_sub(started.elapsed());
                    if left.is_zero() {
                        break;
                    }
                    tokio::select! {
                        () = tokio::time::sleep(left) => {}
                        item = changes.next() => match item {
                            Some(()) => seen = true,
                            None => return None,
                        },
                    }
                }
                if seen {
                    pace.emitted();
                    return Some(((), (changes, pace, true)));
                }
            }
            changes.next().await?;
            pace.emitted();
            Some(((), (changes, pace, true)))
        },
    )
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    /// `count` changes, one every 5 ms, and the task sending them.
    fn steady_changes(
        count: usize,
    ) -> (
        futures::channel::mpsc::UnboundedReceiver<()>,
        tokio::task::JoinHandle<()>,
    ) {
        let (tx, rx) = futures::channel::mpsc::unbounded::<()>();
        let producer = tokio::spawn(async move {
            for _ in 0..count {
                let _ = tx.unbounded_send(());
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
        (rx, producer)
    }

    #[tokio::test]
    async fn a_burst_triggers_at_once_and_then_once_per_window() {
        let window = Duration::from_millis(200);
        let started = Instant::now();
        // 100 changes over about 500 ms.
        let (rx, producer) = steady_changes(100);
        let emitted: Vec<Duration> = coalesce(rx, window)
            .map(|()| started.elapsed())
            .collect()
            .await;
        producer.await.expect("producer ends");
        assert!(emitted[0] < Duration::from_millis(100), "{emitted:?}");
        // One at once, then one per window while the burst lasts: far fewer than 100.
        assert!((2..=6).contains(&emitted.len()), "{emitted:?}");
        for pair in emitted.windows(2) {
            assert!(pair[1] - pair[0] >= window, "{emitted:?}");
        }
    }

    #[tokio::test]
    async fn the_window_grows_with_the_work_an_emission_started() {
        let pace = WorkPace::new(Duration::from_millis(20), 3);
        let worker = pace.clone();
        let started = Instant::now();
        // A steady stream of changes over about 600 ms.
        let (rx, producer) = steady_changes(120);
        let emitted: Vec<Duration> = coalesce(rx, pace)
            .map(|()| {
                // Each emission starts 50 ms of work: windows of 150 ms, not 20.
                worker.worked(Duration::from_millis(50));
                started.elapsed()
            })
            .collect()
            .await;
        producer.await.expect("producer ends");
        assert!((2..=6).contains(&emitted.len()), "{emitted:?}");
        for pair in emitted.windows(2) {
            assert!(
                pair[1] - pair[0] >= Duration::from_millis(150),
                "{emitted:?}"
            );
        }
    }

    #[test]
    fn a_work_pace_is_its_minimum_until_work_is_reported_and_the_last_work_sets_the_next_window() {
        let pace = WorkPace::new(Duration::from_secs(1), 3);
        assert_eq!(pace.window(), Duration::from_secs(1));
        pace.worked(Duration::from_millis(300));
        pace.worked(Duration::from_millis(200));
        assert_eq!(pace.window(), Duration::from_millis(1500));
        // The next window starts as long as the last one's work, before any is reported...
        pace.emitted();
        assert_eq!(pace.window(), Duration::from_millis(1500));
        // ...grows when more is...
        pace.worked(Duration::from_millis(600));
        assert_eq!(pace.window(), Duration::from_millis(1800));
        // ...and comes back to the minimum after an emission that started little work.
        pace.emitted();
        pace.worked(Duration::from_millis(10));
        pace.emitted();
        assert_eq!(pace.window(), Duration::from_secs(1));
    }

    #[tokio::test]
    async fn a_single_change_triggers_once() {
        let emitted: Vec<()> = coalesce(futures::stream::iter([()]), Duration::from_millis(10))
            .collect()
            .await;
        assert_eq!(emitted.len(), 1);
    }
}
