//! Secrets from the environment or from a private file: an API secret named
//! by a flag or a config field turns into bytes that are wiped on drop. A
//! file readable by group or others is refused, as `ssh` refuses such a
//! key; every error names the variable, file and the flag or field that
//! pointed at it, and never the secret itself.

use std::fs;
use std::io::Read as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use zeroize::Zeroizing;

/// The value of environment variable `var`; `source` is the flag or config
/// field that named it, for the error.
pub fn from_env(var: &str, source: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    let value = std::env::var_os(var).ok_or_else(|| format!("environment variable {var} ({source}) is not set"))?;
    let secret = Zeroizing::new(value.into_encoded_bytes());
    if secret.is_empty() {
        return Err(format!("environment variable {var} ({source}) is empty"));
    }
    Ok(secret)
}

/// The contents of `path` without trailing line ends, if only its owner may
/// read it; `source` is the flag or config field that named it.
pub fn from_file(path: &Path, source: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    let shown = path.display();
    let mut file = fs::File::open(path).map_err(|e| format!("secret file {shown} ({source}): {e}"))?;
    let mode = file.metadata().map_err(|e| format!("secret file {shown} ({source}): {e}"))?.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "secret file {shown} ({source}) is accessible by group or others (mode {:o}); run `chmod 600 {shown}`",
            mode & 0o777
        ));
    }
    let mut secret = Zeroizing::new(Vec::new());
    file.read_to_end(&mut secret).map_err(|e| format!("secret file {shown} ({source}): {e}"))?;
    // Editors end files with a newline that is no part of the secret.
    while secret.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        secret.pop();
    }
    if secret.is_empty() {
        return Err(format!("secret file {shown} ({source}) is empty"));
    }
    Ok(secret)
}
