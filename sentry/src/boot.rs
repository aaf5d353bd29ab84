//! Starting the Sentry: the configuration `runsc boot` hands over, and the
//! entry point that runs the first guest process to completion.

use std::os::fd::OwnedFd;

/// Which platform runs guest code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlatformKind {
    /// One traced stub process per address space, `PTRACE_SYSEMU` per syscall.
    Ptrace,
    /// Stub threads run free; syscalls trap into a handler that hands them
    /// to the Sentry through shared memory.
    Systrap,
}

/// Everything the Sentry needs to start the first guest process. Host
/// resources arrive as already-open descriptors; the Sentry opens no host
/// path after start-up.
#[derive(Debug)]
pub struct BootConfig {
    /// The program and its arguments; `argv[0]` is resolved against `PATH` in `envv`.
    pub argv: Vec<String>,
    /// The guest's environment, `KEY=VALUE` strings.
    pub envv: Vec<String>,
    /// The guest's initial working directory (absolute, inside the sandbox).
    pub cwd: String,
    /// Connected `SOCK_SEQPACKET` socket to the gofer serving the root filesystem.
    pub gofer: OwnedFd,
    /// Host descriptors that become the guest's FDs 0, 1 and 2.
    pub stdio: [OwnedFd; 3],
    /// Log every guest syscall, strace-style.
    pub strace: bool,
    /// The guest's host name (`uname -n`).
    pub hostname: String,
    /// Which platform to use.
    pub platform: PlatformKind,
    /// Patch trapped syscall sites (systrap, where the host can).
    pub syscall_patching: bool,
    /// Systrap traps system calls with a seccomp filter even where the host
    /// has syscall user dispatch (the fallback, otherwise used only where
    /// it has not).
    pub systrap_seccomp: bool,
}

/// How the first guest process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// It called `exit_group(code)`.
    Exited(u8),
    /// It was killed by signal `.0`.
    Signaled(i32),
}

impl ExitStatus {
    /// The status a launcher should exit with: the code, or 128 + signal.
    pub fn shell_code(self) -> i32 {
        match self {
            ExitStatus::Exited(c) => i32::from(c),
            ExitStatus::Signaled(s) => 128 + s,
        }
    }
}

/// Why the Sentry could not run the guest at all.
#[derive(Debug, thiserror::Error)]
pub enum BootError {
    /// The platform could not be created.
    #[error("platform: {0}")]
    Platform(String),
    /// The program could not be started (not found, not executable, bad ELF).
    #[error("cannot execute {path}: {errno}")]
    Exec {
        /// The path that was tried.
        path: String,
        /// Why it failed.
        errno: abi::Errno,
    },
    /// Something else on the host failed during start-up.
    #[error("{0}")]
    Host(String),
}

/// Runs the guest described by `config` until its first process exits.
///
/// `prepare` is called before the first stub process is forked and before
/// any guest instruction runs: `runsc boot` uses it to drop capabilities and
/// install the Sentry's host seccomp filter, which every stub then inherits.
pub fn run(
    config: BootConfig,
    prepare: &mut dyn FnMut() -> Result<(), String>,
) -> Result<ExitStatus, BootError> {
    use std::sync::{Arc, Mutex};

    use crate::fsimpl::{dev, gofer::GoferNode, host::HostFile, overlay, proc};
    use crate::kernel::{Credentials, Kernel, Task, TaskHandle, ThreadGroup};
    use crate::mm::{MemoryFile, MemoryManager};
    use crate::vfs::{Dentry, FdTable, FileDescription, FsContext, resolve};

    let memory = MemoryFile::new().map_err(|e| BootError::Host(format!("memory file: {e}")))?;
    let uts = host_uts();
    let cpus = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(64);
    // Stubs that trap through seccomp come from a zygote forked before the
    // Sentry's filter (platform::zygote).
    let zygote = if config.platform == PlatformKind::Systrap
        && (config.systrap_seccomp || !platform::zygote::has_user_dispatch())
    {
        tracing::info!("systrap traps system calls with seccomp");
        Some(
            platform::zygote::Zygote::start(memory.raw_fd())
                .map_err(|e| BootError::Platform(e.to_string()))?,
        )
    } else {
        None
    };
    // The filter goes on first, so every stub (forked below) inherits it.
    prepare().map_err(BootError::Host)?;
    // Host threads made after `prepare` share its dropped capabilities
    // (capabilities are per thread): stubs forked by the platform's
    // factory thread must not have more than the threads that trace them.
    let platform: Arc<dyn platform::Platform> = match config.platform {
        PlatformKind::Ptrace => Arc::new(
            platform::ptrace::PtracePlatform::new(memory.raw_fd())
                .map_err(|e| BootError::Platform(e.to_string()))?,
        ),
        PlatformKind::Systrap => {
            let mem = memory.clone();
            let alloc: platform::systrap::Allocator = Arc::new(move |len| {
                let range = mem.allocate(len).ok()?;
                Some(platform::systrap::RegionAlloc {
                    offset: range.offset,
                    ptr: mem.host_address(range.offset)?,
                    keep: Box::new(range),
                })
            });
            Arc::new(
                platform::systrap::SystrapPlatform::new(memory.raw_fd(), alloc, zygote)
                    .map_err(|e| BootError::Platform(e.to_string()))?,
            )
        }
    };
    // The vDSO, and the thread that keeps its clock parameters current
    // (started after `prepare`, so it runs under the Sentry's filter).
    crate::kernel::timekeeper::start(&memory).map_err(BootError::Host)?;
    let client = Arc::new(gofer::Client::new(config.gofer));
    let lower =
        GoferNode::attach(client).map_err(|e| BootError::Host(format!("gofer attach: {e}")))?;
    let root = Dentry::root(overlay::new_root(memory.clone(), lower));
    let kernel = Arc::new(Kernel {
        platform,
        memory: memory.clone(),
        root: root.clone(),
        strace: config.strace,
        syscall_patching: config.syscall_patching
            && config.platform == PlatformKind::Systrap
            && platform::systrap::patching_supported(),
        ctty: Default::default(),
        hostname: Mutex::new(config.hostname.into_bytes()),
        boot_time: std::time::Instant::now(),
        reported: Mutex::new(Default::default()),
        uts,
        cpus,
        tasks: Mutex::new(Default::default()),
        futexes: Default::default(),
        tracees: Default::default(),
    });
    // Mounts: /dev, /proc; /tmp stays in the overlay.
    if let Ok(d) = root.child(b"dev") {
        d.mount(dev::new_dev(memory.clone()));
    }
    if let Ok(d) = root.child(b"proc") {
        let host = kernel
            .hostname
            .lock()
            .map(|h| h.clone())
            .unwrap_or_default();
        proc::build_sys(memory.clone(), &host, &kernel.uts.0);
        d.mount(proc::new_proc(Arc::downgrade(&kernel)));
    }
    let space = kernel
        .platform
        .new_address_space()
        .map_err(|e| BootError::Platform(e.to_string()))?;
    let ctx = kernel
        .platform
        .new_context()
        .map_err(|e| BootError::Platform(e.to_string()))?;
    let mm = Arc::new(MemoryManager::new(space, memory.clone()));
    let cwd = resolve(&root, &root, config.cwd.as_bytes(), true).unwrap_or_else(|_| root.clone());
    let fs = FsContext {
        root: root.clone(),
        cwd,
        umask: 0o022,
    };
    let fds = FdTable::default();
    for (i, fd) in config.stdio.into_iter().enumerate() {
        let host = HostFile::new(fd);
        let name = format!("host:[{i}]").into_bytes();
        let dentry = Dentry::detached(name, host.clone());
        let ops = crate::vfs::Inode::open(host, 2).map_err(|e| BootError::Host(e.to_string()))?;
        fds.insert_at(i as u32, FileDescription::new(dentry, ops, 2), false);
    }
    let argv: Vec<Vec<u8>> = config.argv.iter().map(|s| s.clone().into_bytes()).collect();
    let envv: Vec<Vec<u8>> = config.envv.iter().map(|s| s.clone().into_bytes()).collect();
    let arg0 = argv.first().cloned().ok_or(BootError::Exec {
        path: String::new(),
        errno: abi::Errno::ENOENT,
    })?;
    let path = find_program(&fs, &arg0, &envv);
    let loaded =
        crate::loader::load(&mm, &fs, &path, argv, envv).map_err(|errno| BootError::Exec {
            path: String::from_utf8_lossy(&arg0).into_owned(),
            errno,
        })?;
    // The init process: pid 1, its own process group and session.
    let actions = Arc::new(Mutex::new([abi::signal::SigAction::default(); 64]));
    let tg = ThreadGroup::new(1, None, actions, 1, 1, 0);
    let handle = Arc::new(TaskHandle {
        tid: 1,
        tg: tg.clone(),
        waker: Default::default(),
        state: Mutex::new(Default::default()),
    });
    tg.lock().threads.push(handle.clone());
    {
        let mut tasks = kernel.tasks.lock().unwrap_or_else(|e| e.into_inner());
        tasks.groups.insert(1, tg.clone());
        tasks.threads.insert(1, handle.clone());
    }
    let mut task = Task {
        kernel: kernel.clone(),
        handle,
        mm,
        ctx,
        regs: loaded.regs,
        fds,
        fs,
        fs_share: None,
        tid: 1,
        pid: 1,
        creds: Credentials::default(),
        altstack: abi::signal::StackT {
            ss_flags: 2,
            ..Default::default()
        },
        clear_child_tid: 0,
        robust_list: (0, 0),
        exe: loaded.exe,
        comm: loaded.comm,
        exiting: None,
        regs_replaced: false,
        restart: None,
        saved_mask: None,
        vfork: None,
    };
    task.publish();
    task.run();
    // The init thread may exit before the process does (other threads
    // live on): wait until the whole process is a zombie.
    let status = loop {
        if let Some(s) = tg.lock().zombie {
            break s;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    // Linux kills every process of a PID namespace when its init dies; give
    // their host threads a moment to leave their stubs.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while std::time::Instant::now() < deadline {
        let live = kernel
            .tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .threads
            .len();
        if live == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    Ok(match crate::kernel::ExitStatus::from_wait_status(status) {
        crate::kernel::ExitStatus::Exited(c) => ExitStatus::Exited(c),
        crate::kernel::ExitStatus::Signaled(s) => ExitStatus::Signaled(s),
    })
}

/// Resolves a command name as `execvp` would: names with a slash as they
/// are, others through `PATH` in the guest's environment.
fn find_program(fs: &crate::vfs::FsContext, arg0: &[u8], envv: &[Vec<u8>]) -> Vec<u8> {
    if arg0.contains(&b'/') {
        return arg0.to_vec();
    }
    let path = envv
        .iter()
        .find_map(|e| e.strip_prefix(b"PATH="))
        .map(|p| p.to_vec())
        .unwrap_or_else(|| {
            b"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_vec()
        });
    for dir in path.split(|b| *b == b':') {
        let mut cand = if dir.is_empty() {
            b".".to_vec()
        } else {
            dir.to_vec()
        };
        cand.push(b'/');
        cand.extend_from_slice(arg0);
        if let Ok(d) = crate::vfs::resolve(&fs.root, &fs.cwd, &cand, true)
            && d.inode
                .attr()
                .is_ok_and(|a| !a.is_dir() && a.mode & 0o111 != 0)
        {
            return cand;
        }
    }
    arg0.to_vec()
}

/// The host's kernel release and version, so `uname -a` matches the host.
fn host_uts() -> (Vec<u8>, Vec<u8>) {
    let field = |f: &[libc::c_char]| -> Vec<u8> {
        f.iter()
            .take_while(|c| **c != 0)
            .map(|c| *c as u8)
            .collect()
    };
    let mut u = std::mem::MaybeUninit::<libc::utsname>::zeroed();
    // SAFETY: u points to writable storage for one utsname.
    if unsafe { libc::uname(u.as_mut_ptr()) } != 0 {
        return (crate::KERNEL_RELEASE.into(), crate::KERNEL_VERSION.into());
    }
    // SAFETY: zero-initialised and filled by uname: a valid utsname.
    let u = unsafe { u.assume_init() };
    (field(&u.release), field(&u.version))
}
