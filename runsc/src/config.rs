//! The boot configuration `runsc do` hands to `runsc boot`, as JSON through
//! an inherited memfd. Host resources (gofer socket, stdio) travel as
//! inherited FDs, not in here.

use serde::{Deserialize, Serialize};

/// What the Sentry needs besides its FDs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireConfig {
    /// The program and its arguments, as given.
    pub argv: Vec<String>,
    /// The guest's environment, `KEY=VALUE`.
    pub envv: Vec<String>,
    /// The guest's working directory (absolute).
    pub cwd: String,
    /// Log every guest system call.
    pub strace: bool,
    /// The guest's host name.
    pub hostname: String,
    /// The platform's name (`ptrace`).
    pub platform: String,
    /// Patch trapped syscall sites (systrap).
    #[serde(default = "yes")]
    pub syscall_patching: bool,
    /// Systrap traps through seccomp, not syscall user dispatch.
    #[serde(default)]
    pub systrap_seccomp: bool,
}

fn yes() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_json() {
        let c = WireConfig {
            argv: vec!["/bin/echo".into(), "hi \"there\"".into()],
            envv: vec!["A=b=c".into()],
            cwd: "/".into(),
            strace: true,
            hostname: "h".into(),
            platform: "ptrace".into(),
            syscall_patching: false,
            systrap_seccomp: true,
        };
        let s = serde_json::to_vec(&c).unwrap();
        assert_eq!(serde_json::from_slice::<WireConfig>(&s).unwrap(), c);
    }
}
