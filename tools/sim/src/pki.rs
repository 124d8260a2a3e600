//! Start-up PKI: a fresh CA and a server certificate for `localhost` and
//! `127.0.0.1` signed by it (rcgen), turned into a TLS 1.3-only rustls
//! server configuration on the ring provider, plus what a client pins: the
//! CA certificate (DER and PEM) and the SHA-256 of the leaf's
//! SubjectPublicKeyInfo.

use std::io;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PublicKeyData,
};
use rustls::ServerConfig;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest, Sha256};

use crate::config::CertAlgorithm;

/// The generated certificates and the server configuration built on them.
pub(crate) struct Pki {
    pub(crate) ca_der: Vec<u8>,
    pub(crate) ca_pem: String,
    pub(crate) leaf_spki_sha256: [u8; 32],
    pub(crate) server: Arc<ServerConfig>,
}

fn invalid(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("certificate generation: {e}"))
}

fn named(cn: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn.push(DnType::OrganizationName, "hotline-sim");
    params.distinguished_name = dn;
    params
}

/// Generates the CA and server certificate and the rustls configuration.
pub(crate) fn generate(alg: CertAlgorithm) -> io::Result<Pki> {
    let sig_alg = match alg {
        CertAlgorithm::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
        CertAlgorithm::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
    };
    let ca_key = KeyPair::generate_for(sig_alg).map_err(invalid)?;
    let mut ca = named("hotline-sim CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).map_err(invalid)?;
    let issuer = Issuer::new(ca, ca_key);

    let leaf_key = KeyPair::generate_for(sig_alg).map_err(invalid)?;
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).map_err(invalid)?;
    leaf.distinguished_name = named("localhost").distinguished_name;
    leaf.is_ca = IsCa::ExplicitNoCa;
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).map_err(invalid)?;
    let leaf_spki_sha256 = Sha256::digest(leaf_key.subject_public_key_info()).into();

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(invalid)?
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf_cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .map_err(invalid)?;

    Ok(Pki { ca_der: ca_cert.der().to_vec(), ca_pem: ca_cert.pem(), leaf_spki_sha256, server: Arc::new(server) })
}

#[cfg(test)]
mod tests {
    use rustls::pki_types::CertificateDer;

    use super::*;

    #[test]
    fn exported_ca_is_a_usable_trust_anchor() {
        for alg in [CertAlgorithm::EcdsaP256, CertAlgorithm::EcdsaP384] {
            let pki = generate(alg).expect("pki");
            let mut roots = rustls::RootCertStore::empty();
            roots.add(CertificateDer::from(pki.ca_der.clone())).expect("CA parses as a trust anchor");
            assert!(pki.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        }
    }
}
