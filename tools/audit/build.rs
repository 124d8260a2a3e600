//! Links the audit image with hotline's freestanding linker script: no C
//! runtime, no libc, no start files, so only what the core brings can
//! satisfy a symbol.
fn main() {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../linker/audit.ld");
    println!("cargo:rerun-if-changed={}", script.display());
    println!("cargo:rustc-link-arg-bins=-nostartfiles");
    println!("cargo:rustc-link-arg-bins=-nostdlib");
    println!("cargo:rustc-link-arg-bins=-static");
    println!("cargo:rustc-link-arg-bins=-Wl,--gc-sections");
    println!("cargo:rustc-link-arg-bins=-T{}", script.display());
}
