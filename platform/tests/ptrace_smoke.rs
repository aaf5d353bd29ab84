//! Runs a few instructions of guest code on the ptrace platform.

use std::sync::Arc;

use platform::ptrace::PtracePlatform;
use platform::{Platform, Prot, Regs, Stop};

fn memfd(len: i64) -> i32 {
    // SAFETY: the name is a valid C string.
    let fd = unsafe { libc::memfd_create(c"test".as_ptr(), 0) };
    assert!(fd >= 0);
    // SAFETY: fd is ours.
    assert_eq!(unsafe { libc::ftruncate(fd, len) }, 0);
    fd
}

#[test]
fn syscall_then_fault() {
    let fd = memfd(1 << 20);
    // Guest code: mov eax, 39 (getpid); syscall; mov byte [0x1000], 1 (faults)
    let code: [u8; 15] = [
        0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0xc6, 0x04, 0x25, 0x00, 0x10, 0x00, 0x00, 0x01,
    ];
    // SAFETY: writes our buffer into our own memfd.
    let w = unsafe { libc::pwrite(fd, code.as_ptr().cast(), code.len(), 0) };
    assert_eq!(w, code.len() as isize);
    let p = PtracePlatform::new(fd).expect("platform");
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
    // A second guest thread in the same address space, run by another host thread.
    let handle = space.new_thread().expect("new thread");
    let space2: Arc<dyn platform::AddressSpace> = space.clone();
    let t = std::thread::spawn(move || {
        let p2 = PtracePlatform::new(-1).expect("platform");
        let mut ctx2 = p2.new_context().expect("ctx");
        ctx2.adopt(&space2, handle).expect("adopt");
        let mut regs = Regs::new_user(0x400000, 0x500000);
        let stop = ctx2.switch(&space2, &mut regs);
        space2.release_thread();
        stop
    });
    assert_eq!(t.join().expect("join"), Stop::Syscall);
    drop(space);
}
