//! In-process news (an operation finished, a lab is ready, the feeds or an assessment
//! changed) as a stream of wake-ups a controller reconciles on.

use futures::Stream;
use tokio::sync::broadcast::{Receiver, error::RecvError};
use tokio::sync::watch;

/// One `()` per message received; news missed while lagging still wakes once. Ends when the
/// sender is gone.
pub fn wake_on<T: Clone + Send + 'static>(receiver: Receiver<T>) -> impl Stream<Item = ()> + Send {
    futures::stream::unfold(receiver, |mut receiver| async move {
        match receiver.recv().await {
            Ok(_) | Err(RecvError::Lagged(_)) => Some(((), receiver)),
            Err(RecvError::Closed) => None,
        }
    })
}

/// One `()` per change of a watch channel's value; changes made between two wake-ups wake
/// once. Ends when the sender is gone.
pub fn wake_on_change<T: Send + Sync + 'static>(
    receiver: watch::Receiver<T>,
) -> impl Stream<Item = ()> + Send {
    futures::stream::unfold(receiver, |mut receiver| async move {
        receiver.changed().await.ok().map(|()| ((), receiver))
    })
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;

    use super::*;

    #[tokio::test]
    async fn each_message_wakes_once_and_the_stream_ends_with_the_sender() {
        let (sender, receiver) = tokio::sync::broadcast::channel(4);
        let wakes = wake_on(receiver);
        sender.send(1).expect("a receiver is listening");
        sender.send(2).expect("a receiver is listening");
        drop(sender);
        assert_eq!(wakes.collect::<Vec<()>>().await.len(), 2);
    }

    #[tokio::test]
    async fn news_missed_while_lagging_still_wakes() {
        let (sender, receiver) = tokio::sync::broadcast::channel(1);
        let wakes = wake_on(receiver);
        for n in 0..5 {
            sender.send(n).expect("a receiver is listening");
        }
        drop(sender);
        // One wake for the lag, one for the message still held.
        assert_eq!(wakes.collect::<Vec<()>>().await.len(), 2);
    }

    #[tokio::test]
    async fn changes_of_a_watched_value_wake_and_the_stream_ends_with_the_sender() {
        let (sender, receiver) = watch::channel(0_u64);
        let mut wakes = Box::pin(wake_on_change(receiver));
        sender.send_modify(|n| *n += 1);
        assert_eq!(wakes.next().await, Some(()));
        // Two changes before the next look wake once.
        sender.send_modify(|n| *n += 1);
        sender.send_modify(|n| *n += 1);
        assert_eq!(wakes.next().await, Some(()));
        drop(sender);
        assert_eq!(wakes.next().await, None);
    }
}
