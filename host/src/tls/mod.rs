//! The host's half of TLS: the handshake (rustls, [`handshake`]) and the
//! server's authentication ([`verify`]). The core's record layer takes
//! over each connection once the handshake hands it the keys.

pub mod handshake;
pub mod verify;

pub use handshake::{Report, Rustls, Versions};
pub use verify::{ChainEntry, HostVerifier, VerifyError, certs_from_pem, contain, describe, unix_secs};

/// The core's client over the host's handshake: what the engine links to
/// the venue.
pub type Client<'a> = hotline_core::tls::Client<'a, Rustls>;
