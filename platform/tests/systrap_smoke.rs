//! Runs a few instructions of guest code on the systrap platform.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use platform::systrap::{RegionAlloc, SystrapPlatform};
use platform::zygote::Zygote;
use platform::{Platform, Prot, Regs, Stop};

const FILE_SIZE: i64 = 1 << 30;

fn memfd() -> (i32, usize) {
    // SAFETY: the name is a valid C string.
    let fd = unsafe { libc::memfd_create(c"test".as_ptr(), 0) };
    assert!(fd >= 0);
    // SAFETY: fd is ours.
    assert_eq!(unsafe { libc::ftruncate(fd, FILE_SIZE) }, 0);
    // SAFETY: maps our own memfd.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            FILE_SIZE as usize,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            fd,
            0,
        )
    };
    assert_ne!(p, libc::MAP_FAILED);
    (fd, p as usize)
}

#[test]
fn syscall_fault_and_second_thread() {
    smoke(false);
}

#[test]
fn syscall_fault_and_second_thread_under_the_seccomp_fallback() {
    smoke(true);
}

/// Guest code traps a syscall, faults, and runs on a second thread; with
/// `seccomp`, the stubs come from a zygote and trap through its filter.
fn smoke(seccomp: bool) {
    let (fd, base) = memfd();
    // Guest code: mov eax, 39 (getpid); syscall; mov byte [0x1000], 1 (faults)
    let code: [u8; 15] = [
        0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0xc6, 0x04, 0x25, 0x00, 0x10, 0x00, 0x00, 0x01,
    ];
    // SAFETY: writes into our own mapping of the memfd, page 0.
    unsafe { std::ptr::copy_nonoverlapping(code.as_ptr(), base as *mut u8, code.len()) };
    let next = Arc::new(AtomicU64::new(1 << 20));
    let alloc: platform::systrap::Allocator = Arc::new(move |len| {
        let off = next.fetch_add(len, Ordering::SeqCst);
        Some(RegionAlloc {
            offset: off,
            ptr: base + off as usize,
            keep: Box::new(()),
        })
    });
    let zygote = seccomp.then(|| Zygote::start(fd).expect("zygote"));
    let p = SystrapPlatform::new(fd, alloc, zygote).expect("platform");
    let space = p.new_address_space().expect("space");
    let rx = Prot {
        read: true,
        write: false,
        exec: true,
    };
    space.map(0x400000, 4096, 0, rx).expect("map");
    let mut ctx = p.new_context().expect("ctx");
    let mut regs = Regs::new_user(0x400000, 0x500000);
    let stop = ctx.switch(&space, &mut regs);
    assert_eq!(stop, Stop::Syscall);
    assert_eq!(regs.syscall_nr(), 39);
    regs.set_return(7);
    let stop = ctx.switch(&space, &mut regs);
    match stop {
        Stop::Fault { addr, .. } => assert_eq!(addr, 0x1000),
        s => panic!("unexpected {s:?}"),
    }
    assert_eq!(regs.0.rax, 7);
    let fp = ctx.fp_state(&space).expect("fp");
    assert!(fp.len() >= 512);
    let handle = space.new_thread().expect("new thread");
    let space2: Arc<dyn platform::AddressSpace> = space.clone();
    let t = std::thread::spawn(move || {
        let mut ctx2 = SystrapPlatform::new(-1, Arc::new(|_| None), None)
            .expect("p")
            .new_context()
            .expect("ctx");
        ctx2.adopt(&space2, handle).expect("adopt");
        let mut regs = Regs::new_user(0x400000, 0x500000);
        let stop = ctx2.switch(&space2, &mut regs);
        space2.release_thread();
        (stop, regs.syscall_nr())
    });
    assert_eq!(t.join().expect("join"), (Stop::Syscall, 39));
    // Null syscall round trips.
    let start = std::time::Instant::now();
    for _ in 0..2000 {
        regs = Regs::new_user(0x400000, 0x500000);
        assert_eq!(ctx.switch(&space, &mut regs), Stop::Syscall);
    }
    eprintln!("systrap round trip: {:?}", start.elapsed() / 2000);
}
