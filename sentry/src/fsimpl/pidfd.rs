//! Process file descriptors (`pidfd_open`, `CLONE_PIDFD`): readable when
//! the process has exited.

use std::sync::{Arc, Weak};

use abi::Errno;

use crate::kernel::waitqueue::WaitQueue;
use crate::kernel::{Task, ThreadGroup};
use crate::vfs::{FileOps, FileRef};

/// The inode of a pidfd.
pub struct PidfdInode {
    tg: Weak<ThreadGroup>,
    /// Notified when the process's threads exit and when it becomes a zombie.
    events: Arc<WaitQueue>,
    pid: i32,
}

super::anon_inode!(PidfdInode);

struct PidfdOps {
    inode: Arc<PidfdInode>,
}

impl FileOps for PidfdOps {
    fn seekable(&self) -> bool {
        false
    }
    fn readiness(&self) -> (bool, bool) {
        let exited = self
            .inode
            .tg
            .upgrade()
            .is_none_or(|g| g.lock().zombie.is_some());
        (exited, false)
    }
    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&self.inode.events)
    }
}

/// Opens a pidfd for `tg` in `task`'s FD table (close-on-exec).
pub fn install(task: &Task, tg: &Arc<ThreadGroup>) -> Result<i32, Errno> {
    let inode = Arc::new(PidfdInode {
        tg: Arc::downgrade(tg),
        events: tg.thread_events.clone(),
        pid: tg.pid,
    });
    let ops = Arc::new(PidfdOps {
        inode: inode.clone(),
    });
    super::install_anon_file(task, "pidfd", inode, ops, 0, true)
}

/// The pid a pidfd refers to.
pub fn pid_of(f: &FileRef) -> Option<i32> {
    f.inode()
        .as_any()
        .downcast_ref::<PidfdInode>()
        .map(|p| p.pid)
}

/// The process a pidfd refers to, if it still exists.
pub fn group_of(f: &FileRef) -> Option<Arc<ThreadGroup>> {
    f.inode()
        .as_any()
        .downcast_ref::<PidfdInode>()
        .and_then(|p| p.tg.upgrade())
}
