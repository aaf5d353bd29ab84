//! ELF auxiliary-vector keys (`AT_*` of `<linux/auxvec.h>`), the entries the
//! loader pushes above `envp` on a new stack.

/// `AT_NULL`: end of the vector.
pub const AT_NULL: u64 = 0;
/// `AT_IGNORE`
pub const AT_IGNORE: u64 = 1;
/// `AT_EXECFD`
pub const AT_EXECFD: u64 = 2;
/// `AT_PHDR`: address of the program headers.
pub const AT_PHDR: u64 = 3;
/// `AT_PHENT`: size of one program header.
pub const AT_PHENT: u64 = 4;
/// `AT_PHNUM`: number of program headers.
pub const AT_PHNUM: u64 = 5;
/// `AT_PAGESZ`
pub const AT_PAGESZ: u64 = 6;
/// `AT_BASE`: load address of the interpreter.
pub const AT_BASE: u64 = 7;
/// `AT_FLAGS`
pub const AT_FLAGS: u64 = 8;
/// `AT_ENTRY`: the program's entry point.
pub const AT_ENTRY: u64 = 9;
/// `AT_NOTELF`
pub const AT_NOTELF: u64 = 10;
/// `AT_UID`
pub const AT_UID: u64 = 11;
/// `AT_EUID`
pub const AT_EUID: u64 = 12;
/// `AT_GID`
pub const AT_GID: u64 = 13;
/// `AT_EGID`
pub const AT_EGID: u64 = 14;
/// `AT_PLATFORM`: address of the string "x86_64".
pub const AT_PLATFORM: u64 = 15;
/// `AT_HWCAP`
pub const AT_HWCAP: u64 = 16;
/// `AT_CLKTCK`: clock ticks per second.
pub const AT_CLKTCK: u64 = 17;
/// `AT_SECURE`: secure-execution mode.
pub const AT_SECURE: u64 = 23;
/// `AT_BASE_PLATFORM`
pub const AT_BASE_PLATFORM: u64 = 24;
/// `AT_RANDOM`: address of 16 random bytes.
pub const AT_RANDOM: u64 = 25;
/// `AT_HWCAP2`
pub const AT_HWCAP2: u64 = 26;
/// `AT_EXECFN`: address of the executed file name.
pub const AT_EXECFN: u64 = 31;
/// `AT_SYSINFO_EHDR`: address of the vDSO.
pub const AT_SYSINFO_EHDR: u64 = 33;
/// `AT_MINSIGSTKSZ`: minimal signal stack size for this CPU.
pub const AT_MINSIGSTKSZ: u64 = 51;
