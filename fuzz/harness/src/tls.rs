//! Fuzz body for the TLS record input path: whatever a server sends after
//! the ClientHello, in whatever split, the engine must make progress or
//! fail with an error, never panic, and never reach the application-data
//! state (nothing here can authenticate as a server).

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
    while engine.as_mut().poll_output(&mut out) > 0 {}
    for piece in input.chunks(chunk) {
        let mut rest = piece;
        while !rest.is_empty() {
            match engine.as_mut().handle_input(rest) {
                Ok(0) | Err(_) => break,
                Ok(n) => rest = rest.get(n..).unwrap_or_default(),
            }
        }
        while engine.as_mut().poll_output(&mut out) > 0 {}
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
