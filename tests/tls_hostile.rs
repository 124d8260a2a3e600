//! `hotline_core::tls` against hostile TLS 1.3 servers
//! (`tests/peers/hostile_tls13.py`, built on Python's `cryptography`): a
//! server that skips Certificate and CertificateVerify (embedded-tls 0.19
//! lets that through; hotline must not deliver a byte), one that sends
//! CertificateVerify first, unexpected post-handshake messages (one of them
//! reaches an `unimplemented!()` inside embedded-tls, which the host's
//! `catch_unwind` turns into a connection error, after which the same
//! storage reconnects), an oversized record and garbage after ServerHello.
//! Every case ends in a named error within the deadline; none crashes or
//! hangs.

#[allow(dead_code)]
mod tls_support;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use hotline_core::tls::{Aes128GcmSha256, ECDSA_ALGORITHMS, PkiVerifier, Storage};
use tls_support::{Alg, Chain, Flaws, RustlsServer, chain, echo, read_until_failure, sizes, unix_now};

/// One run of the hostile server, killed on drop.
struct Hostile {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Hostile {
    fn start(mode: &str, c: &Chain) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let chain = dir.path().join("chain.pem");
        let key = dir.path().join("key.pem");
        std::fs::write(&chain, format!("{}{}", c.leaf_pem, c.intermediate_pem)).expect("chain");
        std::fs::write(&key, &c.leaf_key_pem).expect("key");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/peers/hostile_tls13.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(mode)
            .arg(&chain)
            .arg(&key)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3");
        let mut port = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut port).expect("port line");
        let port: u16 = port.trim().parse().expect("port number");
        Self { child, addr: ([127, 0, 0, 1], port).into(), _dir: dir }
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the core client against `mode` and returns the failure and the
/// plaintext delivered (which must be none).
fn against(mode: &str, storage: &mut Storage) -> String {
    let c = chain(Alg::P256, Flaws::default());
    let server = Hostile::start(mode, &c);
    let anchors = [webpki::anchor_from_trusted_cert(&c.root).expect("root").to_owned()];
    let verifier = PkiVerifier::new(&anchors, &[], &ECDSA_ALGORITHMS, unix_now());
    let (err, plain) = read_until_failure(storage, server.addr, verifier);
    assert!(plain.is_empty(), "{mode}: plaintext delivered: {:?}", String::from_utf8_lossy(&plain));
    err
}

fn assert_names(err: &str, cause: &str) {
    assert!(err.contains(cause), "expected {cause:?} in {err:?}");
}

#[test]
fn no_certificate_no_certificate_verify_aborts_before_application_data() {
    let err = against("no_cert", &mut Storage::new());
    assert_names(&err, "without a verified Certificate and CertificateVerify");
}

#[test]
fn certificate_verify_before_certificate_is_an_error_not_a_panic() {
    let err = against("cv_before_cert", &mut Storage::new());
    assert_names(&err, "CertificateVerify arrived before Certificate");
}

#[test]
fn key_update_is_a_clean_connection_error() {
    let err = against("key_update", &mut Storage::new());
    assert_names(&err, "unsupported handshake message");
}

#[test]
fn post_handshake_certificate_panic_is_contained_and_the_engine_reconnects() {
    let mut storage = Storage::new();
    // embedded-tls 0.19 reaches `unimplemented!()` on this message; the
    // host's containment turns it into this connection's error.
    let err = against("post_cert", &mut storage);
    assert_names(&err, "not implemented");

    let c = chain(Alg::P256, Flaws::default());
    let (addr, server) = RustlsServer::tls13().spawn(&c);
    let anchors = [webpki::anchor_from_trusted_cert(&c.root).expect("root").to_owned()];
    let verifier = PkiVerifier::new(&anchors, &[], &ECDSA_ALGORITHMS, unix_now());
    echo::<Aes128GcmSha256, _>(&mut storage, addr, "localhost", verifier, &sizes(), <[u8]>::to_vec)
        .expect("reconnect after a contained panic");
    server.join().expect("server thread").expect("server");
}

#[test]
fn oversized_record_is_refused() {
    let err = against("oversized", &mut Storage::new());
    assert_names(&err, "record overflow");
}

#[test]
fn garbage_after_server_hello_is_refused() {
    let err = against("garbage", &mut Storage::new());
    assert_names(&err, "bad_record_mac");
}
