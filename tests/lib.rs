//! Shared helpers for hotline's integration tests: paths to the shared
//! vectors and small utilities used by more than one test file.

use std::path::PathBuf;

/// The `shared/` folder that sits beside the repository (vectors, venue facts).
pub fn shared_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared")
}
