//! Bursts of change notifications coalesced into a bounded rate. A controller's own debounce
//! waits for a pause in its triggers, so a steady stream of Asset changes (a fleet being
//! assessed) would hold a policy's evaluation back until the stream stops; coalesced, the
//! first change triggers at once and the rest of a burst at most once per window.

use std::time::Duration;

use futures::{Stream, StreamExt};

/// Emits the first item of `changes` at once, then at most one item per `window` while more
/// arrive (at the end of the window in which they arrived).
pub fn coalesce<S>(changes: S, window: Duration) -> impl Stream<Item = ()> + Send
where
    S: Stream<Item = ()> + Send + Unpin,
{
    futures::stream::unfold(
        (changes, false),
        move |(mut changes, after_emit)| async move {
            if after_emit {
                let mut seen = false;
                let quiet = tokio::time::sleep(window);
                tokio::pin!(quiet);
                loop {
                    tokio::select! {
                        () = &mut quiet => break,
                        item = changes.next() => match item {
                            Some(()) => seen = true,
                            None => return None,
                        },
                    }
                }
                if seen {
                    return Some(((), (changes, true)));
                }
            }
            changes.next().await?;
            Some(((), (changes, true)))
        },
    )
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[tokio::test]
    async fn a_burst_triggers_at_once_and_then_once_per_window() {
        let (tx, rx) = futures::channel::mpsc::unbounded::<()>();
        let window = Duration::from_millis(200);
        let started = Instant::now();
        let producer = tokio::spawn(async move {
            // 100 changes over about 500 ms.
            for _ in 0..100 {
                let _ = tx.unbounded_send(());
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
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
    async fn a_single_change_triggers_once() {
        let emitted: Vec<()> = coalesce(futures::stream::iter([()]), Duration::from_millis(10))
            .collect()
            .await;
        assert_eq!(emitted.len(), 1);
    }
}
