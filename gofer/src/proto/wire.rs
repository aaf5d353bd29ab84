//! Hand-written little-endian encoding of [`Request`] and [`Response`].
//!
//! Field encodings:
//!
//! | type | bytes |
//! |---|---|
//! | integers | little-endian, fixed width |
//! | `bool`, `Option` tag | one byte, 0 or 1 |
//! | [`Name`], symlink target | `u16` length, then the bytes |
//! | lists | `u32` count, then the elements |
//! | [`Timespec`] | `i64` seconds, `u32` nanoseconds (< 10⁹) |
//! | [`Errno`] | `i32` in `1..=4095` |

use super::{
    Dirent, FileId, HEADER_SIZE, Header, MAX_CLOSE_FILES, MAX_MESSAGE_SIZE, MAX_WALK_NAMES, Name,
    OP_ERROR, Owner, ProtoError, Request, Response, SETSTAT_ALL, SetStat, Stat, StatFs, Timespec,
    check_target,
};
use abi::Errno;

const OP_ATTACH: u16 = 1;
const OP_WALK: u16 = 2;
const OP_STAT: u16 = 3;
const OP_OPEN: u16 = 4;
const OP_CREATE: u16 = 5;
const OP_MKDIR: u16 = 6;
const OP_MKNOD: u16 = 7;
const OP_SYMLINK: u16 = 8;
const OP_LINK: u16 = 9;
const OP_UNLINK: u16 = 10;
const OP_RENAME: u16 = 11;
const OP_READLINK: u16 = 12;
const OP_GETDENTS: u16 = 13;
const OP_SETSTAT: u16 = 14;
const OP_STATFS: u16 = 15;
const OP_CLOSE: u16 = 16;

/// Bit set in a successful response's opcode.
const REPLY: u16 = 0x8000;
/// Opcode of [`Response::Created`] (shared by mkdir, mknod, symlink, link).
const OP_CREATED: u16 = REPLY | 0x7f00;

impl Request {
    /// The request's opcode.
    pub fn opcode(&self) -> u16 {
        match self {
            Request::Attach => OP_ATTACH,
            Request::Walk { .. } => OP_WALK,
            Request::Stat { .. } => OP_STAT,
            Request::Open { .. } => OP_OPEN,
            Request::Create { .. } => OP_CREATE,
            Request::Mkdir { .. } => OP_MKDIR,
            Request::Mknod { .. } => OP_MKNOD,
            Request::Symlink { .. } => OP_SYMLINK,
            Request::Link { .. } => OP_LINK,
            Request::Unlink { .. } => OP_UNLINK,
            Request::Rename { .. } => OP_RENAME,
            Request::Readlink { .. } => OP_READLINK,
            Request::Getdents { .. } => OP_GETDENTS,
            Request::SetStat { .. } => OP_SETSTAT,
            Request::StatFs { .. } => OP_STATFS,
            Request::Close { .. } => OP_CLOSE,
        }
    }

    /// Whether `response` is a legitimate answer to this request.
    pub fn accepts(&self, response: &Response) -> bool {
        if let Response::Error(_) = response {
            return true;
        }
        let created = matches!(
            self,
            Request::Mkdir { .. }
                | Request::Mknod { .. }
                | Request::Symlink { .. }
                | Request::Link { .. }
        );
        if created {
            matches!(response, Response::Created { .. })
        } else {
            response.opcode() == self.opcode() | REPLY
        }
    }
}

impl Response {
    /// The response's opcode.
    pub fn opcode(&self) -> u16 {
        match self {
            Response::Error(_) => OP_ERROR,
            Response::Attach { .. } => REPLY | OP_ATTACH,
            Response::Walk { .. } => REPLY | OP_WALK,
            Response::Stat(_) => REPLY | OP_STAT,
            Response::Open => REPLY | OP_OPEN,
            Response::Create { .. } => REPLY | OP_CREATE,
            Response::Created { .. } => OP_CREATED,
            Response::Unlink => REPLY | OP_UNLINK,
            Response::Rename => REPLY | OP_RENAME,
            Response::Readlink(_) => REPLY | OP_READLINK,
            Response::Getdents(_) => REPLY | OP_GETDENTS,
            Response::SetStat => REPLY | OP_SETSTAT,
            Response::StatFs(_) => REPLY | OP_STATFS,
            Response::Close => REPLY | OP_CLOSE,
        }
    }
}

struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    fn new(id: u64, opcode: u16) -> Writer {
        let mut buf = Vec::with_capacity(256);
        buf.extend_from_slice(&id.to_le_bytes());
        buf.extend_from_slice(&opcode.to_le_bytes());
        buf.extend_from_slice(&0u32.to_le_bytes());
        Writer { buf }
    }

    fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    fn i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    fn file(&mut self, f: FileId) {
        self.u64(f.0);
    }
    /// Writes a short byte string. Callers only pass names and targets,
    /// which are at most [`super::TARGET_MAX`] bytes; longer input is cut
    /// (and then rejected by the peer's decoder as malformed).
    fn bytes16(&mut self, b: &[u8]) {
        let len = u16::try_from(b.len()).unwrap_or(u16::MAX);
        self.u16(len);
        self.buf.extend_from_slice(&b[..usize::from(len)]);
    }
    fn name(&mut self, n: &Name) {
        self.bytes16(n.as_bytes());
    }
    fn count(&mut self, n: usize) {
        self.u32(u32::try_from(n).unwrap_or(u32::MAX));
    }
    fn owner(&mut self, o: Owner) {
        self.u32(o.uid);
        self.u32(o.gid);
    }
    fn time(&mut self, t: Timespec) {
        self.i64(t.sec);
        self.u32(t.nsec);
    }
    fn errno(&mut self, e: Errno) {
        self.buf.extend_from_slice(&e.0.to_le_bytes());
    }
    fn stat(&mut self, s: &Stat) {
        self.u64(s.dev);
        self.u64(s.ino);
        self.u32(s.mode);
        self.u64(s.nlink);
        self.u32(s.uid);
        self.u32(s.gid);
        self.u64(s.rdev);
        self.u64(s.size);
        self.u64(s.blksize);
        self.u64(s.blocks);
        self.time(s.atime);
        self.time(s.mtime);
        self.time(s.ctime);
    }

    fn finish(mut self) -> Vec<u8> {
        let len = u32::try_from(self.buf.len() - HEADER_SIZE).unwrap_or(u32::MAX);
        self.buf[10..14].copy_from_slice(&len.to_le_bytes());
        self.buf
    }
}

/// Encodes `req` with request id `id`.
///
/// The result may exceed [`MAX_MESSAGE_SIZE`] only if the request holds more
/// than [`MAX_WALK_NAMES`] names or [`MAX_CLOSE_FILES`] files; callers
/// check the length before sending.
pub fn encode_request(id: u64, req: &Request) -> Vec<u8> {
    let mut w = Writer::new(id, req.opcode());
    match req {
        Request::Attach => {}
        Request::Walk { dir, names } => {
            w.file(*dir);
            w.count(names.len());
            for n in names {
                w.name(n);
            }
        }
        Request::Stat { file } | Request::Readlink { file } | Request::StatFs { file } => {
            w.file(*file)
        }
        Request::Open { file, flags } => {
            w.file(*file);
            w.u32(*flags);
        }
        Request::Create {
            dir,
            name,
            flags,
            mode,
            owner,
        } => {
            w.file(*dir);
            w.name(name);
            w.u32(*flags);
            w.u32(*mode);
            w.owner(*owner);
        }
        Request::Mkdir {
            dir,
            name,
            mode,
            owner,
        }
        | Request::Mknod {
            dir,
            name,
            mode,
            owner,
        } => {
            w.file(*dir);
            w.name(name);
            w.u32(*mode);
            w.owner(*owner);
        }
        Request::Symlink {
            dir,
            name,
            target,
            owner,
        } => {
            w.file(*dir);
            w.name(name);
            w.bytes16(target);
            w.owner(*owner);
        }
        Request::Link { dir, name, target } => {
            w.file(*dir);
            w.name(name);
            w.file(*target);
        }
        Request::Unlink { dir, name, flags } => {
            w.file(*dir);
            w.name(name);
            w.u32(*flags);
        }
        Request::Rename {
            old_dir,
            old_name,
            new_dir,
            new_name,
            flags,
        } => {
            w.file(*old_dir);
            w.name(old_name);
            w.file(*new_dir);
            w.name(new_name);
            w.u32(*flags);
        }
        Request::Getdents { dir, cookie } => {
            w.file(*dir);
            w.u64(*cookie);
        }
        Request::SetStat { file, stat } => {
            w.file(*file);
            w.u32(stat.mask);
            w.u32(stat.mode);
            w.u32(stat.uid);
            w.u32(stat.gid);
            w.u64(stat.size);
            w.time(stat.atime);
            w.time(stat.mtime);
        }
        Request::Close { files } => {
            w.count(files.len());
            for f in files {
                w.file(*f);
            }
        }
    }
    w.finish()
}

/// Encodes `resp` as the answer to request `id`.
pub fn encode_response(id: u64, resp: &Response) -> Vec<u8> {
    let mut w = Writer::new(id, resp.opcode());
    match resp {
        Response::Error(e) => w.errno(*e),
        Response::Attach { root: file, stat }
        | Response::Create { file, stat }
        | Response::Created { file, stat } => {
            w.file(*file);
            w.stat(stat);
        }
        Response::Walk { walked, error } => {
            w.count(walked.len());
            for (f, s) in walked {
                w.file(*f);
                w.stat(s);
            }
            match error {
                None => w.u8(0),
                Some(e) => {
                    w.u8(1);
                    w.errno(*e);
                }
            }
        }
        Response::Stat(s) => w.stat(s),
        Response::Open
        | Response::Unlink
        | Response::Rename
        | Response::SetStat
        | Response::Close => {}
        Response::Readlink(t) => w.bytes16(t),
        Response::Getdents(entries) => {
            w.count(entries.len());
            for d in entries {
                w.u64(d.ino);
                w.u8(d.d_type);
                w.name(&d.name);
                w.u64(d.next);
            }
        }
        Response::StatFs(s) => {
            for v in [
                s.fs_type, s.bsize, s.blocks, s.bfree, s.bavail, s.files, s.ffree, s.fsid,
                s.namelen, s.frsize, s.flags,
            ] {
                w.u64(v);
            }
        }
    }
    w.finish()
}

/// Size of an encoded [`Stat`].
const STAT_SIZE: usize = 7 * 8 + 3 * 4 + 3 * 12;
/// Size of an encoded walk step (FileId, Stat).
const WALK_STEP_SIZE: usize = 8 + STAT_SIZE;
/// Smallest encoded [`Dirent`] (one-byte name).
const MIN_DIRENT_SIZE: usize = 8 + 1 + 2 + 1 + 8;

/// The most (FileId, Stat) pairs a walk response may hold.
const MAX_WALK_STEPS: usize = MAX_WALK_NAMES;
/// The most dirents a getdents response may hold.
const MAX_DIRENTS: usize = MAX_MESSAGE_SIZE / MIN_DIRENT_SIZE;

const _: () = assert!(HEADER_SIZE + 4 + MAX_WALK_STEPS * WALK_STEP_SIZE + 5 <= MAX_MESSAGE_SIZE);

struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ProtoError> {
        if self.buf.len() < n {
            return Err(ProtoError::Truncated);
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], ProtoError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, ProtoError> {
        Ok(self.array::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16, ProtoError> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32, ProtoError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn i32(&mut self) -> Result<i32, ProtoError> {
        Ok(i32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, ProtoError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    fn i64(&mut self) -> Result<i64, ProtoError> {
        Ok(i64::from_le_bytes(self.array()?))
    }
    fn file(&mut self) -> Result<FileId, ProtoError> {
        Ok(FileId(self.u64()?))
    }
    fn bytes16(&mut self) -> Result<&'a [u8], ProtoError> {
        let len = self.u16()?;
        self.take(usize::from(len))
    }
    fn name(&mut self) -> Result<Name, ProtoError> {
        Ok(Name::new(self.bytes16()?)?)
    }
    fn target(&mut self) -> Result<Vec<u8>, ProtoError> {
        let t = self.bytes16()?;
        check_target(t)?;
        Ok(t.to_vec())
    }
    /// Reads a list count, checking it against `limit` and against the
    /// bytes left (each element taking at least `min_size` bytes).
    fn count(&mut self, limit: usize, min_size: usize) -> Result<usize, ProtoError> {
        let count = self.u32()?;
        let too_large = ProtoError::CountTooLarge {
            count: u64::from(count),
            limit,
        };
        let count = usize::try_from(count).map_err(|_| too_large.clone())?;
        if count > limit {
            return Err(too_large);
        }
        if count.saturating_mul(min_size) > self.buf.len() {
            return Err(ProtoError::Truncated);
        }
        Ok(count)
    }
    fn owner(&mut self) -> Result<Owner, ProtoError> {
        Ok(Owner {
            uid: self.u32()?,
            gid: self.u32()?,
        })
    }
    fn time(&mut self) -> Result<Timespec, ProtoError> {
        let sec = self.i64()?;
        let nsec = self.u32()?;
        if nsec >= 1_000_000_000 {
            return Err(ProtoError::BadValue("nanoseconds"));
        }
        Ok(Timespec { sec, nsec })
    }
    fn errno(&mut self) -> Result<Errno, ProtoError> {
        let e = self.i32()?;
        if !(1..=4095).contains(&e) {
            return Err(ProtoError::BadValue("errno"));
        }
        Ok(Errno(e))
    }
    fn stat(&mut self) -> Result<Stat, ProtoError> {
        Ok(Stat {
            dev: self.u64()?,
            ino: self.u64()?,
            mode: self.u32()?,
            nlink: self.u64()?,
            uid: self.u32()?,
            gid: self.u32()?,
            rdev: self.u64()?,
            size: self.u64()?,
            blksize: self.u64()?,
            blocks: self.u64()?,
            atime: self.time()?,
            mtime: self.time()?,
            ctime: self.time()?,
        })
    }
    fn finish(&self) -> Result<(), ProtoError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(ProtoError::TrailingBytes(self.buf.len()))
        }
    }
}

/// Decodes the header of `msg` and checks it against the message's size,
/// returning the header and the payload.
fn split(msg: &[u8]) -> Result<(Header, Reader<'_>), ProtoError> {
    if msg.len() > MAX_MESSAGE_SIZE {
        return Err(ProtoError::TooLarge(msg.len()));
    }
    let mut r = Reader { buf: msg };
    let header = Header {
        id: r.u64()?,
        opcode: r.u16()?,
        len: r.u32()?,
    };
    if usize::try_from(header.len).ok() != Some(r.buf.len()) {
        return Err(ProtoError::LengthMismatch {
            header: header.len,
            actual: r.buf.len(),
        });
    }
    Ok((header, r))
}

/// Decodes only the header of `msg`, checking it against the message size.
pub fn decode_header(msg: &[u8]) -> Result<Header, ProtoError> {
    split(msg).map(|(h, _)| h)
}

/// Decodes a request; returns its id and the request.
pub fn decode_request(msg: &[u8]) -> Result<(u64, Request), ProtoError> {
    let (header, mut r) = split(msg)?;
    let req = match header.opcode {
        OP_ATTACH => Request::Attach,
        OP_WALK => {
            let dir = r.file()?;
            let n = r.count(MAX_WALK_NAMES, 3)?;
            let mut names = Vec::with_capacity(n);
            for _ in 0..n {
                names.push(r.name()?);
            }
            Request::Walk { dir, names }
        }
        OP_STAT => Request::Stat { file: r.file()? },
        OP_OPEN => Request::Open {
            file: r.file()?,
            flags: r.u32()?,
        },
        OP_CREATE => Request::Create {
            dir: r.file()?,
            name: r.name()?,
            flags: r.u32()?,
            mode: r.u32()?,
            owner: r.owner()?,
        },
        OP_MKDIR => Request::Mkdir {
            dir: r.file()?,
            name: r.name()?,
            mode: r.u32()?,
            owner: r.owner()?,
        },
        OP_MKNOD => Request::Mknod {
            dir: r.file()?,
            name: r.name()?,
            mode: r.u32()?,
            owner: r.owner()?,
        },
        OP_SYMLINK => Request::Symlink {
            dir: r.file()?,
            name: r.name()?,
            target: r.target()?,
            owner: r.owner()?,
        },
        OP_LINK => Request::Link {
            dir: r.file()?,
            name: r.name()?,
            target: r.file()?,
        },
        OP_UNLINK => Request::Unlink {
            dir: r.file()?,
            name: r.name()?,
            flags: r.u32()?,
        },
        OP_RENAME => Request::Rename {
            old_dir: r.file()?,
            old_name: r.name()?,
            new_dir: r.file()?,
            new_name: r.name()?,
            flags: r.u32()?,
        },
        OP_READLINK => Request::Readlink { file: r.file()? },
        OP_GETDENTS => Request::Getdents {
            dir: r.file()?,
            cookie: r.u64()?,
        },
        OP_SETSTAT => {
            let file = r.file()?;
            let stat = SetStat {
                mask: r.u32()?,
                mode: r.u32()?,
                uid: r.u32()?,
                gid: r.u32()?,
                size: r.u64()?,
                atime: r.time()?,
                mtime: r.time()?,
            };
            if stat.mask & !SETSTAT_ALL != 0 {
                return Err(ProtoError::BadValue("setstat mask"));
            }
            Request::SetStat { file, stat }
        }
        OP_STATFS => Request::StatFs { file: r.file()? },
        OP_CLOSE => {
            let n = r.count(MAX_CLOSE_FILES, 8)?;
            let mut files = Vec::with_capacity(n);
            for _ in 0..n {
                files.push(r.file()?);
            }
            Request::Close { files }
        }
        op => return Err(ProtoError::UnknownOpcode(op)),
    };
    r.finish()?;
    Ok((header.id, req))
}

/// Decodes a response; returns its id and the response.
pub fn decode_response(msg: &[u8]) -> Result<(u64, Response), ProtoError> {
    let (header, mut r) = split(msg)?;
    let resp = match header.opcode {
        OP_ERROR => Response::Error(r.errno()?),
        op if op == REPLY | OP_ATTACH => Response::Attach {
            root: r.file()?,
            stat: r.stat()?,
        },
        op if op == REPLY | OP_WALK => {
            let n = r.count(MAX_WALK_STEPS, WALK_STEP_SIZE)?;
            let mut walked = Vec::with_capacity(n);
            for _ in 0..n {
                walked.push((r.file()?, r.stat()?));
            }
            let error = match r.u8()? {
                0 => None,
                1 => Some(r.errno()?),
                _ => return Err(ProtoError::BadValue("walk error tag")),
            };
            Response::Walk { walked, error }
        }
        op if op == REPLY | OP_STAT => Response::Stat(r.stat()?),
        op if op == REPLY | OP_OPEN => Response::Open,
        op if op == REPLY | OP_CREATE => Response::Create {
            file: r.file()?,
            stat: r.stat()?,
        },
        OP_CREATED => Response::Created {
            file: r.file()?,
            stat: r.stat()?,
        },
        op if op == REPLY | OP_UNLINK => Response::Unlink,
        op if op == REPLY | OP_RENAME => Response::Rename,
        op if op == REPLY | OP_READLINK => Response::Readlink(r.target()?),
        op if op == REPLY | OP_GETDENTS => {
            let n = r.count(MAX_DIRENTS, MIN_DIRENT_SIZE)?;
            let mut entries = Vec::with_capacity(n);
            for _ in 0..n {
                entries.push(Dirent {
                    ino: r.u64()?,
                    d_type: r.u8()?,
                    name: r.name()?,
                    next: r.u64()?,
                });
            }
            Response::Getdents(entries)
        }
        op if op == REPLY | OP_SETSTAT => Response::SetStat,
        op if op == REPLY | OP_STATFS => Response::StatFs(StatFs {
            fs_type: r.u64()?,
            bsize: r.u64()?,
            blocks: r.u64()?,
            bfree: r.u64()?,
            bavail: r.u64()?,
            files: r.u64()?,
            ffree: r.u64()?,
            fsid: r.u64()?,
            namelen: r.u64()?,
            frsize: r.u64()?,
            flags: r.u64()?,
        }),
        op if op == REPLY | OP_CLOSE => Response::Close,
        op => return Err(ProtoError::UnknownOpcode(op)),
    };
    r.finish()?;
    Ok((header.id, resp))
}

/// The encoded size of one [`Dirent`] inside a getdents response.
pub fn dirent_size(d: &Dirent) -> usize {
    8 + 1 + 2 + d.name.as_bytes().len() + 8
}

/// The encoded size of an empty getdents response (header and count).
pub const GETDENTS_BASE_SIZE: usize = HEADER_SIZE + 4;
