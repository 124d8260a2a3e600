//! Links the `hotline` binary with the `.defmt` section layout and non-PIE,
//! so that `hotline log` can decode its binary logs (see host/src/log.rs).
fn main() {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../linker/defmt-host.ld");
    println!("cargo:rerun-if-changed={}", script.display());
    println!("cargo:rustc-link-arg-bins=-T{}", script.display());
    println!("cargo:rustc-link-arg-bins=-no-pie");
}
