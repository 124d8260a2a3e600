//! Server authentication for the TLS 1.3 engine: the server's Certificate
//! chain and its CertificateVerify signature (RFC 8446 §4.4.2, §4.4.3) turn
//! into accept or a [`VerifyError`] that names the cause. [`PkiVerifier`] is
//! the allocation-free implementation: RFC 5280 path validation by
//! `rustls-webpki` (validity against host-supplied time, basicConstraints,
//! path length, keyUsage, the serverAuth EKU, SAN hostname matching) over
//! configured trust anchors, ECDSA P-256/P-384 signatures by RustCrypto,
//! and optional SPKI SHA-256 pins as an extra restriction.

use core::fmt;
use core::time::Duration;

use rustls_pki_types::{
    AlgorithmIdentifier, CertificateDer, InvalidSignature, ServerName, SignatureVerificationAlgorithm, TrustAnchor,
    UnixTime, alg_id,
};
use sha2::{Digest, Sha256, Sha384};
use webpki::{EndEntityCert, KeyUsage};

/// Longest certificate chain the server may send (leaf first); embedded-tls
/// parses at most this many entries.
pub const MAX_CHAIN: usize = 16;

/// TLS 1.3 SignatureScheme code points (RFC 8446 §4.2.3) hotline can verify.
pub mod scheme {
    /// ecdsa_secp256r1_sha256
    pub const ECDSA_P256_SHA256: u16 = 0x0403;
    /// ecdsa_secp384r1_sha384
    pub const ECDSA_P384_SHA384: u16 = 0x0503;
    /// rsa_pss_rsae_sha256
    pub const RSA_PSS_SHA256: u16 = 0x0804;
    /// rsa_pss_rsae_sha384
    pub const RSA_PSS_SHA384: u16 = 0x0805;
    /// rsa_pss_rsae_sha512
    pub const RSA_PSS_SHA512: u16 = 0x0806;
}

/// Why the server was not authenticated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyError {
    /// The Certificate message held no certificate.
    EmptyChain,
    /// The server sent a raw public key (RFC 7250) instead of X.509.
    RawPublicKey,
    /// The configured server name is not a valid DNS name or IP address.
    InvalidServerName,
    /// Path validation or the hostname check failed (expired, not yet
    /// valid, unknown issuer, CA:FALSE issuer, wrong name, ...).
    Pki(webpki::Error),
    /// The chain validated but none of its SPKIs matches a configured pin.
    PinMismatch,
    /// CertificateVerify used a scheme this verifier does not support.
    UnsupportedScheme(u16),
    /// The CertificateVerify signature does not match the leaf key.
    BadSignature,
    /// CertificateVerify arrived before any Certificate.
    CertificateVerifyBeforeCertificate,
    /// A second Certificate arrived in one handshake.
    DuplicateCertificate,
    /// The leaf certificate is larger than the engine keeps for the
    /// CertificateVerify check.
    LeafTooLarge(usize),
    /// The verifier itself failed (the host turns a panic into this).
    Internal,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmptyChain => f.write_str("server sent an empty certificate chain"),
            Self::RawPublicKey => f.write_str("server sent a raw public key, not X.509"),
            Self::InvalidServerName => f.write_str("configured server name is not a DNS name"),
            Self::Pki(e) => write!(f, "certificate rejected: {}", pki_cause(e)),
            Self::PinMismatch => f.write_str("no certificate in the chain matches the SPKI pins"),
            Self::UnsupportedScheme(s) => {
                write!(f, "CertificateVerify uses unsupported scheme {s:#06x}")
            }
            Self::BadSignature => f.write_str("CertificateVerify signature is invalid"),
            Self::CertificateVerifyBeforeCertificate => f.write_str("CertificateVerify arrived before Certificate"),
            Self::DuplicateCertificate => f.write_str("server sent two Certificate messages"),
            Self::LeafTooLarge(n) => write!(f, "leaf certificate of {n} bytes is too large"),
            Self::Internal => f.write_str("certificate verifier failed internally"),
        }
    }
}

/// A short name for the webpki errors a misconfigured or hostile server
/// provokes, followed by webpki's own description.
fn pki_cause(e: &webpki::Error) -> PkiCause<'_> {
    PkiCause(e)
}

struct PkiCause<'a>(&'a webpki::Error);

impl fmt::Display for PkiCause<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use webpki::Error as E;
        let cause = match self.0 {
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
        };
        write!(f, "{cause} ({:?})", self.0)
    }
}

/// Authenticates the server of one handshake. The engine calls
/// [`verify_chain`](Self::verify_chain) on the Certificate message and
/// [`verify_signature`](Self::verify_signature) on CertificateVerify, and
/// refuses application data unless both succeeded in this handshake.
pub trait ServerVerifier {
    /// Validates `chain` (leaf first, as sent) for `server_name`.
    fn verify_chain(&mut self, server_name: &str, chain: &[&[u8]]) -> Result<(), VerifyError>;

    /// Checks `signature` over `message` with the key of `leaf` under the
    /// TLS 1.3 SignatureScheme `scheme`.
    fn verify_signature(
        &mut self,
        leaf: &[u8],
        scheme: u16,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), VerifyError>;

    /// Whether the ClientHello should offer RSA signature schemes.
    fn offers_rsa(&self) -> bool {
        false
    }
}

impl<V: ServerVerifier + ?Sized> ServerVerifier for &mut V {
    fn verify_chain(&mut self, server_name: &str, chain: &[&[u8]]) -> Result<(), VerifyError> {
        (**self).verify_chain(server_name, chain)
    }

    fn verify_signature(
        &mut self,
        leaf: &[u8],
        scheme: u16,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), VerifyError> {
        (**self).verify_signature(leaf, scheme, message, signature)
    }

    fn offers_rsa(&self) -> bool {
        (**self).offers_rsa()
    }
}

/// The signature algorithms a [`PkiVerifier`] accepts: every one for the
/// chain, and the TLS 1.3 SignatureScheme mapping for CertificateVerify.
#[derive(Debug, Clone, Copy)]
pub struct Algorithms<'a> {
    /// Algorithms for certificate signatures in the chain.
    pub chain: &'a [&'a dyn SignatureVerificationAlgorithm],
    /// SignatureScheme code point to algorithm, for CertificateVerify.
    pub tls13: &'a [(u16, &'a dyn SignatureVerificationAlgorithm)],
}

impl Algorithms<'_> {
    fn offers_rsa(&self) -> bool {
        self.tls13.iter().any(|(s, _)| (scheme::RSA_PSS_SHA256..=scheme::RSA_PSS_SHA512).contains(s))
    }
}

/// ECDSA over P-256 or P-384 with SHA-256 or SHA-384, by RustCrypto; no
/// allocation.
#[derive(Debug)]
pub struct Ecdsa {
    curve: Curve,
    hash: Hash,
}

#[derive(Debug, Clone, Copy)]
enum Curve {
    P256,
    P384,
}

#[derive(Debug, Clone, Copy)]
enum Hash {
    Sha256,
    Sha384,
}

/// ECDSA P-256 with SHA-256.
pub static ECDSA_P256_SHA256: Ecdsa = Ecdsa { curve: Curve::P256, hash: Hash::Sha256 };
/// ECDSA P-256 with SHA-384 (certificates only).
pub static ECDSA_P256_SHA384: Ecdsa = Ecdsa { curve: Curve::P256, hash: Hash::Sha384 };
/// ECDSA P-384 with SHA-256 (certificates only).
pub static ECDSA_P384_SHA256: Ecdsa = Ecdsa { curve: Curve::P384, hash: Hash::Sha256 };
/// ECDSA P-384 with SHA-384.
pub static ECDSA_P384_SHA384: Ecdsa = Ecdsa { curve: Curve::P384, hash: Hash::Sha384 };

/// The allocation-free algorithm set: ECDSA P-256 and P-384.
pub static ECDSA_ALGORITHMS: Algorithms<'static> = Algorithms {
    chain: &[&ECDSA_P256_SHA256, &ECDSA_P256_SHA384, &ECDSA_P384_SHA256, &ECDSA_P384_SHA384],
    tls13: &[(scheme::ECDSA_P256_SHA256, &ECDSA_P256_SHA256), (scheme::ECDSA_P384_SHA384, &ECDSA_P384_SHA384)],
};

impl SignatureVerificationAlgorithm for Ecdsa {
    fn verify_signature(&self, public_key: &[u8], message: &[u8], signature: &[u8]) -> Result<(), InvalidSignature> {
        use p256::ecdsa::signature::hazmat::PrehashVerifier;
        let mut digest = [0u8; 48];
        let prehash = match self.hash {
            Hash::Sha256 => {
                let d = Sha256::digest(message);
                digest[..32].copy_from_slice(&d);
                &digest[..32]
            }
            Hash::Sha384 => {
                digest.copy_from_slice(&Sha384::digest(message));
                &digest[..]
            }
        };
        let ok = match self.curve {
            Curve::P256 => {
                let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(public_key).map_err(|_| InvalidSignature)?;
                let sig = p256::ecdsa::Signature::from_der(signature).map_err(|_| InvalidSignature)?;
                key.verify_prehash(prehash, &sig).is_ok()
            }
            Curve::P384 => {
                let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(public_key).map_err(|_| InvalidSignature)?;
                let sig = p384::ecdsa::Signature::from_der(signature).map_err(|_| InvalidSignature)?;
                key.verify_prehash(prehash, &sig).is_ok()
            }
        };
        if ok { Ok(()) } else { Err(InvalidSignature) }
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        match self.curve {
            Curve::P256 => alg_id::ECDSA_P256,
            Curve::P384 => alg_id::ECDSA_P384,
        }
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        match self.hash {
            Hash::Sha256 => alg_id::ECDSA_SHA256,
            Hash::Sha384 => alg_id::ECDSA_SHA384,
        }
    }
}

/// RFC 5280 path validation to configured anchors with optional SPKI pins;
/// allocation-free when `algorithms` is (as [`ECDSA_ALGORITHMS`] is).
#[derive(Debug, Clone, Copy)]
pub struct PkiVerifier<'a> {
    anchors: &'a [TrustAnchor<'a>],
    pins: &'a [[u8; 32]],
    algorithms: &'a Algorithms<'a>,
    now: UnixTime,
}

impl<'a> PkiVerifier<'a> {
    /// A verifier trusting `anchors`, checking validity at `now_unix_secs`
    /// (the host's clock) and, when `pins` is not empty, requiring the SHA-256
    /// of some certificate's SubjectPublicKeyInfo in the validated path
    /// (leaf, intermediate or anchor) to be one of them.
    pub fn new(
        anchors: &'a [TrustAnchor<'a>],
        pins: &'a [[u8; 32]],
        algorithms: &'a Algorithms<'a>,
        now_unix_secs: u64,
    ) -> Self {
        Self { anchors, pins, algorithms, now: UnixTime::since_unix_epoch(Duration::from_secs(now_unix_secs)) }
    }

    fn pins_match(&self, chain: &[&[u8]], anchor: &TrustAnchor<'_>) -> bool {
        let in_chain = chain.iter().any(|der| {
            let der = CertificateDer::from(*der);
            webpki::anchor_from_trusted_cert(&der)
                .is_ok_and(|a| self.pins.contains(&spki_sha256(a.subject_public_key_info.as_ref())))
        });
        in_chain || self.pins.contains(&spki_sha256(anchor.subject_public_key_info.as_ref()))
    }
}

/// SHA-256 of a DER SubjectPublicKeyInfo given its contents (webpki keeps
/// SPKIs without the outer SEQUENCE header, which pins are computed over).
pub fn spki_sha256(spki_contents: &[u8]) -> [u8; 32] {
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

impl ServerVerifier for PkiVerifier<'_> {
    fn verify_chain(&mut self, server_name: &str, chain: &[&[u8]]) -> Result<(), VerifyError> {
        let (leaf, rest) = chain.split_first().ok_or(VerifyError::EmptyChain)?;
        let name = ServerName::try_from(server_name).map_err(|_| VerifyError::InvalidServerName)?;
        let leaf_der = CertificateDer::from(*leaf);
        let ee = EndEntityCert::try_from(&leaf_der).map_err(VerifyError::Pki)?;
        let intermediates: [CertificateDer<'_>; MAX_CHAIN] =
            core::array::from_fn(|i| CertificateDer::from(rest.get(i).copied().unwrap_or_default()));
        let count = rest.len().min(MAX_CHAIN);
        let path = ee
            .verify_for_usage(
                self.algorithms.chain,
                self.anchors,
                intermediates.get(..count).unwrap_or_default(),
                self.now,
                KeyUsage::server_auth(),
                None,
                None,
            )
            .map_err(VerifyError::Pki)?;
        ee.verify_is_valid_for_subject_name(&name).map_err(VerifyError::Pki)?;
        if !self.pins.is_empty() && !self.pins_match(chain, path.anchor()) {
            return Err(VerifyError::PinMismatch);
        }
        Ok(())
    }

    fn verify_signature(
        &mut self,
        leaf: &[u8],
        scheme: u16,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), VerifyError> {
        let alg = self
            .algorithms
            .tls13
            .iter()
            .find(|(s, _)| *s == scheme)
            .map(|(_, a)| *a)
            .ok_or(VerifyError::UnsupportedScheme(scheme))?;
        let leaf_der = CertificateDer::from(leaf);
        let ee = EndEntityCert::try_from(&leaf_der).map_err(VerifyError::Pki)?;
        ee.verify_signature(alg, message, signature).map_err(|_| VerifyError::BadSignature)
    }

    fn offers_rsa(&self) -> bool {
        self.algorithms.offers_rsa()
    }
}
