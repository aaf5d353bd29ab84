//! End-to-end tests: `serve` on one end of a socketpair, `Client` on the
//! other, over a temporary directory tree.

use abi::Errno;
use gofer::client::{Client, ClientError};
use gofer::proto::{
    self, FileId, Owner, Request, Response, SETSTAT_ATIME, SETSTAT_MODE, SETSTAT_MTIME,
    SETSTAT_SIZE, SETSTAT_UID, SetStat, Timespec,
};
use gofer::server::{ServerError, ServerOptions, serve};
use std::collections::HashSet;
use std::fs;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;

fn socketpair() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two FDs socketpair writes.
    let r = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    };
    assert_eq!(r, 0, "socketpair: {}", std::io::Error::last_os_error());
    // SAFETY: socketpair succeeded; both FDs are new and owned only here.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

/// A temporary directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "gofer-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The tree served: `root/` below a temporary directory (so `..` from the
/// root would find `outside.txt`).
struct Fixture {
    tmp: TempDir,
    client: Client,
    root: FileId,
    server: JoinHandle<Result<(), ServerError>>,
}

impl Fixture {
    fn new(read_only: bool) -> Fixture {
        let tmp = TempDir::new();
        fs::write(tmp.0.join("outside.txt"), "secret").unwrap();
        let root = tmp.0.join("root");
        fs::create_dir(&root).unwrap();
        fs::write(root.join("a.txt"), "hello").unwrap();
        fs::create_dir_all(root.join("dir/sub")).unwrap();
        fs::write(root.join("dir/inner.txt"), "inner").unwrap();
        symlink("/etc/passwd", root.join("passwd")).unwrap();
        symlink("../../..", root.join("up")).unwrap();
        symlink("../..", root.join("dir/escape")).unwrap();
        Fixture::serve(tmp, read_only)
    }

    fn serve(tmp: TempDir, read_only: bool) -> Fixture {
        let (a, b) = socketpair();
        let root_fd = OwnedFd::from(fs::File::open(tmp.0.join("root")).unwrap());
        let server = std::thread::spawn(move || serve(b, root_fd, ServerOptions { read_only }));
        let client = Client::new(a);
        let (root, stat) = client.attach().unwrap();
        assert_eq!(stat.mode & libc::S_IFMT, libc::S_IFDIR);
        Fixture {
            tmp,
            client,
            root,
            server,
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.tmp.0.join("root").join(rel)
    }

    fn walk1(&self, names: &[&str]) -> FileId {
        let names: Vec<&[u8]> = names.iter().map(|n| n.as_bytes()).collect();
        let w = self.client.walk(self.root, &names).unwrap();
        assert_eq!(w.error, None);
        w.files.last().unwrap().0
    }

    /// Drops the client and checks that the server then returns `Ok`.
    fn finish(self) {
        drop(self.client);
        self.server.join().unwrap().unwrap();
    }
}

fn remote(r: Result<impl std::fmt::Debug, ClientError>) -> Errno {
    match r {
        Err(ClientError::Remote(e)) => e,
        other => panic!("expected a remote errno, got {other:?}"),
    }
}

fn me() -> Owner {
    // SAFETY: getuid and getgid cannot fail and take no arguments.
    unsafe {
        Owner {
            uid: libc::getuid(),
            gid: libc::getgid(),
        }
    }
}

fn read_all(fd: OwnedFd) -> String {
    let mut s = String::new();
    fs::File::from(fd).read_to_string(&mut s).unwrap();
    s
}

const RDONLY: u32 = libc::O_RDONLY as u32;
const RDWR: u32 = libc::O_RDWR as u32;
const WRONLY: u32 = libc::O_WRONLY as u32;

#[test]
fn attach_and_stat_root() {
    let f = Fixture::new(false);
    let st = f.client.stat(f.root).unwrap();
    let md = fs::metadata(f.path("")).unwrap();
    assert_eq!(st.ino, md.ino());
    assert_eq!(st.dev, md.dev());
    f.finish();
}

#[test]
fn walk_returns_each_component_and_stops_at_missing() {
    let f = Fixture::new(false);
    let w = f.client.walk(f.root, &[b"dir", b"inner.txt"]).unwrap();
    assert_eq!(w.error, None);
    assert_eq!(w.files.len(), 2);
    assert_eq!(w.files[0].1.mode & libc::S_IFMT, libc::S_IFDIR);
    assert_eq!(w.files[1].1.mode & libc::S_IFMT, libc::S_IFREG);
    assert_eq!(w.files[1].1.size, 5);
    assert_eq!(
        w.files[1].1.ino,
        fs::metadata(f.path("dir/inner.txt")).unwrap().ino()
    );

    let w = f
        .client
        .walk(f.root, &[b"dir", b"sub", b"nope", b"x"])
        .unwrap();
    assert_eq!(w.files.len(), 2);
    assert_eq!(w.error, Some(Errno::ENOENT));

    let w = f.client.walk(f.root, &[b"a.txt", b"x"]).unwrap();
    assert_eq!(w.files.len(), 1);
    assert_eq!(w.error, Some(Errno::ENOTDIR));

    let w = f.client.walk(f.root, &[]).unwrap();
    assert!(w.files.is_empty() && w.error.is_none());
    f.finish();
}

#[test]
fn walk_through_symlink_returns_the_symlink_itself() {
    let f = Fixture::new(false);
    let w = f.client.walk(f.root, &[b"passwd"]).unwrap();
    let (link, st) = w.files[0];
    assert_eq!(st.mode & libc::S_IFMT, libc::S_IFLNK);
    assert_eq!(f.client.readlink(link).unwrap(), b"/etc/passwd");
    assert_eq!(
        f.client.stat(link).unwrap().mode & libc::S_IFMT,
        libc::S_IFLNK
    );
    // Opening a symlink never follows it.
    assert_eq!(remote(f.client.open(link, RDONLY)), Errno::ELOOP);

    // Symlinks are not directories to walk through: no escape.
    let w = f.client.walk(f.root, &[b"passwd", b"x"]).unwrap();
    assert_eq!((w.files.len(), w.error), (1, Some(Errno::ENOTDIR)));
    let w = f.client.walk(f.root, &[b"up", b"outside.txt"]).unwrap();
    assert_eq!((w.files.len(), w.error), (1, Some(Errno::ENOTDIR)));
    let w = f
        .client
        .walk(f.root, &[b"dir", b"escape", b"outside.txt"])
        .unwrap();
    assert_eq!((w.files.len(), w.error), (2, Some(Errno::ENOTDIR)));
    assert_eq!(f.client.readlink(w.files[1].0).unwrap(), b"../..");
    // readlink of a non-symlink.
    assert_eq!(remote(f.client.readlink(f.root)), Errno::EINVAL);
    f.finish();
}

#[test]
fn dot_and_dotdot_are_refused() {
    let f = Fixture::new(false);
    for bad in [&b".."[..], b".", b"a/b", b"", b"x\0"] {
        let e = f.client.walk(f.root, &[bad]).unwrap_err();
        assert!(matches!(e, ClientError::Invalid(_)), "{bad:?}: {e:?}");
    }
    assert_eq!(
        f.client.walk(f.root, &[b".."]).unwrap_err().errno(),
        Errno::EINVAL
    );
    f.finish();
}

/// Sends raw bytes to the server and decodes its answer.
fn raw_call(sock: &OwnedFd, msg: &[u8]) -> Option<(u64, Response)> {
    // SAFETY: `msg` is valid for reads of its length.
    let n = unsafe { libc::send(sock.as_raw_fd(), msg.as_ptr().cast(), msg.len(), 0) };
    assert_eq!(n, msg.len() as isize);
    let mut buf = vec![0u8; proto::MAX_MESSAGE_SIZE];
    // SAFETY: `buf` is valid for writes of its length.
    let n = unsafe { libc::recv(sock.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
    if n <= 0 {
        return None;
    }
    Some(proto::decode_response(&buf[..n as usize]).unwrap())
}

#[test]
fn server_answers_malformed_requests_with_einval() {
    let tmp = TempDir::new();
    fs::create_dir(tmp.0.join("root")).unwrap();
    fs::write(tmp.0.join("outside.txt"), "secret").unwrap();
    let (a, b) = socketpair();
    let root_fd = OwnedFd::from(fs::File::open(tmp.0.join("root")).unwrap());
    let server = std::thread::spawn(move || serve(b, root_fd, ServerOptions::default()));

    let (id, resp) = raw_call(&a, &proto::encode_request(1, &Request::Attach)).unwrap();
    assert_eq!(id, 1);
    let Response::Attach { root, .. } = resp else {
        panic!("{resp:?}")
    };
    // A hand-made walk of "..": the server refuses to decode it.
    let mut msg = Vec::new();
    msg.extend_from_slice(&2u64.to_le_bytes());
    msg.extend_from_slice(&2u16.to_le_bytes()); // Walk
    let mut payload = root.0.to_le_bytes().to_vec();
    payload.extend_from_slice(&1u32.to_le_bytes());
    payload.extend_from_slice(&2u16.to_le_bytes());
    payload.extend_from_slice(b"..");
    msg.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    msg.extend_from_slice(&payload);
    assert_eq!(
        raw_call(&a, &msg),
        Some((2, Response::Error(Errno::EINVAL)))
    );
    // Unknown opcode, trailing bytes.
    let mut msg = proto::encode_request(3, &Request::Stat { file: root });
    msg[8] = 0x77;
    assert_eq!(
        raw_call(&a, &msg),
        Some((3, Response::Error(Errno::EINVAL)))
    );
    let mut msg = proto::encode_request(4, &Request::Stat { file: root });
    msg.push(0);
    msg[10] += 1;
    assert_eq!(
        raw_call(&a, &msg),
        Some((4, Response::Error(Errno::EINVAL)))
    );
    // Still serving.
    let (_, resp) = raw_call(&a, &proto::encode_request(5, &Request::Stat { file: root })).unwrap();
    assert!(matches!(resp, Response::Stat(_)));
    // A message without a header ends the connection with an error.
    assert_eq!(raw_call(&a, &[1, 2, 3]), None);
    assert!(matches!(
        server.join().unwrap(),
        Err(ServerError::Protocol(_))
    ));
}

#[test]
fn unknown_and_closed_file_ids_give_ebadf() {
    let f = Fixture::new(false);
    assert_eq!(remote(f.client.stat(FileId(9999))), Errno::EBADF);
    let a = f.walk1(&["a.txt"]);
    f.client.stat(a).unwrap();
    f.client.close(&[a]).unwrap();
    assert_eq!(remote(f.client.stat(a)), Errno::EBADF);
    assert_eq!(remote(f.client.close(&[a])), Errno::EBADF);
    assert_eq!(remote(f.client.open(a, RDONLY)), Errno::EBADF);
    f.finish();
}

#[test]
fn opened_fds_read_the_right_content() {
    let f = Fixture::new(false);
    let a = f.walk1(&["a.txt"]);
    assert_eq!(read_all(f.client.open(a, RDONLY).unwrap()), "hello");
    let inner = f.walk1(&["dir", "inner.txt"]);
    assert_eq!(read_all(f.client.open(inner, RDONLY).unwrap()), "inner");

    // Write through a donated FD; O_TRUNC truncates.
    let mut w = fs::File::from(f.client.open(a, WRONLY | libc::O_TRUNC as u32).unwrap());
    w.write_all(b"bye").unwrap();
    drop(w);
    assert_eq!(fs::read_to_string(f.path("a.txt")).unwrap(), "bye");

    // Directories open read-only, and not for writing.
    let dir = f.walk1(&["dir"]);
    let d = f.client.open(dir, RDONLY).unwrap();
    // SAFETY: fstat writes one struct stat into `st`.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `d` is an open FD and `st` is writable.
    assert_eq!(unsafe { libc::fstat(d.as_raw_fd(), &mut st) }, 0);
    assert_eq!(st.st_mode & libc::S_IFMT, libc::S_IFDIR);
    assert_eq!(remote(f.client.open(dir, RDWR)), Errno::EISDIR);
    // Bad flags.
    assert_eq!(
        remote(f.client.open(a, libc::O_CREAT as u32)),
        Errno::EINVAL
    );
    assert_eq!(remote(f.client.open(a, libc::O_PATH as u32)), Errno::EINVAL);
    assert_eq!(
        remote(f.client.open(a, RDONLY | libc::O_DIRECTORY as u32)),
        Errno::ENOTDIR
    );
    f.finish();
}

#[test]
fn open_after_rename_follows_the_file() {
    let f = Fixture::new(false);
    let a = f.walk1(&["a.txt"]);
    let dir = f.walk1(&["dir"]);
    f.client
        .rename(f.root, b"a.txt", dir, b"moved.txt", 0)
        .unwrap();
    assert!(f.path("dir/moved.txt").exists());
    assert_eq!(read_all(f.client.open(a, RDONLY).unwrap()), "hello");
    // A file replaced behind the server's back is stale, not another file.
    fs::remove_file(f.path("dir/moved.txt")).unwrap();
    fs::write(f.path("dir/moved.txt"), "impostor").unwrap();
    assert_eq!(remote(f.client.open(a, RDONLY)), Errno::ESTALE);
    f.finish();
}

#[test]
fn create_mkdir_mknod_symlink_link_unlink_rename() {
    let f = Fixture::new(false);
    let dir = f.walk1(&["dir"]);

    let c = f.client.create(dir, b"new.txt", RDWR, 0o640, me()).unwrap();
    assert_eq!(c.stat.mode, libc::S_IFREG | 0o640);
    let mut file = fs::File::from(c.fd);
    file.write_all(b"created").unwrap();
    drop(file);
    assert_eq!(
        fs::read_to_string(f.path("dir/new.txt")).unwrap(),
        "created"
    );
    assert_eq!(read_all(f.client.open(c.file, RDONLY).unwrap()), "created");
    assert_eq!(
        remote(f.client.create(dir, b"new.txt", RDWR, 0o640, me())),
        Errno::EEXIST
    );

    // Modes are exact, whatever the umask.
    let (d, st) = f.client.mkdir(dir, b"newdir", 0o777, me()).unwrap();
    assert_eq!(st.mode, libc::S_IFDIR | 0o777);
    assert!(f.path("dir/newdir").is_dir());
    assert_eq!(
        remote(f.client.mkdir(dir, b"newdir", 0o755, me())),
        Errno::EEXIST
    );

    let (_, st) = f
        .client
        .mknod(d, b"fifo", libc::S_IFIFO | 0o600, me())
        .unwrap();
    assert_eq!(st.mode, libc::S_IFIFO | 0o600);
    let (fifo, _) = f.client.walk(d, &[b"fifo"]).unwrap().files[0];
    assert_eq!(remote(f.client.open(fifo, RDONLY)), Errno::EPERM);
    let (_, st) = f.client.mknod(d, b"reg", 0o644, me()).unwrap();
    assert_eq!(st.mode, libc::S_IFREG | 0o644);
    assert_eq!(
        remote(f.client.mknod(d, b"dev", libc::S_IFCHR | 0o600, me())),
        Errno::EPERM
    );

    let (l, st) = f
        .client
        .symlink(d, b"link", b"../../../outside.txt", me())
        .unwrap();
    assert_eq!(st.mode & libc::S_IFMT, libc::S_IFLNK);
    assert_eq!(f.client.readlink(l).unwrap(), b"../../../outside.txt");
    assert_eq!(
        fs::read_link(f.path("dir/newdir/link")).unwrap(),
        Path::new("../../../outside.txt")
    );

    let (h, st) = f.client.link(f.root, b"hard.txt", c.file).unwrap();
    assert_eq!(st.nlink, 2);
    assert_eq!(st.ino, c.stat.ino);
    assert_eq!(read_all(f.client.open(h, RDONLY).unwrap()), "created");
    assert_eq!(remote(f.client.link(f.root, b"d2", dir)), Errno::EPERM);

    f.client.unlink(f.root, b"hard.txt", 0).unwrap();
    assert!(!f.path("hard.txt").exists());
    assert_eq!(remote(f.client.unlink(dir, b"newdir", 0)), Errno::EISDIR);
    assert_eq!(
        remote(f.client.unlink(dir, b"newdir", libc::AT_REMOVEDIR as u32)),
        Errno::ENOTEMPTY
    );
    assert_eq!(remote(f.client.unlink(dir, b"nope", 0)), Errno::ENOENT);

    f.client
        .rename(dir, b"new.txt", f.root, b"renamed.txt", 0)
        .unwrap();
    assert!(f.path("renamed.txt").exists());
    assert_eq!(
        remote(f.client.rename(
            f.root,
            b"renamed.txt",
            f.root,
            b"a.txt",
            libc::RENAME_NOREPLACE
        )),
        Errno::EEXIST
    );
    f.client
        .rename(
            f.root,
            b"renamed.txt",
            f.root,
            b"a.txt",
            libc::RENAME_EXCHANGE,
        )
        .unwrap();
    assert_eq!(fs::read_to_string(f.path("a.txt")).unwrap(), "created");
    assert_eq!(fs::read_to_string(f.path("renamed.txt")).unwrap(), "hello");
    // The created file's FileId followed the exchange.
    assert_eq!(read_all(f.client.open(c.file, RDONLY).unwrap()), "created");
    f.finish();
}

#[test]
fn set_stat_changes_mode_size_owner_and_times() {
    let f = Fixture::new(false);
    let a = f.walk1(&["a.txt"]);
    f.client
        .set_stat(
            a,
            &SetStat {
                mask: SETSTAT_MODE | SETSTAT_SIZE | SETSTAT_ATIME | SETSTAT_MTIME,
                mode: 0o600,
                size: 2,
                atime: Timespec { sec: 1000, nsec: 5 },
                mtime: Timespec { sec: 2000, nsec: 7 },
                ..SetStat::default()
            },
        )
        .unwrap();
    let md = fs::symlink_metadata(f.path("a.txt")).unwrap();
    assert_eq!(md.permissions().mode() & 0o7777, 0o600);
    assert_eq!(md.len(), 2);
    assert_eq!((md.atime(), md.atime_nsec()), (1000, 5));
    assert_eq!((md.mtime(), md.mtime_nsec()), (2000, 7));
    let st = f.client.stat(a).unwrap();
    assert_eq!(st.mtime, Timespec { sec: 2000, nsec: 7 });

    // Owner: to ourselves always works; to another user only as root.
    let mine = SetStat {
        mask: SETSTAT_UID,
        uid: me().uid,
        ..SetStat::default()
    };
    f.client.set_stat(a, &mine).unwrap();
    if me().uid == 0 {
        let other = SetStat {
            mask: SETSTAT_UID,
            uid: 1234,
            ..SetStat::default()
        };
        f.client.set_stat(a, &other).unwrap();
        assert_eq!(fs::metadata(f.path("a.txt")).unwrap().uid(), 1234);
    }

    // Times of a symlink are the link's own.
    let link = f.walk1(&["passwd"]);
    f.client
        .set_stat(
            link,
            &SetStat {
                mask: SETSTAT_MTIME,
                mtime: Timespec { sec: 3000, nsec: 0 },
                ..SetStat::default()
            },
        )
        .unwrap();
    assert_eq!(
        fs::symlink_metadata(f.path("passwd")).unwrap().mtime(),
        3000
    );

    let dir = f.walk1(&["dir"]);
    let trunc = SetStat {
        mask: SETSTAT_SIZE,
        ..SetStat::default()
    };
    assert_eq!(remote(f.client.set_stat(dir, &trunc)), Errno::EISDIR);
    f.client
        .set_stat(
            dir,
            &SetStat {
                mask: SETSTAT_MODE,
                mode: 0o700,
                ..SetStat::default()
            },
        )
        .unwrap();
    assert_eq!(
        fs::metadata(f.path("dir")).unwrap().permissions().mode() & 0o7777,
        0o700
    );
    f.finish();
}

#[test]
fn statfs_reports_the_filesystem() {
    let f = Fixture::new(false);
    let s = f.client.statfs(f.root).unwrap();
    assert!(s.bsize > 0);
    assert!(s.namelen >= 255);
    f.finish();
}

#[test]
fn read_only_rejects_writes_with_erofs() {
    let f = Fixture::new(true);
    let a = f.walk1(&["a.txt"]);
    assert_eq!(read_all(f.client.open(a, RDONLY).unwrap()), "hello");
    assert_eq!(remote(f.client.open(a, WRONLY)), Errno::EROFS);
    assert_eq!(remote(f.client.open(a, RDWR)), Errno::EROFS);
    assert_eq!(
        remote(f.client.open(a, RDONLY | libc::O_TRUNC as u32)),
        Errno::EROFS
    );
    assert_eq!(
        remote(f.client.create(f.root, b"n", RDWR, 0o644, me())),
        Errno::EROFS
    );
    assert_eq!(
        remote(f.client.mkdir(f.root, b"n", 0o755, me())),
        Errno::EROFS
    );
    assert_eq!(
        remote(f.client.mknod(f.root, b"n", 0o644, me())),
        Errno::EROFS
    );
    assert_eq!(
        remote(f.client.symlink(f.root, b"n", b"t", me())),
        Errno::EROFS
    );
    assert_eq!(remote(f.client.link(f.root, b"n", a)), Errno::EROFS);
    assert_eq!(remote(f.client.unlink(f.root, b"a.txt", 0)), Errno::EROFS);
    assert_eq!(
        remote(f.client.rename(f.root, b"a.txt", f.root, b"b", 0)),
        Errno::EROFS
    );
    let chmod = SetStat {
        mask: SETSTAT_MODE,
        mode: 0o777,
        ..SetStat::default()
    };
    assert_eq!(remote(f.client.set_stat(a, &chmod)), Errno::EROFS);
    // Nothing changed; reads still work.
    assert!(f.path("a.txt").exists());
    assert_eq!(
        fs::metadata(f.path("a.txt")).unwrap().permissions().mode() & 0o777,
        0o644
    );
    f.client.getdents(f.root, 0).unwrap();
    f.client.statfs(a).unwrap();
    f.finish();
}

/// Reads a whole directory through the client; returns the names and the
/// number of pages.
fn read_dir(client: &Client, dir: FileId) -> (Vec<Vec<u8>>, usize) {
    let mut names = Vec::new();
    let mut cookie = 0;
    let mut pages = 0;
    loop {
        let entries = client.getdents(dir, cookie).unwrap();
        if entries.is_empty() {
            return (names, pages);
        }
        pages += 1;
        assert!(pages < 10_000, "getdents does not terminate");
        cookie = entries.last().unwrap().next;
        names.extend(entries.into_iter().map(|d| d.name.as_bytes().to_vec()));
    }
}

#[test]
fn getdents_lists_small_directory_with_types() {
    let f = Fixture::new(false);
    let entries = f.client.getdents(f.root, 0).unwrap();
    let mut names: Vec<_> = entries
        .iter()
        .map(|d| {
            (
                String::from_utf8_lossy(d.name.as_bytes()).into_owned(),
                d.d_type,
            )
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ("a.txt".to_string(), libc::DT_REG),
            ("dir".to_string(), libc::DT_DIR),
            ("passwd".to_string(), libc::DT_LNK),
            ("up".to_string(), libc::DT_LNK),
        ]
    );
    let a = f.walk1(&["a.txt"]);
    assert_eq!(remote(f.client.getdents(a, 0)), Errno::ENOTDIR);
    f.finish();
}

#[test]
fn getdents_paginates_every_name_exactly_once() {
    let f = Fixture::new(false);
    let big = f.path("big");
    fs::create_dir(&big).unwrap();
    let mut expected = HashSet::new();
    for i in 0..1500 {
        // Long names so that the listing needs several messages.
        let name = format!("entry-{i:05}-{}", "x".repeat(100));
        fs::write(big.join(&name), "").unwrap();
        expected.insert(name.into_bytes());
    }
    let dir = f.walk1(&["big"]);
    let (names, pages) = read_dir(&f.client, dir);
    assert!(pages > 1, "expected several pages, got {pages}");
    assert_eq!(names.len(), expected.len());
    let got: HashSet<_> = names.into_iter().collect();
    assert_eq!(got, expected);
    f.finish();
}

#[test]
fn client_is_usable_from_several_threads() {
    let f = Fixture::new(false);
    let a = f.walk1(&["a.txt"]);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..200 {
                    assert_eq!(f.client.stat(a).unwrap().size, 5);
                    let w = f.client.walk(f.root, &[b"dir", b"inner.txt"]).unwrap();
                    f.client
                        .close(&w.files.iter().map(|x| x.0).collect::<Vec<_>>())
                        .unwrap();
                }
            });
        }
    });
    f.finish();
}

#[test]
fn client_fails_cleanly_when_server_is_gone() {
    let (a, b) = socketpair();
    drop(b);
    let client = Client::new(a);
    let e = client.stat(FileId(1)).unwrap_err();
    assert!(matches!(e, ClientError::Transport(_)), "{e:?}");
    assert_eq!(e.errno(), Errno::EIO);
    assert_eq!(client.attach().unwrap_err().errno(), Errno::EIO);
}

#[test]
fn serve_rejects_a_root_that_is_not_a_directory() {
    let tmp = TempDir::new();
    fs::write(tmp.0.join("file"), "").unwrap();
    let (_a, b) = socketpair();
    let root_fd = OwnedFd::from(fs::File::open(tmp.0.join("file")).unwrap());
    assert!(matches!(
        serve(b, root_fd, ServerOptions::default()),
        Err(ServerError::Root(e)) if e == Errno::ENOTDIR
    ));
}
