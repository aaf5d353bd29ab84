//! Loading programs: ELF executables (static, static-PIE, dynamic with
//! `PT_INTERP`) and `#!` scripts, following `fs/binfmt_elf.c` and
//! `fs/binfmt_script.c`; the initial stack with argv, envp and auxv.

#![forbid(unsafe_code)]

use std::sync::Arc;

use abi::Errno;
use abi::elf::{Elf64Phdr, parse_ehdr};
use platform::{Prot, Regs};
use zerocopy::FromBytes;

use crate::mm::{
    Backing, MapRequest, MemoryManager, PAGE, STACK_EXPAND, STACK_TOP, VmaName, page_down, page_up,
};
use crate::vfs::{Dentry, FileOps, FsContext, MmapSource, resolve};

const PT_LOAD: u32 = 1;
const PT_INTERP: u32 = 3;
const PT_PHDR: u32 = 6;
const ET_DYN: u16 = 3;
/// Where position-independent executables are loaded (`ELF_ET_DYN_BASE`).
const DYN_BASE: u64 = 0x5555_5555_4000;
/// Nested `#!` interpreters allowed (`BINPRM_MAX_RECURSION`).
const MAX_SCRIPT_DEPTH: u32 = 4;
/// Largest argv+envp (`ARG_MAX` with an 8 MiB stack: a quarter of it).
pub const MAX_ARG_BYTES: usize = 2 << 20;

/// The result of loading: where to start and what the process is called.
pub struct Loaded {
    /// Initial registers.
    pub regs: Regs,
    /// Path of the executable (`/proc/self/exe`).
    pub exe: Vec<u8>,
    /// `comm`: the file name, at most 15 bytes.
    pub comm: Vec<u8>,
}

struct Image {
    entry: u64,
    phdr: u64,
    phnum: u64,
    bias: u64,
    end: u64,
    interp: Option<Vec<u8>>,
}

/// Whether `path` names a file `execve` may run (it exists, is a regular
/// file, has an execute bit): the checks that fail a PATH search, made
/// before the costlier work of a new address space.
pub fn check_exec(fs: &FsContext, path: &[u8]) -> Result<(), Errno> {
    open_exec(fs, path).map(|_| ())
}

fn open_exec(fs: &FsContext, path: &[u8]) -> Result<(Arc<Dentry>, Arc<dyn FileOps>), Errno> {
    let d = resolve(&fs.root, &fs.cwd, path, true)?;
    let attr = d.inode.attr()?;
    if attr.is_dir() {
        return Err(Errno::EACCES);
    }
    if attr.kind() != crate::vfs::S_IFREG {
        return Err(Errno::EACCES);
    }
    if attr.mode & 0o111 == 0 {
        return Err(Errno::EACCES);
    }
    let ops = d.inode.clone().open(0)?;
    Ok((d, ops))
}

fn read_full(ops: &dyn FileOps, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
    let mut done = 0;
    while done < buf.len() {
        let n = ops.read(&mut buf[done..], off + done as u64)?;
        if n == 0 {
            break;
        }
        done += n;
    }
    Ok(done)
}

/// Loads `path` into the fresh address space `mm` and builds its stack.
pub fn load(
    mm: &MemoryManager,
    fs: &FsContext,
    path: &[u8],
    argv: Vec<Vec<u8>>,
    envv: Vec<Vec<u8>>,
) -> Result<Loaded, Errno> {
    // No guest code runs here until the load is done: the host mappings
    // go to the platform in one batch.
    mm.defer_host_changes();
    let loaded = load_image(mm, fs, path, argv, envv);
    mm.flush_host_changes()?;
    loaded
}

fn load_image(
    mm: &MemoryManager,
    fs: &FsContext,
    path: &[u8],
    mut argv: Vec<Vec<u8>>,
    envv: Vec<Vec<u8>>,
) -> Result<Loaded, Errno> {
    let mut path = path.to_vec();
    let execfn = path.clone();
    let mut depth = 0;
    let (dentry, ops, head) = loop {
        let (d, ops) = open_exec(fs, &path)?;
        let mut head = vec![0u8; 256];
        let n = read_full(ops.as_ref(), &mut head, 0)?;
        head.truncate(n);
        if head.starts_with(b"#!") {
            depth += 1;
            if depth > MAX_SCRIPT_DEPTH {
                return Err(Errno::ELOOP);
            }
            let line_end = head.iter().position(|b| *b == b'\n').unwrap_or(head.len());
            let line = &head[2..line_end];
            let line: Vec<u8> = line
                .iter()
                .copied()
                .skip_while(|b| *b == b' ' || *b == b'\t')
                .collect();
            let split = line.iter().position(|b| *b == b' ' || *b == b'\t');
            let (interp, arg) = match split {
                Some(p) => {
                    let a: Vec<u8> = line[p..]
                        .iter()
                        .copied()
                        .skip_while(|b| *b == b' ' || *b == b'\t')
                        .collect();
                    let a = a.trim_ascii_end().to_vec();
                    (line[..p].to_vec(), (!a.is_empty()).then_some(a))
                }
                None => (line.trim_ascii_end().to_vec(), None),
            };
            if interp.is_empty() {
                return Err(Errno::ENOEXEC);
            }
            let mut new_argv = vec![interp.clone()];
            if let Some(a) = arg {
                new_argv.push(a);
            }
            new_argv.push(path.clone());
            new_argv.extend(argv.into_iter().skip(1));
            argv = new_argv;
            path = interp;
            continue;
        }
        break (d, ops, head);
    };
    let _ = dentry;
    let image = load_elf(mm, ops.as_ref(), &head, &path, false)?;
    let mut entry = image.entry;
    let mut interp_base = 0;
    if let Some(interp) = &image.interp {
        let (identry, iops) = open_exec(fs, interp).map_err(|e| {
            if e == Errno::EACCES {
                Errno::ELIBBAD
            } else {
                e
            }
        })?;
        let _ = identry;
        let mut ihead = vec![0u8; 256];
        let n = read_full(iops.as_ref(), &mut ihead, 0)?;
        ihead.truncate(n);
        let ii = load_elf(mm, iops.as_ref(), &ihead, interp, true)?;
        entry = ii.entry;
        interp_base = ii.bias;
    }
    mm.set_brk_start(page_up(image.end).ok_or(Errno::ENOMEM)?);
    let vdso = map_vdso(mm)?;
    let sp = build_stack(mm, &argv, &envv, &execfn, &image, interp_base, vdso)?;
    let comm = path
        .rsplit(|b| *b == b'/')
        .next()
        .unwrap_or(&path[..])
        .iter()
        .copied()
        .take(15)
        .collect();
    let exe = resolve(&fs.root, &fs.cwd, &path, true)?.path_from(&fs.root);
    Ok(Loaded {
        regs: Regs::new_user(entry, sp),
        exe,
        comm,
    })
}

fn load_elf(
    mm: &MemoryManager,
    ops: &dyn FileOps,
    head: &[u8],
    path: &[u8],
    is_interp: bool,
) -> Result<Image, Errno> {
    let eh = parse_ehdr(head).map_err(|_| Errno::ENOEXEC)?;
    let phnum = u64::from(eh.e_phnum);
    if phnum == 0 || phnum > 256 {
        return Err(Errno::ENOEXEC);
    }
    let phsize = std::mem::size_of::<Elf64Phdr>();
    let mut phbuf = vec![0u8; phsize * phnum as usize];
    if read_full(ops, &mut phbuf, eh.e_phoff)? != phbuf.len() {
        return Err(Errno::ENOEXEC);
    }
    let phdrs: Vec<Elf64Phdr> = phbuf
        .chunks_exact(phsize)
        .filter_map(|c| Elf64Phdr::read_from_bytes(c).ok())
        .collect();
    let loads: Vec<&Elf64Phdr> = phdrs.iter().filter(|p| p.p_type == PT_LOAD).collect();
    if loads.is_empty() {
        return Err(Errno::ENOEXEC);
    }
    let mut interp = None;
    if !is_interp && let Some(ip) = phdrs.iter().find(|p| p.p_type == PT_INTERP) {
        if ip.p_filesz == 0 || ip.p_filesz > 4096 {
            return Err(Errno::ENOEXEC);
        }
        let mut b = vec![0u8; ip.p_filesz as usize];
        if read_full(ops, &mut b, ip.p_offset)? != b.len() {
            return Err(Errno::ENOEXEC);
        }
        if let Some(nul) = b.iter().position(|c| *c == 0) {
            b.truncate(nul);
        }
        interp = Some(b);
    }
    let lo = page_down(loads.iter().map(|p| p.p_vaddr).min().unwrap_or(0));
    let hi = loads
        .iter()
        .map(|p| p.p_vaddr.checked_add(p.p_memsz))
        .try_fold(0u64, |acc, e| e.map(|e| acc.max(e)))
        .ok_or(Errno::ENOEXEC)?;
    let hi = page_up(hi).ok_or(Errno::ENOEXEC)?;
    let span = hi.checked_sub(lo).ok_or(Errno::ENOEXEC)?;
    let bias = if eh.e_type == ET_DYN {
        // Reserve the whole span, then place segments inside it.
        let hint = if is_interp { 0 } else { DYN_BASE };
        let backing = mm.anonymous(span)?;
        let base = mm.map(MapRequest {
            addr: hint,
            len: span,
            prot: Prot::default(),
            max_prot: Prot::default(),
            fixed: false,
            noreplace: false,
            shared: false,
            backing,
            offset: 0,
            name: VmaName::Anonymous,
        })?;
        base - lo
    } else {
        0
    };
    let name = VmaName::File {
        dev: 0,
        ino: 0,
        path: String::from_utf8_lossy(path).into_owned(),
    };
    // A file whose pages the Sentry keeps (every lower-layer file) is
    // mapped as private views of them, as Linux maps an ELF file: no copy.
    let cached = match ops.mmap_source() {
        MmapSource::Pages(pages) | MmapSource::Cached(pages) => Some(pages),
        _ => None,
    };
    for p in &loads {
        let start = page_down(p.p_vaddr) + bias;
        let delta = p.p_vaddr - page_down(p.p_vaddr);
        let end = page_up(p.p_vaddr + p.p_memsz).ok_or(Errno::ENOEXEC)? + bias;
        if p.p_filesz > p.p_memsz || p.p_offset < delta {
            return Err(Errno::ENOEXEC);
        }
        // Writable segments are copied: they are written at once (relocations).
        if let Some(pages) = &cached
            && p.p_filesz > 0
            && p.p_flags & 2 == 0
        {
            map_segment_view(mm, p, pages, start, end, bias, &name)?;
            continue;
        }
        let range = mm.file().allocate(end - start)?;
        let file_len = p.p_filesz + delta;
        let mut done = 0u64;
        let mut buf = vec![0u8; 1 << 16];
        while done < file_len {
            let n = (file_len - done).min(buf.len() as u64) as usize;
            let got = ops.read(&mut buf[..n], p.p_offset - delta + done)?;
            if got == 0 {
                break;
            }
            mm.file().write(range.offset + done, &buf[..got]);
            done += got as u64;
        }
        let prot = Prot {
            read: p.p_flags & 4 != 0,
            write: p.p_flags & 2 != 0,
            exec: p.p_flags & 1 != 0,
        };
        mm.map(MapRequest {
            addr: start,
            len: end - start,
            prot,
            max_prot: Prot {
                read: true,
                write: true,
                exec: true,
            },
            fixed: true,
            noreplace: false,
            shared: false,
            backing: Backing::Private(Arc::new(range)),
            offset: 0,
            name: if p.p_filesz > 0 {
                name.clone()
            } else {
                VmaName::Anonymous
            },
        })?;
    }
    let phdr = match phdrs.iter().find(|p| p.p_type == PT_PHDR) {
        Some(p) => p.p_vaddr + bias,
        None => loads
            .iter()
            .find(|p| p.p_offset <= eh.e_phoff && eh.e_phoff < p.p_offset + p.p_filesz)
            .map_or(0, |p| p.p_vaddr + (eh.e_phoff - p.p_offset) + bias),
    };
    let _ = MmapSource::Copy;
    Ok(Image {
        entry: eh.e_entry + bias,
        phdr,
        phnum,
        bias,
        end: hi + bias,
        interp,
    })
}

/// Maps PT_LOAD segment `p` (at `[start, end)`) as a private view of the
/// file's pages, zeroes what follows the file's part in its last page, and
/// maps the rest of the segment as anonymous memory (`elf_map`, `padzero`
/// and `set_brk` in Linux's loader).
fn map_segment_view(
    mm: &MemoryManager,
    p: &Elf64Phdr,
    pages: &Arc<dyn crate::mm::SharedPages>,
    start: u64,
    end: u64,
    bias: u64,
    name: &VmaName,
) -> Result<(), Errno> {
    let prot = Prot {
        read: p.p_flags & 4 != 0,
        write: p.p_flags & 2 != 0,
        exec: p.p_flags & 1 != 0,
    };
    let all = Prot {
        read: true,
        write: true,
        exec: true,
    };
    let delta = p.p_vaddr - page_down(p.p_vaddr);
    let file_end = p.p_vaddr + p.p_filesz + bias;
    let view_end = page_up(file_end).ok_or(Errno::ENOEXEC)?.min(end);
    mm.map(MapRequest {
        addr: start,
        len: view_end - start,
        prot,
        max_prot: all,
        fixed: true,
        noreplace: false,
        shared: false,
        backing: Backing::Shared(pages.clone()),
        offset: p.p_offset - delta,
        name: name.clone(),
    })?;
    mm.make_private_view(start)?;
    if p.p_memsz > p.p_filesz && view_end > file_end {
        mm.poke(file_end, &vec![0u8; (view_end - file_end) as usize])?;
    }
    if end > view_end {
        let backing = mm.anonymous(end - view_end)?;
        mm.map(MapRequest {
            addr: view_end,
            len: end - view_end,
            prot,
            max_prot: all,
            fixed: true,
            noreplace: false,
            shared: false,
            backing,
            offset: 0,
            name: VmaName::Anonymous,
        })?;
    }
    Ok(())
}

/// Maps the vDSO's parameter page (`[vvar]`, read-only) and, right above
/// it, its code (`[vdso]`, read+exec), below the other mappings as `mmap`
/// would place them. Both are the same memory-file pages in every address
/// space (a shared backing: `fork` does not copy them, and neither may be
/// made writable). Returns the address of the vDSO's ELF header, or 0 when
/// the Sentry has no vDSO.
fn map_vdso(mm: &MemoryManager) -> Result<u64, Errno> {
    let Some((vvar, text)) = crate::kernel::timekeeper::pages(mm.file()) else {
        return Ok(0);
    };
    let r = Prot {
        read: true,
        write: false,
        exec: false,
    };
    let rx = Prot { exec: true, ..r };
    let text_len = text.len();
    // Reserve both with the vvar VMA, then put the code over its tail.
    let addr = mm.map(MapRequest {
        addr: 0,
        len: PAGE + text_len,
        prot: r,
        max_prot: r,
        fixed: false,
        noreplace: false,
        shared: false,
        backing: Backing::Shared(vvar),
        offset: 0,
        name: VmaName::Vvar,
    })?;
    let base = addr + PAGE;
    mm.map(MapRequest {
        addr: base,
        len: text_len,
        prot: rx,
        max_prot: rx,
        fixed: true,
        noreplace: false,
        shared: false,
        backing: Backing::Shared(text),
        offset: 0,
        name: VmaName::Vdso,
    })?;
    Ok(base)
}

fn build_stack(
    mm: &MemoryManager,
    argv: &[Vec<u8>],
    envv: &[Vec<u8>],
    execfn: &[u8],
    image: &Image,
    interp_base: u64,
    vdso: u64,
) -> Result<u64, Errno> {
    let total: usize = argv
        .iter()
        .chain(envv.iter())
        .map(|s| s.len() + 1 + 8)
        .sum();
    if total > MAX_ARG_BYTES {
        return Err(Errno::E2BIG);
    }
    // The arguments, their pointers and the auxiliary vector, with 128 KiB
    // below; the stack grows from there on touch.
    let pointers = (argv.len() + envv.len() + 64) as u64 * 8;
    let len = page_up(total as u64 + pointers + execfn.len() as u64 + PAGE).ok_or(Errno::E2BIG)?
        + STACK_EXPAND;
    let reserve = mm.stack_reserve(len);
    let backing = mm.anonymous(reserve)?;
    let rw = Prot {
        read: true,
        write: true,
        exec: false,
    };
    let bottom = mm.map(MapRequest {
        addr: STACK_TOP - len,
        len,
        prot: rw,
        max_prot: Prot {
            read: true,
            write: true,
            exec: true,
        },
        fixed: true,
        noreplace: false,
        shared: false,
        backing,
        offset: reserve - len,
        name: VmaName::Stack,
    })?;
    let mut sp = bottom + len;
    let push_bytes = |sp: &mut u64, b: &[u8]| -> Result<u64, Errno> {
        *sp -= b.len() as u64;
        mm.copy_out(*sp, b)?;
        Ok(*sp)
    };
    // The file name first, at the very top, as Linux does.
    let mut s = execfn.to_vec();
    s.push(0);
    let execfn_addr = push_bytes(&mut sp, &s)?;
    let mut env_ptrs = Vec::with_capacity(envv.len());
    let env_end = sp;
    for e in envv.iter().rev() {
        let mut s = e.clone();
        s.push(0);
        env_ptrs.push(push_bytes(&mut sp, &s)?);
    }
    env_ptrs.reverse();
    let env_start = sp;
    let mut arg_ptrs = Vec::with_capacity(argv.len());
    let arg_end = sp;
    for a in argv.iter().rev() {
        let mut s = a.clone();
        s.push(0);
        arg_ptrs.push(push_bytes(&mut sp, &s)?);
    }
    arg_ptrs.reverse();
    let arg_start = sp;
    mm.set_arg_env((arg_start, arg_end), (env_start, env_end));
    let platform_addr = push_bytes(&mut sp, b"x86_64\0")?;
    let mut random = [0u8; 16];
    crate::kernel::random::fill(&mut random);
    let random_addr = push_bytes(&mut sp, &random)?;
    sp &= !15;
    let auxv: Vec<(u64, u64)> = vec![
        (33, vdso),          // AT_SYSINFO_EHDR (left out when there is no vDSO)
        (16, hwcap()),       // AT_HWCAP
        (6, PAGE),           // AT_PAGESZ
        (17, 100),           // AT_CLKTCK
        (3, image.phdr),     // AT_PHDR
        (4, 56),             // AT_PHENT
        (5, image.phnum),    // AT_PHNUM
        (7, interp_base),    // AT_BASE
        (8, 0),              // AT_FLAGS
        (9, image.entry),    // AT_ENTRY
        (11, 0),             // AT_UID
        (12, 0),             // AT_EUID
        (13, 0),             // AT_GID
        (14, 0),             // AT_EGID
        (23, 0),             // AT_SECURE
        (25, random_addr),   // AT_RANDOM
        (26, 2),             // AT_HWCAP2 (FSGSBASE)
        (31, execfn_addr),   // AT_EXECFN
        (15, platform_addr), // AT_PLATFORM
        (51, 3632),          // AT_MINSIGSTKSZ
    ]
    .into_iter()
    .filter(|(k, v)| *k != 33 || *v != 0)
    .collect();
    let words = 1 + arg_ptrs.len() + 1 + env_ptrs.len() + 1 + (auxv.len() + 1) * 2;
    sp -= (words as u64) * 8;
    sp &= !15;
    let mut table: Vec<u64> = Vec::with_capacity(words);
    table.push(argv.len() as u64);
    table.extend(&arg_ptrs);
    table.push(0);
    table.extend(&env_ptrs);
    table.push(0);
    for (k, v) in auxv {
        table.push(k);
        table.push(v);
    }
    table.push(0);
    table.push(0);
    let bytes: Vec<u8> = table.iter().flat_map(|w| w.to_le_bytes()).collect();
    mm.copy_out(sp, &bytes)?;
    let auxv_start = sp + (3 + arg_ptrs.len() + env_ptrs.len()) as u64 * 8;
    mm.set_auxv((auxv_start, sp + bytes.len() as u64));
    Ok(sp)
}

/// `AT_HWCAP`: the CPUID leaf 1 EDX bits, as Linux reports them.
fn hwcap() -> u64 {
    // SAFETY-free: CPUID is always available on x86-64.
    let r = std::arch::x86_64::__cpuid(1);
    u64::from(r.edx)
}
