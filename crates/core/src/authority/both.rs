//! Two futures driven together, without a runtime: how a rule hands the store two writes at
//! once, so that a store that groups its commits (SQLite's database thread does) covers both
//! with one sync.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;

/// Runs `a` and `b` concurrently and returns both outputs.
pub(super) async fn both<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut first, mut second) = (None, None);
    poll_fn(|cx| {
        if first.is_none()
            && let Poll::Ready(out) = a.as_mut().poll(cx)
        {
            first = Some(out);
        }
        if second.is_none()
            && let Poll::Ready(out) = b.as_mut().poll(cx)
        {
            second = Some(out);
        }
        match (first.take(), second.take()) {
            (Some(x), Some(y)) => Poll::Ready((x, y)),
            (x, y) => {
                first = x;
                second = y;
                Poll::Pending
            }
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::task::{Context, Wake, Waker};

    use super::*;

    struct Noop;
    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }

    /// Ready on its second poll.
    async fn later(value: u8) -> u8 {
        let mut polled = false;
        poll_fn(|cx| {
            if polled {
                Poll::Ready(value)
            } else {
                polled = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        })
        .await
    }

    #[test]
    fn both_outputs_come_back_whichever_finishes_first() {
        let waker = Waker::from(Arc::new(Noop));
        let mut cx = Context::from_waker(&waker);
        let mut joined = pin!(both(later(1), async { 2 }));
        assert!(joined.as_mut().poll(&mut cx).is_pending());
        assert_eq!(joined.as_mut().poll(&mut cx), Poll::Ready((1, 2)));
    }
}
