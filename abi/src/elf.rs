//! ELF64 headers for the loader, and a checked parser of the file header.
//!
//! Only what x86-64 `execve` needs: little-endian, 64-bit, `EM_X86_64`.
//! The structs are read with the host's byte order, which is the guest's
//! (x86-64) everywhere the Sentry runs.

use thiserror::Error;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::Errno;

/// `ELFMAG`: the first four bytes of every ELF file.
pub const ELFMAG: [u8; 4] = *b"\x7fELF";
/// `SELFMAG`
pub const SELFMAG: usize = 4;
/// `EI_NIDENT`: size of `e_ident`.
pub const EI_NIDENT: usize = 16;
/// `EI_CLASS`: index of the class byte.
pub const EI_CLASS: usize = 4;
/// `EI_DATA`: index of the byte-order byte.
pub const EI_DATA: usize = 5;
/// `EI_VERSION`
pub const EI_VERSION: usize = 6;
/// `EI_OSABI`
pub const EI_OSABI: usize = 7;
/// `ELFCLASS32`
pub const ELFCLASS32: u8 = 1;
/// `ELFCLASS64`
pub const ELFCLASS64: u8 = 2;
/// `ELFDATA2LSB`: little-endian.
pub const ELFDATA2LSB: u8 = 1;
/// `ELFDATA2MSB`: big-endian.
pub const ELFDATA2MSB: u8 = 2;
/// `EV_CURRENT`
pub const EV_CURRENT: u8 = 1;

/// `ET_NONE`
pub const ET_NONE: u16 = 0;
/// `ET_REL`
pub const ET_REL: u16 = 1;
/// `ET_EXEC`: fixed-address executable.
pub const ET_EXEC: u16 = 2;
/// `ET_DYN`: position-independent executable or shared object.
pub const ET_DYN: u16 = 3;
/// `ET_CORE`
pub const ET_CORE: u16 = 4;
/// `EM_X86_64`
pub const EM_X86_64: u16 = 62;

/// `PT_NULL`
pub const PT_NULL: u32 = 0;
/// `PT_LOAD`
pub const PT_LOAD: u32 = 1;
/// `PT_DYNAMIC`
pub const PT_DYNAMIC: u32 = 2;
/// `PT_INTERP`
pub const PT_INTERP: u32 = 3;
/// `PT_NOTE`
pub const PT_NOTE: u32 = 4;
/// `PT_SHLIB`
pub const PT_SHLIB: u32 = 5;
/// `PT_PHDR`
pub const PT_PHDR: u32 = 6;
/// `PT_TLS`
pub const PT_TLS: u32 = 7;
/// `PT_GNU_EH_FRAME`
pub const PT_GNU_EH_FRAME: u32 = 0x6474_e550;
/// `PT_GNU_STACK`
pub const PT_GNU_STACK: u32 = 0x6474_e551;
/// `PT_GNU_RELRO`
pub const PT_GNU_RELRO: u32 = 0x6474_e552;
/// `PT_GNU_PROPERTY`
pub const PT_GNU_PROPERTY: u32 = 0x6474_e553;

/// `PF_X`
pub const PF_X: u32 = 1;
/// `PF_W`
pub const PF_W: u32 = 2;
/// `PF_R`
pub const PF_R: u32 = 4;

/// `Elf64_Ehdr` (64 bytes).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Elf64Ehdr {
    /// `e_ident`: magic, class, data, version, OS ABI.
    pub e_ident: [u8; EI_NIDENT],
    /// `e_type`: `ET_*`.
    pub e_type: u16,
    /// `e_machine`: `EM_*`.
    pub e_machine: u16,
    /// `e_version`.
    pub e_version: u32,
    /// `e_entry`: entry point.
    pub e_entry: u64,
    /// `e_phoff`: file offset of the program headers.
    pub e_phoff: u64,
    /// `e_shoff`: file offset of the section headers.
    pub e_shoff: u64,
    /// `e_flags`.
    pub e_flags: u32,
    /// `e_ehsize`: size of this header.
    pub e_ehsize: u16,
    /// `e_phentsize`: size of one program header.
    pub e_phentsize: u16,
    /// `e_phnum`: number of program headers.
    pub e_phnum: u16,
    /// `e_shentsize`.
    pub e_shentsize: u16,
    /// `e_shnum`.
    pub e_shnum: u16,
    /// `e_shstrndx`.
    pub e_shstrndx: u16,
}

/// `Elf64_Phdr` (56 bytes).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Elf64Phdr {
    /// `p_type`: `PT_*`.
    pub p_type: u32,
    /// `p_flags`: `PF_*`.
    pub p_flags: u32,
    /// `p_offset`: file offset of the segment.
    pub p_offset: u64,
    /// `p_vaddr`.
    pub p_vaddr: u64,
    /// `p_paddr`.
    pub p_paddr: u64,
    /// `p_filesz`: bytes in the file.
    pub p_filesz: u64,
    /// `p_memsz`: bytes in memory (the rest is zero-filled).
    pub p_memsz: u64,
    /// `p_align`.
    pub p_align: u64,
}

/// Size of [`Elf64Ehdr`].
pub const EHDR_SIZE: usize = size_of::<Elf64Ehdr>();
/// Size of [`Elf64Phdr`].
pub const PHDR_SIZE: usize = size_of::<Elf64Phdr>();
/// The most program headers accepted: the 64 KiB table limit of Linux's
/// `load_elf_phdrs` (`65536 / sizeof(Elf64_Phdr)`).
pub const MAX_PHNUM: u16 = (65536 / PHDR_SIZE) as u16;

/// Why an ELF file header was rejected. `execve` reports all of them as
/// `ENOEXEC`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum ElfError {
    /// Fewer bytes than an ELF header.
    #[error("file too short for an ELF header ({0} bytes)")]
    TooShort(usize),
    /// The magic number is not `\x7fELF`.
    #[error("bad ELF magic")]
    BadMagic,
    /// Not a 64-bit file.
    #[error("unsupported ELF class {0}")]
    BadClass(u8),
    /// Not little-endian.
    #[error("unsupported ELF byte order {0}")]
    BadByteOrder(u8),
    /// Neither `ET_EXEC` nor `ET_DYN`.
    #[error("ELF type {0} is not executable")]
    BadType(u16),
    /// Not `EM_X86_64`.
    #[error("ELF machine {0} is not x86-64")]
    BadMachine(u16),
    /// `e_phentsize` is not `sizeof(Elf64_Phdr)`.
    #[error("bad program header size {0}")]
    BadPhentsize(u16),
    /// `e_phnum` is 0 or too large.
    #[error("bad program header count {0}")]
    BadPhnum(u16),
}

impl From<ElfError> for Errno {
    fn from(_: ElfError) -> Errno {
        Errno::ENOEXEC
    }
}

/// Reads and validates an ELF file header from the first bytes of a file:
/// magic, class, byte order, type, machine, program-header size and count
/// (the checks of Linux's `load_elf_binary` and `load_elf_phdrs`). Never
/// panics.
pub fn parse_ehdr(bytes: &[u8]) -> Result<Elf64Ehdr, ElfError> {
    let (ehdr, _) =
        Elf64Ehdr::read_from_prefix(bytes).map_err(|_| ElfError::TooShort(bytes.len()))?;
    if ehdr.e_ident[..SELFMAG] != ELFMAG {
        return Err(ElfError::BadMagic);
    }
    if ehdr.e_ident[EI_CLASS] != ELFCLASS64 {
        return Err(ElfError::BadClass(ehdr.e_ident[EI_CLASS]));
    }
    if ehdr.e_ident[EI_DATA] != ELFDATA2LSB {
        return Err(ElfError::BadByteOrder(ehdr.e_ident[EI_DATA]));
    }
    if ehdr.e_type != ET_EXEC && ehdr.e_type != ET_DYN {
        return Err(ElfError::BadType(ehdr.e_type));
    }
    if ehdr.e_machine != EM_X86_64 {
        return Err(ElfError::BadMachine(ehdr.e_machine));
    }
    if usize::from(ehdr.e_phentsize) != PHDR_SIZE {
        return Err(ElfError::BadPhentsize(ehdr.e_phentsize));
    }
    if ehdr.e_phnum == 0 || ehdr.e_phnum > MAX_PHNUM {
        return Err(ElfError::BadPhnum(ehdr.e_phnum));
    }
    Ok(ehdr)
}

const _: () = assert!(EHDR_SIZE == 64);
const _: () = assert!(PHDR_SIZE == 56);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn good() -> Elf64Ehdr {
        let mut e_ident = [0u8; EI_NIDENT];
        e_ident[..4].copy_from_slice(&ELFMAG);
        e_ident[EI_CLASS] = ELFCLASS64;
        e_ident[EI_DATA] = ELFDATA2LSB;
        e_ident[EI_VERSION] = EV_CURRENT;
        Elf64Ehdr {
            e_ident,
            e_type: ET_DYN,
            e_machine: EM_X86_64,
            e_version: 1,
            e_entry: 0x1040,
            e_phoff: 64,
            e_ehsize: 64,
            e_phentsize: 56,
            e_phnum: 13,
            ..Elf64Ehdr::default()
        }
    }

    #[test]
    fn parse_ehdr_when_valid_returns_header() {
        let e = good();
        assert_eq!(parse_ehdr(e.as_bytes()), Ok(e));
        let mut long = e.as_bytes().to_vec();
        long.extend_from_slice(&[0xff; 100]);
        assert_eq!(parse_ehdr(&long), Ok(e));
    }

    #[test]
    fn parse_ehdr_rejects_each_bad_field() {
        let check = |f: &dyn Fn(&mut Elf64Ehdr), want: ElfError| {
            let mut e = good();
            f(&mut e);
            assert_eq!(parse_ehdr(e.as_bytes()), Err(want));
        };
        check(&|e| e.e_ident[1] = b'X', ElfError::BadMagic);
        check(&|e| e.e_ident[EI_CLASS] = ELFCLASS32, ElfError::BadClass(1));
        check(
            &|e| e.e_ident[EI_DATA] = ELFDATA2MSB,
            ElfError::BadByteOrder(2),
        );
        check(&|e| e.e_type = ET_REL, ElfError::BadType(1));
        check(&|e| e.e_machine = 3, ElfError::BadMachine(3));
        check(&|e| e.e_phentsize = 32, ElfError::BadPhentsize(32));
        check(&|e| e.e_phnum = 0, ElfError::BadPhnum(0));
        check(
            &|e| e.e_phnum = MAX_PHNUM + 1,
            ElfError::BadPhnum(MAX_PHNUM + 1),
        );
        assert_eq!(
            parse_ehdr(&good().as_bytes()[..63]),
            Err(ElfError::TooShort(63))
        );
        assert_eq!(parse_ehdr(&[]), Err(ElfError::TooShort(0)));
        assert_eq!(Errno::from(ElfError::BadMagic), Errno::ENOEXEC);
    }

    proptest! {
        #[test]
        fn parse_ehdr_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse_ehdr(&bytes);
        }

        #[test]
        fn parse_ehdr_accepts_exactly_valid_headers(
            tail in proptest::collection::vec(any::<u8>(), 64),
            class in 0u8..4, data in 0u8..4, ty in 0u16..6, phnum in any::<u16>(),
        ) {
            let mut bytes = tail.clone();
            bytes[..4].copy_from_slice(&ELFMAG);
            bytes[EI_CLASS] = class;
            bytes[EI_DATA] = data;
            bytes[16..18].copy_from_slice(&ty.to_le_bytes());
            bytes[18..20].copy_from_slice(&EM_X86_64.to_le_bytes());
            bytes[54..56].copy_from_slice(&56u16.to_le_bytes());
            bytes[56..58].copy_from_slice(&phnum.to_le_bytes());
            let ok = class == ELFCLASS64 && data == ELFDATA2LSB
                && (ty == ET_EXEC || ty == ET_DYN) && (1..=MAX_PHNUM).contains(&phnum);
            prop_assert_eq!(parse_ehdr(&bytes).is_ok(), ok);
        }
    }
}
