//! The runtime of a blocking client, on a thread of its own (as `reqwest::blocking` has).
//!
//! The client's sockets, timers and background tasks (the state database's) live on that
//! runtime, whose one worker thread drives them. A blocking call polls its future on the
//! caller's thread with the runtime's handle entered, and parks the thread between polls; the
//! runtime's thread wakes it. So a call works wherever a thread may block — plain sync code, a
//! `spawn_blocking` task, a thread of an async test — and never starts or nests a runtime on the
//! caller's thread (which tokio refuses inside another runtime).
//!
//! Why the future is not sent to the runtime thread instead: a blocking method's future borrows
//! its arguments (`&str`, `&CloudSpaceCreate`, …), and sending it there would take `'static`
//! futures (owned copies of every argument of every method) or an unsafe lifetime extension.
//! Polling it here against the runtime's drivers gives the same behaviour without either.

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use crate::error::{Error, Result};

/// A runtime with one worker thread, shut down in the background when the last client using it
/// goes (dropping a runtime may not block, since a client can be dropped in async code).
#[derive(Debug)]
pub(crate) struct RuntimeThread {
    rt: Option<tokio::runtime::Runtime>,
}

impl RuntimeThread {
    /// Starts the runtime and its thread.
    pub(crate) fn start() -> Result<RuntimeThread> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("rsspot-blocking")
            .enable_all()
            .build()
            .map_err(|e| {
                Error::config(format!(
                    "cannot start a runtime for the blocking client: {e}"
                ))
            })?;
        Ok(RuntimeThread { rt: Some(rt) })
    }

    /// Runs `fut` to its end on the calling thread, against this runtime (see the module docs).
    pub(crate) fn block_on<F: Future>(&self, fut: F) -> F::Output {
        let _entered = self.rt.as_ref().map(|rt| rt.enter());
        park_on(fut)
    }
}

impl Drop for RuntimeThread {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// Wakes a parked thread.
struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `fut` on this thread, parking between polls until something wakes it.
fn park_on<F: Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
        // A wake-up between the poll and here leaves the token set: park returns at once.
        std::thread::park();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timers_and_tasks_run_on_the_runtime_thread() {
        let rt = RuntimeThread::start().expect("runtime");
        let name = rt.block_on(async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            tokio::spawn(async { std::thread::current().name().map(str::to_string) })
                .await
                .expect("task")
        });
        assert_eq!(name.as_deref(), Some("rsspot-blocking"));
    }

    #[tokio::test]
    async fn works_on_a_thread_of_another_runtime_and_drops_there() {
        let rt = RuntimeThread::start().expect("runtime");
        let n = tokio::task::spawn_blocking(move || {
            rt.block_on(async {
                tokio::time::sleep(Duration::from_millis(1)).await;
                7
            })
        })
        .await
        .expect("blocking task");
        assert_eq!(n, 7);
        // Dropped inside the async test (not in a blocking task): no panic.
        let again = RuntimeThread::start().expect("runtime");
        drop(again);
    }
}
