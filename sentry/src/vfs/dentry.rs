//! Dentries: the cached name tree, with mounts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use abi::Errno;

use super::Inode;

/// A name in the tree bound to an inode.
pub struct Dentry {
    /// The name within its parent (empty for the root).
    pub name: Vec<u8>,
    /// The parent; for the root of a mounted file system, the parent of the
    /// mount point, so `..` leaves the mount.
    pub parent: Option<Arc<Dentry>>,
    /// The inode.
    pub inode: Arc<dyn Inode>,
    children: Mutex<HashMap<Vec<u8>, Arc<Dentry>>>,
    mounted: Mutex<Option<Arc<Dentry>>>,
}

impl Dentry {
    /// A root dentry.
    pub fn root(inode: Arc<dyn Inode>) -> Arc<Dentry> {
        Arc::new(Dentry {
            name: Vec::new(),
            parent: None,
            inode,
            children: Mutex::new(HashMap::new()),
            mounted: Mutex::new(None),
        })
    }

    /// A dentry outside the tree (inherited host files, anonymous files),
    /// shown under `name`.
    pub fn detached(name: Vec<u8>, inode: Arc<dyn Inode>) -> Arc<Dentry> {
        Arc::new(Dentry {
            name,
            parent: None,
            inode,
            children: Mutex::new(HashMap::new()),
            mounted: Mutex::new(None),
        })
    }

    fn children(&self) -> MutexGuard<'_, HashMap<Vec<u8>, Arc<Dentry>>> {
        self.children.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Mounts a file system whose root inode is `inode` on this dentry.
    pub fn mount(self: &Arc<Self>, inode: Arc<dyn Inode>) {
        let root = Arc::new(Dentry {
            name: self.name.clone(),
            parent: self.parent.clone(),
            inode,
            children: Mutex::new(HashMap::new()),
            mounted: Mutex::new(None),
        });
        *self.mounted.lock().unwrap_or_else(|e| e.into_inner()) = Some(root);
    }

    /// The dentry to use when a walk arrives here: the root of whatever is
    /// mounted on it, repeatedly.
    pub fn follow_mounts(self: &Arc<Self>) -> Arc<Dentry> {
        let mut d = self.clone();
        loop {
            let next = d.mounted.lock().unwrap_or_else(|e| e.into_inner()).clone();
            match next {
                Some(m) => d = m,
                None => return d,
            }
        }
    }

    /// Looks up child `name`, through the cache.
    pub fn child(self: &Arc<Self>, name: &[u8]) -> Result<Arc<Dentry>, Errno> {
        if let Some(d) = self.children().get(name) {
            return Ok(d.follow_mounts());
        }
        let inode = self.inode.lookup(name)?;
        let d = Arc::new(Dentry {
            name: name.to_vec(),
            parent: Some(self.clone()),
            inode,
            children: Mutex::new(HashMap::new()),
            mounted: Mutex::new(None),
        });
        self.children().insert(name.to_vec(), d.clone());
        Ok(d)
    }

    /// Forgets the cached child `name` (after unlink, rename or create).
    pub fn invalidate(&self, name: &[u8]) {
        self.children().remove(name);
    }

    /// Whether a file system is mounted on the cached child `name`.
    pub fn is_mount_point(&self, name: &[u8]) -> bool {
        self.children().get(name).is_some_and(|d| {
            d.mounted
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .is_some()
        })
    }

    /// The absolute path of this dentry as seen from `root`.
    pub fn path_from(self: &Arc<Self>, root: &Arc<Dentry>) -> Vec<u8> {
        let mut parts: Vec<Vec<u8>> = Vec::new();
        let mut d = self.clone();
        let mut reached_root = false;
        for _ in 0..4096 {
            if Arc::ptr_eq(&d, root) || Arc::ptr_eq(&d.follow_mounts(), &root.follow_mounts()) {
                reached_root = true;
                break;
            }
            let Some(p) = d.parent.clone() else {
                if parts.is_empty() && !d.name.is_empty() {
                    return d.name.clone();
                }
                reached_root = true;
                break;
            };
            parts.push(d.name.clone());
            d = p;
        }
        let _ = reached_root;
        if parts.is_empty() {
            return b"/".to_vec();
        }
        let mut out = Vec::new();
        for p in parts.iter().rev() {
            out.push(b'/');
            out.extend_from_slice(p);
        }
        out
    }
}
