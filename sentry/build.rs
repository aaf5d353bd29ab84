//! Builds the vDSO (`vdso/vdso.S`) into `$OUT_DIR/vdso.so`, which the
//! Sentry embeds with `include_bytes!` and maps into every guest.
//!
//! It is assembled and linked with the machine's `gcc` (always present on
//! our build machines; `RVISOR_VDSO_CC` names another compiler driver).

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"))
        .join("vdso");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR")).join("vdso.so");
    for f in ["vdso.S", "vdso.map", "vdso.lds"] {
        println!("cargo:rerun-if-changed={}", dir.join(f).display());
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=RVISOR_VDSO_CC");
    let cc = std::env::var("RVISOR_VDSO_CC").unwrap_or_else(|_| "gcc".into());
    let status = Command::new(&cc)
        .args([
            "-nostdlib",
            "-shared",
            "-fPIC",
            "-Wl,-soname=linux-vdso.so.1",
            "-Wl,--hash-style=both",
            "-Wl,-z,max-page-size=4096",
            "-Wl,-z,norelro",
            "-Wl,--build-id=none",
            "-Wl,--no-undefined",
        ])
        .arg(format!(
            "-Wl,--version-script={}",
            dir.join("vdso.map").display()
        ))
        .arg(format!("-Wl,-T,{}", dir.join("vdso.lds").display()))
        .arg("-o")
        .arg(&out)
        .arg(dir.join("vdso.S"))
        .status()
        .unwrap_or_else(|e| panic!("running {cc} to build the vDSO: {e}"));
    assert!(status.success(), "{cc} failed to build the vDSO ({status})");
}
