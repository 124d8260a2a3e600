//! Who the venue's server must be: a certificate chain turns into accept or
//! a named refusal, for rustls' handshake ([`HostVerifier`] is its
//! `ServerCertVerifier`). Full WebPKI path validation by `rustls-webpki`
//! with ring's algorithms over the configured anchors or the Mozilla roots
//! (`webpki-roots`), the hostname (RFC 6125), and the SPKI SHA-256 pins as
//! an extra restriction: some certificate of the validated path (leaf,
//! intermediate or anchor) must match one. The CertificateVerify signature
//! (RFC 8446 §4.4.3), or in TLS 1.2 the ServerKeyExchange signature (RFC
//! 5246 §7.4.3), is rustls' own check with ring's schemes. It
//! allocates during the handshake only: the owned anchors at start-up and
//! the recorded chain (subjects, SPKI hashes) that `hotline probe` prints.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, PoisonError};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use sha2::{Digest, Sha256};
use webpki::{EndEntityCert, KeyUsage};
use x509_cert::der::{Decode, Encode};

/// One certificate as the server sent it.
#[derive(Debug, Clone)]
pub struct ChainEntry {
    /// RFC 4514 subject, or `?` when the certificate does not parse.
    pub subject: String,
    /// SHA-256 of the DER SubjectPublicKeyInfo.
    pub spki_sha256: [u8; 32],
}

/// Why the server was not authenticated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyError {
    /// The configured server name is not a valid DNS name or IP address.
    InvalidServerName,
    /// Path validation or the hostname check failed (expired, not yet
    /// valid, unknown issuer, CA:FALSE issuer, wrong name, ...).
    Pki(webpki::Error),
    /// The chain validated but none of its SPKIs matches a configured pin.
    PinMismatch,
    /// The verifier itself failed (a panic inside it).
    Internal,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidServerName => f.write_str("configured server name is not a DNS name"),
            Self::Pki(e) => write!(f, "certificate rejected: {} ({e:?})", pki_cause(e)),
            Self::PinMismatch => f.write_str("no certificate in the chain matches the SPKI pins"),
            Self::Internal => f.write_str("certificate verifier failed internally"),
        }
    }
}

impl std::error::Error for VerifyError {}

/// A short name for the webpki errors a misconfigured or hostile server
/// provokes.
fn pki_cause(e: &webpki::Error) -> &'static str {
    use webpki::Error as E;
    match e {
        E::CertExpired { .. } => "expired",
        E::CertNotValidYet { .. } => "not yet valid",
        E::CertNotValidForName(_) => "hostname mismatch",
        E::UnknownIssuer => "untrusted root (unknown issuer)",
        E::EndEntityUsedAsCa => "issuer is not a CA (basicConstraints CA:FALSE)",
        E::CaUsedAsEndEntity => "leaf is a CA certificate",
        E::PathLenConstraintViolated => "path length constraint violated",
        E::RequiredEkuNotFoundContext(_) => "serverAuth EKU missing",
        E::InvalidSignatureForPublicKey => "bad signature in chain",
        E::UnsupportedSignatureAlgorithmContext(_) | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            "unsupported signature algorithm in chain"
        }
        _ => "invalid certificate",
    }
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

/// Seconds since the Unix epoch now.
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

/// SHA-256 of a DER SubjectPublicKeyInfo given its contents (webpki keeps
/// SPKIs without the outer SEQUENCE header, which pins are computed over).
fn spki_sha256(spki_contents: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    let len = spki_contents.len();
    h.update([0x30]);
    match len {
        0..=0x7f => h.update([len as u8]),
        0x80..=0xff => h.update([0x81, len as u8]),
        _ => h.update([0x82, (len >> 8) as u8, len as u8]),
    }
    h.update(spki_contents);
    h.finalize().into()
}

/// Validates the server's chain and name against the anchors and pins,
/// remembers the chain it saw, and contains panics.
#[derive(Debug)]
pub struct HostVerifier {
    anchors: Vec<TrustAnchor<'static>>,
    pins: Vec<[u8; 32]>,
    insecure: bool,
    schemes: WebPkiSupportedAlgorithms,
    /// The chain the server presented in the last handshake, leaf first,
    /// as it came (described only when asked).
    chain: Mutex<Vec<CertificateDer<'static>>>,
}

impl HostVerifier {
    /// Trusts the certificates in `ca` if given, else the Mozilla roots.
    pub fn new(ca: Option<&[CertificateDer<'_>]>, pins: Vec<[u8; 32]>) -> Result<Self, String> {
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
        let schemes = rustls::crypto::ring::default_provider().signature_verification_algorithms;
        Ok(Self { anchors, pins, insecure: false, schemes, chain: Mutex::new(Vec::new()) })
    }

    /// Accepts any chain for any name; configured pins and the
    /// CertificateVerify signature over the leaf key are still checked.
    /// For diagnostics only.
    pub fn insecure(mut self) -> Self {
        self.insecure = true;
        self
    }

    /// The chain the server presented in the last handshake, leaf first.
    pub fn chain(&self) -> Vec<ChainEntry> {
        self.chain.lock().unwrap_or_else(PoisonError::into_inner).iter().map(|der| describe(der)).collect()
    }

    /// Whether any configured pin is in the recorded chain.
    pub fn pins_matched(&self) -> Option<bool> {
        (!self.pins.is_empty()).then(|| self.chain().iter().any(|c| self.pins.contains(&c.spki_sha256)))
    }

    fn verify(
        &self,
        leaf: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<(), VerifyError> {
        let ee = EndEntityCert::try_from(leaf).map_err(VerifyError::Pki)?;
        let path = ee
            .verify_for_usage(self.schemes.all, &self.anchors, intermediates, now, KeyUsage::server_auth(), None, None)
            .map_err(VerifyError::Pki)?;
        ee.verify_is_valid_for_subject_name(name).map_err(VerifyError::Pki)?;
        if self.pins.is_empty() {
            return Ok(());
        }
        let in_chain = std::iter::once(leaf).chain(intermediates).any(|der| {
            webpki::anchor_from_trusted_cert(der)
                .is_ok_and(|a| self.pins.contains(&spki_sha256(a.subject_public_key_info.as_ref())))
        });
        if in_chain || self.pins.contains(&spki_sha256(path.anchor().subject_public_key_info.as_ref())) {
            Ok(())
        } else {
            Err(VerifyError::PinMismatch)
        }
    }
}

/// A refusal as rustls carries it: the named cause inside.
fn refused(e: VerifyError) -> rustls::Error {
    rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(e))))
}

impl ServerCertVerifier for HostVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let chain = std::iter::once(end_entity).chain(intermediates).map(|d| d.clone().into_owned()).collect();
        *self.chain.lock().unwrap_or_else(PoisonError::into_inner) = chain;
        let verdict = if self.insecure {
            // Pins still hold: they need no chain of trust.
            match self.pins_matched() {
                Some(false) => Err(VerifyError::PinMismatch),
                _ => Ok(()),
            }
        } else {
            contain(|| self.verify(end_entity, intermediates, server_name, now)).unwrap_or(Err(VerifyError::Internal))
        };
        verdict.map(|()| ServerCertVerified::assertion()).map_err(refused)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        // Reached only when the client offers TLS 1.2 (`Versions`).
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.schemes)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.schemes)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes.supported_schemes()
    }
}
