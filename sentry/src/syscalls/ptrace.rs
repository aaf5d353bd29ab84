//! `ptrace(2)` inside the sandbox, and `process_vm_readv`/`process_vm_writev`.

use std::sync::Arc;

use abi::Errno;
use abi::signal::SigInfo;

use super::SyscallResult;
use crate::kernel::process::{TaskHandle, lock};
use crate::kernel::ptrace::{self, Mode, Tracee};
use crate::kernel::{Task, ThreadGroup};
use crate::mm::{MemoryManager, UserPtr};

const TRACEME: u64 = 0;
const PEEKTEXT: u64 = 1;
const PEEKDATA: u64 = 2;
const PEEKUSER: u64 = 3;
const POKETEXT: u64 = 4;
const POKEDATA: u64 = 5;
const POKEUSER: u64 = 6;
const CONT: u64 = 7;
const KILL: u64 = 8;
const SINGLESTEP: u64 = 9;
const GETREGS: u64 = 12;
const SETREGS: u64 = 13;
const GETFPREGS: u64 = 14;
const SETFPREGS: u64 = 15;
const ATTACH: u64 = 16;
const DETACH: u64 = 17;
const SYSCALL: u64 = 24;
const SETOPTIONS: u64 = 0x4200;
const GETEVENTMSG: u64 = 0x4201;
const GETSIGINFO: u64 = 0x4202;
const SETSIGINFO: u64 = 0x4203;
const GETREGSET: u64 = 0x4204;
const SETREGSET: u64 = 0x4205;
const SEIZE: u64 = 0x4206;
const INTERRUPT: u64 = 0x4207;
const LISTEN: u64 = 0x4208;
const NT_PRSTATUS: u64 = 1;
const NT_PRFPREG: u64 = 2;
const NT_X86_XSTATE: u64 = 0x202;
const REGS_SIZE: usize = 27 * 8;

fn regs_to_bytes(r: &libc::user_regs_struct) -> [u64; 27] {
    [
        r.r15, r.r14, r.r13, r.r12, r.rbp, r.rbx, r.r11, r.r10, r.r9, r.r8, r.rax, r.rcx, r.rdx,
        r.rsi, r.rdi, r.orig_rax, r.rip, r.cs, r.eflags, r.rsp, r.ss, r.fs_base, r.gs_base, r.ds,
        r.es, r.fs, r.gs,
    ]
}

fn regs_from(v: &[u64; 27], r: &mut libc::user_regs_struct) {
    r.r15 = v[0];
    r.r14 = v[1];
    r.r13 = v[2];
    r.r12 = v[3];
    r.rbp = v[4];
    r.rbx = v[5];
    r.r11 = v[6];
    r.r10 = v[7];
    r.r9 = v[8];
    r.r8 = v[9];
    r.rax = v[10];
    r.rcx = v[11];
    r.rdx = v[12];
    r.rsi = v[13];
    r.rdi = v[14];
    r.orig_rax = v[15];
    r.rip = v[16];
    // Segment selectors stay the user ones; flags only the user-modifiable bits.
    const FIX: u64 =
        0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x100 | 0x200 | 0x400 | 0x800 | 0x40000 | 0x200000;
    r.eflags = (r.eflags & !FIX) | (v[18] & FIX);
    r.rsp = v[19];
    if v[21] < crate::mm::TASK_SIZE {
        r.fs_base = v[21];
    }
    if v[22] < crate::mm::TASK_SIZE {
        r.gs_base = v[22];
    }
}

fn find_thread(task: &Task, pid: i32) -> Result<Arc<TaskHandle>, Errno> {
    lock(&task.kernel.tasks)
        .threads
        .get(&pid)
        .cloned()
        .ok_or(Errno::ESRCH)
}

/// The tracee `pid` of the caller, stopped (unless `any_state`).
fn tracee_of(
    task: &Task,
    pid: i32,
    any_state: bool,
) -> Result<(Arc<TaskHandle>, Arc<Tracee>), Errno> {
    let h = find_thread(task, pid)?;
    let t = task.kernel.tracees.get(pid).ok_or(Errno::ESRCH)?;
    let mine = t
        .tracer
        .upgrade()
        .is_some_and(|g| Arc::ptr_eq(&g, &task.handle.tg));
    if !mine {
        return Err(Errno::ESRCH);
    }
    if !any_state && lock(&t.state).stop.is_none() {
        return Err(Errno::ESRCH);
    }
    Ok((h, t))
}

fn mm_of(tg: &Arc<ThreadGroup>) -> Result<Arc<MemoryManager>, Errno> {
    tg.own_mm()?.ok_or(Errno::ESRCH)
}

fn resume(t: &Tracee, mode: Mode, sig: u64) -> SyscallResult {
    if sig > 64 {
        return Err(Errno::EIO);
    }
    let mut s = lock(&t.state);
    if mode != Mode::Step {
        s.regs.0.eflags &= !0x100;
    }
    s.resume = Some((mode, sig as i32));
    drop(s);
    t.resumed.notify_all();
    if let Some(h) = t.handle.upgrade() {
        h.waker.wake();
    }
    Ok(0)
}

pub(super) fn ptrace(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let (req, pid, addr, data) = (a[0], a[1] as i32, a[2], a[3]);
    let kernel = task.kernel.clone();
    match req {
        TRACEME => {
            if kernel.tracees.get(task.tid).is_some() {
                return Err(Errno::EPERM);
            }
            let parent = task.handle.tg.lock().parent.clone().ok_or(Errno::EPERM)?;
            kernel.tracees.attach(&task.handle, &parent, 0, false);
            Ok(0)
        }
        ATTACH | SEIZE => {
            let h = find_thread(task, pid)?;
            if Arc::ptr_eq(&h.tg, &task.handle.tg) || h.tg.pid == 1 {
                return Err(Errno::EPERM);
            }
            if kernel.tracees.get(pid).is_some() {
                return Err(Errno::EPERM);
            }
            if req == SEIZE && (addr != 0 || data & !ptrace::O_MASK != 0) {
                return Err(Errno::EIO);
            }
            let options = if req == SEIZE { data } else { 0 };
            kernel
                .tracees
                .attach(&h, &task.handle.tg, options, req == SEIZE);
            if req == ATTACH {
                crate::kernel::signal::send_to_thread(
                    &kernel,
                    &h,
                    SigInfo::kill(19, 0, task.pid, task.creds.uid[0]),
                );
            }
            Ok(0)
        }
        INTERRUPT => {
            let (h, t) = tracee_of(task, pid, true)?;
            if !lock(&t.state).seized {
                return Err(Errno::EIO);
            }
            lock(&t.state).interrupt = true;
            h.kick();
            Ok(0)
        }
        KILL => {
            let (h, _) = tracee_of(task, pid, true)?;
            crate::kernel::signal::send_to_thread(&kernel, &h, SigInfo::kill(9, 0, task.pid, 0));
            Ok(0)
        }
        _ => {
            let (h, t) = tracee_of(task, pid, false)?;
            match req {
                PEEKTEXT | PEEKDATA => {
                    let mm = mm_of(&h.tg)?;
                    let mut b = [0u8; 8];
                    mm.copy_in(addr, &mut b).map_err(|_| Errno::EIO)?;
                    task.mm.copy_out(data, &b)?;
                    Ok(0)
                }
                POKETEXT | POKEDATA => {
                    let mm = mm_of(&h.tg)?;
                    mm.poke(addr, &data.to_le_bytes()).map_err(|_| Errno::EIO)?;
                    Ok(0)
                }
                PEEKUSER => {
                    if addr % 8 != 0 || addr >= 1024 {
                        return Err(Errno::EIO);
                    }
                    let i = (addr / 8) as usize;
                    let v = if i < 27 {
                        regs_to_bytes(&lock(&t.state).regs.0)[i]
                    } else {
                        0
                    };
                    task.mm.write(UserPtr::<u64>::new(data), &v)?;
                    Ok(0)
                }
                POKEUSER => {
                    if addr % 8 != 0 || addr >= 1024 {
                        return Err(Errno::EIO);
                    }
                    let i = (addr / 8) as usize;
                    if i < 27 {
                        let mut s = lock(&t.state);
                        let mut v = regs_to_bytes(&s.regs.0);
                        v[i] = data;
                        regs_from(&v, &mut s.regs.0);
                    }
                    Ok(0)
                }
                GETREGS => {
                    let v = regs_to_bytes(&lock(&t.state).regs.0);
                    task.mm.write(UserPtr::<[u64; 27]>::new(data), &v)?;
                    Ok(0)
                }
                SETREGS => {
                    let v: [u64; 27] = task.mm.read(UserPtr::new(data))?;
                    regs_from(&v, &mut lock(&t.state).regs.0);
                    Ok(0)
                }
                GETFPREGS => {
                    let fp = lock(&t.state).fp.clone();
                    let n = fp.len().min(512);
                    task.mm.copy_out(data, &fp[..n])?;
                    Ok(0)
                }
                SETFPREGS => {
                    let mut b = [0u8; 512];
                    task.mm.copy_in(data, &mut b)?;
                    let mut s = lock(&t.state);
                    let n = s.fp.len().min(512);
                    s.fp[..n].copy_from_slice(&b[..n]);
                    s.fp_dirty = true;
                    Ok(0)
                }
                GETREGSET | SETREGSET if addr == NT_PRFPREG || addr == NT_X86_XSTATE => {
                    let iov: [u64; 2] = task.mm.read(UserPtr::new(data))?;
                    let mut s = lock(&t.state);
                    let full = if addr == NT_PRFPREG {
                        s.fp.len().min(512)
                    } else {
                        s.fp.len()
                    };
                    let n = (iov[1] as usize).min(full);
                    if req == GETREGSET {
                        let bytes = s.fp[..n].to_vec();
                        drop(s);
                        task.mm.copy_out(iov[0], &bytes)?;
                    } else {
                        let mut b = vec![0u8; n];
                        task.mm.copy_in(iov[0], &mut b)?;
                        s.fp[..n].copy_from_slice(&b);
                        s.fp_dirty = true;
                        drop(s);
                    }
                    task.mm.write(UserPtr::<u64>::new(data + 8), &(n as u64))?;
                    Ok(0)
                }
                GETREGSET | SETREGSET => {
                    if addr != NT_PRSTATUS {
                        return Err(Errno::EINVAL);
                    }
                    let iov: [u64; 2] = task.mm.read(UserPtr::new(data))?;
                    let n = (iov[1] as usize).min(REGS_SIZE);
                    if req == GETREGSET {
                        let v = regs_to_bytes(&lock(&t.state).regs.0);
                        let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
                        task.mm.copy_out(iov[0], &bytes[..n])?;
                    } else {
                        if n < REGS_SIZE {
                            return Err(Errno::EINVAL);
                        }
                        let v: [u64; 27] = task.mm.read(UserPtr::new(iov[0]))?;
                        regs_from(&v, &mut lock(&t.state).regs.0);
                    }
                    task.mm.write(UserPtr::<u64>::new(data + 8), &(n as u64))?;
                    Ok(0)
                }
                GETSIGINFO => {
                    let i = lock(&t.state).siginfo;
                    task.mm.write(UserPtr::new(data), &i)?;
                    Ok(0)
                }
                SETSIGINFO => {
                    let i: SigInfo = task.mm.read(UserPtr::new(data))?;
                    lock(&t.state).siginfo = i;
                    Ok(0)
                }
                SETOPTIONS => {
                    if data & !ptrace::O_MASK != 0 {
                        return Err(Errno::EINVAL);
                    }
                    lock(&t.state).options = data;
                    Ok(0)
                }
                GETEVENTMSG => {
                    let m = lock(&t.state).eventmsg;
                    task.mm.write(UserPtr::<u64>::new(data), &m)?;
                    Ok(0)
                }
                CONT => resume(&t, Mode::Cont, data),
                SYSCALL => resume(&t, Mode::Syscall, data),
                SINGLESTEP => resume(&t, Mode::Step, data),
                DETACH => {
                    let r = resume(&t, Mode::Detach, data);
                    kernel.tracees.detach(pid);
                    r
                }
                LISTEN => Err(Errno::EIO),
                _ => Err(Errno::EIO),
            }
        }
    }
}

fn vm_common(task: &mut Task, a: &[u64; 6], write: bool) -> SyscallResult {
    let (pid, liov, liovcnt, riov, riovcnt, flags) = (a[0] as i32, a[1], a[2], a[3], a[4], a[5]);
    if flags != 0 || liovcnt > 1024 || riovcnt > 1024 {
        return Err(Errno::EINVAL);
    }
    let tg = lock(&task.kernel.tasks)
        .groups
        .get(&pid)
        .cloned()
        .ok_or(Errno::ESRCH)?;
    if task.creds.uid[1] != 0 && tg.lock().creds.uid[0] != task.creds.uid[0] {
        return Err(Errno::EPERM);
    }
    let remote = mm_of(&tg)?;
    let read_iov = |base: u64, n: u64| -> Result<Vec<(u64, u64)>, Errno> {
        (0..n)
            .map(|i| {
                let v: [u64; 2] = task.mm.read(UserPtr::<[u64; 2]>::new(base).index(i)?)?;
                Ok((v[0], v[1]))
            })
            .collect()
    };
    let locals = read_iov(liov, liovcnt)?;
    let remotes = read_iov(riov, riovcnt)?;
    let mut total = 0u64;
    let (mut li, mut loff, mut ri, mut roff) = (0usize, 0u64, 0usize, 0u64);
    let mut buf = vec![0u8; 64 * 1024];
    while li < locals.len() && ri < remotes.len() {
        let (lb, ll) = locals[li];
        let (rb, rl) = remotes[ri];
        if loff >= ll {
            li += 1;
            loff = 0;
            continue;
        }
        if roff >= rl {
            ri += 1;
            roff = 0;
            continue;
        }
        let n = (ll - loff).min(rl - roff).min(buf.len() as u64) as usize;
        let done = if write {
            let got = task.mm.copy_in_partial(lb + loff, &mut buf[..n]);
            if got == 0 {
                return if total > 0 {
                    Ok(total)
                } else {
                    Err(Errno::EFAULT)
                };
            }
            remote.copy_out_partial(rb + roff, &buf[..got])
        } else {
            let got = remote.copy_in_partial(rb + roff, &mut buf[..n]);
            if got == 0 {
                return if total > 0 {
                    Ok(total)
                } else {
                    Err(Errno::EFAULT)
                };
            }
            task.mm.copy_out_partial(lb + loff, &buf[..got])
        };
        if done == 0 && total == 0 {
            return Err(Errno::EFAULT);
        }
        total += done as u64;
        loff += done as u64;
        roff += done as u64;
        if done < n {
            break;
        }
    }
    Ok(total)
}

pub(super) fn process_vm_readv(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    vm_common(task, a, false)
}

pub(super) fn process_vm_writev(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    vm_common(task, a, true)
}
