//! Host seccomp filters for the Sentry ([`sentry`]) and the gofer
//! ([`gofer`]): reviewed allow-lists, one entry per system call, compiled
//! with `seccompiler`.
//!
//! A system call outside the list kills the whole process
//! (`SECCOMP_RET_KILL_PROCESS`, seen by its parent as `SIGSYS`). For
//! debugging, `RVISOR_SECCOMP_LOG=1` in the environment of `runsc` makes
//! such calls succeed and be logged by the kernel instead
//! (`SECCOMP_RET_LOG`; look in `dmesg` or the audit log for
//! `type=1326 ... syscall=N`), so one run shows every missing entry.

pub mod gofer;
pub mod sentry;

use anyhow::{Context, Result};
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};
use std::collections::BTreeMap;

/// The environment variable that turns kills into kernel log lines.
pub const LOG_ENV: &str = "RVISOR_SECCOMP_LOG";

/// One allowed system call: its number, its name (for listings) and the
/// argument rules that must hold (none: any arguments; several: any one).
pub struct Allowed {
    /// The system call number (x86-64).
    pub nr: libc::c_long,
    /// The system call's name.
    pub name: &'static str,
    /// Argument conditions; empty means unconditional.
    pub rules: Vec<SeccompRule>,
}

/// An unconditional entry.
pub fn allow(nr: libc::c_long, name: &'static str) -> Allowed {
    Allowed {
        nr,
        name,
        rules: Vec::new(),
    }
}

/// An entry allowed only when argument `arg` (32-bit) equals one of `values`.
pub fn allow_arg_in(nr: libc::c_long, name: &'static str, arg: u8, values: &[u64]) -> Allowed {
    let rules = values
        .iter()
        .map(|&v| rule(vec![cond(arg, SeccompCmpOp::Eq, v)]))
        .collect();
    Allowed { nr, name, rules }
}

/// An entry allowed only when argument `arg` has all bits of `mask` set.
pub fn allow_arg_has_bits(nr: libc::c_long, name: &'static str, arg: u8, mask: u64) -> Allowed {
    Allowed {
        nr,
        name,
        rules: vec![rule(vec![cond(arg, SeccompCmpOp::MaskedEq(mask), mask)])],
    }
}

/// A 32-bit argument condition. Panics only on an argument index above 5,
/// a programming error caught by the unit tests.
fn cond(arg: u8, op: SeccompCmpOp, value: u64) -> SeccompCondition {
    SeccompCondition::new(arg, SeccompCmpArgLen::Dword, op, value).expect("argument index 0..=5")
}

/// A rule of conditions that must all hold. Panics only on an empty list,
/// a programming error caught by the unit tests.
fn rule(conditions: Vec<SeccompCondition>) -> SeccompRule {
    SeccompRule::new(conditions).expect("non-empty rule")
}

/// What happens on a system call outside the list: `KillProcess`, or `Log`
/// when `RVISOR_SECCOMP_LOG=1`.
pub fn mismatch_action() -> SeccompAction {
    if std::env::var(LOG_ENV).is_ok_and(|v| v == "1") {
        SeccompAction::Log
    } else {
        SeccompAction::KillProcess
    }
}

/// Compiles an allow-list to BPF.
pub fn compile(list: Vec<Allowed>, on_mismatch: SeccompAction) -> Result<BpfProgram> {
    let mut rules = BTreeMap::new();
    for entry in list {
        let prev = rules.insert(entry.nr, entry.rules);
        anyhow::ensure!(prev.is_none(), "duplicate seccomp entry {}", entry.name);
    }
    let filter = SeccompFilter::new(rules, on_mismatch, SeccompAction::Allow, TargetArch::x86_64)
        .context("building the seccomp filter")?;
    BpfProgram::try_from(filter).context("compiling the seccomp filter")
}

/// A filter that makes `clone3` fail with `ENOSYS` and lets everything else
/// through to the next filter. glibc then creates threads with `clone`,
/// whose flags a filter can check (`clone3` keeps them in memory).
pub fn clone3_enosys() -> Result<BpfProgram> {
    let mut rules = BTreeMap::new();
    rules.insert(libc::SYS_clone3, Vec::new());
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::ENOSYS as u32),
        TargetArch::x86_64,
    )
    .context("building the clone3 filter")?;
    BpfProgram::try_from(filter).context("compiling the clone3 filter")
}

/// Installs `program` on every thread of this process (it also sets
/// `no_new_privs`, which seccomp requires without `CAP_SYS_ADMIN`).
pub fn install(program: &BpfProgram) -> Result<()> {
    seccompiler::apply_filter_all_threads(program).context("installing the seccomp filter")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_list(name: &str, list: Vec<Allowed>) {
        let names: Vec<&str> = list.iter().map(|a| a.name).collect();
        println!("{name} seccomp allow-list: {} syscalls", names.len());
        for n in &names {
            println!("  {n}");
        }
        let prog = compile(list, SeccompAction::KillProcess).expect("compiles");
        println!("{name} filter: {} BPF instructions", prog.len());
        assert!(!prog.is_empty());
    }

    #[test]
    fn sentry_filter_compiles_and_prints_its_count() {
        check_list("sentry", sentry::allow_list());
    }

    #[test]
    fn gofer_filter_compiles_and_prints_its_count() {
        check_list("gofer", gofer::allow_list());
    }

    #[test]
    fn gofer_list_stays_within_its_budget() {
        // DESIGN.md §8 targets at most 30; the Rust runtime's needs push it
        // a little over. Keep this bound honest when adding entries.
        assert!(gofer::allow_list().len() <= 36);
    }

    #[test]
    fn names_match_numbers() {
        for a in sentry::allow_list().into_iter().chain(gofer::allow_list()) {
            // abi's table may stop short of the newest calls (fchmodat2).
            if let Some(expected) = abi_name(a.nr) {
                assert_eq!(a.name, expected, "syscall {}", a.nr);
            }
        }
    }

    fn abi_name(nr: libc::c_long) -> Option<&'static str> {
        abi::syscalls::syscall_name(u64::try_from(nr).ok()?)
    }

    #[test]
    fn openat_is_not_allowed_in_the_sentry() {
        assert!(
            !sentry::allow_list()
                .iter()
                .any(|a| a.nr == libc::SYS_openat || a.nr == libc::SYS_open)
        );
    }
}
