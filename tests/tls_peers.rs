//! `hotline_core::tls` against TLS 1.3 servers hotline did not write:
//! rustls (ring provider) and `openssl s_server`, with P-256, P-384 and
//! RSA-2048 chains made at test time, both AES-GCM suites, echoes of 1 B to
//! 16 KiB, a server that trickles its records in tiny TCP segments, and
//! every way the server can fail authentication or negotiation, each
//! failing with an error that names the cause. Ends with `hotline probe`
//! against `openssl s_server` with a pinned P-384 chain.

#[allow(dead_code)]
mod tls_support;

use base64::Engine as _;
use hotline::{probe, tls_verify};
use hotline_core::tls::{Aes128GcmSha256, Aes256GcmSha384, ECDSA_ALGORITHMS, PkiVerifier, Storage};
use rustls::crypto::ring as ring_provider;
use rustls::pki_types::CertificateDer;
use tls_support::{Alg, Chain, Ending, Flaws, OpensslServer, RustlsServer, chain, echo, sizes, spki_pin, unix_now};

fn same(p: &[u8]) -> Vec<u8> {
    p.to_vec()
}

/// `openssl s_server -rev` answers each line reversed.
fn reversed_line(p: &[u8]) -> Vec<u8> {
    let mut v: Vec<u8> = p.strip_suffix(b"\n").unwrap_or(p).iter().rev().copied().collect();
    v.push(b'\n');
    v
}

fn lines() -> Vec<Vec<u8>> {
    [1usize, 2, 400, 4096, 16_000]
        .iter()
        .map(|&n| {
            let mut l: Vec<u8> = (0..n - 1).map(|i| b'a' + (i % 26) as u8).collect();
            l.push(b'\n');
            l
        })
        .collect()
}

fn anchor(c: &Chain) -> rustls::pki_types::TrustAnchor<'static> {
    webpki::anchor_from_trusted_cert(&c.root).expect("root").to_owned()
}

/// Runs the core verifier's echo against a rustls server; returns the
/// error text on failure.
fn rustls_echo<S: hotline_core::tls::TlsCipherSuite + 'static>(
    server: RustlsServer,
    served: &Chain,
    trusted: &Chain,
    pins: &[[u8; 32]],
    name: &str,
) -> Result<&'static str, String> {
    let (addr, handle) = server.spawn(served);
    let anchors = [anchor(trusted)];
    let verifier = PkiVerifier::new(&anchors, pins, &ECDSA_ALGORITHMS, unix_now());
    let result = echo::<S, _>(&mut Storage::new(), addr, name, verifier, &sizes(), same);
    let served = handle.join().expect("server thread");
    if result.is_ok() {
        served.map_err(|e| format!("server: {e}"))?;
    }
    result
}

#[test]
fn p256_chain_pinned_echo_with_rustls_aes128_and_aes256() {
    let c = chain(Alg::P256, Flaws::default());
    let pins = [spki_pin(&c.intermediate)];
    let suite =
        rustls_echo::<Aes128GcmSha256>(RustlsServer::tls13(), &c, &c, &pins, "localhost").expect("AES-128-GCM echo");
    assert_eq!(suite, "TLS_AES_128_GCM_SHA256");
    let suite =
        rustls_echo::<Aes256GcmSha384>(RustlsServer::tls13(), &c, &c, &pins, "localhost").expect("AES-256-GCM echo");
    assert_eq!(suite, "TLS_AES_256_GCM_SHA384");
}

#[test]
fn records_split_across_many_tcp_segments() {
    let c = chain(Alg::P256, Flaws::default());
    let server = RustlsServer { segment: Some(7), ..RustlsServer::tls13() };
    rustls_echo::<Aes128GcmSha256>(server, &c, &c, &[], "localhost").expect("segmented echo");
}

#[test]
fn p384_and_p256_chains_echo_with_openssl_s_server() {
    for (alg, suites) in [(Alg::P384, "TLS_AES_256_GCM_SHA384"), (Alg::P256, "TLS_AES_128_GCM_SHA256")] {
        let c = chain(alg, Flaws::default());
        let server = OpensslServer::start(&c, &["-tls1_3", "-ciphersuites", suites, "-groups", "P-256"]);
        let anchors = [anchor(&c)];
        let pins = [spki_pin(&c.leaf)];
        let verifier = PkiVerifier::new(&anchors, &pins, &ECDSA_ALGORITHMS, unix_now());
        let got = if alg_is_384(alg) {
            echo::<Aes256GcmSha384, _>(&mut Storage::new(), server.addr, "localhost", verifier, &lines(), reversed_line)
        } else {
            echo::<Aes128GcmSha256, _>(&mut Storage::new(), server.addr, "localhost", verifier, &lines(), reversed_line)
        };
        assert_eq!(got.expect("openssl echo"), suites);
    }
}

fn alg_is_384(alg: Alg) -> bool {
    matches!(alg, Alg::P384)
}

#[test]
fn rsa_2048_chain_through_the_host_verifier() {
    let c = chain(Alg::Rsa2048, Flaws::default());
    let server = OpensslServer::start(&c, &["-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256"]);
    let ca = [CertificateDer::from(c.root.to_vec())];
    let verifier = tls_verify::HostVerifier::new(Some(&ca), vec![spki_pin(&c.leaf)], unix_now()).expect("verifier");
    echo::<Aes128GcmSha256, _>(&mut Storage::new(), server.addr, "localhost", verifier, &lines(), reversed_line)
        .expect("RSA echo");

    // The core verifier has no RSA: the same server is refused, by name.
    let server = OpensslServer::start(&c, &["-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256"]);
    let anchors = [anchor(&c)];
    let verifier = PkiVerifier::new(&anchors, &[], &ECDSA_ALGORITHMS, unix_now());
    let err =
        echo::<Aes128GcmSha256, _>(&mut Storage::new(), server.addr, "localhost", verifier, &lines(), reversed_line)
            .expect_err("RSA without the host verifier");
    assert!(err.contains("signature"), "{err}");
}

/// Expects the rustls server setup to make the core client fail with an
/// error containing `cause`.
fn refused(server: RustlsServer, served: &Chain, trusted: &Chain, pins: &[[u8; 32]], name: &str, cause: &str) {
    let err = rustls_echo::<Aes128GcmSha256>(server, served, trusted, pins, name).expect_err(cause);
    assert!(err.contains(cause), "expected {cause:?} in {err:?}");
}

#[test]
fn wrong_hostname_is_refused() {
    let c = chain(Alg::P256, Flaws::default());
    refused(RustlsServer::tls13(), &c, &c, &[], "example.com", "hostname mismatch");
}

#[test]
fn expired_certificate_is_refused() {
    let c = chain(Alg::P256, Flaws { expired: true, ..Flaws::default() });
    refused(RustlsServer::tls13(), &c, &c, &[], "localhost", "expired");
}

#[test]
fn not_yet_valid_certificate_is_refused() {
    let c = chain(Alg::P256, Flaws { not_yet_valid: true, ..Flaws::default() });
    refused(RustlsServer::tls13(), &c, &c, &[], "localhost", "not yet valid");
}

#[test]
fn untrusted_root_is_refused() {
    let served = chain(Alg::P256, Flaws::default());
    let trusted = chain(Alg::P256, Flaws::default());
    refused(RustlsServer::tls13(), &served, &trusted, &[], "localhost", "untrusted root");
}

#[test]
fn spki_pin_mismatch_is_refused() {
    let c = chain(Alg::P256, Flaws::default());
    let other = chain(Alg::P256, Flaws::default());
    refused(RustlsServer::tls13(), &c, &c, &[spki_pin(&other.leaf)], "localhost", "SPKI pins");
}

#[test]
fn ca_false_intermediate_is_refused() {
    let c = chain(Alg::P256, Flaws { intermediate_not_ca: true, ..Flaws::default() });
    refused(RustlsServer::tls13(), &c, &c, &[], "localhost", "not a CA");
}

#[test]
fn x25519_only_server_is_refused() {
    let c = chain(Alg::P256, Flaws::default());
    let mut server = RustlsServer::tls13();
    server.provider.kx_groups = vec![ring_provider::kx_group::X25519];
    refused(server, &c, &c, &[], "localhost", "handshake_failure");
}

#[test]
fn chacha20_only_server_is_refused() {
    let c = chain(Alg::P256, Flaws::default());
    let mut server = RustlsServer::tls13();
    server.provider.cipher_suites = vec![ring_provider::cipher_suite::TLS13_CHACHA20_POLY1305_SHA256];
    refused(server, &c, &c, &[], "localhost", "handshake_failure");
}

#[test]
fn tls12_only_server_is_refused() {
    let c = chain(Alg::P256, Flaws::default());
    let server = RustlsServer { versions: vec![&rustls::version::TLS12], ..RustlsServer::tls13() };
    refused(server, &c, &c, &[], "localhost", "protocol_version");
}

#[test]
fn probe_reports_a_pinned_p384_chain_from_openssl_s_server() {
    let c = chain(Alg::P384, Flaws::default());
    let server = OpensslServer::start(&c, &["-tls1_3"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &c.root_pem).expect("CA file");
    let pin = base64::engine::general_purpose::STANDARD.encode(spki_pin(&c.intermediate));
    let mut args = probe::Options {
        url: format!("https://localhost:{}/", server.addr.port()),
        pin_spki: vec![pin],
        ca: Some(ca),
        insecure_skip_verify: false,
        aes256: true,
        timeout: std::time::Duration::from_secs(10),
    };
    let report = probe::probe(&args).expect("probe");
    assert_eq!(report["cipher_suite"], "TLS_AES_256_GCM_SHA384");
    assert_eq!(report["pins_matched"], true);
    let chain = report["chain"].as_array().expect("chain");
    assert_eq!(chain.len(), 2);
    assert!(chain[0]["subject"].as_str().expect("subject").contains("CN=localhost"));
    assert!(report["timings_us"]["tls_handshake"].as_u64().is_some());

    // A pin that matches nothing fails, and the reason says so.
    args.pin_spki = vec![base64::engine::general_purpose::STANDARD.encode([7u8; 32])];
    let err = probe::probe(&args).expect_err("pin mismatch");
    assert!(err.contains("SPKI pins"), "{err}");
}

#[test]
fn probe_upgrades_wss_against_rustls_and_tungstenite() {
    let c = chain(Alg::P256, Flaws::default());
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(ring_provider::default_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![c.leaf.clone(), c.intermediate.clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(c.leaf_key.clone_key()),
        )
        .expect("server config");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = std::thread::spawn(move || -> Result<(), String> {
        let (tcp, _) = listener.accept().map_err(|e| e.to_string())?;
        tcp.set_read_timeout(Some(std::time::Duration::from_secs(10))).map_err(|e| e.to_string())?;
        let conn = rustls::ServerConnection::new(std::sync::Arc::new(config)).map_err(|e| e.to_string())?;
        let mut ws = tungstenite::accept(rustls::StreamOwned::new(conn, tcp)).map_err(|e| e.to_string())?;
        // The probe closes TLS right after the upgrade; any read ends it.
        let _ = ws.read();
        Ok(())
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &c.root_pem).expect("CA file");
    let args = probe::Options {
        url: format!("wss://localhost:{port}/ws-api/v3"),
        pin_spki: vec![base64::engine::general_purpose::STANDARD.encode(spki_pin(&c.leaf))],
        ca: Some(ca),
        insecure_skip_verify: false,
        aes256: false,
        timeout: std::time::Duration::from_secs(10),
    };
    let report = probe::probe(&args).expect("probe");
    server.join().expect("server thread").expect("server");
    assert_eq!(report["cipher_suite"], "TLS_AES_128_GCM_SHA256");
    assert_eq!(report["pins_matched"], true);
    assert!(report["timings_us"]["upgrade"].as_u64().is_some(), "{report}");
}

/// Counts heap allocations made on the calling thread.
struct CountingAlloc;

thread_local! {
    static ALLOCATIONS: std::cell::Cell<(u64, u64)> = const { std::cell::Cell::new((0, 0)) };
}

fn note_allocation(bytes: usize) {
    let _ = ALLOCATIONS.try_with(|a| {
        let (n, b) = a.get();
        a.set((n + 1, b + bytes as u64));
    });
}

// SAFETY: every method forwards to the system allocator unchanged; the
// counter is a thread-local `Cell` that never allocates.
unsafe impl std::alloc::GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        note_allocation(layout.size());
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        unsafe { std::alloc::System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: `ptr` came from `System` through `alloc`/`realloc` above.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        note_allocation(new_size);
        // SAFETY: the caller's contract for `realloc` is passed on as is.
        unsafe { std::alloc::System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// A verifier that records the allocations the inner one makes.
struct Counted<V> {
    inner: V,
    allocations: u64,
    bytes: u64,
}

impl<V: hotline_core::tls::ServerVerifier> Counted<V> {
    fn count<T>(&mut self, f: impl FnOnce(&mut V) -> T) -> T {
        let (n0, b0) = ALLOCATIONS.with(std::cell::Cell::get);
        let out = f(&mut self.inner);
        let (n1, b1) = ALLOCATIONS.with(std::cell::Cell::get);
        self.allocations += n1 - n0;
        self.bytes += b1 - b0;
        out
    }
}

impl<V: hotline_core::tls::ServerVerifier> hotline_core::tls::ServerVerifier for &mut Counted<V> {
    fn verify_chain(&mut self, name: &str, chain: &[&[u8]]) -> Result<(), hotline_core::tls::VerifyError> {
        self.count(|v| v.verify_chain(name, chain))
    }

    fn verify_signature(
        &mut self,
        leaf: &[u8],
        scheme: u16,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), hotline_core::tls::VerifyError> {
        self.count(|v| v.verify_signature(leaf, scheme, message, signature))
    }

    fn offers_rsa(&self) -> bool {
        self.inner.offers_rsa()
    }
}

#[test]
fn core_verifier_allocates_nothing_and_host_verifier_allocations_are_counted() {
    let c = chain(Alg::P256, Flaws::default());
    let anchors = [anchor(&c)];
    let pins = [spki_pin(&c.intermediate)];
    let mut core =
        Counted { inner: PkiVerifier::new(&anchors, &pins, &ECDSA_ALGORITHMS, unix_now()), allocations: 0, bytes: 0 };
    let (addr, server) = RustlsServer::tls13().spawn(&c);
    echo::<Aes128GcmSha256, _>(&mut Storage::new(), addr, "localhost", &mut core, &sizes()[..1], same).expect("echo");
    server.join().expect("server thread").expect("server");
    assert_eq!(core.allocations, 0, "the core verifier allocated {} bytes", core.bytes);

    let c = chain(Alg::Rsa2048, Flaws::default());
    let server = OpensslServer::start(&c, &["-tls1_3"]);
    let ca = [CertificateDer::from(c.root.to_vec())];
    let verifier = tls_verify::HostVerifier::new(Some(&ca), vec![spki_pin(&c.leaf)], unix_now()).expect("verifier");
    let mut host = Counted { inner: verifier, allocations: 0, bytes: 0 };
    echo::<Aes128GcmSha256, _>(&mut Storage::new(), server.addr, "localhost", &mut host, &lines()[..1], reversed_line)
        .expect("RSA echo");
    assert!(host.allocations > 0, "the host verifier's chain record allocates");
    eprintln!(
        "host verifier, RSA-2048 leaf + intermediate: {} allocations, {} bytes in one handshake",
        host.allocations, host.bytes
    );
}

/// Echoes one message from a server that then ends the connection by
/// itself with `ending`; returns the error the client saw.
fn ended_by_server(ending: Ending) -> String {
    let c = chain(Alg::P256, Flaws::default());
    let server = RustlsServer { end_after_first: Some(ending), ..RustlsServer::tls13() };
    let (addr, handle) = server.spawn(&c);
    let anchors = [anchor(&c)];
    let verifier = PkiVerifier::new(&anchors, &[], &ECDSA_ALGORITHMS, unix_now());
    let payloads = [b"one".to_vec(), b"two".to_vec()];
    let err = echo::<Aes128GcmSha256, _>(&mut Storage::new(), addr, "localhost", verifier, &payloads, same)
        .expect_err("the server ended the connection");
    handle.join().expect("server thread").expect("server");
    err
}

#[test]
fn eof_without_close_notify_is_reported_as_truncation() {
    let err = ended_by_server(Ending::Truncate);
    assert!(err.contains("truncated"), "{err}");
}

#[test]
fn server_close_notify_is_reported_as_closed() {
    let err = ended_by_server(Ending::CloseNotify);
    assert!(err.contains("close_notify"), "{err}");
    assert!(!err.contains("truncated"), "{err}");
}
