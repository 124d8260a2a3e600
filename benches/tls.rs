//! TLS 1.3 record costs, hotline (`core::tls`'s record layer and AES-GCM,
//! after rustls' handshake on the host) against rustls 0.23 (ring) in one
//! criterion group: sealing a 400-byte order record (copied in, sealed in
//! place, and pre-sealed), opening a 600-byte venue record, the cipher
//! alone, and a full in-memory handshake (client and server CPU) against
//! the same rustls server. Next to them, the same order record sealed by
//! the TLS 1.2 record layer against a rustls server restricted to TLS 1.2
//! (`seal_400/hotline-tls12*`). The AES-GCM path is chosen at run time; the
//! run prints which one it found.

use std::hint::black_box;
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use hotline::tls::{Client, HostVerifier, Rustls, Versions};
use hotline_core::tls::{self, State, Storage};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

const SEAL: usize = 400;
const OPEN: usize = 600;
/// Records generated (untimed) per timed batch of the open benchmark.
const BATCH: u64 = 256;

struct Pki {
    root: CertificateDer<'static>,
    server: Arc<rustls::ServerConfig>,
    /// The same server, TLS 1.2 only.
    server12: Arc<rustls::ServerConfig>,
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
    let server = |version| {
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(&[version])
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(vec![leaf_cert.der().clone()], key)
            .expect("server config");
        Arc::new(config)
    };
    Pki {
        root: root_cert.der().clone(),
        server: server(&rustls::version::TLS13),
        server12: server(&rustls::version::TLS12),
    }
}

/// A hotline client (rustls' handshake, the core's records) for `pki`.
fn client<'a>(pki: &Pki, storage: &'a mut Storage) -> Client<'a> {
    client_offering(pki, storage, Versions::Tls13)
}

/// [`client`], offering `versions`.
fn client_offering<'a>(pki: &Pki, storage: &'a mut Storage, versions: Versions) -> Client<'a> {
    let verifier = HostVerifier::new(Some(std::slice::from_ref(&pki.root)), Vec::new()).expect("verifier");
    let handshake = Rustls::with_versions("localhost", verifier, false, versions).expect("handshake");
    let mut client = Client::new(storage, handshake);
    client.reconnect();
    client
}

/// Moves everything the hotline client wants to send into the server.
fn client_to_server(engine: &mut Client<'_>, server: &mut rustls::ServerConnection, buf: &mut [u8]) {
    loop {
        let n = engine.poll_transmit(buf);
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
fn server_to_client(server: &mut rustls::ServerConnection, engine: &mut Client<'_>, wire: &mut Vec<u8>) {
    wire.clear();
    while server.wants_write() {
        server.write_tls(wire).expect("server write_tls");
    }
    let mut rest = &wire[..];
    while !rest.is_empty() {
        let n = engine.handle_input(rest).expect("engine accepts");
        rest = &rest[n..];
    }
}

/// Completes a hotline handshake against a fresh rustls server.
fn hotline_handshake(
    engine: &mut Client<'_>,
    server: &mut rustls::ServerConnection,
    buf: &mut [u8],
    wire: &mut Vec<u8>,
) {
    while engine.state() != State::Established || server.is_handshaking() || server.wants_write() {
        client_to_server(engine, server, buf);
        server_to_client(server, engine, wire);
        assert!(engine.error().is_none(), "{:?}", engine.error());
    }
}

fn rustls_client_config(pki: &Pki) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.root.clone()).expect("root");
    let mut provider = rustls::crypto::ring::default_provider();
    provider.cipher_suites = vec![rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256];
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    // Full handshakes, as hotline's: a resumed one skips the certificate.
    config.resumption = rustls::client::Resumption::disabled();
    Arc::new(config)
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
    let client_config = rustls_client_config(&pki);
    let mut group = c.benchmark_group("tls");
    let order = [b'o'; SEAL];
    let venue = [b'v'; OPEN];
    let mut buf = vec![0u8; 64 * 1024];
    let mut wire = Vec::with_capacity(64 * 1024);

    let mut storage = Box::new(Storage::new());
    {
        let mut engine = client(&pki, &mut storage);
        let mut server = rustls::ServerConnection::new(pki.server.clone()).expect("server");
        hotline_handshake(&mut engine, &mut server, &mut buf, &mut wire);

        // What an order costs from plaintext to ciphertext in the send
        // buffer: copied in and sealed, or written in the record and
        // sealed there, or the same with the keystream prepared while idle
        // (outside the timed part), as the engine does between orders.
        group.bench_function("seal_400/hotline", |b| {
            b.iter(|| {
                engine.send(black_box(&order)).expect("send");
                black_box(engine.poll_transmit(&mut buf))
            })
        });
        group.bench_function("seal_400/hotline-in-place", |b| {
            b.iter(|| {
                engine.room()[..SEAL].copy_from_slice(black_box(&order));
                engine.seal_room(SEAL).expect("seal");
                black_box(engine.poll_transmit(&mut buf))
            })
        });
        group.bench_function("seal_400/hotline-pre-sealed", |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    engine.prepare(SEAL);
                    let start = Instant::now();
                    engine.room()[..SEAL].copy_from_slice(black_box(&order));
                    engine.seal_room(SEAL).expect("seal");
                    black_box(engine.poll_transmit(&mut buf));
                    spent += start.elapsed();
                }
                spent
            })
        });
        group.bench_function("open_600/hotline", |b| {
            b.iter_custom(|iters| {
                timed_open(iters, &mut server, &venue, &mut wire, |record| {
                    engine.handle_input(record).expect("open");
                    black_box(engine.recv(&mut buf).expect("recv"));
                })
            })
        });
    }

    // The same order in a TLS 1.2 record: explicit nonce and 13-byte
    // additional data instead of the inner content type. TLS 1.2 has no
    // KeyUpdate: a write key worn to its limit ends the connection, so the
    // bench reconnects (untimed) before a batch would wear it.
    {
        let mut engine = client_offering(&pki, &mut storage, Versions::Tls12AndTls13);
        let handshake12 = |engine: &mut Client<'_>, buf: &mut [u8], wire: &mut Vec<u8>| {
            engine.reconnect();
            let mut server = rustls::ServerConnection::new(pki.server12.clone()).expect("server");
            hotline_handshake(engine, &mut server, buf, wire);
            assert_eq!(engine.version(), Some(tls::Version::Tls12));
        };
        handshake12(&mut engine, &mut buf, &mut wire);
        // Records the key can still seal, reconnecting first when none.
        let fresh = |engine: &mut Client<'_>, buf: &mut [u8], wire: &mut Vec<u8>| {
            let left =
                |e: &Client<'_>| e.next_tx_seq().map_or(0, |s| (tls::record::KEY_UPDATE_AT - 1).saturating_sub(s));
            if left(engine) == 0 {
                handshake12(engine, buf, wire);
            }
            left(engine)
        };
        group.bench_function("seal_400/hotline-tls12-in-place", |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                let mut todo = iters;
                while todo > 0 {
                    let n = todo.min(fresh(&mut engine, &mut buf, &mut wire));
                    let start = Instant::now();
                    for _ in 0..n {
                        engine.room()[..SEAL].copy_from_slice(black_box(&order));
                        engine.seal_room(SEAL).expect("seal");
                        black_box(engine.poll_transmit(&mut buf));
                    }
                    spent += start.elapsed();
                    todo -= n;
                }
                spent
            })
        });
        group.bench_function("seal_400/hotline-tls12-pre-sealed", |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    fresh(&mut engine, &mut buf, &mut wire);
                    engine.prepare(SEAL);
                    let start = Instant::now();
                    engine.room()[..SEAL].copy_from_slice(black_box(&order));
                    engine.seal_room(SEAL).expect("seal");
                    black_box(engine.poll_transmit(&mut buf));
                    spent += start.elapsed();
                }
                spent
            })
        });
    }

    // The cipher alone, keyed once as the record layer keeps it per traffic
    // key: hotline's seal, its prepared seal (the AES done beforehand, out
    // of the timed loop), its open, and the aes-gcm 0.10 it replaces.
    let aad = [23, 3, 3, 1, 161];
    let nonce = [6u8; 12];
    let cipher = tls::Gcm::new(&[5; 16]).expect("key");
    group.bench_function("seal_400/cipher-hotline", |b| {
        let mut record = [b'o'; SEAL + 1];
        b.iter(|| black_box(cipher.seal(black_box(&nonce), &aad, &mut record).expect("seal")))
    });
    group.bench_function("seal_prepared_400/cipher-hotline", |b| {
        let mut record = [b'o'; SEAL + 1];
        b.iter_batched_ref(
            || {
                let mut stream = tls::Keystream::new();
                cipher.prepare(&nonce, SEAL + 1, &mut stream);
                stream
            },
            |stream| black_box(cipher.seal_prepared(stream, &aad, &mut record).expect("seal")),
            // Few enough keystreams to stay in cache, as one prepared just
            // before its record would be; enough to amortize the clock.
            criterion::BatchSize::NumIterations(16),
        )
    });
    group.bench_function("open_600/cipher-hotline", |b| {
        let open_aad = [23, 3, 3, 2, 105];
        let mut sealed = [b'v'; OPEN + 1];
        let tag = cipher.seal(&nonce, &open_aad, &mut sealed).expect("seal");
        let mut record = sealed;
        b.iter(|| {
            record = sealed;
            cipher.open(black_box(&nonce), &open_aad, &mut record, &tag).expect("open");
            black_box(&record);
        })
    });
    group.bench_function("seal_400/cipher-aes-gcm-0.10", |b| {
        use aes_gcm::aead::{AeadInPlace, KeyInit};
        let cipher = aes_gcm::Aes128Gcm::new(&[5; 16].into());
        let nonce = aes_gcm::Nonce::from(nonce);
        let mut record = [b'o'; SEAL + 1];
        b.iter(|| black_box(cipher.encrypt_in_place_detached(black_box(&nonce), &aad, &mut record).expect("seal")))
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
                // A KeyUpdate record carries no plaintext.
                black_box(rc.reader().read(&mut buf).ok());
            })
        })
    });

    // Client and server CPU of one full handshake: hotline's is rustls'
    // unbuffered client plus the hand-over of its keys to the core.
    group.bench_function("handshake/hotline", |b| {
        // Configured once, as `hotline run` is; each iteration is a new
        // connection's handshake.
        let mut engine = client(&pki, &mut storage);
        b.iter(|| {
            engine.reconnect();
            let mut server = rustls::ServerConnection::new(pki.server.clone()).expect("server");
            hotline_handshake(&mut engine, &mut server, &mut buf, &mut wire);
        })
    });
    group.bench_function("handshake/rustls", |b| b.iter(|| black_box(rustls_pair(&pki, &client_config))));
    group.finish();
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
        // Record by record: past 2^24 records the server rekeys, and its
        // KeyUpdate is a record of another size.
        let mut rest = &wire[..];
        while let [_, _, _, hi, lo, ..] = *rest {
            let (record, next) = rest.split_at((5 + usize::from(u16::from_be_bytes([hi, lo]))).min(rest.len()));
            open(record);
            rest = next;
        }
        spent += start.elapsed();
        left -= n;
    }
    spent
}
