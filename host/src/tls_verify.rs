//! The host's server verifier for `core::tls`: a server's certificate chain
//! turns into accept or a precise refusal, by full WebPKI path validation
//! by `rustls-webpki` with ring's RSA, ECDSA and Ed25519 (RFC 8446 §4.2.3
//! schemes), over the configured anchors or the Mozilla roots
//! (`webpki-roots`), with the same SPKI SHA-256 pins as the core verifier.
//! It allocates during the handshake only: the owned anchors at start-up
//! and the recorded chain (subjects, SPKI hashes) that `hotline probe`
//! prints. A panic inside the verifier or the TLS library becomes a
//! connection error through [`contain`], since no network input may abort
//! the process.

use std::panic::{AssertUnwindSafe, catch_unwind};

use hotline_core::tls::{Algorithms, PkiVerifier, ServerVerifier, VerifyError, scheme};
use rustls_pki_types::{CertificateDer, TrustAnchor};
use sha2::{Digest, Sha256};
use x509_cert::der::{Decode, Encode};

/// Every algorithm ring offers through webpki, and the TLS 1.3 schemes a
/// CertificateVerify may use (RSA-PSS with rsaEncryption keys, ECDSA with
/// the matching curve, Ed25519).
pub static RING_ALGORITHMS: Algorithms<'static> = Algorithms {
    chain: webpki::ALL_VERIFICATION_ALGS,
    tls13: &[
        (scheme::ECDSA_P256_SHA256, webpki::ring::ECDSA_P256_SHA256),
        (scheme::ECDSA_P384_SHA384, webpki::ring::ECDSA_P384_SHA384),
        (scheme::RSA_PSS_SHA256, webpki::ring::RSA_PSS_2048_8192_SHA256_LEGACY_KEY),
        (scheme::RSA_PSS_SHA384, webpki::ring::RSA_PSS_2048_8192_SHA384_LEGACY_KEY),
        (scheme::RSA_PSS_SHA512, webpki::ring::RSA_PSS_2048_8192_SHA512_LEGACY_KEY),
        (0x0807, webpki::ring::ED25519),
    ],
};

/// One certificate as the server sent it.
#[derive(Debug, Clone)]
pub struct ChainEntry {
    /// RFC 4514 subject, or `?` when the certificate does not parse.
    pub subject: String,
    /// SHA-256 of the DER SubjectPublicKeyInfo.
    pub spki_sha256: [u8; 32],
}

/// Runs `f`, turning a panic into `Err` with its message.
pub fn contain<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".to_owned())
    })
}

/// Seconds since the Unix epoch now: the time a chain's validity is
/// checked at.
pub fn unix_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Parses PEM text holding one or more certificates into DER.
pub fn certs_from_pem(pem: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    use rustls_pki_types::pem::PemObject;
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("bad PEM certificate: {e:?}"))
}

/// The subject and SPKI hash of a DER certificate.
pub fn describe(der: &[u8]) -> ChainEntry {
    match x509_cert::Certificate::from_der(der) {
        Ok(cert) => {
            let tbs = cert.tbs_certificate;
            let spki = tbs.subject_public_key_info.to_der().map(|d| Sha256::digest(d).into()).unwrap_or_default();
            ChainEntry { subject: tbs.subject.to_string(), spki_sha256: spki }
        }
        Err(_) => ChainEntry { subject: "?".to_owned(), spki_sha256: [0; 32] },
    }
}

/// Validates like [`PkiVerifier`] with ring's algorithms, remembers the
/// chain it saw, and contains panics.
#[derive(Debug)]
pub struct HostVerifier {
    anchors: Vec<TrustAnchor<'static>>,
    pins: Vec<[u8; 32]>,
    now_unix_secs: u64,
    insecure: bool,
    /// The chain the server presented, leaf first.
    pub chain: Vec<ChainEntry>,
}

impl HostVerifier {
    /// Trusts the certificates in `ca_pem` if given, else the Mozilla roots.
    pub fn new(ca: Option<&[CertificateDer<'_>]>, pins: Vec<[u8; 32]>, now_unix_secs: u64) -> Result<Self, String> {
        let anchors = match ca {
            Some(certs) => certs
                .iter()
                .map(|c| {
                    webpki::anchor_from_trusted_cert(c)
                        .map(|a| a.to_owned())
                        .map_err(|e| format!("bad CA certificate: {e:?}"))
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        Ok(Self { anchors, pins, now_unix_secs, insecure: false, chain: Vec::new() })
    }

    /// Accepts any chain for any name; configured pins and the
    /// CertificateVerify signature over the leaf key are still checked.
    /// For diagnostics only.
    pub fn insecure(mut self) -> Self {
        self.insecure = true;
        self
    }

    /// Whether any configured pin is in the recorded chain.
    pub fn pins_matched(&self) -> Option<bool> {
        (!self.pins.is_empty()).then(|| self.chain.iter().any(|c| self.pins.contains(&c.spki_sha256)))
    }

    fn pki(&self) -> PkiVerifier<'_> {
        PkiVerifier::new(&self.anchors, &self.pins, &RING_ALGORITHMS, self.now_unix_secs)
    }
}

impl ServerVerifier for HostVerifier {
    fn verify_chain(&mut self, server_name: &str, chain: &[&[u8]]) -> Result<(), VerifyError> {
        self.chain = chain.iter().map(|der| describe(der)).collect();
        if self.insecure {
            // Pins still hold: they need no chain of trust.
            return match self.pins_matched() {
                Some(false) => Err(VerifyError::PinMismatch),
                _ => Ok(()),
            };
        }
        let mut pki = self.pki();
        contain(|| pki.verify_chain(server_name, chain)).unwrap_or(Err(VerifyError::Internal))
    }

    fn verify_signature(
        &mut self,
        leaf: &[u8],
        scheme: u16,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), VerifyError> {
        let mut pki = self.pki();
        contain(|| pki.verify_signature(leaf, scheme, message, signature)).unwrap_or(Err(VerifyError::Internal))
    }

    fn offers_rsa(&self) -> bool {
        true
    }
}
