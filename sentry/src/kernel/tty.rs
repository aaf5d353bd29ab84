//! Job control on the sandbox's controlling terminal.
//!
//! When the guest's stdio is a host terminal, that terminal is the
//! controlling terminal of the sandbox's first session (the one its init
//! process leads). The host terminal knows nothing of guest process groups,
//! so the Sentry keeps the terminal's foreground process group itself and
//! applies Linux's rules (`drivers/tty/tty_jobctrl.c`):
//!
//! * `TIOCGPGRP`/`TIOCSPGRP`/`TIOCGSID` work only for the terminal's
//!   session (`ENOTTY` otherwise); `TIOCSPGRP` takes a process group of
//!   that session (`EPERM` otherwise);
//! * a background process that reads the terminal gets `SIGTTIN` (its
//!   group does), or `EIO` if it ignores or blocks `SIGTTIN` or its group
//!   is orphaned;
//! * one that writes with `TOSTOP` set, or changes the terminal
//!   (`TIOCSPGRP`, `tcsetattr`), gets `SIGTTOU`, unless it ignores or
//!   blocks it (then the operation goes ahead); `EIO` if orphaned;
//! * the call is restarted once the group is continued in the foreground.

use std::sync::{Arc, Mutex};

use abi::Errno;
use abi::signal::SigInfo;

use super::process::lock;
use super::task::Task;
use super::{ThreadGroup, signal};

const SIGTTIN: i32 = 21;
const SIGTTOU: i32 = 22;
/// `SI_KERNEL`.
const SI_KERNEL: i32 = 0x80;

/// What a process does to the terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TtyAccess {
    /// Reads it.
    Read,
    /// Writes it with `TOSTOP` set.
    Write,
    /// Changes its settings or foreground group.
    Change,
}

/// The sandbox's controlling terminal: its session and foreground group.
#[derive(Debug)]
pub struct ControllingTerminal {
    state: Mutex<(i32, i32)>,
}

impl Default for ControllingTerminal {
    /// Held by the first session (init's, id 1), init's group in front.
    fn default() -> ControllingTerminal {
        ControllingTerminal {
            state: Mutex::new((1, 1)),
        }
    }
}

impl ControllingTerminal {
    /// (session, foreground group).
    fn get(&self) -> (i32, i32) {
        *lock(&self.state)
    }

    /// The foreground process group, for a caller in the terminal's session.
    pub fn foreground(&self, task: &Task) -> Result<i32, Errno> {
        let (sid, fg) = self.get();
        if caller_ids(task).1 != sid {
            return Err(Errno::ENOTTY);
        }
        Ok(fg)
    }

    /// The terminal's session, for a caller in it.
    pub fn session(&self, task: &Task) -> Result<i32, Errno> {
        let (sid, _) = self.get();
        if caller_ids(task).1 != sid {
            return Err(Errno::ENOTTY);
        }
        Ok(sid)
    }

    /// `TIOCSPGRP`, in Linux's order of checks.
    pub fn set_foreground(&self, task: &Task, pgrp: i32) -> Result<(), Errno> {
        let (sid, _) = self.get();
        match self.check(task, TtyAccess::Change) {
            Err(Errno::EIO) => return Err(Errno::ENOTTY),
            r => r?,
        }
        if pgrp < 0 {
            return Err(Errno::EINVAL);
        }
        if caller_ids(task).1 != sid {
            return Err(Errno::ENOTTY);
        }
        let members = lock(&task.kernel.tasks).group_members(pgrp);
        if members.is_empty() {
            return Err(Errno::ESRCH);
        }
        if !members.iter().any(|g| g.lock().sid == sid) {
            return Err(Errno::EPERM);
        }
        lock(&self.state).1 = pgrp;
        Ok(())
    }

    /// Whether `task` may do `access` to the terminal now; a background
    /// caller gets its group signalled and the call restarted, or `EIO`.
    pub fn check(&self, task: &Task, access: TtyAccess) -> Result<(), Errno> {
        let (sid, fg) = self.get();
        let (pgid, my_sid) = caller_ids(task);
        if my_sid != sid || pgid == fg {
            return Ok(());
        }
        let signo = if access == TtyAccess::Read {
            SIGTTIN
        } else {
            SIGTTOU
        };
        let declined = signal::handler_is_ignore(&task.handle.tg, signo)
            || task.sigmask() & (1u64 << (signo - 1)) != 0;
        if declined {
            return if access == TtyAccess::Read {
                Err(Errno::EIO)
            } else {
                Ok(())
            };
        }
        let members = lock(&task.kernel.tasks).group_members(pgid);
        if orphaned(&members, pgid, sid) {
            return Err(Errno::EIO);
        }
        for g in &members {
            signal::send_to_group(&task.kernel, g, SigInfo::kill(signo, SI_KERNEL, 0, 0));
        }
        Err(Errno::ERESTARTSYS)
    }
}

/// The caller's (process group, session).
fn caller_ids(task: &Task) -> (i32, i32) {
    let s = task.handle.tg.lock();
    (s.pgid, s.sid)
}

/// A group is orphaned when no member has a parent in another group of
/// the same session (no shell left to continue it).
fn orphaned(members: &[Arc<ThreadGroup>], pgid: i32, sid: i32) -> bool {
    !members.iter().any(|g| {
        let parent = g.lock().parent.clone();
        parent.is_some_and(|p| {
            let s = p.lock();
            s.pgid != pgid && s.sid == sid
        })
    })
}
