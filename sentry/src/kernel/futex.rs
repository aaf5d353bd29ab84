//! Futexes: waiters keyed by the futex word's identity. A private futex is
//! named by its address space and address; a shared one by the memory-file
//! offset behind the address, so processes sharing a mapping meet.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::process::lock;
use super::waitqueue::Waker;

/// Identity of a futex word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FutexKey {
    /// Private: (address space id, address).
    Private(usize, u64),
    /// Shared: memory-file offset.
    Shared(u64),
}

/// One waiter.
pub struct FutexWaiter {
    /// Wakes the waiting task.
    pub waker: Arc<Waker>,
    /// `FUTEX_WAIT_BITSET` mask.
    pub bitset: u32,
    /// Set by the waker before waking: the wait succeeded.
    pub woken: Arc<Mutex<bool>>,
    /// Thread id, for PI and diagnostics.
    pub tid: i32,
}

/// All futex waiters of the sandbox.
#[derive(Default)]
pub struct Futexes {
    queues: Mutex<HashMap<FutexKey, Vec<FutexWaiter>>>,
}

impl Futexes {
    /// Queues a waiter; returns its `woken` flag.
    pub fn enqueue(
        &self,
        key: FutexKey,
        waker: Arc<Waker>,
        bitset: u32,
        tid: i32,
    ) -> Arc<Mutex<bool>> {
        let woken = Arc::new(Mutex::new(false));
        lock(&self.queues)
            .entry(key)
            .or_default()
            .push(FutexWaiter {
                waker,
                bitset,
                woken: woken.clone(),
                tid,
            });
        woken
    }

    /// Removes a waiter that gave up (timeout, signal).
    pub fn dequeue(&self, key: FutexKey, woken: &Arc<Mutex<bool>>) {
        let mut q = lock(&self.queues);
        if let Some(v) = q.get_mut(&key) {
            v.retain(|w| !Arc::ptr_eq(&w.woken, woken));
            if v.is_empty() {
                q.remove(&key);
            }
        }
    }

    /// Wakes up to `n` waiters whose bitset meets `bitset`.
    pub fn wake(&self, key: FutexKey, n: usize, bitset: u32) -> usize {
        let mut q = lock(&self.queues);
        let Some(v) = q.get_mut(&key) else {
            return 0;
        };
        let mut done = 0;
        let mut i = 0;
        while i < v.len() && done < n {
            if v[i].bitset & bitset != 0 {
                let w = v.remove(i);
                *lock(&w.woken) = true;
                w.waker.wake();
                done += 1;
            } else {
                i += 1;
            }
        }
        if v.is_empty() {
            q.remove(&key);
        }
        done
    }

    /// Wakes up to `n` waiters of `from` and moves up to `m` more to `to`.
    pub fn requeue(&self, from: FutexKey, to: FutexKey, n: usize, m: usize) -> usize {
        let mut q = lock(&self.queues);
        let Some(mut v) = q.remove(&from) else {
            return 0;
        };
        let mut done = 0;
        while done < n && !v.is_empty() {
            let w = v.remove(0);
            *lock(&w.woken) = true;
            w.waker.wake();
            done += 1;
        }
        let moved: Vec<FutexWaiter> = v.drain(..m.min(v.len())).collect();
        let count = moved.len();
        if !v.is_empty() {
            q.insert(from, v);
        }
        if count > 0 {
            q.entry(to).or_default().extend(moved);
        }
        done + count
    }

    /// Whether anyone waits on `key`.
    pub fn has_waiters(&self, key: FutexKey) -> bool {
        lock(&self.queues).get(&key).is_some_and(|v| !v.is_empty())
    }

    /// `FUTEX_UNLOCK_PI`: hands the lock to the first waiter on `key`.
    /// `set_owner(tid, more)` stores the new lock word (the waiter's tid,
    /// with `FUTEX_WAITERS` when `more` waiters remain; tid 0 when nobody
    /// waits) while the queue is locked, so the handover is atomic with
    /// respect to waiters arriving or giving up; the waiter is woken only if
    /// it succeeds.
    pub fn handover<E>(
        &self,
        key: FutexKey,
        set_owner: impl FnOnce(i32, bool) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut q = lock(&self.queues);
        let Some(v) = q.get_mut(&key).filter(|v| !v.is_empty()) else {
            return set_owner(0, false);
        };
        let (tid, more) = (v[0].tid, v.len() > 1);
        set_owner(tid, more)?;
        let w = v.remove(0);
        if v.is_empty() {
            q.remove(&key);
        }
        *lock(&w.woken) = true;
        w.waker.wake();
        Ok(())
    }

    /// Whether `woken` was set by a waker (checked under the queue lock so a
    /// wake racing with a timeout is not lost).
    pub fn was_woken(&self, woken: &Arc<Mutex<bool>>) -> bool {
        let _q = lock(&self.queues);
        *lock(woken)
    }
}

/// Walks the robust futex list of an exiting thread (`set_robust_list`):
/// every lock it still holds gets `FUTEX_OWNER_DIED` and one waiter is woken
/// (`kernel/futex/core.c`, `exit_robust_list`).
pub fn release_robust_list(task: &super::Task) {
    use crate::mm::UserPtr;
    const FUTEX_OWNER_DIED: u32 = 0x4000_0000;
    const FUTEX_WAITERS: u32 = 0x8000_0000;
    const FUTEX_TID_MASK: u32 = 0x3fff_ffff;
    let (head, len) = task.robust_list;
    if head == 0 || len != 24 {
        return;
    }
    let Ok([mut entry, offset, pending]) = task.mm.read::<[u64; 3]>(UserPtr::new(head)) else {
        return;
    };
    let offset = offset as i64;
    let handle = |entry_addr: u64| {
        let addr = entry_addr.wrapping_add_signed(offset);
        let Ok(word) = task.mm.read::<u32>(UserPtr::new(addr)) else {
            return;
        };
        if word & FUTEX_TID_MASK != task.tid as u32 {
            return;
        }
        let new = (word & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
        if task.mm.write(UserPtr::<u32>::new(addr), &new).is_err() {
            return;
        }
        let key = FutexKey::Private(task.mm.id(), addr);
        task.kernel.futexes.wake(key, 1, u32::MAX);
        if let Some(off) = task.mm.shared_offset(addr) {
            task.kernel.futexes.wake(FutexKey::Shared(off), 1, u32::MAX);
        }
    };
    // At most ROBUST_LIST_LIMIT entries, so a cyclic list cannot hang us.
    for _ in 0..2048 {
        if entry == head || entry == 0 {
            break;
        }
        let next = task.mm.read::<u64>(UserPtr::new(entry)).unwrap_or(head);
        if entry != pending {
            handle(entry);
        }
        entry = next;
    }
    if pending != 0 {
        handle(pending);
    }
}
