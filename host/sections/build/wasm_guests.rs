//! Builds a workspace of WebAssembly guests (section plugins) from a build script.
//!
//! Shared by `host/sections/build.rs` (first-party plugins, embedded in the binary) and
//! `tests/build.rs` (hostile plugins for the sandbox tests) through `#[path]`.
//!
//! The nested cargo runs with its own target directory, for its own target, and
//! without anything the outer build put in the environment for the *host*
//! compilation: flags, wrappers or cfgs meant for x86_64 would break or
//! silently change a wasm32 build.

use std::path::{Path, PathBuf};
use std::process::Command;

pub const GUEST_TARGET: &str = "wasm32-wasip2";

/// Set to `1` to skip building guests (fast host-only `cargo check` or clippy).
pub const SKIP_VAR: &str = "PORTICO_SKIP_PLUGIN_BUILD";

/// One built guest: its package name and the path of its component.
pub struct Guest {
    pub package: String,
    pub wasm: PathBuf,
}

pub fn skip_requested() -> bool {
    println!("cargo:rerun-if-env-changed={SKIP_VAR}");
    std::env::var(SKIP_VAR).is_ok_and(|value| value == "1" || value == "true")
}

/// Build `packages` of the guest workspace whose manifest is `manifest` in
/// release mode, and return where each component is. `watch` lists further
/// directories whose changes must rebuild the guests (the SDK, the WIT).
pub fn build(manifest: &Path, packages: &[&str], watch: &[&Path]) -> Vec<Guest> {
    let workspace_dir = manifest.parent().expect("manifest has a parent");
    for dir in watch.iter().copied().chain([workspace_dir]) {
        watch_sources(dir);
    }
    ensure_target_installed();

    let target_dir = guest_target_dir();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // One package at a time, each built as a component only: a section
    // crate is also an `rlib` (for the host's native backend), and cargo
    // does not link-time optimise a library that is also an rlib, so a
    // plain `cargo build` would ship the components without LTO.
    for package in packages {
        let mut command = Command::new(&cargo);
        command
            .arg("rustc")
            .arg("--release")
            .arg("--locked")
            .args(["--target", GUEST_TARGET])
            .arg("--manifest-path")
            .arg(manifest)
            .arg("--target-dir")
            .arg(&target_dir)
            .args(["--package", package])
            .args(["--crate-type", "cdylib"]);
        scrub_outer_build_environment(&mut command);

        let status = command.status().unwrap_or_else(|e| panic!("could not run cargo for the wasm guests: {e}"));
        if !status.success() {
            panic!(
                "building the wasm guest {package} in {} failed (see the errors above); \
                 set {SKIP_VAR}=1 to build the host without them",
                workspace_dir.display()
            );
        }
    }

    packages
        .iter()
        .map(|package| {
            let file = format!("{}.wasm", package.replace('-', "_"));
            let wasm = target_dir.join(GUEST_TARGET).join("release").join(file);
            assert!(wasm.exists(), "cargo built {package} but {} is missing", wasm.display());
            Guest { package: package.to_string(), wasm }
        })
        .collect()
}

/// Where guests are built: beside the outer build's own output, so `cargo clean`
/// removes them, but in a directory of their own so the two builds never share
/// fingerprints or locks.
fn guest_target_dir() -> PathBuf {
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR is set for build scripts"));
    // OUT_DIR is <target>/<profile>/build/<pkg>-<hash>/out (or one level deeper
    // with --target); find the directory holding the profile directories.
    let target = out_dir
        .ancestors()
        .find(|dir| dir.join("CACHEDIR.TAG").exists())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| out_dir.join("guest-build"));
    target.join("wasm-guests")
}

fn ensure_target_installed() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let sysroot = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    let installed = |sysroot: &Option<PathBuf>| {
        sysroot.as_ref().is_some_and(|root| root.join("lib/rustlib").join(GUEST_TARGET).exists())
    };
    if installed(&sysroot) {
        return;
    }
    // rustup is the only way to add a standard library for another target.
    let added = Command::new("rustup")
        .args(["target", "add", GUEST_TARGET])
        .status()
        .is_ok_and(|status| status.success());
    if !added || !installed(&sysroot) {
        panic!(
            "the Rust standard library for {GUEST_TARGET} is missing and could not be added; \
             run `rustup target add {GUEST_TARGET}` and build again"
        );
    }
}

fn scrub_outer_build_environment(command: &mut Command) {
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        let meant_for_outer_build = key.starts_with("CARGO_CFG_")
            || key.starts_with("CARGO_FEATURE_")
            || key.starts_with("CARGO_PKG_")
            || key.starts_with("CARGO_MANIFEST_")
            || key.starts_with("CARGO_TARGET_")
            || key.starts_with("CARGO_BUILD_")
            || key.starts_with("CARGO_PROFILE_")
            || key.starts_with("CARGO_ENCODED_")
            || key.starts_with("DEP_")
            || matches!(
                key,
                "RUSTFLAGS"
                    | "RUSTDOCFLAGS"
                    | "RUSTC_WRAPPER"
                    | "RUSTC_WORKSPACE_WRAPPER"
                    | "RUSTC_LINKER"
                    | "CARGO_PRIMARY_PACKAGE"
                    | "TARGET"
                    | "HOST"
                    | "OUT_DIR"
                    | "OPT_LEVEL"
                    | "PROFILE"
                    | "DEBUG"
                    | "NUM_JOBS"
            );
        if meant_for_outer_build {
            command.env_remove(key);
        }
    }
}

/// Ask cargo to rerun the build script when anything under `dir` changes,
/// without watching build output that lives inside it.
fn watch_sources(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || name.to_string_lossy().starts_with('.') {
            continue;
        }
        println!("cargo:rerun-if-changed={}", path.display());
    }
}

/// Copy each guest into OUT_DIR and write `$OUT_DIR/{file}` declaring
/// `pub static {name}: &[(&str, &[u8])]`: package name and component bytes.
pub fn embed(guests: &[Guest], file: &str, name: &str) {
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR is set"));
    let mut source = format!("pub static {name}: &[(&str, &[u8])] = &[\n");
    for guest in guests {
        let copy = out_dir.join(format!("{}.wasm", guest.package));
        std::fs::copy(&guest.wasm, &copy).expect("copy the guest into OUT_DIR");
        source.push_str(&format!("    ({:?}, include_bytes!({:?})),\n", guest.package, copy));
    }
    source.push_str("];\n");
    std::fs::write(out_dir.join(file), source).expect("write the embedding source");
}
