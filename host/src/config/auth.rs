//! `[auth]`: the request-authentication table turns into the API key and
//! signing secret ([`Secrets`]), read from environment variables or files
//! only their owner can read, never printed
//! (docs/protocols/binance-ws-api.md §Signing).

use std::fmt;
use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::pkcs8::DecodePrivateKey as _;
use rustls_pki_types::PrivatePkcs8KeyDer;
use rustls_pki_types::pem::PemObject as _;
use serde::Deserialize;
use zeroize::Zeroizing;

use super::Problems;
use crate::secret;

/// `[auth]`: request authentication. Each of the key and the secret comes
/// from exactly one of an environment variable or a file only its owner
/// can read.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Auth {
    /// Signature scheme.
    pub mode: AuthMode,
    /// Environment variable holding the API key.
    pub api_key_env: Option<String>,
    /// File (mode 0600) holding the API key.
    pub api_key_file: Option<PathBuf>,
    /// Environment variable holding the secret (HMAC secret or Ed25519 key).
    pub secret_env: Option<String>,
    /// File (mode 0600) holding the secret.
    pub secret_file: Option<PathBuf>,
    /// Coinbase: environment variable holding the API passphrase.
    pub passphrase_env: Option<String>,
    /// Coinbase: file (mode 0600) holding the API passphrase.
    pub passphrase_file: Option<PathBuf>,
}

/// Request signature scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMode {
    /// HMAC-SHA256 over every request.
    Hmac,
    /// Ed25519: `session.logon` once per connection.
    Ed25519,
}

impl Auth {
    /// Whether a passphrase is configured.
    pub(super) fn has_passphrase(&self) -> bool {
        self.passphrase_env.is_some() || self.passphrase_file.is_some()
    }

    pub(super) fn validate(&self, p: &mut Problems) {
        if self.api_key_env.is_some() == self.api_key_file.is_some() {
            p.0.push(ONE_OF_API_KEY.to_owned());
        }
        if self.secret_env.is_some() == self.secret_file.is_some() {
            p.0.push(ONE_OF_SECRET.to_owned());
        }
        if self.passphrase_env.is_some() && self.passphrase_file.is_some() {
            p.0.push(ONE_OF_PASSPHRASE.to_owned());
        }
        for (field, var) in [
            ("auth.api_key_env", &self.api_key_env),
            ("auth.secret_env", &self.secret_env),
            ("auth.passphrase_env", &self.passphrase_env),
        ] {
            if let Some(var) = var {
                p.require(!var.is_empty() && !var.contains(['=', '\0']), field, "is not an environment variable name");
            }
        }
    }

    /// Reads the API key and secret the `[auth]` table names.
    pub fn secrets(&self) -> Result<Secrets, String> {
        let api_key = match (&self.api_key_env, &self.api_key_file) {
            (Some(var), None) => secret::from_env(var, "auth.api_key_env")?,
            (None, Some(path)) => secret::from_file(path, "auth.api_key_file")?,
            _ => return Err(ONE_OF_API_KEY.to_owned()),
        };
        // The key is copied into every request unescaped.
        if !api_key.iter().all(u8::is_ascii_alphanumeric) {
            return Err("auth.api_key_env/auth.api_key_file: the API key holds characters other than ASCII letters \
                        and digits"
                .to_owned());
        }
        let api_key = String::from_utf8_lossy(&api_key).into_owned();
        let (raw, source) = match (&self.secret_env, &self.secret_file) {
            (Some(var), None) => (secret::from_env(var, "auth.secret_env")?, format!("auth.secret_env ({var})")),
            (None, Some(path)) => {
                (secret::from_file(path, "auth.secret_file")?, format!("auth.secret_file ({})", path.display()))
            }
            _ => return Err(ONE_OF_SECRET.to_owned()),
        };
        let key = match self.mode {
            AuthMode::Hmac => SecretKey::Hmac(raw),
            AuthMode::Ed25519 => SecretKey::Ed25519(ed25519_seed(&raw).map_err(|e| format!("{source}: {e}"))?),
        };
        let passphrase = match (&self.passphrase_env, &self.passphrase_file) {
            (Some(var), None) => Some(secret::from_env(var, "auth.passphrase_env")?),
            (None, Some(path)) => Some(secret::from_file(path, "auth.passphrase_file")?),
            (None, None) => None,
            (Some(_), Some(_)) => return Err(ONE_OF_PASSPHRASE.to_owned()),
        };
        let passphrase = passphrase
            .map(|p| {
                String::from_utf8(p.to_vec()).map(Zeroizing::new).map_err(|_| {
                    "auth.passphrase_env/auth.passphrase_file: the passphrase is not UTF-8 text".to_owned()
                })
            })
            .transpose()?;
        Ok(Secrets { api_key, key, passphrase })
    }
}

const ONE_OF_API_KEY: &str = "auth.api_key_env, auth.api_key_file: give exactly one";
const ONE_OF_SECRET: &str = "auth.secret_env, auth.secret_file: give exactly one";
const ONE_OF_PASSPHRASE: &str = "auth.passphrase_env, auth.passphrase_file: give at most one";

/// The API key and secret of `[auth]`.
pub struct Secrets {
    /// The API key (ASCII letters and digits).
    pub api_key: String,
    /// The signing secret.
    pub key: SecretKey,
    /// Coinbase's API passphrase.
    pub passphrase: Option<Zeroizing<String>>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<secret>")
    }
}

/// A signing secret, wiped on drop.
pub enum SecretKey {
    /// The HMAC-SHA256 secret as given.
    Hmac(Zeroizing<Vec<u8>>),
    /// The 32-byte Ed25519 seed.
    Ed25519(Zeroizing<[u8; 32]>),
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<secret>")
    }
}

/// An Ed25519 seed from a PKCS#8 PEM (`PRIVATE KEY`, as Binance's key
/// generator writes it), the base64 of its DER, or the raw 32-byte seed in
/// hex or base64. Errors never quote the input.
fn ed25519_seed(raw: &[u8]) -> Result<Zeroizing<[u8; 32]>, String> {
    let text = std::str::from_utf8(raw).map_err(|_| "an Ed25519 key must be PEM, base64 or hex text")?.trim();
    let bytes = if text.starts_with("-----") {
        let key = PrivatePkcs8KeyDer::from_pem_slice(text.as_bytes())
            .map_err(|_| "PEM must hold one unencrypted \"PRIVATE KEY\" (PKCS#8) block")?;
        Zeroizing::new(key.secret_pkcs8_der().to_vec())
    } else if let Ok(bytes) = hex::decode(text) {
        Zeroizing::new(bytes)
    } else {
        Zeroizing::new(STANDARD.decode(text).map_err(|_| "an Ed25519 key must be PEM, base64 or hex")?)
    };
    if let Ok(seed) = <[u8; 32]>::try_from(bytes.as_slice()) {
        return Ok(Zeroizing::new(seed));
    }
    let key = ed25519_dalek::SigningKey::from_pkcs8_der(&bytes)
        .map_err(|_| "not an Ed25519 PKCS#8 private key (nor a 32-byte seed)")?;
    Ok(Zeroizing::new(key.to_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8410 §10.3's example key, as `openssl genpkey -algorithm ed25519` writes it.
    const RFC8410_PEM: &str = "-----BEGIN PRIVATE KEY-----\n\
        MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n\
        -----END PRIVATE KEY-----\n";
    const RFC8410_SEED: &str = "d4ee72dbf913584ad5b6d8f1f769f8ad3afe7c28cbf1d4fbe097a88f44755842";

    #[test]
    fn ed25519_seed_from_pem_base64_or_hex() {
        let seed = hex::decode(RFC8410_SEED).unwrap();
        assert_eq!(ed25519_seed(RFC8410_PEM.as_bytes()).unwrap().as_slice(), seed);
        assert_eq!(ed25519_seed(RFC8410_SEED.as_bytes()).unwrap().as_slice(), seed);
        assert_eq!(ed25519_seed(STANDARD.encode(&seed).as_bytes()).unwrap().as_slice(), seed);
        let der = "MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC";
        assert_eq!(ed25519_seed(der.as_bytes()).unwrap().as_slice(), seed);
        let encrypted = RFC8410_PEM.replace("PRIVATE KEY", "ENCRYPTED PRIVATE KEY");
        assert!(ed25519_seed(encrypted.as_bytes()).unwrap_err().contains("unencrypted"));
        let err = ed25519_seed(&RFC8410_SEED.as_bytes()[2..]).unwrap_err();
        assert!(!err.contains(&RFC8410_SEED[2..10]), "{err}");
    }

    #[test]
    fn secrets_never_print() {
        let secrets = Secrets {
            api_key: "KEY".into(),
            key: SecretKey::Hmac(Zeroizing::new(b"hunter2".to_vec())),
            passphrase: Some(Zeroizing::new("pass".into())),
        };
        assert_eq!(format!("{secrets:?} {:?}", secrets.key), "<secret> <secret>");
    }
}
