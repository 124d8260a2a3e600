//! Fuzz bodies for TLS. The record input path: whatever a server sends
//! after the ClientHello, in whatever split, the engine must make progress
//! or fail with an error, never panic, and never reach the application-data
//! state (nothing here can authenticate as a server). The record cipher:
//! hotline's AES-GCM against the aes-gcm crate on any input.

use hotline_core::tls::{self, Aes128GcmSha256, ECDSA_ALGORITHMS, PkiVerifier, State, Storage};

/// First byte: chunk size for splitting the rest; the rest: server bytes.
pub fn tls_records(data: &[u8]) {
    let Some((&split, input)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(split % 64) + 1;
    let mut storage = Box::new(Storage::new());
    let verifier = PkiVerifier::new(&[], &[], &ECDSA_ALGORITHMS, 1_700_000_000);
    let config = tls::Config { server_name: "example.com" };
    let mut engine = core::pin::pin!(tls::connect::<Aes128GcmSha256, _>(&mut storage, config, verifier, [7; 32]));
    let mut out = [0u8; 1024];
    let mut plain = [0u8; 256];
    while engine.as_mut().poll_transmit(&mut out) > 0 {}
    for piece in input.chunks(chunk) {
        let mut rest = piece;
        while !rest.is_empty() {
            match engine.as_mut().handle_input(rest) {
                Ok(0) | Err(_) => break,
                Ok(n) => rest = rest.get(n..).unwrap_or_default(),
            }
        }
        while engine.as_mut().poll_transmit(&mut out) > 0 {}
        assert_ne!(engine.state(), State::Established, "unauthenticated server reached application data");
        assert!(
            !matches!(engine.as_mut().recv(&mut plain), Ok(n) if n > 0),
            "plaintext from an unauthenticated server"
        );
        if engine.state() == State::Closed {
            return;
        }
    }
    let _ = engine.as_mut().handle_eof();
    assert_ne!(engine.state(), State::Established);
}

/// Differential body for the record cipher: hotline's AES-GCM against the
/// aes-gcm crate on the same key, nonce, AAD and text. Sealing must give
/// the same bytes and tag; opening arbitrary bytes under an arbitrary tag
/// must succeed or fail alike, with the same plaintext, and leave the
/// buffer untouched on failure.
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
    let Some((nonce, rest)) = rest.split_at_checked(12) else {
        return;
    };
    let Some((&aad_len, rest)) = rest.split_first() else {
        return;
    };
    let Some((aad, rest)) = rest.split_at_checked(usize::from(aad_len % 64)) else {
        return;
    };
    let Some((tag, text)) = rest.split_at_checked(16) else {
        return;
    };
    let nonce = aes_gcm::Nonce::from_slice(nonce);
    let tag = aes_gcm::Tag::from_slice(tag);
    let ours_seal = |buf: &mut [u8]| match key_len {
        16 => tls::AesGcm::<16>::new_from_slice(key).expect("key").encrypt_in_place_detached(nonce, aad, buf),
        _ => tls::AesGcm::<32>::new_from_slice(key).expect("key").encrypt_in_place_detached(nonce, aad, buf),
    };
    let theirs_seal = |buf: &mut [u8]| match key_len {
        16 => aes_gcm::Aes128Gcm::new_from_slice(key).expect("key").encrypt_in_place_detached(nonce, aad, buf),
        _ => aes_gcm::Aes256Gcm::new_from_slice(key).expect("key").encrypt_in_place_detached(nonce, aad, buf),
    };
    let ours_open = |buf: &mut [u8], tag: &aes_gcm::Tag| match key_len {
        16 => tls::AesGcm::<16>::new_from_slice(key).expect("key").decrypt_in_place_detached(nonce, aad, buf, tag),
        _ => tls::AesGcm::<32>::new_from_slice(key).expect("key").decrypt_in_place_detached(nonce, aad, buf, tag),
    };
    let theirs_open = |buf: &mut [u8], tag: &aes_gcm::Tag| match key_len {
        16 => aes_gcm::Aes128Gcm::new_from_slice(key).expect("key").decrypt_in_place_detached(nonce, aad, buf, tag),
        _ => aes_gcm::Aes256Gcm::new_from_slice(key).expect("key").decrypt_in_place_detached(nonce, aad, buf, tag),
    };

    let (mut ours, mut theirs) = (text.to_vec(), text.to_vec());
    let (a, b) = (ours_seal(&mut ours).expect("seal"), theirs_seal(&mut theirs).expect("seal"));
    assert_eq!((&ours, a), (&theirs, b), "sealed differently");
    ours_open(&mut ours, &a).expect("own seal must open");
    assert_eq!(ours, text, "round trip");

    let (mut ours, mut theirs) = (text.to_vec(), text.to_vec());
    let (a, b) = (ours_open(&mut ours, tag), theirs_open(&mut theirs, tag));
    assert_eq!(a.is_ok(), b.is_ok(), "one opened, the other did not");
    if a.is_ok() {
        assert_eq!(ours, theirs, "opened differently");
    } else {
        assert_eq!(ours, text, "a failed open changed the buffer");
    }
}
