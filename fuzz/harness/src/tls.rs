//! Fuzz bodies for TLS. The record input path: whatever a server sends
//! after the handshake, in whatever split — garbage, or records sealed
//! under the server's real key with any inner type and content (alerts,
//! KeyUpdate, tickets, padding) — the client must make progress or fail
//! with an error, never panic, and never deliver plaintext the server did
//! not seal as application data. The same for TLS 1.2 records, sealed by
//! a reference (the aes-gcm crate, any explicit nonce), with every record
//! the client sends opened by the reference too. The record cipher:
//! hotline's AES-GCM against the aes-gcm crate on any input.

use hotline_core::tls::record::{ContentType, HEADER, Sealer};
use hotline_core::tls::{self, Client, Handover, Keys, Secrets, State, Storage, Suite};

/// The TLS 1.2 keys of the fuzzed connection: ours (1) and the server's
/// (2), AES-128-GCM, each with a 4-byte salt.
const KEY_12: [[u8; 16]; 2] = [[0x11; 16], [0x22; 16]];
const SALT_12: [[u8; 4]; 2] = [[1, 1, 1, 1], [2, 2, 2, 2]];

/// A TLS 1.2 connection whose handshake the fuzzer skips: each side's
/// Finished was record 0.
pub fn handover12() -> Handover {
    let keys = |i: usize| Keys::tls12(Suite::Aes128GcmSha256, &KEY_12[i], SALT_12[i]).expect("16-byte key");
    Handover::new(Secrets { tx: keys(0), tx_seq: 1, rx: keys(1), rx_seq: 1 })
}

/// TLS 1.2's additional data (RFC 5246 §6.2.3.3).
fn aad12(seq: u64, ty: u8, len: usize) -> Vec<u8> {
    let mut aad = seq.to_be_bytes().to_vec();
    aad.extend_from_slice(&[ty, 3, 3]);
    aad.extend_from_slice(&(len as u16).to_be_bytes());
    aad
}

/// A TLS 1.2 GCM record sealed by the reference cipher (RFC 5288 §3).
fn reference_seal12(seq: u64, ty: u8, explicit: [u8; 8], text: &[u8]) -> Vec<u8> {
    use aes_gcm::aead::{AeadInPlace, KeyInit};
    let mut nonce = [0u8; 12];
    nonce[..4].copy_from_slice(&SALT_12[1]);
    nonce[4..].copy_from_slice(&explicit);
    let mut body = text.to_vec();
    let tag = aes_gcm::Aes128Gcm::new_from_slice(&KEY_12[1])
        .expect("key")
        .encrypt_in_place_detached(&aes_gcm::Nonce::from(nonce), &aad12(seq, ty, text.len()), &mut body)
        .expect("seal");
    let mut record = vec![ty, 3, 3];
    record.extend_from_slice(&((8 + text.len() + 16) as u16).to_be_bytes());
    record.extend_from_slice(&explicit);
    record.extend_from_slice(&body);
    record.extend_from_slice(&tag);
    record
}

/// Opens the whole records at the front of `wire` with the reference
/// cipher under our key, from sequence number `*seq`, and drains them:
/// every record the client sent must open, carry its sequence number as
/// its explicit nonce, and be application data or an alert.
fn reference_open12(wire: &mut Vec<u8>, seq: &mut u64) {
    use aes_gcm::aead::{AeadInPlace, KeyInit};
    while let [ty, _, _, hi, lo, ..] = wire[..] {
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        if wire.len() < 5 + len {
            return;
        }
        assert!(ty == 23 || ty == 21, "the client sent a record of type {ty}");
        assert!(len >= 24, "a {len}-byte TLS 1.2 record");
        let record: Vec<u8> = wire.drain(..5 + len).collect();
        let (explicit, rest) = record[5..].split_at(8);
        assert_eq!(explicit, seq.to_be_bytes(), "the explicit nonce is not the sequence number");
        let (text, tag) = rest.split_at(rest.len() - 16);
        let mut nonce = [0u8; 12];
        nonce[..4].copy_from_slice(&SALT_12[0]);
        nonce[4..].copy_from_slice(explicit);
        let mut text = text.to_vec();
        let tag = aes_gcm::Tag::from(<[u8; 16]>::try_from(tag).expect("16"));
        aes_gcm::Aes128Gcm::new_from_slice(&KEY_12[0])
            .expect("key")
            .decrypt_in_place_detached(&aes_gcm::Nonce::from(nonce), &aad12(*seq, ty, text.len()), &mut text, &tag)
            .expect("a record the client sealed does not open");
        *seq += 1;
    }
}

/// The keys of a connection whose handshake the fuzzer skips.
/// Hands `input` to `client` in pieces of `chunk` bytes, reading the
/// plaintext out as it comes; returns the plaintext bytes delivered.
fn feed(client: &mut Client<'_, Handover>, input: &[u8], chunk: usize, plain: &mut [u8]) -> usize {
    let mut delivered = 0;
    for piece in input.chunks(chunk) {
        let mut piece = piece;
        while !piece.is_empty() {
            match client.handle_input(piece) {
                Ok(0) | Err(_) => break,
                Ok(n) => piece = piece.get(n..).unwrap_or_default(),
            }
            while let Ok(n) = client.recv(plain) {
                if n == 0 {
                    break;
                }
                delivered += n;
            }
        }
    }
    delivered
}

/// The client's own operations, kinds 2 and up of both record bodies: 2
/// sends `bytes`, 3 makes a dry run of their length (which must not move
/// the sequence number), 4 prepares a record and sends them, any other
/// ends the stream.
fn client_op(client: &mut Client<'_, Handover>, op: u8, bytes: &[u8]) {
    match op {
        2 => {
            let _ = client.send(bytes);
        }
        3 => {
            let seq = client.next_tx_seq();
            let _ = client.dry_run(bytes.len());
            assert_eq!(client.next_tx_seq(), seq, "a dry run moved the sequence number");
        }
        4 => {
            client.prepare(bytes.len());
            let _ = client.send(bytes);
        }
        _ => {
            let _ = client.handle_eof();
        }
    }
}

pub fn handover() -> Handover {
    let keys = |fill: u8| Keys::new(Suite::Aes128GcmSha256, &[fill; 16], [fill; 12]).expect("16-byte key");
    Handover::new(Secrets { tx: keys(1), tx_seq: 0, rx: keys(2), rx_seq: 0 })
}

/// First byte: chunk size for splitting server bytes. Then operations of
/// `[kind, len_hi, len_lo, bytes...]`: kind 0 raw bytes from the server,
/// 1 a record sealed under the server's key (first byte the inner type,
/// the rest its content and padding), 2 application data from the client,
/// 3 a dry run, 4 a prepared record, 5 end of stream.
pub fn tls_records(data: &[u8]) {
    let Some((&split, mut rest)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(split % 64) + 1;
    let mut storage = Box::new(Storage::new());
    let mut client = Client::new(&mut storage, handover());
    client.reconnect();
    let server_key = Keys::new(Suite::Aes128GcmSha256, &[2; 16], [2; 12]).expect("16-byte key");
    let mut server = Sealer::new(&server_key, 0).expect("AES-128");
    let mut out = vec![0u8; 64 * 1024];
    let mut plain = [0u8; 256];
    let mut delivered = 0usize;
    let mut sealed_data = 0usize;
    while let [kind, hi, lo, tail @ ..] = rest {
        let len = usize::from(u16::from_be_bytes([*hi, *lo]));
        let (bytes, next) = tail.split_at(len.min(tail.len()));
        rest = next;
        let input = match kind % 6 {
            0 => bytes.to_vec(),
            1 => {
                let Some((&ty, content)) = bytes.split_first() else { continue };
                let ty = match ty % 3 {
                    0 => ContentType::ApplicationData,
                    1 => ContentType::Handshake,
                    _ => ContentType::Alert,
                };
                let mut record = vec![0u8; HEADER + content.len() + 1 + 16];
                record[HEADER..HEADER + content.len()].copy_from_slice(content);
                let Ok(n) = server.seal(ty, &mut record, content.len()) else { continue };
                if ty == ContentType::ApplicationData {
                    sealed_data += content.len();
                }
                record.truncate(n);
                record
            }
            3 => {
                client_op(&mut client, 3, bytes);
                assert!(!client.wants_write() || client.poll_transmit(&mut out) > 0);
                Vec::new()
            }
            op => {
                client_op(&mut client, op, bytes);
                Vec::new()
            }
        };
        delivered += feed(&mut client, &input, chunk, &mut plain);
        while client.poll_transmit(&mut out) > 0 {}
        assert!(delivered <= sealed_data, "plaintext the server never sealed as application data");
        if client.state() == State::Closed && client.error().is_some_and(|e| *e != tls::Error::Closed) {
            assert!(client.send(b"x").is_err(), "a failed connection took data");
            return;
        }
    }
}

/// The TLS 1.2 record path, as [`tls_records`]: first byte the chunk
/// size, then `[kind, len_hi, len_lo, bytes...]`: kind 0 raw bytes from
/// the server, 1 a record sealed by the reference under the server's key at
/// its next sequence number (first byte the content type, 23, 22, 21 or
/// 20 by its value mod 4, then eight bytes of explicit nonce, then the
/// content), 2 application data from the client, 3 a dry run, 4 a prepared
/// record, 5 end of stream. Everything the client sends is opened by the
/// reference.
pub fn tls12_records(data: &[u8]) {
    let Some((&split, mut rest)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(split % 64) + 1;
    let mut storage = Box::new(Storage::new());
    let mut client = Client::new(&mut storage, handover12());
    client.reconnect();
    let (mut server_seq, mut client_seq) = (1u64, 1u64);
    let mut out = vec![0u8; 64 * 1024];
    let mut wire = Vec::new();
    let mut plain = [0u8; 256];
    let mut delivered = 0usize;
    let mut sealed_data = 0usize;
    while let [kind, hi, lo, tail @ ..] = rest {
        let len = usize::from(u16::from_be_bytes([*hi, *lo]));
        let (bytes, next) = tail.split_at(len.min(tail.len()));
        rest = next;
        let input = match kind % 6 {
            0 => bytes.to_vec(),
            1 => {
                let Some((&ty, rest)) = bytes.split_first() else { continue };
                let Some((explicit, content)) = rest.split_first_chunk::<8>() else { continue };
                let ty = [23, 22, 21, 20][usize::from(ty % 4)];
                if ty == 23 {
                    sealed_data += content.len();
                }
                server_seq += 1;
                reference_seal12(server_seq - 1, ty, *explicit, content)
            }
            op => {
                client_op(&mut client, op, bytes);
                Vec::new()
            }
        };
        delivered += feed(&mut client, &input, chunk, &mut plain);
        loop {
            let n = client.poll_transmit(&mut out);
            if n == 0 {
                break;
            }
            wire.extend_from_slice(&out[..n]);
        }
        reference_open12(&mut wire, &mut client_seq);
        assert!(delivered <= sealed_data, "plaintext the server never sealed as application data");
        if client.state() == State::Closed && client.error().is_some_and(|e| *e != tls::Error::Closed) {
            assert!(client.send(b"x").is_err(), "a failed connection took data");
            return;
        }
    }
}

/// Differential body for the record cipher: hotline's AES-GCM against the
/// aes-gcm crate on the same key, nonce, AAD and text. Sealing must give
/// the same bytes and tag, and so must a prepared seal of a text the
/// keystream covers, which then seals nothing more; a longer text is
/// refused untouched. Opening arbitrary bytes under an arbitrary tag must
/// succeed or fail alike, with the same plaintext, and leave the buffer
/// untouched on failure.
///
/// Layout: one byte (bit 0: AES-256), the key (16 or 32 bytes), the nonce
/// (12), the AAD length (one byte, at most 63), the AAD, a tag (16), then
/// the text.
pub fn aes_gcm(data: &[u8]) {
    use aes_gcm::aead::{AeadInPlace, KeyInit};
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let key_len = if flags & 1 == 1 { 32 } else { 16 };
    let Some((key, rest)) = rest.split_at_checked(key_len) else {
        return;
    };
    let Some((nonce, rest)) = rest.split_first_chunk::<12>() else {
        return;
    };
    let Some((&aad_len, rest)) = rest.split_first() else {
        return;
    };
    let Some((aad, rest)) = rest.split_at_checked(usize::from(aad_len % 64)) else {
        return;
    };
    let Some((tag, text)) = rest.split_first_chunk::<16>() else {
        return;
    };
    let ours = tls::Gcm::new(key).expect("16 or 32 bytes");
    // The reference's nonce and tag types.
    let (n, t) = (aes_gcm::Nonce::from(*nonce), aes_gcm::Tag::from(*tag));
    let theirs_seal = |buf: &mut [u8]| match key_len {
        16 => aes_gcm::Aes128Gcm::new_from_slice(key).expect("key").encrypt_in_place_detached(&n, aad, buf),
        _ => aes_gcm::Aes256Gcm::new_from_slice(key).expect("key").encrypt_in_place_detached(&n, aad, buf),
    };
    let theirs_open = |buf: &mut [u8]| match key_len {
        16 => aes_gcm::Aes128Gcm::new_from_slice(key).expect("key").decrypt_in_place_detached(&n, aad, buf, &t),
        _ => aes_gcm::Aes256Gcm::new_from_slice(key).expect("key").decrypt_in_place_detached(&n, aad, buf, &t),
    };

    let (mut sealed, mut theirs) = (text.to_vec(), text.to_vec());
    let (a, b) = (ours.seal(nonce, aad, &mut sealed).expect("seal"), theirs_seal(&mut theirs).expect("seal"));
    assert_eq!((&sealed, a), (&theirs, b.into()), "sealed differently");

    let mut stream = tls::Keystream::new();
    ours.prepare(nonce, text.len(), &mut stream);
    let mut prepared = text.to_vec();
    match ours.seal_prepared(&mut stream, aad, &mut prepared) {
        Some(tag) => assert_eq!((&prepared, tag), (&sealed, a), "prepared seal differs"),
        None => {
            assert!(text.len() > tls::KEYSTREAM, "prepared seal refused a text it covers");
            assert_eq!(prepared, text, "a refused prepared seal changed the buffer");
        }
    }
    let mut again = text.to_vec();
    assert_eq!(ours.seal_prepared(&mut stream, aad, &mut again), None, "a keystream sealed twice");
    assert_eq!(again, text, "a refused prepared seal changed the buffer");

    ours.open(nonce, aad, &mut sealed, &a).expect("own seal must open");
    assert_eq!(sealed, text, "round trip");

    let (mut ours_buf, mut theirs) = (text.to_vec(), text.to_vec());
    let (a, b) = (ours.open(nonce, aad, &mut ours_buf, tag), theirs_open(&mut theirs));
    assert_eq!(a.is_ok(), b.is_ok(), "one opened, the other did not");
    if a.is_ok() {
        assert_eq!(ours_buf, theirs, "opened differently");
    } else {
        assert_eq!(ours_buf, text, "a failed open changed the buffer");
    }
}
