//! The one blocking mechanism: a task sleeps on its own [`Waker`], which it
//! registers with every [`WaitQueue`] it waits on; whoever changes the state
//! the task waits for notifies the queue. Signals wake the task's waker too,
//! so every wait is interruptible.

use crate::kernel::process::lock;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

/// Wakes one sleeping task.
#[derive(Default)]
pub struct Waker {
    woken: Mutex<bool>,
    cv: Condvar,
}

impl Waker {
    /// Wakes the task if it sleeps, or makes its next sleep return at once.
    pub fn wake(&self) {
        *lock(&self.woken) = true;
        self.cv.notify_all();
    }

    /// Sleeps until woken or until `deadline`; returns false on timeout.
    pub fn sleep(&self, deadline: Option<Instant>) -> bool {
        let mut woken = lock(&self.woken);
        loop {
            if *woken {
                *woken = false;
                return true;
            }
            match deadline {
                None => woken = self.cv.wait(woken).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return false;
                    }
                    woken = self
                        .cv
                        .wait_timeout(woken, d - now)
                        .map(|(g, _)| g)
                        .unwrap_or_else(|e| e.into_inner().0);
                }
            }
        }
    }
}

/// Tasks waiting for some state to change.
#[derive(Default)]
pub struct WaitQueue {
    waiters: Mutex<Vec<Arc<Waker>>>,
}

impl WaitQueue {
    /// Registers `w` (before checking the condition, so no wake-up is lost).
    pub fn add(&self, w: &Arc<Waker>) {
        lock(&self.waiters).push(w.clone());
    }

    /// Unregisters `w`.
    pub fn remove(&self, w: &Arc<Waker>) {
        let mut ws = lock(&self.waiters);
        if let Some(i) = ws.iter().position(|x| Arc::ptr_eq(x, w)) {
            ws.swap_remove(i);
        }
    }

    /// Wakes every waiter.
    pub fn notify_all(&self) {
        for w in lock(&self.waiters).iter() {
            w.wake();
        }
    }
}
