//! Unit tests and proptests for the encoding.

use super::*;
use proptest::collection::vec;
use proptest::prelude::*;

fn name() -> impl Strategy<Value = Name> {
    vec(
        any::<u8>().prop_filter("valid byte", |b| *b != b'/' && *b != 0),
        1..=NAME_MAX,
    )
    .prop_filter_map("not . or ..", |b| Name::new(&b).ok())
}

fn target() -> impl Strategy<Value = Vec<u8>> {
    vec(1u8..=255, 1..=TARGET_MAX)
}

fn file() -> impl Strategy<Value = FileId> {
    any::<u64>().prop_map(FileId)
}

fn owner() -> impl Strategy<Value = Owner> {
    (any::<u32>(), any::<u32>()).prop_map(|(uid, gid)| Owner { uid, gid })
}

fn timespec() -> impl Strategy<Value = Timespec> {
    (any::<i64>(), 0u32..1_000_000_000).prop_map(|(sec, nsec)| Timespec { sec, nsec })
}

fn errno() -> impl Strategy<Value = Errno> {
    (1i32..=4095).prop_map(Errno)
}

fn stat() -> impl Strategy<Value = Stat> {
    (
        (any::<u64>(), any::<u64>(), any::<u32>(), any::<u64>()),
        (any::<u32>(), any::<u32>(), any::<u64>(), any::<u64>()),
        (any::<u64>(), any::<u64>()),
        (timespec(), timespec(), timespec()),
    )
        .prop_map(
            |(
                (dev, ino, mode, nlink),
                (uid, gid, rdev, size),
                (blksize, blocks),
                (atime, mtime, ctime),
            )| Stat {
                dev,
                ino,
                mode,
                nlink,
                uid,
                gid,
                rdev,
                size,
                blksize,
                blocks,
                atime,
                mtime,
                ctime,
            },
        )
}

fn request() -> impl Strategy<Value = Request> {
    prop_oneof![
        Just(Request::Attach),
        (file(), vec(name(), 0..20)).prop_map(|(dir, names)| Request::Walk { dir, names }),
        file().prop_map(|file| Request::Stat { file }),
        (file(), any::<u32>()).prop_map(|(file, flags)| Request::Open { file, flags }),
        (file(), name(), any::<u32>(), any::<u32>(), owner()).prop_map(
            |(dir, name, flags, mode, owner)| Request::Create {
                dir,
                name,
                flags,
                mode,
                owner
            }
        ),
        (file(), name(), any::<u32>(), owner()).prop_map(|(dir, name, mode, owner)| {
            Request::Mkdir {
                dir,
                name,
                mode,
                owner,
            }
        }),
        (file(), name(), any::<u32>(), owner()).prop_map(|(dir, name, mode, owner)| {
            Request::Mknod {
                dir,
                name,
                mode,
                owner,
            }
        }),
        (file(), name(), target(), owner()).prop_map(|(dir, name, target, owner)| {
            Request::Symlink {
                dir,
                name,
                target,
                owner,
            }
        }),
        (file(), name(), file()).prop_map(|(dir, name, target)| Request::Link {
            dir,
            name,
            target
        }),
        (file(), name(), any::<u32>()).prop_map(|(dir, name, flags)| Request::Unlink {
            dir,
            name,
            flags
        }),
        (file(), name(), file(), name(), any::<u32>()).prop_map(
            |(old_dir, old_name, new_dir, new_name, flags)| Request::Rename {
                old_dir,
                old_name,
                new_dir,
                new_name,
                flags
            }
        ),
        file().prop_map(|file| Request::Readlink { file }),
        (file(), any::<u64>()).prop_map(|(dir, cookie)| Request::Getdents { dir, cookie }),
        (
            file(),
            0..=SETSTAT_ALL,
            (any::<u32>(), any::<u32>(), any::<u32>(), any::<u64>()),
            timespec(),
            timespec()
        )
            .prop_map(|(file, mask, (mode, uid, gid, size), atime, mtime)| {
                Request::SetStat {
                    file,
                    stat: SetStat {
                        mask,
                        mode,
                        uid,
                        gid,
                        size,
                        atime,
                        mtime,
                    },
                }
            }),
        file().prop_map(|file| Request::StatFs { file }),
        vec(file(), 0..100).prop_map(|files| Request::Close { files }),
    ]
}

fn response() -> impl Strategy<Value = Response> {
    prop_oneof![
        errno().prop_map(Response::Error),
        (file(), stat()).prop_map(|(root, stat)| Response::Attach { root, stat }),
        (vec((file(), stat()), 0..20), proptest::option::of(errno()))
            .prop_map(|(walked, error)| Response::Walk { walked, error }),
        stat().prop_map(Response::Stat),
        Just(Response::Open),
        (file(), stat()).prop_map(|(file, stat)| Response::Create { file, stat }),
        (file(), stat()).prop_map(|(file, stat)| Response::Created { file, stat }),
        Just(Response::Unlink),
        Just(Response::Rename),
        target().prop_map(Response::Readlink),
        vec(
            (any::<u64>(), any::<u8>(), name(), any::<u64>()).prop_map(
                |(ino, d_type, name, next)| Dirent {
                    ino,
                    d_type,
                    name,
                    next
                }
            ),
            0..50
        )
        .prop_map(Response::Getdents),
        Just(Response::SetStat),
        vec(any::<u64>(), 11).prop_map(|v| Response::StatFs(StatFs {
            fs_type: v[0],
            bsize: v[1],
            blocks: v[2],
            bfree: v[3],
            bavail: v[4],
            files: v[5],
            ffree: v[6],
            fsid: v[7],
            namelen: v[8],
            frsize: v[9],
            flags: v[10],
        })),
        Just(Response::Close),
    ]
}

proptest! {
    #[test]
    fn request_round_trips(id in any::<u64>(), req in request()) {
        let msg = encode_request(id, &req);
        prop_assert!(msg.len() <= MAX_MESSAGE_SIZE);
        prop_assert_eq!(decode_request(&msg), Ok((id, req)));
    }

    #[test]
    fn response_round_trips(id in any::<u64>(), resp in response()) {
        let msg = encode_response(id, &resp);
        prop_assert!(msg.len() <= MAX_MESSAGE_SIZE);
        prop_assert_eq!(decode_response(&msg), Ok((id, resp)));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..512)) {
        let _ = decode_request(&bytes);
        let _ = decode_response(&bytes);
    }

    #[test]
    fn arbitrary_payload_with_valid_header_never_panics(
        opcode in prop_oneof![1u16..=16, 0x8000u16..=0x8010, Just(0xff00u16), Just(OP_ERROR)],
        payload in vec(any::<u8>(), 0..512),
    ) {
        let mut msg = Vec::new();
        msg.extend_from_slice(&7u64.to_le_bytes());
        msg.extend_from_slice(&opcode.to_le_bytes());
        msg.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        msg.extend_from_slice(&payload);
        let _ = decode_request(&msg);
        let _ = decode_response(&msg);
    }

    #[test]
    fn truncated_request_is_rejected(req in request(), cut in any::<prop::sample::Index>()) {
        let msg = encode_request(1, &req);
        let cut = cut.index(msg.len());
        prop_assert!(decode_request(&msg[..cut]).is_err());
    }

    #[test]
    fn truncated_response_is_rejected(resp in response(), cut in any::<prop::sample::Index>()) {
        let msg = encode_response(1, &resp);
        let cut = cut.index(msg.len());
        prop_assert!(decode_response(&msg[..cut]).is_err());
    }

    #[test]
    fn corrupted_message_never_panics(
        req in request(),
        flips in vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let mut msg = encode_request(1, &req);
        for (i, b) in flips {
            let i = i.index(msg.len());
            msg[i] = b;
        }
        let _ = decode_request(&msg);
        let _ = decode_response(&msg);
    }
}

/// Builds a message with a correct header around `payload`.
fn message(opcode: u16, payload: &[u8]) -> Vec<u8> {
    let mut msg = Vec::new();
    msg.extend_from_slice(&1u64.to_le_bytes());
    msg.extend_from_slice(&opcode.to_le_bytes());
    msg.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    msg.extend_from_slice(payload);
    msg
}

fn walk_payload(names: &[&[u8]]) -> Vec<u8> {
    let mut p = 5u64.to_le_bytes().to_vec();
    p.extend_from_slice(&(names.len() as u32).to_le_bytes());
    for n in names {
        p.extend_from_slice(&(n.len() as u16).to_le_bytes());
        p.extend_from_slice(n);
    }
    p
}

#[test]
fn walk_with_bad_names_is_rejected() {
    let long = [b'a'; 256];
    for (bad, why) in [
        (&b"."[..], NameError::Dot),
        (b"..", NameError::Dot),
        (b"a/b", NameError::Slash),
        (b"a\0b", NameError::Nul),
        (b"", NameError::Empty),
        (&long[..], NameError::TooLong),
    ] {
        let msg = message(2, &walk_payload(&[b"ok", bad]));
        assert_eq!(
            decode_request(&msg),
            Err(ProtoError::BadName(why)),
            "{bad:?}"
        );
    }
    let ok = message(2, &walk_payload(&[b"ok", &[b'a'; 255]]));
    assert!(decode_request(&ok).is_ok());
}

#[test]
fn trailing_bytes_are_rejected() {
    let mut payload = 3u64.to_le_bytes().to_vec();
    payload.push(0);
    assert_eq!(
        decode_request(&message(3, &payload)),
        Err(ProtoError::TrailingBytes(1))
    );
}

#[test]
fn header_length_must_match() {
    let mut msg = encode_request(1, &Request::Stat { file: FileId(1) });
    msg.push(0);
    assert!(matches!(
        decode_request(&msg),
        Err(ProtoError::LengthMismatch { .. })
    ));
}

#[test]
fn unknown_opcode_is_rejected() {
    assert_eq!(
        decode_request(&message(0x1234, &[])),
        Err(ProtoError::UnknownOpcode(0x1234))
    );
    assert_eq!(
        decode_response(&message(3, &[])),
        Err(ProtoError::UnknownOpcode(3))
    );
}

#[test]
fn huge_counts_are_rejected_without_allocating() {
    let mut payload = 5u64.to_le_bytes().to_vec();
    payload.extend_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(
        decode_request(&message(2, &payload)),
        Err(ProtoError::CountTooLarge { .. })
    ));
    // Under the limit but more than the bytes present.
    let mut payload = 200u32.to_le_bytes().to_vec();
    payload.extend_from_slice(&[0; 8]);
    assert_eq!(
        decode_request(&message(16, &payload)),
        Err(ProtoError::Truncated)
    );
    let mut payload = u32::MAX.to_le_bytes().to_vec();
    payload.extend_from_slice(&[0; 64]);
    assert!(decode_response(&message(0x800d, &payload)).is_err());
}

#[test]
fn oversized_message_is_rejected() {
    let msg = vec![0u8; MAX_MESSAGE_SIZE + 1];
    assert_eq!(
        decode_request(&msg),
        Err(ProtoError::TooLarge(MAX_MESSAGE_SIZE + 1))
    );
}

#[test]
fn bad_values_are_rejected() {
    // errno 0 and errno out of range.
    for e in [0i32, -1, 4096] {
        assert!(decode_response(&message(OP_ERROR, &e.to_le_bytes())).is_err());
    }
    // nanoseconds of a second or more.
    let mut st = encode_response(1, &Response::Stat(Stat::default()));
    let nsec_at = st.len() - 4;
    st[nsec_at..].copy_from_slice(&1_000_000_000u32.to_le_bytes());
    assert_eq!(
        decode_response(&st),
        Err(ProtoError::BadValue("nanoseconds"))
    );
    // Unknown setstat mask bits.
    let mut req = encode_request(
        1,
        &Request::SetStat {
            file: FileId(1),
            stat: SetStat::default(),
        },
    );
    req[HEADER_SIZE + 8..HEADER_SIZE + 12].copy_from_slice(&(SETSTAT_ALL + 1).to_le_bytes());
    assert_eq!(
        decode_request(&req),
        Err(ProtoError::BadValue("setstat mask"))
    );
}

#[test]
fn name_errors_map_to_linux_errnos() {
    assert_eq!(
        Name::new(&[b'x'; 256]).unwrap_err().errno(),
        Errno::ENAMETOOLONG
    );
    assert_eq!(Name::new(b"..").unwrap_err().errno(), Errno::EINVAL);
}

#[test]
fn largest_getdents_and_walk_responses_fit() {
    let name = Name::new(&[b'n'; NAME_MAX]).unwrap();
    let d = Dirent {
        ino: 1,
        d_type: 8,
        name,
        next: 2,
    };
    let n = (MAX_MESSAGE_SIZE - GETDENTS_BASE_SIZE) / dirent_size(&d);
    let msg = encode_response(1, &Response::Getdents(vec![d; n]));
    assert!(msg.len() <= MAX_MESSAGE_SIZE);
    assert!(decode_response(&msg).is_ok());
    let walked = vec![(FileId(1), Stat::default()); MAX_WALK_NAMES];
    let msg = encode_response(
        1,
        &Response::Walk {
            walked,
            error: None,
        },
    );
    assert!(msg.len() <= MAX_MESSAGE_SIZE);
    assert!(decode_response(&msg).is_ok());
}
