//! hotline's TLS (rustls' handshake on the host, `hotline_core::tls`'s
//! record layer after it) against TLS 1.3 servers hotline did not write:
//! rustls (ring provider) and `openssl s_server`, with P-256, P-384 and
//! RSA chains made at test time, both AES-GCM suites, X25519, P-256 and
//! P-384 with a HelloRetryRequest, echoes of 1 B to 16 KiB, a server that
//! trickles its records in tiny TCP segments, servers that send
//! NewSessionTickets and KeyUpdates while data flows, and every way the
//! server can fail authentication or negotiation, each failing with an
//! error that names the cause. Ends with `hotline probe` against
//! `openssl s_server` with a pinned P-384 chain. TLS 1.2, when the client
//! allows it: echoes with `openssl s_server -tls1_2` (ECDHE-RSA and
//! ECDHE-ECDSA AES-GCM) and a rustls server restricted to TLS 1.2, records
//! split across tiny segments, openssl's HelloRequest refused, records
//! against rustls' own at every length, a tampered record, allocations.

#[allow(dead_code)]
mod tls_support;

use std::io::{Read as _, Write as _};

use base64::Engine as _;
use hotline::probe;
use hotline::tls::{HostVerifier, Report, Versions};
use hotline_core::tls::Storage;
use rustls::crypto::ring as ring_provider;
use rustls::pki_types::CertificateDer;
use tls_support::{
    Alg, Chain, Ending, Flaws, OpensslServer, RustlsServer, chain, echo, echo_offering, sizes, spki_pin,
};

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

/// A verifier trusting `c`'s root, with `pins`.
fn trusting(c: &Chain, pins: &[[u8; 32]]) -> HostVerifier {
    HostVerifier::new(Some(&[CertificateDer::from(c.root.to_vec())]), pins.to_vec()).expect("verifier")
}

/// Runs an echo against a rustls server; returns the error text on
/// failure.
fn rustls_echo(
    server: RustlsServer,
    served: &Chain,
    trusted: &Chain,
    pins: &[[u8; 32]],
    name: &str,
    aes256: bool,
) -> Result<Report, String> {
    let (addr, handle) = server.spawn(served);
    let result = echo(&mut Storage::new(), addr, name, trusting(trusted, pins), aes256, &sizes(), same);
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
    let report = rustls_echo(RustlsServer::tls13(), &c, &c, &pins, "localhost", false).expect("AES-128-GCM echo");
    assert_eq!(report.suite, Some("TLS_AES_128_GCM_SHA256"));
    assert_eq!(report.group.as_deref(), Some("X25519"));
    assert!(!report.hello_retry);
    let report = rustls_echo(RustlsServer::tls13(), &c, &c, &pins, "localhost", true).expect("AES-256-GCM echo");
    assert_eq!(report.suite, Some("TLS_AES_256_GCM_SHA384"));
}

#[test]
fn records_split_across_many_tcp_segments() {
    let c = chain(Alg::P256, Flaws::default());
    let server = RustlsServer { segment: Some(7), ..RustlsServer::tls13() };
    rustls_echo(server, &c, &c, &[], "localhost", false).expect("segmented echo");
}

#[test]
fn p384_and_p256_chains_echo_with_openssl_s_server() {
    for (alg, suite, aes256) in
        [(Alg::P384, "TLS_AES_256_GCM_SHA384", true), (Alg::P256, "TLS_AES_128_GCM_SHA256", false)]
    {
        let c = chain(alg, Flaws::default());
        let server = OpensslServer::start(&c, &["-tls1_3", "-ciphersuites", suite]);
        let verifier = trusting(&c, &[spki_pin(&c.leaf)]);
        let got = echo(&mut Storage::new(), server.addr, "localhost", verifier, aes256, &lines(), reversed_line);
        assert_eq!(got.expect("openssl echo").suite, Some(suite));
    }
}

#[test]
fn a_server_wanting_another_group_gets_it_after_hello_retry_request() {
    // The client's first key share is X25519; these servers take only
    // P-256 or P-384 and must ask again (RFC 8446 §4.1.4).
    for (group, name) in [("P-256", "secp256r1"), ("P-384", "secp384r1")] {
        let c = chain(Alg::P256, Flaws::default());
        let server = OpensslServer::start(&c, &["-tls1_3", "-groups", group]);
        let got =
            echo(&mut Storage::new(), server.addr, "localhost", trusting(&c, &[]), false, &lines(), reversed_line)
                .expect("echo after HelloRetryRequest");
        assert!(got.hello_retry, "{group}: no HelloRetryRequest");
        assert_eq!(got.group.as_deref().map(str::to_lowercase), Some(name.to_owned()));
    }
}

#[test]
fn rsa_4096_chain_and_x25519_only_server() {
    let c = chain(Alg::Rsa4096, Flaws::default());
    let mut server = RustlsServer::tls13();
    server.provider.kx_groups = vec![ring_provider::kx_group::X25519];
    let report = rustls_echo(server, &c, &c, &[spki_pin(&c.leaf)], "localhost", false).expect("RSA-4096 echo");
    assert_eq!(report.group.as_deref(), Some("X25519"));
}

#[test]
fn new_session_tickets_are_taken_while_data_flows() {
    let c = chain(Alg::P256, Flaws::default());
    let server = RustlsServer { tickets: 4, ..RustlsServer::tls13() };
    let report = rustls_echo(server, &c, &c, &[], "localhost", false).expect("echo with tickets");
    assert_eq!(report.tickets, 4);
}

#[test]
fn key_update_from_a_rustls_server_every_two_messages() {
    let c = chain(Alg::P256, Flaws::default());
    let server = RustlsServer { key_update_every: Some(2), ..RustlsServer::tls13() };
    let report = rustls_echo(server, &c, &c, &[], "localhost", false).expect("echo across KeyUpdates");
    // Nine echoes: a KeyUpdate after the 2nd, 4th, 6th and 8th read at
    // least (large payloads take several reads), each answered with ours.
    assert!(report.key_updates_received >= 4, "{report:?}");
    // Ours goes before our next application record, one for however many
    // requests came while we were silent (RFC 8446 §4.6.3).
    assert!((1..=report.key_updates_received).contains(&report.key_updates_sent), "{report:?}");
}

#[test]
fn key_update_from_openssl_s_server_k_and_capital_k() {
    let c = chain(Alg::P256, Flaws::default());
    let report = tls_support::openssl_key_updates(&c).expect("echo across openssl KeyUpdates");
    // `k`: update_not_requested; `K`: update_requested, which we answer
    // before "three", which openssl then read under our next key.
    assert!(report.key_updates_received >= 2, "{report:?}");
    assert!((1..=report.key_updates_received).contains(&report.key_updates_sent), "{report:?}");
}

#[test]
fn rsa_2048_chain_with_openssl_s_server() {
    let c = chain(Alg::Rsa2048, Flaws::default());
    let server = OpensslServer::start(&c, &["-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256"]);
    echo(
        &mut Storage::new(),
        server.addr,
        "localhost",
        trusting(&c, &[spki_pin(&c.leaf)]),
        false,
        &lines(),
        reversed_line,
    )
    .expect("RSA echo");
}

/// Expects the rustls server setup to make the client fail with an error
/// containing `cause`.
fn refused(server: RustlsServer, served: &Chain, trusted: &Chain, pins: &[[u8; 32]], name: &str, cause: &str) {
    let err = rustls_echo(server, served, trusted, pins, name, false).expect_err(cause);
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
        allow_tls12: false,
        timeout: std::time::Duration::from_secs(10),
    };
    let report = probe::probe(&args).expect("probe");
    assert_eq!(report["tls_version"], "TLSv1.3");
    assert_eq!(report["cipher_suite"], "TLS_AES_256_GCM_SHA384");
    assert_eq!(report["pins_matched"], true);
    let chain = report["chain"].as_array().expect("chain");
    assert_eq!(chain.len(), 2);
    assert!(chain[0]["subject"].as_str().expect("subject").contains("CN=localhost"));
    assert!(report["timings_us"]["tls_handshake"].as_u64().is_some());
    assert_eq!(report["key_exchange"], "X25519");
    assert_eq!(report["hello_retry_request"], false);
    assert!(report["session_tickets"].as_u64().is_some(), "{report}");

    // A pin that matches nothing fails, and the reason says so.
    args.pin_spki = vec![base64::engine::general_purpose::STANDARD.encode([7u8; 32])];
    let err = probe::probe(&args).expect_err("pin mismatch");
    assert!(err.contains("SPKI pins"), "{err}");
}

#[test]
fn probe_upgrades_wss_against_rustls_and_tungstenite() {
    let c = chain(Alg::P256, Flaws::default());
    let config = RustlsServer::tls13().config(&c);
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
        allow_tls12: false,
        timeout: std::time::Duration::from_secs(10),
    };
    let report = probe::probe(&args).expect("probe");
    server.join().expect("server thread").expect("server");
    assert_eq!(report["cipher_suite"], "TLS_AES_128_GCM_SHA256");
    assert_eq!(report["pins_matched"], true);
    assert!(report["timings_us"]["upgrade"].as_u64().is_some(), "{report}");
}

#[global_allocator]
static ALLOCATOR: hotline::alloc_count::CountingAlloc = hotline::alloc_count::CountingAlloc;

#[test]
fn records_allocate_nothing_after_the_handshake_and_key_updates_are_counted() {
    let c = chain(Alg::P256, Flaws::default());
    let quiet = tls_support::record_allocations(RustlsServer::tls13(), &c, Versions::Tls13).expect("echo");
    assert_eq!(quiet.allocations, 0, "the record layer allocated: {quiet:?}");
    let server = RustlsServer { key_update_every: Some(1), ..RustlsServer::tls13() };
    let rekeyed = tls_support::record_allocations(server, &c, Versions::Tls13).expect("echo across KeyUpdates");
    assert!(rekeyed.key_updates > 0, "{rekeyed:?}");
    eprintln!(
        "after the handshake: {} allocations over {} records; with {} KeyUpdates each way: {} allocations \
         (the host's derivation of the next keys)",
        quiet.allocations, quiet.records, rekeyed.key_updates, rekeyed.allocations
    );
}

/// Echoes one message from a server that then ends the connection by
/// itself with `ending`; returns the error the client saw.
fn ended_by_server(ending: Ending) -> String {
    let c = chain(Alg::P256, Flaws::default());
    let server = RustlsServer { end_after_first: Some(ending), ..RustlsServer::tls13() };
    let (addr, handle) = server.spawn(&c);
    let payloads = [b"one".to_vec(), b"two".to_vec()];
    let err = echo(&mut Storage::new(), addr, "localhost", trusting(&c, &[]), false, &payloads, same)
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

/// Moves bytes between a hotline client and a rustls server in memory,
/// `split` bytes at a time into the client.
fn exchange(
    client: &mut hotline::tls::Client<'_>,
    server: &mut rustls::ServerConnection,
    split: usize,
    plain: &mut Vec<u8>,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let mut moved = false;
        loop {
            let n = client.poll_transmit(&mut buf);
            if n == 0 {
                break;
            }
            moved = true;
            let mut bytes = &buf[..n];
            while !bytes.is_empty() {
                server.read_tls(&mut bytes).expect("server read_tls");
                server.process_new_packets().expect("rustls opens what hotline sealed");
            }
        }
        let mut wire = Vec::new();
        while server.wants_write() {
            server.write_tls(&mut wire).expect("server write_tls");
            moved = true;
        }
        for piece in wire.chunks(split.max(1)) {
            let mut rest = piece;
            while !rest.is_empty() {
                let used = client.handle_input(rest).expect("hotline opens what rustls sealed");
                rest = &rest[used..];
                loop {
                    let n = client.recv(&mut buf).expect("recv");
                    if n == 0 {
                        break;
                    }
                    plain.extend_from_slice(&buf[..n]);
                }
            }
        }
        if !moved {
            return;
        }
    }
}

#[test]
fn records_round_trip_with_rustls_at_every_length_stepped_and_split_anywhere() {
    round_trip_with_rustls(RustlsServer::tls13(), Versions::Tls13, "TLSv1.3");
}

#[test]
fn tls12_records_round_trip_with_rustls_at_every_length_stepped_and_split_anywhere() {
    // rustls seals with its own explicit nonces (a key-block value XOR the
    // sequence number); hotline's are the sequence number itself.
    round_trip_with_rustls(RustlsServer::tls12(), Versions::Tls12AndTls13, "TLSv1.2");
}

/// A hotline client offering `versions` and a rustls `server` in memory,
/// which must agree on `version`.
fn connected_in_memory<'a>(
    storage: &'a mut hotline_core::tls::Storage,
    c: &Chain,
    server: &RustlsServer,
    (aes256, versions, version): (bool, Versions, &str),
) -> (hotline::tls::Client<'a>, rustls::ServerConnection) {
    let config = std::sync::Arc::new(server.config(c));
    let handshake =
        hotline::tls::Rustls::with_versions("localhost", trusting(c, &[]), aes256, versions).expect("handshake");
    let mut client = hotline::tls::Client::new(storage, handshake);
    client.reconnect();
    let mut server = rustls::ServerConnection::new(config).expect("server");
    exchange(&mut client, &mut server, 1, &mut Vec::new());
    assert_eq!(client.state(), hotline_core::tls::State::Established);
    assert_eq!(client.handshake().report().version, Some(version));
    // TLS 1.2: our Finished was record 0 under the traffic keys.
    assert_eq!(client.next_tx_seq(), Some(u64::from(version == "TLSv1.2")));
    (client, server)
}

fn round_trip_with_rustls(server_setup: RustlsServer, versions: Versions, version: &str) {
    let c = chain(Alg::P256, Flaws::default());
    for aes256 in [false, true] {
        let mut storage = Box::new(Storage::new());
        let (mut client, mut server) =
            connected_in_memory(&mut storage, &c, &server_setup, (aes256, versions, version));
        let mut plain = Vec::new();
        // Every length 0..=16384 in steps of 61, and the edges; the split
        // of the server's bytes into the client walks 1..=700.
        let lengths = (0..=16_384).step_by(61).chain([1, 15, 16, 17, 255, 16_383, 16_384]);
        for (i, len) in lengths.enumerate() {
            let message: Vec<u8> = (0..len).map(|k| (k * 7 + i) as u8).collect();
            // hotline seals, rustls opens.
            let mut sent = 0;
            while sent < len || len == 0 && sent == 0 {
                sent += client.send(&message[sent..]).expect("send");
                if len == 0 {
                    break;
                }
                exchange(&mut client, &mut server, 1 + i % 700, &mut plain);
            }
            exchange(&mut client, &mut server, 1 + i % 700, &mut plain);
            let mut got = vec![0u8; len];
            if len > 0 {
                server.reader().read_exact(&mut got).expect("rustls read");
            }
            assert_eq!(got, message, "{len} bytes sealed by hotline ({version}, AES-256: {aes256})");
            // rustls seals, hotline opens, split anywhere.
            plain.clear();
            server.writer().write_all(&message).expect("server write");
            exchange(&mut client, &mut server, 1 + (i * 37) % 700, &mut plain);
            assert_eq!(plain, message, "{len} bytes sealed by rustls ({version}, AES-256: {aes256})");
        }
    }
}

#[test]
fn tls12_echo_with_openssl_s_server_ecdhe_rsa_aes128_and_ecdhe_ecdsa_aes256() {
    for (alg, cipher, suite, aes256) in [
        (Alg::Rsa2048, "ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", false),
        (Alg::P384, "ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", true),
    ] {
        let c = chain(alg, Flaws::default());
        let server = OpensslServer::start(&c, &["-tls1_2", "-cipher", cipher]);
        let verifier = trusting(&c, &[spki_pin(&c.leaf)]);
        let offer = (aes256, Versions::Tls12AndTls13);
        let got =
            echo_offering(&mut Storage::new(), server.addr, "localhost", verifier, offer, &lines(), reversed_line)
                .expect("openssl TLS 1.2 echo");
        assert_eq!((got.version, got.suite), (Some("TLSv1.2"), Some(suite)), "{cipher}");
    }
}

/// Runs an echo of [`sizes`] against a rustls server offering `versions`.
fn rustls_echo_offering(server: RustlsServer, c: &Chain, aes256: bool, versions: Versions) -> Result<Report, String> {
    let (addr, handle) = server.spawn(c);
    let offer = (aes256, versions);
    let result = echo_offering(&mut Storage::new(), addr, "localhost", trusting(c, &[]), offer, &sizes(), same);
    let served = handle.join().expect("server thread");
    if result.is_ok() {
        served.map_err(|e| format!("server: {e}"))?;
    }
    result
}

#[test]
fn tls12_echo_with_a_rustls_server_restricted_to_tls12() {
    let c = chain(Alg::P256, Flaws::default());
    for (aes256, suite) in
        [(false, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"), (true, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384")]
    {
        let report = rustls_echo_offering(RustlsServer::tls12(), &c, aes256, Versions::Tls12AndTls13)
            .expect("rustls TLS 1.2 echo");
        assert_eq!((report.version, report.suite), (Some("TLSv1.2"), Some(suite)));
    }
    // Allowing TLS 1.2 changes nothing with a TLS 1.3 server.
    let report = rustls_echo_offering(RustlsServer::tls13(), &c, false, Versions::Tls12AndTls13).expect("TLS 1.3");
    assert_eq!((report.version, report.suite), (Some("TLSv1.3"), Some("TLS_AES_128_GCM_SHA256")));
}

#[test]
fn tls12_records_split_across_many_tcp_segments() {
    let c = chain(Alg::Rsa2048, Flaws::default());
    let server = RustlsServer { segment: Some(7), ..RustlsServer::tls12() };
    let report = rustls_echo_offering(server, &c, false, Versions::Tls12AndTls13).expect("segmented TLS 1.2 echo");
    assert_eq!(report.suite, Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"));
}

#[test]
fn tls12_hello_request_from_openssl_s_server_is_refused_with_no_renegotiation() {
    let c = chain(Alg::P256, Flaws::default());
    let (ended, report, printed) =
        tls_support::openssl_hello_request(&c, "ECDHE-ECDSA-AES128-GCM-SHA256").expect("openssl HelloRequest");
    assert_eq!(report.version, Some("TLSv1.2"));
    // openssl answers our no_renegotiation with a fatal handshake_failure,
    // having read it before our line, which it never prints.
    assert!(ended.contains("handshake_failure"), "{ended}");
    assert!(!printed, "openssl read the line sent after no_renegotiation");
}

#[test]
fn tls12_a_tampered_record_from_rustls_fails_with_bad_record_mac() {
    let c = chain(Alg::P256, Flaws::default());
    for at in [5, 12, 13, 30] {
        let mut storage = Box::new(Storage::new());
        let (mut client, mut server) =
            connected_in_memory(&mut storage, &c, &RustlsServer::tls12(), (false, Versions::Tls12AndTls13, "TLSv1.2"));
        server.writer().write_all(b"an order acknowledgement").expect("server write");
        let mut wire = Vec::new();
        while server.wants_write() {
            server.write_tls(&mut wire).expect("server write_tls");
        }
        // Explicit nonce (5..13), ciphertext or tag.
        wire[at] ^= 1;
        assert_eq!(client.handle_input(&wire), Ok(wire.len()));
        let err = client.recv(&mut [0u8; 64]).expect_err("a tampered record");
        assert_eq!(err, hotline_core::tls::Error::BadRecordMac, "byte {at}");
    }
}

#[test]
fn tls12_records_allocate_nothing_after_the_handshake() {
    let c = chain(Alg::P256, Flaws::default());
    let quiet = tls_support::record_allocations(RustlsServer::tls12(), &c, Versions::Tls12AndTls13).expect("echo");
    assert_eq!(quiet.allocations, 0, "the TLS 1.2 record layer allocated: {quiet:?}");
}

#[test]
fn probe_reports_tls12_from_openssl_s_server_when_allowed() {
    let c = chain(Alg::Rsa2048, Flaws::default());
    let server = OpensslServer::start(&c, &["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &c.root_pem).expect("CA file");
    let mut args = probe::Options {
        url: format!("https://localhost:{}/", server.addr.port()),
        pin_spki: Vec::new(),
        ca: Some(ca),
        insecure_skip_verify: false,
        aes256: false,
        allow_tls12: true,
        timeout: std::time::Duration::from_secs(10),
    };
    let report = probe::probe(&args).expect("probe");
    assert_eq!(report["tls_version"], "TLSv1.2");
    assert_eq!(report["cipher_suite"], "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    // Not allowed, the same server is refused.
    args.allow_tls12 = false;
    let err = probe::probe(&args).expect_err("TLS 1.3 only");
    assert!(err.contains("protocol_version"), "{err}");
}
