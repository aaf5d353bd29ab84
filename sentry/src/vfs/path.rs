//! Path resolution, following `path_resolution(7)` and `fs/namei.c`:
//! symlinks up to 40 per walk, `..` that never leaves the root, trailing
//! slashes that demand a directory.

use std::sync::Arc;

use abi::Errno;

use super::Dentry;

/// Symbolic links followed per resolution before `ELOOP` (`MAXSYMLINKS`).
pub const MAX_SYMLINKS: u32 = 40;

/// A task's file-system context: root, working directory and umask.
#[derive(Clone)]
pub struct FsContext {
    /// The root (`chroot`).
    pub root: Arc<Dentry>,
    /// The working directory.
    pub cwd: Arc<Dentry>,
    /// The file-mode creation mask.
    pub umask: u32,
}

/// The result of resolving all but the last component.
pub struct Lookup {
    /// The directory that holds (or would hold) the last component.
    pub parent: Arc<Dentry>,
    /// The last component (may be `.` or `..`; empty for `/`).
    pub name: Vec<u8>,
    /// Whether the path ended in `/`.
    pub trailing_slash: bool,
}

fn is_dir(d: &Dentry) -> Result<bool, Errno> {
    Ok(d.inode.attr()?.is_dir())
}

/// Resolves `path` starting at `start` (used for relative paths) with
/// `root` as `/`. The last component is followed if it is a symlink only
/// when `follow_last` (or the path ends in `/`).
pub fn resolve(
    root: &Arc<Dentry>,
    start: &Arc<Dentry>,
    path: &[u8],
    follow_last: bool,
) -> Result<Arc<Dentry>, Errno> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let mut links = 0u32;
    walk(root, start, path, follow_last, &mut links)
}

fn walk(
    root: &Arc<Dentry>,
    start: &Arc<Dentry>,
    path: &[u8],
    follow_last: bool,
    links: &mut u32,
) -> Result<Arc<Dentry>, Errno> {
    let mut cur = if path.first() == Some(&b'/') {
        root.clone()
    } else {
        start.clone()
    };
    let trailing = path.last() == Some(&b'/');
    let comps: Vec<&[u8]> = path
        .split(|b| *b == b'/')
        .filter(|c| !c.is_empty())
        .collect();
    let n = comps.len();
    for (i, comp) in comps.into_iter().enumerate() {
        let last = i + 1 == n;
        if comp.len() > 255 {
            return Err(Errno::ENAMETOOLONG);
        }
        if !is_dir(&cur)? {
            return Err(Errno::ENOTDIR);
        }
        if comp == b"." {
            continue;
        }
        if comp == b".." {
            if !Arc::ptr_eq(&cur, root)
                && !Arc::ptr_eq(&cur.follow_mounts(), &root.follow_mounts())
                && let Some(p) = cur.parent.clone()
            {
                cur = p.follow_mounts();
            }
            continue;
        }
        let child = cur.child(comp)?;
        let attr = child.inode.attr()?;
        if attr.is_symlink() && (!last || follow_last || trailing) {
            *links += 1;
            if *links > MAX_SYMLINKS {
                return Err(Errno::ELOOP);
            }
            if let Some(d) = child.inode.follow_link() {
                cur = d?;
                continue;
            }
            let target = child.inode.readlink()?;
            if target.is_empty() {
                return Err(Errno::ENOENT);
            }
            let base = cur.clone();
            cur = walk(root, &base, &target, true, links)?;
        } else {
            cur = child;
        }
    }
    if trailing && !is_dir(&cur)? {
        return Err(Errno::ENOTDIR);
    }
    Ok(cur)
}

/// Resolves all but the last component of `path`.
pub fn resolve_parent(
    root: &Arc<Dentry>,
    start: &Arc<Dentry>,
    path: &[u8],
) -> Result<Lookup, Errno> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let trimmed_len = path.iter().rposition(|b| *b != b'/').map_or(0, |p| p + 1);
    let trailing_slash = trimmed_len < path.len();
    let trimmed = &path[..trimmed_len];
    if trimmed.is_empty() {
        // The path is "/" (or "///").
        return Ok(Lookup {
            parent: root.clone(),
            name: Vec::new(),
            trailing_slash: true,
        });
    }
    let (dir, name) = match trimmed.iter().rposition(|b| *b == b'/') {
        Some(p) => (&trimmed[..=p], &trimmed[p + 1..]),
        None => (&b""[..], trimmed),
    };
    if name.len() > 255 {
        return Err(Errno::ENAMETOOLONG);
    }
    let parent = if dir.is_empty() {
        start.clone()
    } else {
        resolve(root, start, dir, true)?
    };
    if !is_dir(&parent)? {
        return Err(Errno::ENOTDIR);
    }
    Ok(Lookup {
        parent,
        name: name.to_vec(),
        trailing_slash,
    })
}
