//! TLS 1.3 record costs, hotline (`core::tls`, embedded-tls + aes-gcm)
//! against rustls 0.23 (ring) in one criterion group: sealing a 400-byte
//! order record, opening a 600-byte venue record, and a full in-memory
//! handshake (client and server CPU) against the same rustls server. The
//! AES-GCM path is chosen at run time; the run prints which one it found.

use std::hint::black_box;
use std::io::{Read, Write};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use hotline_core::tls::{self, Aes128GcmSha256, Client, ECDSA_ALGORITHMS, PkiVerifier, State, Storage};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, TrustAnchor};

const SEAL: usize = 400;
const OPEN: usize = 600;
/// Records generated (untimed) per timed batch of the open benchmark.
const BATCH: u64 = 256;

struct Pki {
    root: CertificateDer<'static>,
    server: Arc<rustls::ServerConfig>,
}

fn pki() -> Pki {
    let root_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
    let mut root = CertificateParams::new(Vec::new()).expect("params");
    root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let root_cert = root.self_signed(&root_key).expect("root");
    let issuer = Issuer::new(root, root_key);
    let leaf_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
    let leaf = CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).expect("leaf");
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let server = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![leaf_cert.der().clone()], key)
        .expect("server config");
    Pki { root: root_cert.der().clone(), server: Arc::new(server) }
}

fn anchor(pki: &Pki) -> TrustAnchor<'static> {
    webpki::anchor_from_trusted_cert(&pki.root).expect("root").to_owned()
}

/// Moves everything the hotline client wants to send into the server.
fn client_to_server<F: Future<Output = Result<(), tls::Error>>>(
    mut engine: Pin<&mut Client<'_, F>>,
    server: &mut rustls::ServerConnection,
    buf: &mut [u8],
) {
    loop {
        let n = engine.as_mut().poll_transmit(buf);
        if n == 0 {
            break;
        }
        let mut bytes = &buf[..n];
        while !bytes.is_empty() {
            server.read_tls(&mut bytes).expect("server read_tls");
            server.process_new_packets().expect("server accepts");
        }
    }
}

/// Moves everything the server wants to send into the hotline client.
fn server_to_client<F: Future<Output = Result<(), tls::Error>>>(
    server: &mut rustls::ServerConnection,
    mut engine: Pin<&mut Client<'_, F>>,
    wire: &mut Vec<u8>,
) {
    wire.clear();
    while server.wants_write() {
        server.write_tls(wire).expect("server write_tls");
    }
    let mut rest = &wire[..];
    while !rest.is_empty() {
        let n = engine.as_mut().handle_input(rest).expect("engine accepts");
        rest = &rest[n..];
    }
}

/// Completes a hotline handshake against a fresh rustls server.
fn hotline_handshake<F: Future<Output = Result<(), tls::Error>>>(
    mut engine: Pin<&mut Client<'_, F>>,
    server: &mut rustls::ServerConnection,
    buf: &mut [u8],
    wire: &mut Vec<u8>,
) {
    while engine.state() != State::Established || server.is_handshaking() || server.wants_write() {
        client_to_server(engine.as_mut(), server, buf);
        server_to_client(server, engine.as_mut(), wire);
        assert!(engine.error().is_none(), "{:?}", engine.error());
    }
}

fn rustls_client_config(pki: &Pki) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.root.clone()).expect("root");
    let mut provider = rustls::crypto::ring::default_provider();
    provider.cipher_suites = vec![rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256];
    provider.kx_groups = vec![rustls::crypto::ring::kx_group::SECP256R1];
    Arc::new(
        rustls::ClientConfig::builder_with_provider(Arc::new(provider))
            .with_protocol_versions(&[&rustls::version::TLS13])
            .expect("versions")
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// Completes a rustls client handshake against a fresh rustls server.
fn rustls_pair(pki: &Pki, client: &Arc<rustls::ClientConfig>) -> (rustls::ClientConnection, rustls::ServerConnection) {
    let mut c = rustls::ClientConnection::new(client.clone(), "localhost".try_into().expect("name")).expect("client");
    let mut s = rustls::ServerConnection::new(pki.server.clone()).expect("server");
    let mut wire = Vec::new();
    while c.is_handshaking() || s.is_handshaking() || s.wants_write() || c.wants_write() {
        wire.clear();
        while c.wants_write() {
            c.write_tls(&mut wire).expect("client write");
        }
        s.read_tls(&mut &wire[..]).expect("server read");
        s.process_new_packets().expect("server process");
        wire.clear();
        while s.wants_write() {
            s.write_tls(&mut wire).expect("server write");
        }
        let mut rest = &wire[..];
        while !rest.is_empty() {
            c.read_tls(&mut rest).expect("client read");
            c.process_new_packets().expect("client process");
        }
    }
    (c, s)
}

fn tls(c: &mut Criterion) {
    eprintln!("tls bench: AES-GCM path on this CPU: {}", tls::aes_gcm_backend());
    let pki = pki();
    let anchors = [anchor(&pki)];
    let client_config = rustls_client_config(&pki);
    let mut group = c.benchmark_group("tls");
    let order = [b'o'; SEAL];
    let venue = [b'v'; OPEN];
    let mut buf = vec![0u8; 64 * 1024];
    let mut wire = Vec::with_capacity(64 * 1024);

    let mut storage = Box::new(Storage::new());
    {
        let verifier = PkiVerifier::new(&anchors, &[], &ECDSA_ALGORITHMS, now());
        let config = tls::Config { server_name: "localhost" };
        let mut engine = pin!(tls::connect::<Aes128GcmSha256, _>(&mut storage, config, verifier, [9; 32]));
        let mut server = rustls::ServerConnection::new(pki.server.clone()).expect("server");
        hotline_handshake(engine.as_mut(), &mut server, &mut buf, &mut wire);

        group.bench_function("seal_400/hotline", |b| {
            b.iter(|| {
                engine.as_mut().send(black_box(&order)).expect("send");
                black_box(engine.as_mut().poll_transmit(&mut buf))
            })
        });
        group.bench_function("open_600/hotline", |b| {
            b.iter_custom(|iters| {
                timed_open(iters, &mut server, &venue, &mut wire, |record| {
                    engine.as_mut().handle_input(record).expect("open");
                    black_box(engine.as_mut().recv(&mut buf).expect("recv"));
                })
            })
        });
    }

    // The cipher alone, keyed per record as embedded-tls 0.19 calls it:
    // hotline's AES-GCM, and the aes-gcm 0.10 it replaces.
    group.bench_function("seal_400/cipher-hotline", |b| {
        use aes_gcm::aead::{AeadInPlace, KeyInit};
        let key = aes_gcm::Key::<tls::AesGcm<16>>::from([5u8; 16]);
        let nonce = aes_gcm::Nonce::from([6u8; 12]);
        let mut record = [b'o'; SEAL + 1];
        b.iter(|| {
            let cipher = tls::AesGcm::<16>::new(black_box(&key));
            black_box(cipher.encrypt_in_place_detached(&nonce, &[23, 3, 3, 1, 161], &mut record).expect("seal"))
        })
    });
    group.bench_function("seal_400/cipher-aes-gcm-0.10", |b| {
        use aes_gcm::aead::{AeadInPlace, KeyInit};
        let key = aes_gcm::Key::<aes_gcm::Aes128Gcm>::from([5u8; 16]);
        let nonce = aes_gcm::Nonce::from([6u8; 12]);
        let mut record = [b'o'; SEAL + 1];
        b.iter(|| {
            let cipher = aes_gcm::Aes128Gcm::new(black_box(&key));
            black_box(cipher.encrypt_in_place_detached(&nonce, &[23, 3, 3, 1, 161], &mut record).expect("seal"))
        })
    });

    let (mut rc, mut rs) = rustls_pair(&pki, &client_config);
    group.bench_function("seal_400/rustls", |b| {
        b.iter(|| {
            rc.writer().write_all(black_box(&order)).expect("write");
            let mut out = &mut buf[..];
            black_box(rc.write_tls(&mut out).expect("write_tls"))
        })
    });
    group.bench_function("open_600/rustls", |b| {
        b.iter_custom(|iters| {
            timed_open(iters, &mut rs, &venue, &mut wire, |mut record| {
                rc.read_tls(&mut record).expect("read_tls");
                rc.process_new_packets().expect("process");
                black_box(rc.reader().read(&mut buf).expect("read"));
            })
        })
    });

    group.bench_function("handshake/hotline", |b| {
        b.iter(|| {
            let verifier = PkiVerifier::new(&anchors, &[], &ECDSA_ALGORITHMS, now());
            let config = tls::Config { server_name: "localhost" };
            let mut engine = pin!(tls::connect::<Aes128GcmSha256, _>(&mut storage, config, verifier, [3; 32]));
            let mut server = rustls::ServerConnection::new(pki.server.clone()).expect("server");
            hotline_handshake(engine.as_mut(), &mut server, &mut buf, &mut wire);
        })
    });
    group.bench_function("handshake/rustls", |b| b.iter(|| black_box(rustls_pair(&pki, &client_config))));
    group.finish();
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

criterion_group!(benches, tls);
criterion_main!(benches);

/// Times `open` over `iters` records of `venue` that a rustls server seals,
/// `BATCH` at a time; sealing them happens outside the timed part.
fn timed_open(
    iters: u64,
    server: &mut rustls::ServerConnection,
    venue: &[u8],
    wire: &mut Vec<u8>,
    mut open: impl FnMut(&[u8]),
) -> Duration {
    let mut spent = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let n = left.min(BATCH);
        wire.clear();
        for _ in 0..n {
            server.writer().write_all(venue).expect("server write");
            while server.wants_write() {
                server.write_tls(wire).expect("write_tls");
            }
        }
        let start = Instant::now();
        for record in wire.chunks(5 + OPEN + 1 + 16) {
            open(record);
        }
        spent += start.elapsed();
        left -= n;
    }
    spent
}
