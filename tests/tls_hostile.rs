//! hotline's TLS (rustls' handshake, the core's record layer) against
//! hostile TLS 1.3 servers (`tests/peers/hostile_tls13.py`, built on
//! Python's `cryptography`). In the handshake: a server that skips
//! Certificate and CertificateVerify (embedded-tls 0.19, which hotline used
//! before, let that through; no byte may be delivered), one that sends
//! CertificateVerify first, an oversized record and garbage after
//! ServerHello. After it, to the record layer: a KeyUpdate with an illegal
//! request, a KeyUpdate that does not end its record, a post-handshake
//! Certificate, a record of padding only, an oversized record and a record
//! that fails authentication; after the last, the same storage reconnects.
//! Every case ends in a named error within the deadline; none crashes or
//! hangs.

#[allow(dead_code)]
mod tls_support;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use hotline::tls::HostVerifier;
use hotline_core::tls::Storage;
use rustls::pki_types::CertificateDer;
use tls_support::{Alg, Chain, Flaws, RustlsServer, chain, echo, read_until_failure, sizes};

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
    let (err, plain) = read_until_failure(storage, server.addr, trusting(&c));
    assert!(plain.is_empty(), "{mode}: plaintext delivered: {:?}", String::from_utf8_lossy(&plain));
    err
}

fn trusting(c: &Chain) -> HostVerifier {
    HostVerifier::new(Some(&[CertificateDer::from(c.root.to_vec())]), Vec::new()).expect("verifier")
}

fn assert_names(err: &str, cause: &str) {
    assert!(err.contains(cause), "expected {cause:?} in {err:?}");
}

#[test]
fn no_certificate_no_certificate_verify_aborts_before_application_data() {
    let err = against("no_cert", &mut Storage::new());
    assert_names(&err, "got Finished when expecting");
}

#[test]
fn certificate_verify_before_certificate_is_an_error_not_a_panic() {
    let err = against("cv_before_cert", &mut Storage::new());
    assert_names(&err, "got CertificateVerify when expecting");
}

#[test]
fn oversized_record_in_the_handshake_is_refused() {
    let err = against("oversized", &mut Storage::new());
    assert_names(&err, "handshake failed");
}

#[test]
fn garbage_after_server_hello_is_refused() {
    let err = against("garbage", &mut Storage::new());
    assert_names(&err, "decrypt");
}

#[test]
fn key_update_with_an_illegal_request_is_refused() {
    let err = against("key_update_bad", &mut Storage::new());
    assert_names(&err, "illegal_parameter: KeyUpdate request_update");
}

#[test]
fn key_update_that_does_not_end_its_record_is_refused() {
    let err = against("key_update_split", &mut Storage::new());
    assert_names(&err, "KeyUpdate not at the end of its record");
}

#[test]
fn post_handshake_certificate_is_refused() {
    let err = against("post_cert", &mut Storage::new());
    assert_names(&err, "unexpected_message: post-handshake message a client does not take");
}

#[test]
fn record_of_padding_only_is_refused() {
    let err = against("padding_only", &mut Storage::new());
    assert_names(&err, "record of padding only");
}

#[test]
fn oversized_record_after_the_handshake_is_refused() {
    let err = against("oversized_after", &mut Storage::new());
    assert_names(&err, "record overflow: 18433-byte record");
}

#[test]
fn forged_record_after_the_handshake_is_refused_and_the_storage_reconnects() {
    let mut storage = Storage::new();
    let err = against("garbage_after", &mut storage);
    assert_names(&err, "bad_record_mac");

    let c = chain(Alg::P256, Flaws::default());
    let (addr, server) = RustlsServer::tls13().spawn(&c);
    echo(&mut storage, addr, "localhost", trusting(&c), false, &sizes(), <[u8]>::to_vec)
        .expect("reconnect after a failed connection");
    server.join().expect("server thread").expect("server");
}
